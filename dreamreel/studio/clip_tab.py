"""The Clip tab: a short clip dreamed or painted with a clip preset, or painted in the style of an image.

build(studio) -> None
clip_choices() -> [(label, name)]      the clip presets
clip_job(folder, clip, look, preset, style, start, end, keep_audio) -> ClipJob   (pure)
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr

from ..errors import DreamreelError
from ..jobs import ClipJob
from ..settings import ClipSettings, list_clip_presets, load_clip_preset
from .panel import job_panel, wire
from .pickers import image_picker, video_picker

LOOKS = ("Preset", "Style of your image")
STYLE_BASE = "starry"  # "Style of your image" takes this style preset's settings with the image as its painting


def clip_choices() -> list[tuple[str, str]]:
    """(label, name) of each clip preset: the menu shows the description and sends only the name."""
    return [(f"{name} — {description}" if description else name, name)
            for name, description, _ in list_clip_presets()]


def _preset_side(name: str | None) -> int:
    return load_clip_preset(name).clip.max_side if name else ClipSettings().max_side


def _seconds(value, what: str) -> float | None:
    """A time box: empty means "not set"; anything else must be a number of seconds, 0 or more."""
    if value is None or not str(value).strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise DreamreelError(f"{what} must be a number of seconds such as 2.5; got {value!r}") from None
    if not seconds >= 0 or seconds == float("inf"):
        raise DreamreelError(f"{what} must be 0 or more seconds; got {value}")
    return seconds


def clip_job(folder: Path, clip: str | None, look: str, preset: str | None, style: str | None, start, end,
             keep_audio: bool, max_side=None):

    if not clip:
        raise DreamreelError("upload a clip first")
    if look not in LOOKS:
        raise DreamreelError(f"choose a look: {' or '.join(LOOKS)}")
    start, end = _seconds(start, "start"), _seconds(end, "end")
    if start is not None and end is not None and end <= start:
        raise DreamreelError(f"the end ({end:g} s) must come after the start ({start:g} s)")
    if look == LOOKS[0] and not preset:
        raise DreamreelError("choose a preset")
    if look == LOOKS[1] and not style:
        raise DreamreelError("choose the image whose style the clip takes")
    base = preset if look == LOOKS[0] else STYLE_BASE
    overrides = (f"style={json.dumps([style])}",) if look == LOOKS[1] else ()
    if max_side and int(max_side) != load_clip_preset(base).clip.max_side:
        overrides += (f"max_side={int(max_side)}",)
    return ClipJob(input=clip, output=str(Path(folder) / "clip.mp4"), preset=base, overrides=overrides, start=start,
                   end=end, keep_audio=keep_audio)


def build(studio) -> None:
    presets = clip_choices()
    first = presets[0][1] if presets else None
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            clip = video_picker(studio, "clip-input", "Clip")
            look = gr.Radio(list(LOOKS), value=LOOKS[0], label="Look", elem_id="clip-look")
            preset = gr.Dropdown(presets, value=first, label="Preset",
                                 elem_id="clip-preset")
            with gr.Accordion("Your style image (for “Style of your image”)", open=False):
                style = image_picker(studio, "clip-style", "Style", sample="starry night", height=160)
            with gr.Row():
                start = gr.Textbox("", label="Start (seconds)", placeholder="from the beginning", elem_id="clip-start")
                end = gr.Textbox("", label="End (seconds)", placeholder="to the end", elem_id="clip-end")
            max_side = gr.Slider(64, 1920, value=_preset_side(first), step=16,
                                 label="Working size (longer side, px)",
                                 info="frames are shrunk to this first; larger is slower",
                                 elem_id="clip-max-side")
            keep_audio = gr.Checkbox(True, label="Keep the sound", elem_id="clip-audio")
        with gr.Column(scale=6):
            preview = gr.Image(label="Latest frame", interactive=False, format="png", height=320,
                               elem_id="clip-preview")
            panel = job_panel("clip", "Process clip")
            video = gr.Video(label="Result", interactive=False, elem_id="clip-result")

    def make(clip_path, look_name, preset_name, style_path, start_s, end_s, audio, side):
        return "clip", lambda folder: clip_job(folder, clip_path, look_name, preset_name, style_path, start_s,
                                               end_s, audio, side)

    preset.input(_preset_side, [preset], [max_side], show_progress="hidden")
    wire(panel, studio, [clip.path, look, preset, style.path, start, end, keep_audio, max_side], make,
         lambda item: [str(item.result)], [video], preview=preview)
