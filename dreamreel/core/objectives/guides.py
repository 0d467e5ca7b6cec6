"""Guides: steer a dream towards (or, negated, away from) what a guide image shows, in features or in pixels.

guide(name, guide_acts, loss) -> Objective        similarity to the guide's features at a layer, position by position
guide_match(name, guide_acts) -> Objective        each position pulled to the guide feature it already matches best
guide_channel_weights(names, guide_acts) -> Objective   the guide's share of each channel, as channel weights
pixels(target (H, W, 3), loss) -> Objective       similarity of the dream's pixels to a target image
    guide_acts = activations(model, guide[None], deepest layer): {layer: (1, h, w, C)}
    loss: "dot" (larger is closer), "l1" / "l2" (minus the mean distance)
"""

from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp

from ...errors import DreamreelError
from .base import Objective, pytree_dataclass, static
from .features import channel_weights

GUIDE_LOSSES = ("dot", "l1", "l2")


def resized_like(target: jax.Array, like: jax.Array) -> jax.Array:
    """Guide features (or pixels) (h, w, C) resized to the spatial size of `like` (N, h', w', C): (1, h', w', C)."""
    from ..image import resize

    return resize(target, like.shape[1:3])[None]


def similarity(x: jax.Array, target: jax.Array, loss: str) -> jax.Array:
    """Larger is closer: dot product, or minus the mean L1 / L2 distance."""
    if loss == "dot":
        return jnp.mean(x * target)
    if loss == "l1":
        d = x - target
        return -jnp.mean(jnp.where(d == 0, 0.0, jnp.abs(d)))  # a zero subgradient where they already agree
    return -jnp.mean(jnp.square(x - target))


def check_guide_loss(loss: str) -> str:
    if loss not in GUIDE_LOSSES:
        raise DreamreelError(f"unknown guide loss {loss!r}; choose one of {', '.join(GUIDE_LOSSES)}")
    return loss


@pytree_dataclass
class GuideObjective(Objective):
    """Similarity of a layer's activations to the guide's, position by position (the guide's features are
    resized to the dream's size): dot product, or minus the L1 or L2 distance. Negate it to dream away."""

    target: jax.Array  # the guide's activations at this layer, (h, w, C)
    name: str = static()
    loss: str = static(default="dot")

    def __call__(self, acts):
        x = acts[self.name]
        return similarity(x, resized_like(self.target, x), self.loss)

    @property
    def layers(self):
        return frozenset([self.name])

    def bind(self, spec):
        channels = spec.layer(self.name).channels
        if self.target.shape[-1] != channels:
            raise DreamreelError(f"guide features have {self.target.shape[-1]} channels; {self.name} has {channels}")
        return self

    @property
    def spatial(self):
        return True

    def describe(self):
        return f"guide({self.name}, {self.loss})"


@pytree_dataclass
class PixelObjective(Objective):
    """Similarity of the dream's pixels to a target image (minus mean L1 or L2 difference; or dot)."""

    target: jax.Array  # (H, W, 3) RGB in [0, 1]
    loss: str = static(default="l2")

    def __call__(self, acts):
        x = acts["input"]
        return similarity(x, resized_like(self.target, x), self.loss)

    @property
    def spatial(self):
        return True

    def describe(self):
        return f"pixels({self.loss})"


@pytree_dataclass
class GuideMatchObjective(Objective):
    """The original DeepDream notebook's guide: every position of the dream is pulled towards the guide feature
    vector it already matches best (max over the guide's positions of the dot product). Size-independent."""

    target: jax.Array  # the guide's activations flattened to (positions, C)
    name: str = static()

    def __call__(self, acts):
        x = acts[self.name]
        scores = x.reshape(-1, x.shape[-1]) @ self.target.T  # (dream positions, guide positions)
        return jnp.mean(jnp.max(scores, axis=1))

    @property
    def layers(self):
        return frozenset([self.name])

    def describe(self):
        return f"guide_match({self.name})"


def guide(name: str, guide_acts: dict, loss: str = "dot") -> Objective:
    """Towards the guide's features at layer `name`; `guide_acts` = activations(model, guide[None], name)."""
    return GuideObjective(jnp.asarray(guide_acts[name][0]), name, check_guide_loss(loss))


def guide_match(name: str, guide_acts: dict) -> Objective:
    a = jnp.asarray(guide_acts[name][0])
    return GuideMatchObjective(a.reshape(-1, a.shape[-1]), name)


def pixels(target, loss: str = "l2") -> Objective:
    target = jnp.asarray(target, jnp.float32)
    if target.ndim != 3 or target.shape[-1] != 3:
        raise DreamreelError(f"a pixel target must be an (H, W, 3) image, got shape {target.shape}")
    return PixelObjective(target, check_guide_loss(loss))


def guide_channel_weights(names: Sequence[str], guide_acts: dict) -> Objective:
    """Guided dream by channel weights: each layer's channels weighted by the guide's share of activation,
    normalised to sum to one per layer, so the dream grows the patterns the guide shows."""
    terms = []
    for name in names:
        sums = jnp.sum(guide_acts[name][0], axis=(0, 1))
        terms.append(channel_weights(name, sums / (jnp.sum(sums) + 1e-12), label="guide"))
    return sum(terms, 0)
