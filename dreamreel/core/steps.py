"""One jitted step runner for every optimisation: DeepDream's ascent, style transfer's Adam and L-BFGS, and
feature visualisation (a parameterisation seen through random transforms).

run_steps(method, target, model, objective, x, state, key, first, last, rate) -> (x, state)
    steps first..last-1 as one jitted program (lax.fori_loop); step i draws its randomness from fold_in(key, i),
    so a run cut into chunks gives the same result as one call. x: the optimised array (an image (H, W, 3) or
    parameters); rate: a float32 scalar (step size or learning rate: a new value does not re-trace).
run(method, target, model, objective, x, key, steps, *, rate, state=None, on_step=None, in_place=False)
    -> (x, state)   the host-side driver: one program for all steps, or, given on_step(done, x, state), one step per
    call with the callback after each; an exception raised by the callback (a cancel) stops the run there.
Progress        the one progress event of every long run (steps of a dream, frames of a clip, ...)

Methods (how x moves; frozen and hashable, so they are static arguments of the jitted runner):
    Ascent(normalize)   x + rate * normalised gradient, clipped to [0, 1]            (DeepDream)
    Adam(clip)          optax Adam at learning rate `rate`, optionally clipped to [0, 1]
    LBFGS()             optax L-BFGS with a zoom line search (rate unused; runs unclipped)
Targets (what the objective sees of x):
    Whole()                          x is one image (H, W, 3)
    Tiled(tile_size, max_shift)      x is one image, rolled by a random shift, the gradient taken tile by tile:
                                     memory is bounded by one tile plus x and its gradient, whatever x's size
    Rendered(parameterisation, transform)   x are parameters; the objective sees transform(key, to_image(x))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

import jax
import jax.numpy as jnp
import optax

from .image import laplacian_normalize
from .objectives import objective_value

NORMALIZATIONS = ("mean", "laplacian", "none")


@dataclass(frozen=True)
class Progress:
    """What a long run reports through its callback after each unit of work; the CLI draws it as a bar."""

    stage: str  # "dream" | "style" | "visualize" | "atlas" | "frame" | "clip" | ...
    done: int  # units done so far (over the whole job)
    total: int  # units in the whole job
    unit: str = "step"  # "step" | "frame"
    detail: str = ""  # short human text, e.g. "octave 2/4 731x411" or "scale 1/3 content 1.2 style 0.4"
    image: Any = None  # the latest image (H, W, 3) when there is one: previews and time-lapses
    losses: tuple = ()  # ((name, value), ...) where the run has named loss terms
    resumed: int = 0  # units found done by a resumed run


# --- what the objective sees ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Whole:
    """x is one image (H, W, 3), seen whole."""

    def value(self, model, objective, x, key):
        return objective_value(model, objective, x[None])

    def gradient(self, model, objective, x, key):
        return jax.grad(self.value, argnums=2)(model, objective, x, key)


def tile_grid(height: int, width: int, tile_size: int) -> tuple[int, int, int, int]:
    """(rows, cols, tile_h, tile_w): the fewest equal tiles no larger than tile_size that cover the image."""
    rows, cols = math.ceil(height / tile_size), math.ceil(width / tile_size)
    return rows, cols, math.ceil(height / rows), math.ceil(width / cols)


@dataclass(frozen=True)
class Tiled:
    """x is one image (H, W, 3), rolled by a random shift of up to max_shift px (jitter, and it moves the tile
    seams), cut into tiles of at most tile_size px (the last row and column padded with edge pixels); the
    gradient is taken tile by tile and put back where each pixel came from.

    Each tile is gathered from x with wrapped indices and its gradient scatter-added back, so neither the rolled
    nor the padded image is ever materialised: besides x and its gradient, memory holds one tile's worth."""

    tile_size: int
    max_shift: int

    def value(self, model, objective, x, key):
        return objective_value(model, objective, x[None])

    def gradient(self, model, objective, x, key):
        height, width, _ = x.shape
        rows, cols, th, tw = tile_grid(height, width, self.tile_size)
        shift = (jax.random.randint(key, (2,), -self.max_shift, self.max_shift + 1) if self.max_shift
                 else jnp.zeros(2, jnp.int32))

        def source(start, length, size, offset):
            """Rows (or columns) of x that fill a tile: edge-padded past the border, then un-rolled."""
            index = start + jnp.arange(length)
            return (jnp.minimum(index, size - 1) - offset) % size, index < size

        def add_tile(t, grad):
            ys, y_in = source((t // cols) * th, th, height, shift[0])
            xs, x_in = source((t % cols) * tw, tw, width, shift[1])
            tile = x[ys[:, None], xs[None, :]]
            g = jax.grad(lambda v: objective_value(model, objective, v[None]))(tile)
            inside = (y_in[:, None] & x_in[None, :])[..., None]  # padding pixels give no gradient
            return grad.at[ys[:, None], xs[None, :]].add(jnp.where(inside, g, 0.0))

        return jax.lax.fori_loop(0, rows * cols, add_tile, jnp.zeros_like(x))


@dataclass(frozen=True)
class Rendered:
    """x are the parameters of an image batch; the objective sees transform(key, parameterisation(x))."""

    parameterisation: Callable[[jax.Array], jax.Array]
    transform: Callable[[jax.Array, jax.Array], jax.Array]

    def value(self, model, objective, x, key):
        return objective_value(model, objective, self.transform(key, self.parameterisation(x)))

    def gradient(self, model, objective, x, key):
        return jax.grad(self.value, argnums=2)(model, objective, x, key)


# --- how x moves ---------------------------------------------------------------------------------------------------

def normalize_gradient(g: jax.Array, how: str) -> jax.Array:
    """Scale-free steps: after this, mean |g| is 1, so step_size is the mean change of a pixel per step."""
    if how == "laplacian":
        g = laplacian_normalize(g)
    elif how == "none":
        return g
    return g / (jnp.mean(jnp.abs(g)) + 1e-20)


@dataclass(frozen=True)
class Problem:
    """The objective's value and gradient as functions of x, at one step's key (built inside the trace)."""

    value: Callable[[jax.Array], jax.Array]
    gradient: Callable[[jax.Array], jax.Array]


@dataclass(frozen=True)
class Ascent:
    """DeepDream: x + rate * normalised gradient, clipped to [0, 1]."""

    normalize: str = "mean"

    def init(self, x, rate):
        return ()

    def update(self, problem: Problem, x, state, rate):
        return jnp.clip(x + rate * normalize_gradient(problem.gradient(x), self.normalize), 0.0, 1.0), state


@dataclass(frozen=True)
class Adam:
    """Adam on minus the objective; clip=True projects every step back into [0, 1] (images)."""

    clip: bool = True

    def init(self, x, rate):
        return optax.adam(rate).init(x)

    def update(self, problem: Problem, x, state, rate):
        updates, state = optax.adam(rate).update(-problem.gradient(x), state, x)
        x = optax.apply_updates(x, updates)
        return (jnp.clip(x, 0.0, 1.0) if self.clip else x), state


def _lbfgs() -> optax.GradientTransformation:
    # steps are chosen by the (zoom, strong Wolfe) line search, so there is no learning rate
    return optax.lbfgs(memory_size=20, linesearch=optax.scale_by_zoom_linesearch(
        max_linesearch_steps=12, initial_guess_strategy="one"))


@dataclass(frozen=True)
class LBFGS:
    """L-BFGS on minus the objective. It runs unclipped (clipping would corrupt its curvature pairs): callers clip
    between runs and at the end. Needs a target with a deterministic value (Whole)."""

    def init(self, x, rate):
        return _lbfgs().init(x)

    def update(self, problem: Problem, x, state, rate):
        loss = lambda y: -problem.value(y)  # noqa: E731
        value, grad = optax.value_and_grad_from_state(loss)(x, state=state)
        updates, state = _lbfgs().update(grad, state, x, value=value, grad=grad, value_fn=loss)
        return optax.apply_updates(x, updates), state


# --- the runner ----------------------------------------------------------------------------------------------------

def _run_steps(method, target, model, objective, x, state, key, first, last, rate):
    def step(i, carry):
        x, state = carry
        k = jax.random.fold_in(key, i)
        problem = Problem(value=lambda y: target.value(model, objective, y, k),
                          gradient=lambda y: target.gradient(model, objective, y, k))
        return method.update(problem, x, state, rate)

    return jax.lax.fori_loop(first, last, step, (x, state))


run_steps = jax.jit(_run_steps, static_argnames=("method", "target"))
# the same program, reusing x's buffer for the result: for callers that own x and drop it (a large dream)
_run_steps_in_place = jax.jit(_run_steps, static_argnames=("method", "target"), donate_argnames=("x",))


def run(method, target, model, objective, x, key, steps: int, *, rate, state=None,
        on_step: Callable[[int, jax.Array, Any], None] | None = None, in_place: bool = False):
    """`steps` steps from x; see the module docstring. in_place=True lets the runner reuse x's buffer (the caller
    must not use x again)."""
    rate = jnp.float32(rate)  # one dtype whatever the caller passes: a new rate never re-traces
    state = method.init(x, rate) if state is None else state
    runner = _run_steps_in_place if in_place else run_steps
    chunk = 1 if on_step else max(steps, 1)
    for first in range(0, steps, chunk):
        last = min(first + chunk, steps)
        x, state = runner(method, target, model, objective, x, state, key, first, last, rate)
        if on_step:
            on_step(last, x, state)
    return x, state
