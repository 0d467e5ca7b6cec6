"""Laplacian pyramids of (H, W, C) arrays, in JAX; used to normalise gradients scale by scale.

laplacian_split(x, levels) -> [coarsest, ..., finest band]     laplacian_merge(bands) -> x (exact inverse)
laplacian_normalize(g, levels) -> g with every band scaled to unit RMS, so no scale dominates the step
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

_BINOMIAL = np.outer([1.0, 4.0, 6.0, 4.0, 1.0], [1.0, 4.0, 6.0, 4.0, 1.0]).astype(np.float32) / 256.0


def _downsample(x: jax.Array) -> jax.Array:
    """Depthwise 5x5 binomial blur of (H, W, C), then every second pixel; reflected borders keep edges clean."""
    channels = x.shape[-1]
    kernel = jnp.tile(jnp.asarray(_BINOMIAL)[:, :, None, None], (1, 1, 1, channels))
    padded = jnp.pad(x, ((2, 2), (2, 2), (0, 0)), mode="reflect")
    out = jax.lax.conv_general_dilated(
        padded[None], kernel, (2, 2), "VALID",
        dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=channels)
    return out[0]


def _upsample(low: jax.Array, shape) -> jax.Array:
    return jax.image.resize(low, (shape[0], shape[1], low.shape[2]), "linear")


def laplacian_split(x: jax.Array, levels: int) -> list[jax.Array]:
    bands = []
    for _ in range(levels - 1):
        if min(x.shape[0], x.shape[1]) < 4:
            break
        low = _downsample(x)
        bands.append(x - _upsample(low, x.shape))
        x = low
    bands.append(x)
    return bands[::-1]


def laplacian_merge(bands: list[jax.Array]) -> jax.Array:
    x = bands[0]
    for band in bands[1:]:
        x = _upsample(x, band.shape) + band
    return x


def laplacian_normalize(g: jax.Array, levels: int = 4, eps: float = 1e-8) -> jax.Array:
    bands = laplacian_split(g, levels)
    return laplacian_merge([b / (jnp.sqrt(jnp.mean(jnp.square(b))) + eps) for b in bands])
