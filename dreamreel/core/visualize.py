"""Feature visualisation from noise: what a layer, a channel or a class "sees".

visualize(model, objective, *, settings=None, progress=None, **options) -> (N, H, W, 3) float32 RGB in [0, 1]
    Adam on a Fourier-space, colour-decorrelated parameterisation, seen through random transforms (jitter, scale,
    rotate) so that only robust patterns survive; options override `settings or VisualizeSettings()`.
atlas(model, cells, *, settings=None, columns=None, labels=True, progress=None, **options)
    -> (rows*H, cols*W, 3) contact sheet; cells = [(layer, channel), ...]; one batch per layer
VisualizeSettings      the settings, with their defaults, checks and help texts
labelled(tile, text) -> tile with a caption band      contact_sheet(tiles, columns, gap) -> sheet
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Sequence

import jax
import numpy as np

from ..errors import DreamreelError
from ..models.registry import Model
from .fields import SEED_MAX, boolean, choice, configure, integer, number, setting, takes_options, validate
from .objectives import Objective, channel_weights
from .param import Fourier, Pixels
from .steps import Adam, Progress, Rendered, run
from .transforms import Identity, standard_robustness

PARAMETERISATIONS = {"fourier": Fourier, "pixels": Pixels}


@dataclasses.dataclass(frozen=True)
class VisualizeSettings:
    size: int = setting(128, integer(32, 4096), "side of each image in px")
    batch: int = setting(1, integer(1, 256), "how many images to render at once (each from its own noise)")
    steps: int = setting(256, integer(1, 100_000), "optimisation steps")
    learning_rate: float = setting(0.05, number(0.0, 10.0, low_open=True), "Adam's learning rate")
    parameterisation: str = setting("fourier", choice(tuple(PARAMETERISATIONS)),
                                    "fourier (natural-image statistics) or pixels (plain, noisier)")
    robust: bool = setting(True, boolean, "see the image through random jitter, scale and rotation")
    seed: int = setting(0, integer(0, SEED_MAX), "random seed of the starting noise and the transforms")

    def __post_init__(self):
        validate(self)


def _render(model, objective, s: VisualizeSettings, on_step=None) -> np.ndarray:
    key = jax.random.PRNGKey(s.seed)
    param = PARAMETERISATIONS[s.parameterisation]((s.batch, s.size, s.size))
    target = Rendered(param, standard_robustness() if s.robust else Identity())
    params, _ = run(Adam(clip=False), target, model, objective, param.init(jax.random.fold_in(key, 0)),
                    jax.random.fold_in(key, 1), s.steps, rate=s.learning_rate, on_step=on_step)
    return np.asarray(param(params))


@takes_options(VisualizeSettings)
def visualize(model: Model, objective: Objective, *, settings: VisualizeSettings | None = None,
              progress: Callable[[Progress], None] | None = None, **options) -> np.ndarray:
    s = configure(VisualizeSettings, settings, options)
    objective = objective.bind(model.spec)
    on_step = None
    if progress:
        def on_step(done, params, state):
            progress(Progress("visualize", done, s.steps))
    return _render(model, objective, s, on_step)


@takes_options(VisualizeSettings)
def atlas(model: Model, cells: Sequence[tuple[str, int]], *, settings: VisualizeSettings | None = None,
          columns: int | None = None, labels: bool = True, progress: Callable[[Progress], None] | None = None,
          **options) -> np.ndarray:
    """One visualisation per (layer, channel); cells of the same layer are rendered together as one batch
    (the settings' batch is ignored)."""
    s = configure(VisualizeSettings, settings, options)
    if not cells:
        raise DreamreelError("an atlas needs at least one (layer, channel) cell")
    by_layer: dict[str, list[int]] = {}
    for index, (name, _) in enumerate(cells):
        by_layer.setdefault(name, []).append(index)
    objectives = [_one_hot(model, name, [cells[i][1] for i in indices]) for name, indices in by_layer.items()]
    images: dict[int, np.ndarray] = {}
    for group, ((name, indices), objective) in enumerate(zip(by_layer.items(), objectives)):
        on_step = None
        if progress:
            def on_step(done, params, state, group=group, name=name):
                progress(Progress("atlas", group * s.steps + done, len(by_layer) * s.steps,
                                  detail=f"{name} {group + 1}/{len(by_layer)}"))
        rendered = _render(model, objective, dataclasses.replace(s, batch=len(indices)), on_step)
        images.update(zip(indices, rendered))
    tiles = [images[i] for i in range(len(cells))]
    if labels:
        # "_pre_relu" would not fit under a small tile: the sheet's name says which tensors it shows
        tiles = [labelled(tile, f"{name.removesuffix('_pre_relu')}:{chan}") for tile, (name, chan) in zip(tiles, cells)]
    return contact_sheet(tiles, columns)


def _one_hot(model: Model, name: str, channels: list[int]) -> Objective:
    """Channel `channels[k]` of layer `name` for image k of the batch, checked against the model."""
    width = model.spec.layer(name).channels
    bad = [c for c in channels if not 0 <= c < width]
    if bad:
        raise DreamreelError(f"layer {name} has channels 0..{width - 1}; got {', '.join(map(str, bad))}")
    return channel_weights(name, np.eye(width, dtype=np.float32)[channels], reduce="mean", label="atlas")


def labelled(tile: np.ndarray, text: str) -> np.ndarray:
    import cv2

    h, w, _ = tile.shape
    band = np.full((16, w, 3), 255, np.uint8)
    cv2.putText(band, text, (2, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([tile, band.astype(np.float32) / 255.0], axis=0)


def contact_sheet(tiles: Sequence[np.ndarray], columns: int | None = None, gap: int = 2) -> np.ndarray:
    columns = columns or math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / columns)
    h, w, _ = tiles[0].shape
    sheet = np.ones((rows * (h + gap) - gap, columns * (w + gap) - gap, 3), np.float32)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        sheet[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = tile
    return sheet
