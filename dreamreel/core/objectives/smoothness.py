"""Smoothness of the image itself.

total_variation() -> Objective     minus the mean squared difference of neighbouring pixels of acts["input"]
    (N, H, W, 3) -> scalar <= 0; added with a positive weight it smooths, which is why it is already negated
"""

from __future__ import annotations

import jax.numpy as jnp

from .base import Objective, pytree_dataclass


@pytree_dataclass
class TotalVariation(Objective):
    """Minus the mean squared difference of neighbouring pixels: added with a weight, it smooths."""

    label = "tv"

    def __call__(self, acts):
        x = acts["input"]
        return -(jnp.mean(jnp.square(jnp.diff(x, axis=1))) + jnp.mean(jnp.square(jnp.diff(x, axis=2))))

    def describe(self):
        return "tv()"


def total_variation() -> Objective:
    return TotalVariation()
