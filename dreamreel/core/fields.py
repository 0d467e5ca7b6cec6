"""Settings fields: a default, a check and a help text on each dataclass field, the one source of truth.

setting(default, check, help, *, flag=None) -> dataclasses.Field     metadata: check, help, flag
check(value, key) -> the validated value, or a DreamreelError naming the key and what is allowed
validate(instance) -> instance        runs every field's check (call it from __post_init__)
configure(cls, settings, options) -> settings    `settings or cls()` with keyword options replacing fields
takes_options(cls) -> decorator    the signature of f(..., settings=None, **options) lists cls's fields as options
integer(low, high), number(low, high, low_open), choice(options), text, boolean, strings, path_or(*words),
optional(check), names (layer names; "a,b" is split), weight_list (numbers >= 0, not all 0)
(NumPy scalars count as numbers: np.float32(0.5) is a number, True is not)

Settings dataclasses live beside the code that uses them (core.dream.DreamSettings, io writers, pipelines);
presets parse into them and the CLI builds its flags from them, so a default or a list of choices is written once.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import numbers
from typing import Any, Callable, Sequence

from ..errors import DreamreelError

Check = Callable[[Any, str], Any]

SEED_MAX = 2**32 - 1  # jax.random.PRNGKey takes 32-bit seeds


def fail(key: str, allowed: str, value) -> DreamreelError:
    return DreamreelError(f"{key} must be {allowed}; got {value!r}")


def _bounds(low, high, low_open=False) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"<= {high:g}")
    return " and ".join(parts)


def integer(low: int | None = None, high: int | None = None) -> Check:
    def check(value, key):
        allowed = f"an integer {_bounds(low, high)}".rstrip()
        if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral) and float(value).is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise fail(key, allowed, value)
        if (low is not None and value < low) or (high is not None and value > high):
            raise fail(key, allowed, value)
        return int(value)

    check.kind = int
    return check


def number(low: float | None = None, high: float | None = None, low_open: bool = False) -> Check:
    def check(value, key):
        allowed = f"a finite number {_bounds(low, high, low_open)}".rstrip()
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise fail(key, allowed, value)
        if (low is not None and (value <= low if low_open else value < low)) or (high is not None and value > high):
            raise fail(key, allowed, value)
        return float(value)

    check.kind = float
    return check


def choice(options: Sequence[str]) -> Check:
    def check(value, key):
        if value not in options:
            raise fail(key, f"one of {', '.join(options)}", value)
        return value

    check.kind = str
    check.options = tuple(options)
    return check


def optional(check: Check) -> Check:
    """`check`, or None for "not set" (e.g. a size that defaults to the input's own)."""

    def checked(value, key):
        return None if value is None else check(value, key)

    checked.kind = check.kind
    checked.optional = True
    return checked


def names(value, key):
    """A possibly empty list of names; a comma-separated string is split."""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise fail(key, "names such as block1_conv1,block2_conv1", value)
    return tuple(value)


names.kind = tuple


def weight_list(value, key):
    """A list of finite numbers >= 0, not all 0 (weights normalised later), or None for equal weights."""
    if value is None:
        return None
    values = [value] if isinstance(value, numbers.Real) else value
    allowed = "a list of numbers >= 0, not all 0"
    if isinstance(values, str) or not isinstance(values, (list, tuple)) or not values:
        raise fail(key, allowed, value)
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
               for v in values) or not any(v > 0 for v in values):
        raise fail(key, allowed, value)
    return tuple(float(v) for v in values)


weight_list.kind = tuple


def text(value, key):
    if not isinstance(value, str):
        raise fail(key, "a string", value)
    return value


text.kind = str


def boolean(value, key):
    if not isinstance(value, bool):
        raise fail(key, "true or false", value)
    return value


boolean.kind = bool


def strings(value, key):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise fail(key, 'a list of non-empty strings such as ["block3_conv3", "block4_conv3"]', value)
    return tuple(value)


strings.kind = tuple


def path_or(*words: str) -> Check:
    """A file path (checked to exist where it is resolved), or one of `words`, or "" for none."""

    def check(value, key):
        if not isinstance(value, str):
            raise fail(key, f"a file path{''.join(f' or {w!r}' for w in words)}", value)
        return value

    check.kind = str
    check.is_path = True
    check.words = words
    return check


def setting(default, check: Check, help: str, *, flag: str | None = None):
    """A dataclass field with its default, check and help; `flag` overrides the CLI flag's name."""
    kind = dict(default_factory=lambda: default) if isinstance(default, (list, dict)) else dict(default=default)
    return dataclasses.field(metadata=dict(check=check, help=help, flag=flag), **kind)


def default_of(field: dataclasses.Field):
    return field.default if field.default is not dataclasses.MISSING else field.default_factory()


def validate(instance, prefix: str = ""):
    """Run each field's check; frozen dataclasses get the checked (normalised) values written back."""
    for f in dataclasses.fields(instance):
        check = f.metadata.get("check")
        if check is not None:
            value = check(getattr(instance, f.name), prefix + f.name)
            object.__setattr__(instance, f.name, value)
    return instance


def configure(cls, settings=None, options: dict | None = None):
    """`settings or cls()`, with `options` (keyword arguments of a Python call) replacing its fields; an unknown
    option is a DreamreelError listing the known ones, a bad value one naming the field."""
    settings = cls() if settings is None else settings
    if not isinstance(settings, cls):
        raise DreamreelError(f"settings must be a {cls.__name__}; got {type(settings).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(options or {}) - names)
    if unknown:
        raise DreamreelError(f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                             f"{cls.__name__} has {', '.join(sorted(names))}")
    return dataclasses.replace(settings, **options) if options else settings


def takes_options(cls):
    """Decorate f(..., settings=None, **options): its signature (help(), inspect) names each field of `cls` as a
    keyword-only option with its default, in place of **options."""

    def decorate(function):
        signature = inspect.signature(function)
        params = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        taken = {p.name for p in params}
        params += [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=default_of(f), annotation=f.type)
                   for f in dataclasses.fields(cls) if f.name not in taken]
        function.__signature__ = signature.replace(parameters=params)
        return function

    return decorate
