"""Choosing an input: upload a file or pick a sample by name; the server keeps the path (the page never sends one).

image_picker(studio, key, label, sample=None) -> Picker    an upload box, a sample menu, a preview, an error line
video_picker(studio, key, label) -> Picker                 the same for a clip (no samples)
Picker.path is a gr.State holding the accepted file's server path, or None: pass it as a job's input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from ..errors import DreamreelError
from .panel import message_html
from .uploads import accept_image, accept_video

NO_SAMPLE = "(none)"


@dataclass
class Picker:
    upload: Any
    sample: Any
    preview: Any
    error: Any
    path: Any


def image_picker(studio, key: str, label: str, sample: str | None = None, height: int = 260) -> Picker:
    start = studio.samples.get(sample) if sample else None
    with gr.Group():
        preview = gr.Image(value=str(start) if start else None, label=label, interactive=False, height=height,
                           elem_id=f"{key}-preview", buttons=[])
        with gr.Row():
            choices = [NO_SAMPLE, *studio.samples]
            pick = gr.Dropdown(choices, value=sample if start else NO_SAMPLE, show_label=False, scale=2,
                               elem_id=f"{key}-sample", container=False)
            upload = gr.UploadButton("Upload an image…", file_types=["image"], elem_id=f"{key}-upload", scale=2,
                                     size="md")
    error = gr.HTML("", elem_id=f"{key}-error")
    path = gr.State(str(start) if start else None)

    def uploaded(file):
        """An upload replaces the sample; a refused one leaves no image chosen, so nothing runs on a stale one."""
        if file is None:
            return gr.skip(), gr.skip(), gr.skip(), ""
        try:
            stored = str(accept_image(file, studio.uploads))
        except DreamreelError as failure:
            return None, None, NO_SAMPLE, message_html(str(failure), error=True)
        return stored, stored, NO_SAMPLE, ""

    def picked(name):
        chosen = studio.samples.get(name)
        return (str(chosen) if chosen else None), (str(chosen) if chosen else None), ""

    upload.upload(uploaded, [upload], [path, preview, pick, error], show_progress="minimal")
    pick.input(picked, [pick], [path, preview, error], show_progress="hidden")
    return Picker(upload, pick, preview, error, path)


def video_picker(studio, key: str, label: str) -> Picker:
    with gr.Group():
        preview = gr.Video(label=label, interactive=False, height=260, elem_id=f"{key}-preview")
        upload = gr.UploadButton("Upload a short clip (MP4, MOV, WebM)…", file_types=["video"],
                                 elem_id=f"{key}-upload")
    error = gr.HTML("", elem_id=f"{key}-error")
    path = gr.State(None)

    def uploaded(file):
        if file is None:
            return gr.skip(), gr.skip(), ""
        try:
            stored = str(accept_video(file, studio.uploads))
        except DreamreelError as failure:
            return None, None, message_html(str(failure), error=True)
        return stored, stored, ""

    upload.upload(uploaded, [upload], [path, preview, error], show_progress="minimal")
    return Picker(upload, None, preview, error, path)
