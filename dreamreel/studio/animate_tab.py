"""The Animate tab: a preset (infinite zoom, spiral, ...) with its main parameters as controls, a live preview of
the latest frame, then the MP4 or GIF to watch and download.

build(studio) -> None
preset_values(name) -> {key: value}      the preset's settings as the controls show them (camera moves as text)
overrides_of(preset values, control values) -> ("key=value", ...)   only what the user changed, as `--set` takes it
render_job(folder, preset, overrides, kind) -> RenderJob   (pure)
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import gradio as gr

from .. import settings
from ..errors import DreamreelError
from ..jobs import RenderJob
from ..motion.camera import MOVES, settings_keys
from . import forms
from .panel import job_panel, wire

TOP = ("frames", "fps", "width", "height", "steps", "step_size", "seed")
CAMERA = ("zoom", "rotate", "pan_x", "pan_y")
OBJECTIVE = ("layers",)
FORMATS = ("mp4", "gif")
DEFAULT_PRESET = "infinite_zoom"


def preset_choices() -> list[tuple[str, str]]:
    """(label, name) pairs for the menu, so the menu shows the description and sends only the name."""
    return [(f"{name} — {description}" if description else name, name)
            for name, description, _ in settings.list_presets()]


def _text(value) -> str:
    """A camera move as the box shows it: a number, or keyframes as TOML."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"
    return json.dumps(value) if not isinstance(value, str) else value


def camera_fields() -> dict:
    """The [camera] keys of a preset (zoom, rotate, pan_x, ...) and the fields of the moves they set."""
    return {key: f for move in MOVES.values() for key, f in settings_keys(move).items()}


def preset_values(name: str) -> dict:
    data = settings.load_preset(name).as_dict()
    values = {key: data[key] for key in TOP}
    values.update({f"camera.{key}": _text(data["camera"][key]) for key in CAMERA})
    values.update({f"objective.{key}": data["objective"][key] for key in OBJECTIVE})
    return values


def _toml(value) -> str:
    if isinstance(value, str):
        return value  # camera boxes hold TOML already; `--set` reads a bare word as a string
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _same(value, preset_value) -> bool:
    if isinstance(value, str):
        return value.strip() == str(preset_value).strip()
    if isinstance(value, (int, float)) and isinstance(preset_value, (int, float)):
        return math.isclose(value, preset_value, rel_tol=1e-6, abs_tol=1e-12)
    return value == preset_value


def overrides_of(preset: dict, chosen: dict) -> tuple[str, ...]:
    changed = []
    for key, value in chosen.items():
        if _same(value, preset[key]):
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        changed.append(f"{key}={_toml(value.strip() if isinstance(value, str) else value)}")
    return tuple(changed)


def render_job(folder: Path, preset: str, overrides: tuple[str, ...], kind: str):
    if kind not in FORMATS:
        raise DreamreelError(f"choose a format: {', '.join(FORMATS)}")
    settings.load_preset(preset, overrides)  # a bad value is reported now, on the page, not after queueing
    return RenderJob(preset=preset, output=str(Path(folder) / f"animation.{kind}"), overrides=overrides)


def build(studio) -> None:
    choices = preset_choices()
    if not choices:
        gr.Markdown("No presets found.")
        return
    names = [name for _, name in choices]
    first = DEFAULT_PRESET if DEFAULT_PRESET in names else names[0]
    values = preset_values(first)
    preset = settings.load_preset(first)
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            menu = gr.Dropdown(choices, value=first, label="Preset", elem_id="animate-preset")
            top = {}
            for row in (TOP[:2], TOP[2:4], TOP[4:6], TOP[6:]):
                with gr.Row():
                    top.update(forms.controls(type(preset.render), row, "animate", defaults=values))
            gr.HTML('<p class="dr-hint">Camera moves per frame: a number, or keyframes such as '
                    '<code>[[0, 1.0], [48, 1.05, "smooth"]]</code>.</p>')
            camera = {}
            for row in (CAMERA[:2], CAMERA[2:]):
                with gr.Row():
                    camera.update(forms.controls(camera_fields(), row, "animate",
                                                 defaults={key: values[f"camera.{key}"] for key in row}))
            objective = forms.controls(type(preset.objective), OBJECTIVE, "animate",
                                       defaults={key: values[f"objective.{key}"] for key in OBJECTIVE})
            kind = gr.Radio(list(FORMATS), value="mp4", label="Format", elem_id="animate-format")
        with gr.Column(scale=6):
            preview = gr.Image(label="Latest frame", interactive=False, format="png", height=360,
                               elem_id="animate-preview")
            panel = job_panel("animate", "Render")
            video = gr.Video(label="Video", interactive=False, elem_id="animate-video", loop=True)
            gif = gr.Image(label="GIF", interactive=False, visible=False, elem_id="animate-gif")

    sections = ((None, type(preset.render), top), ("camera", camera_fields(), camera),
                ("objective", type(preset.objective), objective))
    keys, names, fields, controls = [], [], [], []  # "camera.zoom", "zoom", its field, its control
    for section, section_fields, made in sections:
        for name, component in made.items():
            keys.append(f"{section}.{name}" if section else name)
            names.append(name)
            fields.append(forms.fields_of(section_fields)[name])
            controls.append(component)

    def pick(preset_name):
        chosen = preset_values(preset_name)
        return [gr.update(value=forms.shown(name, chosen[key])) for key, name in zip(keys, names)]

    menu.input(pick, [menu], controls, show_progress="hidden")

    def make(preset_name, format_name, *chosen):
        values = {key: forms.from_control(n, f, v) for key, n, f, v in zip(keys, names, fields, chosen)}
        overrides = overrides_of(preset_values(preset_name), values)
        return "animate", lambda folder: render_job(folder, preset_name, overrides, format_name)

    def show(item):
        is_gif = item.result.suffix.lower() == ".gif"
        return [gr.update(value=None if is_gif else str(item.result), visible=not is_gif),
                gr.update(value=str(item.result) if is_gif else None, visible=is_gif)]

    wire(panel, studio, [menu, kind, *controls], make, show, [video, gif], preview=preview)
