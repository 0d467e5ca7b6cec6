"""The jitted DeepDream core: gradient ascent on an image, whole runs of steps per octave.

dream(image, *, model, objective, octaves, octave_scale, steps, step_size, ...) -> image
    image: (H, W, 3) float32 RGB in [0, 1] (NumPy); returns the same shape and range.
dream_steps(model, objective, image, key, first, last, *, step_size, tile_size, max_shift, normalize) -> image
    `last - first` steps at one scale, jitted once per image shape (the unit frame pipelines call).
objective_gradient(model, objective, image, key, *, tile_size, max_shift) -> gradient of the image's shape

A step: roll the image by a random shift (jitter, and it moves tile seams), take the objective's gradient tile by
tile (lax.map, so memory is bounded by one tile), roll back, normalise (mean |g| or Laplacian pyramid), step, clip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import DreamreelError
from ..models.registry import Model, activations
from .objectives import Objective, layers_sum
from .image import laplacian_normalize

NORMALIZATIONS = ("laplacian", "mean", "none")


@dataclass(frozen=True)
class Progress:
    """What a long run reports through its callback: the CLI draws it as a bar."""

    stage: str
    octave: int  # 1-based
    octaves: int
    step: int  # steps done in this octave
    steps: int
    size: tuple[int, int]  # (H, W) of the current octave
    image: Any = None  # the image so far (a device array), for previews and time-lapses

    @property
    def done(self) -> int:
        return (self.octave - 1) * self.steps + self.step

    @property
    def total(self) -> int:
        return self.octaves * self.steps


def deepest_layer(model: Model, objective: Objective) -> str | None:
    names = objective.layers - {"input"}
    return model.spec.deepest(names) if names else None


def objective_value(model: Model, objective: Objective, images: jax.Array) -> jax.Array:
    """The objective of a batch of images (N, H, W, 3), running the model only as deep as needed."""
    until = deepest_layer(model, objective)
    acts = activations(model, images, until) if until else {"input": images}
    return objective(acts)


def tile_grid(height: int, width: int, tile_size: int) -> tuple[int, int, int, int]:
    """(rows, cols, tile_h, tile_w): the fewest equal tiles no larger than tile_size that cover the image."""
    rows, cols = math.ceil(height / tile_size), math.ceil(width / tile_size)
    return rows, cols, math.ceil(height / rows), math.ceil(width / cols)


def objective_gradient(model, objective, image, key, *, tile_size: int, max_shift: int) -> jax.Array:
    height, width, channels = image.shape
    rows, cols, th, tw = tile_grid(height, width, tile_size)
    shift = jax.random.randint(key, (2,), -max_shift, max_shift + 1) if max_shift else jnp.zeros(2, jnp.int32)
    rolled = jnp.roll(image, (shift[0], shift[1]), axis=(0, 1))
    padded = jnp.pad(rolled, ((0, rows * th - height), (0, cols * tw - width), (0, 0)), mode="edge")
    tiles = padded.reshape(rows, th, cols, tw, channels).transpose(0, 2, 1, 3, 4).reshape(-1, th, tw, channels)

    def tile_gradient(tile):
        return jax.grad(lambda t: objective_value(model, objective, t[None]))(tile)

    grads = jax.lax.map(tile_gradient, tiles)
    grads = grads.reshape(rows, cols, th, tw, channels).transpose(0, 2, 1, 3, 4)
    grads = grads.reshape(rows * th, cols * tw, channels)[:height, :width]
    return jnp.roll(grads, (-shift[0], -shift[1]), axis=(0, 1))


def normalize_gradient(g: jax.Array, how: str) -> jax.Array:
    """Scale-free steps: after this, mean |g| is 1, so step_size is the mean change of a pixel per step."""
    if how == "laplacian":
        g = laplacian_normalize(g)
    elif how == "none":
        return g
    return g / (jnp.mean(jnp.abs(g)) + 1e-20)


@partial(jax.jit, static_argnames=("tile_size", "max_shift", "normalize"))
def dream_steps(model, objective, image, key, first, last, step_size, *, tile_size: int, max_shift: int,
                normalize: str):
    def step(i, img):
        g = objective_gradient(model, objective, img, jax.random.fold_in(key, i),
                               tile_size=tile_size, max_shift=max_shift)
        return jnp.clip(img + step_size * normalize_gradient(g, normalize), 0.0, 1.0)

    return jax.lax.fori_loop(first, last, step, image)


def octave_sizes(height: int, width: int, octaves: int, scale: float, min_side: int) -> list[tuple[int, int]]:
    """Sizes from the smallest octave to the full image; octaves that would be smaller than min_side are dropped."""
    sizes = []
    for k in range(octaves):
        h, w = round(height / scale**k), round(width / scale**k)
        if k and min(h, w) < min_side:
            break
        sizes.append((h, w))
    return sizes[::-1]


def check_settings(*, octaves, octave_scale, steps, step_size, tile_size, jitter, normalize):
    problems = []
    if octaves < 1:
        problems.append(f"octaves must be at least 1 (got {octaves})")
    if octave_scale <= 1.0:
        problems.append(f"octave scale must be greater than 1 (got {octave_scale})")
    if steps < 0:
        problems.append(f"steps must be 0 or more (got {steps})")
    if step_size <= 0:
        problems.append(f"step size must be positive (got {step_size})")
    if tile_size < 32:
        problems.append(f"tile size must be at least 32 px (got {tile_size})")
    if jitter < 0:
        problems.append(f"jitter must be 0 or more (got {jitter})")
    if normalize not in NORMALIZATIONS:
        problems.append(f"unknown normalisation {normalize!r}; choose one of {', '.join(NORMALIZATIONS)}")
    if problems:
        raise DreamreelError("; ".join(problems))


def default_objective(model: Model) -> Objective:
    return layers_sum(model.spec.dream_layers)


def dream(
    image: np.ndarray,
    *,
    model: Model,
    objective: Objective | None = None,
    octaves: int = 4,
    octave_scale: float = 1.4,
    steps: int = 10,
    step_size: float = 1.0 / 255,
    jitter: int = 32,
    tile_size: int = 512,
    normalize: str = "mean",
    seed: int = 0,
    progress: Callable[[Progress], None] | None = None,
) -> np.ndarray:
    """Octave DeepDream: dream the smallest octave first, carry the dreamed detail up to each larger one.

    Defaults are tuned on the default (edge fine-tuned) VGG16: normalising by mean |g| keeps the photo's
    composition and colours, where the Laplacian pyramid (normalize="laplacian") grows large colour blotches.
    """
    check_settings(octaves=octaves, octave_scale=octave_scale, steps=steps, step_size=step_size,
                   tile_size=tile_size, jitter=jitter, normalize=normalize)
    objective = (objective or default_objective(model)).bind(model.spec)
    image = np.asarray(image, np.float32)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise DreamreelError(f"expected an (H, W, 3) RGB image, got shape {image.shape}")
    deepest = deepest_layer(model, objective)
    min_side = 2 * model.spec.layer(deepest).stride if deepest else 8
    sizes = octave_sizes(*image.shape[:2], octaves, octave_scale, max(min_side, 16))
    if objective.spatial:  # guides compare positions with their target: no tiles, one view of the image
        tile_size = max(tile_size, *image.shape[:2])
    key = jax.random.PRNGKey(seed)
    full = jnp.asarray(image)
    detail = None
    for octave, size in enumerate(sizes, start=1):
        base = jax.image.resize(full, (*size, 3), "linear", antialias=True) if size != image.shape[:2] else full
        detail = jnp.zeros_like(base) if detail is None else jax.image.resize(detail, base.shape, "linear")
        dreamed = jnp.clip(base + detail, 0.0, 1.0)
        octave_key = jax.random.fold_in(key, octave)
        chunk = 1 if progress else max(steps, 1)
        for first in range(0, steps, chunk):
            last = min(first + chunk, steps)
            dreamed = dream_steps(model, objective, dreamed, octave_key, first, last, step_size,
                                  tile_size=tile_size, max_shift=tile_shift(size, tile_size, jitter),
                                  normalize=normalize)
            if progress:
                dreamed.block_until_ready()
                progress(Progress("dream", octave, len(sizes), last, steps, size, dreamed))
        detail = dreamed - base
    return np.asarray(dreamed)


def tile_shift(size: tuple[int, int], tile_size: int, jitter: int) -> int:
    """Jitter, but when the image is tiled shift by up to half a tile so that seams never stay in one place."""
    tiled = size[0] > tile_size or size[1] > tile_size
    return max(jitter, tile_size // 2) if tiled else jitter
