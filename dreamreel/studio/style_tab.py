"""The Style tab: a content photo painted in the style of one to three images, each with a weight.

build(studio) -> None
style_job(folder, content, model, styles [(path or None, weight)], settings values {name: value}) -> StyleJob (pure)
style_models(studio) -> [model name]   the models that have style layers
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from ..core.stylize import StyleSettings
from ..errors import DreamreelError
from ..jobs import StyleJob
from . import forms
from .panel import job_panel, wire
from .pickers import image_picker

MAIN_SETTINGS = ("size", "iterations", "original_colors", "style_weight")
MORE_SETTINGS = ("scales", "style_scale", "content_weight", "tv_weight", "optimizer", "learning_rate", "loss",
                 "init", "seed")
STYLE_SLOTS = 3
OUTPUT = "styled.png"


def style_models(studio) -> list[str]:
    return [name for name, spec in studio.models.items() if spec.style_layers] or list(studio.models)


def style_job(folder: Path, content: str | None, model: str, styles, settings_values: dict):
    if not content:
        raise DreamreelError("choose a content photo first: upload one or pick a sample")
    chosen = [(path, float(weight)) for path, weight in styles if path]
    if not chosen:
        raise DreamreelError("choose at least one style image")
    if any(weight <= 0 for _, weight in chosen):
        raise DreamreelError("each style's weight must be above 0 (remove a style you do not want)")
    blend = tuple(weight for _, weight in chosen) if len(chosen) > 1 else None
    settings = forms.settings_from(StyleSettings, [*settings_values, "style_blend"],
                                   [*settings_values.values(), blend])
    return StyleJob(content=content, styles=tuple(path for path, _ in chosen), output=str(Path(folder) / OUTPUT),
                    model=model, settings=settings)


def build(studio) -> None:
    models = style_models(studio)
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            content = image_picker(studio, "style-content", "Photo", sample="sky", height=220)
            slots = []
            with gr.Row():
                for slot in range(STYLE_SLOTS):
                    with gr.Column(min_width=120):
                        picker = image_picker(studio, f"style-{slot + 1}", f"Style {slot + 1}",
                                              sample="starry night" if slot == 0 else None, height=140)
                        weight = gr.Slider(0, 5, value=1.0, step=0.1, label="Weight",
                                           elem_id=f"style-{slot + 1}-weight")
                        slots.append((picker, weight))
            model = gr.Dropdown(models, value=models[0], label="Model", elem_id="style-model")
            main = forms.controls(StyleSettings, MAIN_SETTINGS, "style")
            with gr.Accordion("More settings", open=False):
                more = forms.controls(StyleSettings, MORE_SETTINGS, "style")
        with gr.Column(scale=6):
            result = gr.Image(label="Styled", interactive=False, format="png", height=520, elem_id="style-result",
                              buttons=["download", "fullscreen"])
            panel = job_panel("style", "Paint")

    names = [*main, *more]
    style_inputs = [component for picker, weight in slots for component in (picker.path, weight)]

    def make(content_path, model_name, *rest):
        pairs = list(zip(rest[0:2 * STYLE_SLOTS:2], rest[1:2 * STYLE_SLOTS:2]))
        values = dict(zip(names, rest[2 * STYLE_SLOTS:]))
        studio.spec(model_name)
        return "style", lambda folder: style_job(folder, content_path, model_name, pairs, values)

    wire(panel, studio, [content.path, model, *style_inputs, *main.values(), *more.values()], make,
         lambda item: [], [], preview=result)
