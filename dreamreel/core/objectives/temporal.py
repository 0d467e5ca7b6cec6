"""Temporal consistency for clips: hold reliably tracked pixels where the previous output, warped, puts them.

temporal(target (H, W, 3), mask (H, W)) -> Objective
    minus the mask-weighted mean squared difference of the image to the target; mask 1 where the flow is reliable
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ...errors import DreamreelError
from .base import Objective, pytree_dataclass


@pytree_dataclass
class TemporalObjective(Objective):
    """Minus the mask-weighted mean squared difference to a target image (the previous output warped into this
    frame): holds pixels whose motion is reliable to where they were. Mask and target are leaves."""

    target: jax.Array  # (H, W, 3)
    mask: jax.Array  # (H, W), 1 where the target can be trusted

    def __call__(self, acts):
        x = acts["input"]
        weights = self.mask[None, ..., None]
        return -jnp.sum(weights * jnp.square(x - self.target[None])) / (3.0 * x.shape[0] * self.mask.size)

    @property
    def spatial(self):
        return True

    def describe(self):
        return "temporal()"


def temporal(target, mask) -> Objective:
    target, mask = jnp.asarray(target, jnp.float32), jnp.asarray(mask, jnp.float32)
    if target.ndim != 3 or target.shape[-1] != 3 or target.shape[:2] != mask.shape:
        raise DreamreelError(f"a temporal target (H, W, 3) and its mask (H, W) must have one size; got "
                             f"{target.shape} and {mask.shape}")
    return TemporalObjective(target, mask)
