"""The Clip tab: a short clip dreamed with a clip preset, or painted in the style of an image, frame by frame.

build(studio) -> None
clip_choices() -> [(label, name)]      the clip presets
clip_job(folder, clip, look, preset, style, start, end, keep_audio) -> ClipJob   (pure)
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from ..errors import DreamreelError
from .panel import job_panel, wire
from .pickers import image_picker, video_picker

LOOKS = ("Dream preset", "Style of an image")


def clip_choices() -> list[tuple[str, str]]:
    from ..presets import video_presets_dir

    import tomllib

    out = []
    for path in sorted(video_presets_dir().glob("*.toml")):
        try:
            description = str(tomllib.loads(path.read_text(encoding="utf-8")).get("description", ""))
        except (OSError, tomllib.TOMLDecodeError):
            description = ""
        out.append((f"{path.stem} — {description}" if description else path.stem, path.stem))
    return out


def _seconds(value, what: str) -> float | None:
    if value in (None, ""):
        return None
    if float(value) < 0:
        raise DreamreelError(f"{what} must be 0 or more seconds; got {value}")
    return float(value)


def clip_job(folder: Path, clip: str | None, look: str, preset: str | None, style: str | None, start, end,
             keep_audio: bool):
    from ..jobs import ClipJob

    if not clip:
        raise DreamreelError("upload a clip first")
    if look not in LOOKS:
        raise DreamreelError(f"choose a look: {' or '.join(LOOKS)}")
    start, end = _seconds(start, "start"), _seconds(end, "end")
    if start is not None and end is not None and end <= start:
        raise DreamreelError(f"the end ({end:g} s) must come after the start ({start:g} s)")
    output = str(Path(folder) / "clip.mp4")
    if look == LOOKS[0]:
        if not preset:
            raise DreamreelError("choose a dream preset")
        return ClipJob(input=clip, output=output, preset=preset, start=start, end=end, keep_audio=keep_audio)
    if not style:
        raise DreamreelError("choose a style image")
    return ClipJob(input=clip, output=output, style=(style,), start=start, end=end, keep_audio=keep_audio)


def build(studio) -> None:
    presets = clip_choices()
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            clip = video_picker(studio, "clip-input", "Clip")
            look = gr.Radio(list(LOOKS), value=LOOKS[0], label="Look", elem_id="clip-look")
            preset = gr.Dropdown(presets, value=presets[0][1] if presets else None, label="Dream preset",
                                 elem_id="clip-preset")
            with gr.Accordion("Style image (for “Style of an image”)", open=False):
                style = image_picker(studio, "clip-style", "Style", sample="starry night", height=160)
            with gr.Row():
                start = gr.Number(None, label="Start (s)", info="empty: from the beginning", elem_id="clip-start")
                end = gr.Number(None, label="End (s)", info="empty: to the end", elem_id="clip-end")
            keep_audio = gr.Checkbox(True, label="Keep the sound", elem_id="clip-audio")
        with gr.Column(scale=6):
            preview = gr.Image(label="Latest frame", interactive=False, format="png", height=320,
                               elem_id="clip-preview")
            panel = job_panel("clip", "Process clip")
            video = gr.Video(label="Result", interactive=False, elem_id="clip-result")

    def make(clip_path, look_name, preset_name, style_path, start_s, end_s, audio):
        return "clip", lambda folder: clip_job(folder, clip_path, look_name, preset_name, style_path, start_s,
                                               end_s, audio)

    wire(panel, studio, [clip.path, look, preset, style.path, start, end, keep_audio], make,
         lambda item: [str(item.result)], [video], preview=preview)
