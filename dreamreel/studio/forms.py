"""Controls built from settings dataclasses, so the page, the CLI and the presets share every default and choice.

controls(cls or {key: field}, names, key, *, defaults=None) -> {name: gradio component}
    call inside a gr.Blocks context; the components get elem_id "<key>-<name>"; names the settings do not have
    are skipped (a renamed setting loses its control, not the page), so read the dict's keys. The field's check
    picks the widget: choice -> dropdown, boolean -> checkbox, number/integer -> slider where SLIDERS gives a
    range (a display range only: the check still decides what is valid), else a number box; a constant track ->
    a number, keyframes -> text; strings -> comma-separated text. The field's help becomes the control's hint.
settings_from(cls, names, values, base=None) -> an instance; a bad value raises the check's DreamreelError
shown(name, value) -> what the control shows; from_control(name, field, control value) -> the field's value
label_of(name) -> "Step size"
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Sequence

from ..core.fields import default_of
from ..motion.camera import Track

# Slider ranges for the settings people move most; the value a slider shows is still checked by the dataclass.
SLIDERS: dict[str, tuple[float, float, float]] = {
    "octaves": (1, 8, 1),
    "steps": (1, 100, 1),
    "step_size": (0.25, 12.0, 0.25),  # in grey levels (SCALES)
    "jitter": (0, 64, 1),
    "octave_scale": (1.1, 2.0, 0.05),
    "size": (64, 1024, 16),
    "iterations": (10, 1000, 10),
    "frames": (2, 480, 1),
    "fps": (1, 60, 1),
    "width": (64, 1920, 16),
    "height": (64, 1080, 16),
}

LABELS = {"step_size": "Strength (grey levels per step)", "octaves": "Octaves (scales)", "fps": "Frames per second"}

# Shown in friendlier units: the control holds value * factor (a step of 1/255 reads "1 grey level").
SCALES = {"step_size": 255.0}


def label_of(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


def fields_of(settings) -> dict[str, dataclasses.Field]:
    """A settings dataclass's fields by name; a {key: field} mapping (e.g. a preset's camera keys) as it is."""
    return dict(settings) if isinstance(settings, dict) else {f.name: f for f in dataclasses.fields(settings)}


def controls(settings, names: Sequence[str], key: str, *, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    known = fields_of(settings)
    return {name: control(name, known[name], (defaults or {}).get(name, default_of(known[name])), f"{key}-{name}")
            for name in names if name in known}


def control(name: str, f: dataclasses.Field, value: Any, elem_id: str):
    import gradio as gr

    check, hint = f.metadata.get("check"), f.metadata.get("help", "")
    value = shown(name, value)
    kind = getattr(check, "kind", type(value))
    if kind is Track:  # a constant move is a number; keyframes are edited as text
        kind = float if isinstance(value, (int, float)) else str
    hint = hint.replace("*", "\u2217")  # hints are read as Markdown: "0.5*a - 0.2*b" would turn italic
    common = dict(label=label_of(name), info=hint, elem_id=elem_id)
    if getattr(check, "options", None):
        return gr.Dropdown(choices=list(check.options), value=value, **common)
    if kind is bool:
        return gr.Checkbox(value=bool(value), **common)
    if kind in (int, float) and isinstance(value, (int, float)):
        if name in SLIDERS:
            low, high, step = SLIDERS[name]
            return gr.Slider(minimum=min(low, value), maximum=max(high, value), step=step, value=value, **common)
        return gr.Number(value=value, precision=0 if kind is int else None, **common)
    if kind is tuple or isinstance(value, tuple):
        return gr.Textbox(value=", ".join(map(str, value)), **common)
    return gr.Textbox(value="" if value is None else str(value), **common)


def shown(name: str, value: Any) -> Any:
    """A field's value as its control shows it (the inverse of from_control); a constant track is its number."""
    if isinstance(value, Track):
        keys = [[k.at, k.value, k.easing] for k in value.keys]
        return keys[0][1] if value.is_constant else json.dumps(keys)
    if name in SCALES and isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(value * SCALES[name], 6)
    return value


def from_control(name: str, f: dataclasses.Field, value: Any) -> Any:
    """A control's value as the field's type; the dataclass's check then judges it."""
    kind = getattr(f.metadata.get("check"), "kind", None)
    if kind is Track and isinstance(value, str) and value.strip().startswith("["):
        try:
            return json.loads(value)  # keyframes; the field's check reads (and judges) the list
        except ValueError:
            return value
    if value is None or isinstance(value, (tuple, list)):
        return value
    if kind is tuple or isinstance(default_of(f), tuple):
        return tuple(part.strip() for part in str(value).split(",") if part.strip())
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if name in SCALES and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value / SCALES[name]
    return value


def settings_from(cls, names: Sequence[str], values: Sequence[Any], base=None):
    known = fields_of(cls)
    changes = {name: from_control(name, known[name], value) for name, value in zip(names, values)}
    return dataclasses.replace(base, **changes) if base is not None else cls(**changes)
