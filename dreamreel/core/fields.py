"""Settings fields: a default, a check and a help text on each dataclass field, the one source of truth.

setting(default, check, help, *, flag=None) -> dataclasses.Field     metadata: check, help, flag
check(value, key) -> the validated value, or a DreamreelError naming the key and what is allowed
validate(instance) -> instance        runs every field's check (call it from __post_init__)
integer(low, high), number(low, high, low_open), choice(options), text, boolean, strings, path_or(*words)

Settings dataclasses live beside the code that uses them (core.dream.DreamSettings, io writers, pipelines);
presets parse into them and the CLI builds its flags from them, so a default or a list of choices is written once.
"""

from __future__ import annotations

import dataclasses
import math
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
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(key, allowed, value)
        if (low is not None and value < low) or (high is not None and value > high):
            raise fail(key, allowed, value)
        return value

    check.kind = int
    return check


def number(low: float | None = None, high: float | None = None, low_open: bool = False) -> Check:
    def check(value, key):
        allowed = f"a finite number {_bounds(low, high, low_open)}".rstrip()
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
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
