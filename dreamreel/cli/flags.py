"""Command-line flags built from settings dataclasses, so every default, choice and help text is written once.

add_settings(parser, cls, *, skip=(), flags={}) -> None   one flag per field: --name-with-dashes (or the field's
                                                          metadata "flag", or flags[name]); help shows the default
settings_from(args, cls, **extra) -> cls instance         only the flags the user gave override the defaults
positive_int(text) -> int                                 an argparse type
"""

from __future__ import annotations

import argparse
from dataclasses import fields

from ..core.fields import default_of
from ..motion.keyframes import Track


def flag_name(field, flags: dict | None = None) -> str:
    name = (flags or {}).get(field.name) or field.metadata.get("flag") or field.name
    return "--" + name.replace("_", "-")


def _shown(value) -> str:
    if isinstance(value, Track):
        return value.describe()
    if isinstance(value, tuple):
        return " ".join(map(str, value)) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if value != "" else "none"


def add_settings(parser, cls, *, skip=(), flags: dict | None = None) -> None:
    for f in fields(cls):
        if f.name in skip:
            continue
        check = f.metadata["check"]
        kind = getattr(check, "kind", str)
        default = default_of(f)
        help_ = f"{f.metadata['help']} (default: {_shown(default)})"
        options = dict(dest=f.name, default=None, help=help_)
        if kind is bool:
            parser.add_argument(flag_name(f, flags), action=argparse.BooleanOptionalAction, **options)
        elif kind is tuple:
            item = getattr(check, "item", str)
            parser.add_argument(flag_name(f, flags), nargs="+", type=item, metavar=item.__name__.upper(), **options)
        elif getattr(check, "options", None):
            parser.add_argument(flag_name(f, flags), choices=[o for o in check.options if o], **options)
        else:
            number = {int: int, float: float, Track: float}.get(kind, str)
            parser.add_argument(flag_name(f, flags), type=number, metavar=f.name.upper(), **options)


def settings_from(args: argparse.Namespace, cls, **extra):
    """An instance of `cls` from the flags given (None = not given: the field's default applies)."""
    names = {f.name for f in fields(cls)}
    values = {name: value for name, value in vars(args).items() if name in names and value is not None}
    values.update({k: v for k, v in extra.items() if v is not None})
    for f in fields(cls):
        if f.name in values and isinstance(default_of(f), tuple) and isinstance(values[f.name], list):
            values[f.name] = tuple(values[f.name])
    return cls(**values)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value
