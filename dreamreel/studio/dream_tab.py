"""The Dream tab: a photo, a model, the layers to amplify (with what each layer dreams), the dream's settings.

build(studio) -> None           lays out the tab inside the current gr.Tab and wires its events
dream_job(folder, photo, model, layers, channels, guide, guide values, settings values, max side, default layers)
    -> DreamJob (pure)
layer_choices(spec) -> [layer name]   the layers worth dreaming: the model's conv layers
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from ..core.dream import DreamSettings
from ..core.visualize import VisualizeSettings
from ..errors import DreamreelError
from ..jobs import AtlasJob, DreamJob
from ..recipe import Recipe
from . import forms
from .jobqueue import DONE, FAILED
from .panel import job_panel, message_html, owner_of, progress_html, statuses, wire
from .pickers import image_picker

MAIN_SETTINGS = ("octaves", "steps", "step_size", "jitter", "seed")
MORE_SETTINGS = ("octave_scale", "tile_size", "normalize")
GUIDE_FIELDS = ("guide_mode", "guide_weight")
MAX_SIDE = 640  # the studio's default working size: a phone photo at full size takes minutes per octave on a CPU
OUTPUT = "dream.png"
ATLAS_SETTINGS = VisualizeSettings(size=96, steps=96)  # as the README's per-layer atlas: minutes, not an hour


def layer_choices(spec) -> list[str]:
    names = [layer.name for layer in spec.layers if layer.kind == "conv"]
    return names + [name for name in spec.dream_layers if name not in names]


def dream_job(folder: Path, photo: str | None, model: str, layers, channels: str, guide: str | None,
              guide_values: dict, settings_values: dict, max_side, default_layers=()):
    """The model's own dream layers stay implicit, so the command line says only what the user changed."""
    if not photo:
        raise DreamreelError("choose a photo first: upload one or pick a sample")
    if not layers:
        raise DreamreelError("choose at least one layer to dream")
    objective = "" if tuple(layers) == tuple(default_layers) else " + ".join(layers)
    recipe = forms.settings_from(Recipe, ("layers", "channels", *guide_values),
                                 (objective, channels, *guide_values.values()),
                                 base=Recipe(guide=guide or ""))
    settings = forms.settings_from(DreamSettings, list(settings_values), list(settings_values.values()))
    return DreamJob(input=photo, output=str(Path(folder) / OUTPUT), model=model, recipe=recipe, settings=settings,
                    max_side=int(max_side) if max_side else None)


def build(studio) -> None:
    model_names = list(studio.models)
    first = studio.spec(model_names[0])
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            photo = image_picker(studio, "dream-photo", "Photo", sample="sky")
            model = gr.Dropdown(model_names, value=first.name, label="Model", elem_id="dream-model")
            layers = gr.Dropdown(layer_choices(first), value=list(first.dream_layers), multiselect=True,
                                 label="Layers to amplify", elem_id="dream-layers",
                                 info="shallow layers dream lines and textures; deeper ones dots, eyes and "
                                      "(with ImageNet models) animals")
            channels = forms.controls(Recipe, ("channels",), "dream")["channels"]
            with gr.Accordion("What each layer dreams", open=False):
                atlas = gr.Image(label="One channel of each layer, dreamed from noise", interactive=False,
                                 elem_id="dream-atlas", buttons=["fullscreen"])
                show_atlas = gr.Button("Show what each layer dreams (made once per model, then kept)",
                                       size="sm", elem_id="dream-atlas-run")
                atlas_note = gr.HTML("")
            main = forms.controls(DreamSettings, MAIN_SETTINGS, "dream")
            max_side = gr.Slider(64, 2048, value=MAX_SIDE, step=16, label="Working size (longer side, px)",
                                 info="the photo is shrunk to this first; larger is slower", elem_id="dream-max-side")
            with gr.Accordion("More settings", open=False):
                more = forms.controls(DreamSettings, MORE_SETTINGS, "dream")
            with gr.Accordion("Guide image (dream towards another picture)", open=False):
                guide = image_picker(studio, "dream-guide", "Guide", height=160)
                guide_controls = forms.controls(Recipe, GUIDE_FIELDS, "dream")
        with gr.Column(scale=6):
            result = gr.Image(label="Dream", interactive=False, format="png", height=520, elem_id="dream-result",
                              buttons=["download", "fullscreen"])
            panel = job_panel("dream", "Dream")

    def pick_model(name):
        spec = studio.spec(name)
        return gr.update(choices=layer_choices(spec), value=list(spec.dream_layers)), _cached_atlas(studio, name)

    model.input(pick_model, [model], [layers, atlas], show_progress="hidden")
    inputs = [photo.path, model, layers, channels, guide.path, *guide_controls.values(), *main.values(),
              *more.values(), max_side]
    guide_names, setting_names = list(guide_controls), [*main, *more]

    def make(photo_path, model_name, layer_names, channel_text, guide_path, *rest):
        guide_values = dict(zip(guide_names, rest))
        settings_values = dict(zip(setting_names, rest[len(guide_names):]))
        side, defaults = rest[-1], studio.spec(model_name).dream_layers
        return "dream", lambda folder: dream_job(folder, photo_path, model_name, layer_names, channel_text,
                                                 guide_path, guide_values, settings_values, side, defaults)

    wire(panel, studio, inputs, make, lambda item: [], [], preview=result)
    _wire_atlas(studio, model, show_atlas, atlas, atlas_note)


def _cached_atlas(studio, model: str) -> str | None:
    for item in studio.gallery.items():
        if item.kind == "atlas" and item.record["job"].get("model") == model:
            return str(item.result)
    return None


def _wire_atlas(studio, model, button, image, note) -> None:
    """The per-layer atlas is long work: it goes through the queue like any job, and is kept in the gallery."""
    def show(name, request: gr.Request):
        cached = _cached_atlas(studio, name)
        if cached:
            yield cached, ""
            return
        ticket = studio.queue.submit(lambda folder: AtlasJob(output=str(Path(folder) / "atlas.png"), model=name,
                                                             per_layer=True, settings=ATLAS_SETTINGS),
                                     "atlas", owner_of(request))
        for status in statuses(studio.queue, ticket, owner_of(request)):
            if status.state == DONE:
                yield str(status.item.result), ""
            elif status.finished:
                yield gr.skip(), message_html(status.message or status.state, error=status.state == FAILED)
            else:
                yield (status.preview if status.preview is not None else gr.skip()), progress_html(status)

    button.click(show, [model], [image, note], concurrency_limit=None, show_progress="hidden")
