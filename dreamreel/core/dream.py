"""DeepDream: gradient ascent on an image, octave by octave, with the tiled gradient of core/steps.

dream(image, *, model, objective=None, settings=None, progress=None, **options) -> image
    image: (H, W, 3) RGB in [0, 1] (NumPy); returns (H, W, 3) float32 in [0, 1]. options override the fields of
    `settings or DreamSettings()` (octaves=4, steps=10, ...); progress receives steps.Progress(stage="dream").
dream_steps(model, objective, image, key, first, last, step_size, *, tile_size, max_shift, normalize) -> image
    steps first..last-1 at one shape, one jitted program (the unit feedback animations and clips call per frame;
    a new key, step size or objective weight does not re-trace)
DreamSettings                      the settings, with their defaults, checks and help texts
default_objective(model) -> Objective          the model's dream layers, summed
tile_shift((H, W), tile_size, jitter) -> int   the largest random shift of a step

A step (steps.Tiled + steps.Ascent): roll the image by a random shift (jitter, and it moves tile seams), take the
objective's gradient tile by tile, put it back in place, normalise it (mean |g| or Laplacian pyramid), step, clip.

Memory. The full image stays a NumPy array; the device holds the current octave's image, its gradient and one
tile's activations (plus, between octaves, the resize of the previous octave's detail), so peak memory grows with
the image only by a few copies of it, not by the network's activations of it (benchmarks/memory.py).
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import DreamreelError
from ..models.registry import Model
from .fields import SEED_MAX, choice, configure, integer, number, setting, takes_options, validate
from .image import octave_sizes, resize
from .objectives import Objective, deepest_layer, layers_sum, objective_value  # noqa: F401 (objective_value: API)
from .steps import NORMALIZATIONS, Ascent, Progress, Tiled, run, run_steps

MIN_TILE = 32


@dataclasses.dataclass(frozen=True)
class DreamSettings:
    octaves: int = setting(4, integer(1, 20),
                           "how many scales to dream at, smallest first; more octaves grow larger patterns")
    octave_scale: float = setting(1.4, number(1.0, 4.0, low_open=True),
                                  "size ratio between one octave and the next")
    steps: int = setting(10, integer(0, 10_000), "gradient steps at each octave")
    step_size: float = setting(1.0 / 255, number(0.0, 1.0, low_open=True),
                               "mean change of a pixel per step, in [0, 1] units (1/255 = one grey level)")
    jitter: int = setting(32, integer(0, 4096), "largest random shift of the image at each step, in px")
    tile_size: int = setting(512, integer(MIN_TILE, 16384),
                             "the gradient is computed on tiles of at most this many px: smaller tiles use less "
                             "memory, larger ones see more context")
    normalize: str = setting("mean", choice(NORMALIZATIONS),
                             "gradient normalisation: mean keeps the photo's composition, laplacian boosts fine "
                             "detail, none takes raw steps")
    seed: int = setting(0, integer(0, SEED_MAX), "random seed of the jitter: the same seed gives the same dream")

    def __post_init__(self):
        validate(self)


def default_objective(model: Model) -> Objective:
    return layers_sum(model.spec.dream_layers)


def tile_shift(size: tuple[int, int], tile_size: int, jitter: int) -> int:
    """Jitter, but when the image is tiled shift by up to half a tile so that seams never stay in one place."""
    tiled = size[0] > tile_size or size[1] > tile_size
    return max(jitter, tile_size // 2) if tiled else jitter


def dream_steps(model, objective, image, key, first, last, step_size, *, tile_size: int, max_shift: int,
                normalize: str):
    """Steps first..last-1 of gradient ascent on image (H, W, 3) at one shape; step i uses fold_in(key, i)."""
    image, _ = run_steps(Ascent(normalize), Tiled(tile_size, max_shift), model, objective, jnp.asarray(image),
                         (), key, first, last, jnp.float32(step_size))
    return image


@jax.jit
def _octave_start(base, previous, previous_base):
    """The next octave's image: its base plus the dreamed detail of the previous octave, resized."""
    return jnp.clip(base + resize(previous - previous_base, base.shape[:2]), 0.0, 1.0)


@partial(jax.jit, static_argnames=("size",))
def _resized(image, size):
    return resize(image, size)


def as_image(image, what: str = "image") -> np.ndarray:
    """(H, W, 3) float32 (a view when it already is one), or a DreamreelError naming `what`."""
    image = np.asarray(image, np.float32)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise DreamreelError(f"expected the {what} as an (H, W, 3) RGB image, got shape {image.shape}")
    return image


@takes_options(DreamSettings)
def dream(image, *, model: Model, objective: Objective | None = None, settings: DreamSettings | None = None,
          progress: Callable[[Progress], None] | None = None, **options) -> np.ndarray:
    """Octave DeepDream: dream the smallest octave first, carry the dreamed detail up to each larger one.

    Defaults are tuned on the default (edge fine-tuned) VGG16: normalising by mean |g| keeps the photo's
    composition and colours, where the Laplacian pyramid (normalize="laplacian") grows large colour blotches.
    """
    s = configure(DreamSettings, settings, options)
    image = as_image(image)
    objective = (objective or default_objective(model)).bind(model.spec)
    deepest = deepest_layer(model, objective)
    min_side = 2 * model.spec.layer(deepest).stride if deepest else 8
    sizes = octave_sizes(*image.shape[:2], s.octaves, s.octave_scale, max(min_side, 16))
    tile_size = max(s.tile_size, *image.shape[:2]) if objective.spatial else s.tile_size
    # guides compare positions with their target: no tiles, one view of the image
    key = jax.random.PRNGKey(s.seed)
    total = len(sizes) * s.steps
    dreamed = base = None
    for octave, size in enumerate(sizes, start=1):
        last = octave == len(sizes)
        new_base = jnp.asarray(image) if last else _resized(jnp.asarray(image), size)
        dreamed = new_base if dreamed is None else _octave_start(new_base, dreamed, base)
        base = None if last else new_base  # the full-size base is not needed once the last octave starts
        del new_base
        method, target = Ascent(s.normalize), Tiled(tile_size, tile_shift(size, tile_size, s.jitter))
        report = _reporter(progress, (octave - 1) * s.steps, total, f"octave {octave}/{len(sizes)} {size[1]}x{size[0]}")
        # the runner may reuse the buffer of an octave's own start image, but not one shared with `base` or
        # the caller's image, nor one a progress event has handed out
        dreamed, _ = run(method, target, model, objective, dreamed, jax.random.fold_in(key, octave), s.steps,
                         rate=s.step_size, on_step=report, in_place=octave > 1 and progress is None)
    return np.asarray(dreamed)


def _reporter(progress, offset: int, total: int, detail: str):
    if progress is None:
        return None

    def report(done, image, state):
        progress(Progress("dream", offset + done, total, detail=detail, image=image))

    return report
