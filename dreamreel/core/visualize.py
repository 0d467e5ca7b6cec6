"""Feature visualisation from noise: what a layer, a channel or a class "sees".

visualize(model, objective, *, size, batch, steps, ...) -> (N, H, W, 3) float32 RGB in [0, 1]
    Adam on a Fourier-space, colour-decorrelated parameterisation, through random transforms (jitter, scale,
    rotate) so that only robust patterns survive; jitted in chunks of steps, progress between chunks.
atlas(model, cells, *, size, steps, ...) -> (rows*H, cols*W, 3) contact sheet; cells = [(layer, channel), ...]
"""

from __future__ import annotations

import math
from functools import partial
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..errors import DreamreelError
from ..models.registry import Model
from .objectives import Objective, channel_weights
from .param import fourier_image, pixel_image
from .dream import Progress, objective_value
from .transforms import standard_robustness

PARAMETERISATIONS = {"fourier": fourier_image, "pixels": pixel_image}


@partial(jax.jit, static_argnames=("to_image", "robust", "optimizer"))
def _optimise(model, objective, params, opt_state, key, first, last, *, to_image, robust, optimizer):
    transform = standard_robustness() if robust else (lambda k, x: x)

    def loss(p, k):
        return -objective_value(model, objective, transform(k, to_image(p)))

    def step(i, carry):
        p, state = carry
        grads = jax.grad(loss)(p, jax.random.fold_in(key, i))
        updates, state = optimizer.update(grads, state, p)
        return optax.apply_updates(p, updates), state

    return jax.lax.fori_loop(first, last, step, (params, opt_state))


def visualize(
    model: Model,
    objective: Objective,
    *,
    size: int = 128,
    batch: int = 1,
    steps: int = 256,
    learning_rate: float = 0.05,
    parameterisation: str = "fourier",
    robust: bool = True,
    seed: int = 0,
    progress: Callable[[Progress], None] | None = None,
) -> np.ndarray:
    if parameterisation not in PARAMETERISATIONS:
        raise DreamreelError(f"unknown parameterisation {parameterisation!r}; choose one of "
                             f"{', '.join(PARAMETERISATIONS)}")
    if size < 32 or steps < 1 or batch < 1:
        raise DreamreelError("size must be at least 32 px, steps and batch at least 1")
    objective = objective.bind(model.spec)
    key = jax.random.PRNGKey(seed)
    params, to_image = PARAMETERISATIONS[parameterisation]((batch, size, size), jax.random.fold_in(key, 0))
    optimizer = optax.adam(learning_rate)
    state = optimizer.init(params)
    chunk = max(1, steps // 16) if progress else steps
    for first in range(0, steps, chunk):
        last = min(first + chunk, steps)
        params, state = _optimise(model, objective, params, state, jax.random.fold_in(key, 1), first, last,
                                  to_image=to_image, robust=robust, optimizer=optimizer)
        if progress:
            jax.block_until_ready(params)
            progress(Progress("visualize", 1, 1, last, steps, (size, size)))
    return np.asarray(to_image(params))


def atlas(
    model: Model,
    cells: Sequence[tuple[str, int]],
    *,
    size: int = 128,
    steps: int = 256,
    columns: int | None = None,
    seed: int = 0,
    labels: bool = True,
    progress: Callable[[Progress], None] | None = None,
) -> np.ndarray:
    """One visualisation per (layer, channel); cells of the same layer are rendered together as one batch."""
    if not cells:
        raise DreamreelError("an atlas needs at least one (layer, channel) cell")
    images: dict[int, np.ndarray] = {}
    by_layer: dict[str, list[int]] = {}
    for index, (name, _) in enumerate(cells):
        by_layer.setdefault(name, []).append(index)
    for group, (name, indices) in enumerate(by_layer.items(), start=1):
        width = model.spec.layer(name).channels
        weights = np.zeros((len(indices), width), np.float32)
        for row, index in enumerate(indices):
            chan = cells[index][1]
            if not 0 <= chan < width:
                raise DreamreelError(f"layer {name} has channels 0..{width - 1}; got {chan}")
            weights[row, chan] = 1.0
        objective = channel_weights(name, weights, reduce="mean", label="atlas")
        report = None
        if progress:
            def report(event, group=group):
                progress(Progress("atlas", group, len(by_layer), event.step, event.steps, event.size))
        rendered = visualize(model, objective, size=size, batch=len(indices), steps=steps, seed=seed,
                             progress=report)
        images.update(zip(indices, rendered))
    tiles = [images[i] for i in range(len(cells))]
    if labels:
        # "_pre_relu" would not fit under a small tile: the sheet's name says which tensors it shows
        tiles = [labelled(tile, f"{name.removesuffix('_pre_relu')}:{chan}") for tile, (name, chan) in zip(tiles, cells)]
    return contact_sheet(tiles, columns)


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
