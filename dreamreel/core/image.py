"""Image maths on arrays (JAX, usable inside jit): sizes, resizing, Laplacian pyramids, colour spaces.

fit_size(shape, max_side) -> (h, w)        the size with longer side max_side, aspect kept (None: the shape's own)
octave_sizes(height, width, count, ratio, min_side) -> [(h, w), ...]   smallest first, the full size last
resize(x (H, W, C), (h, w)) -> (h, w, C)   linear, antialiased when shrinking (jax.image.resize)
laplacian_split(x (H, W, C), levels) -> [coarsest, ..., finest band]      laplacian_merge(bands) -> x (exact)
laplacian_normalize(g (H, W, C), levels) -> g with every band scaled to unit RMS, so no scale dominates a step
rgb_to_yuv(x (..., 3)) -> (..., 3)   yuv_to_rgb(x) -> x   BT.601
transfer_luminance(stylized (H, W, 3), content (H, W, 3)) -> the stylized luminance with the content's chroma

Host-side resizing of NumPy images (OpenCV, area-averaging) lives in dreamreel.io.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

_BINOMIAL = np.outer([1.0, 4.0, 6.0, 4.0, 1.0], [1.0, 4.0, 6.0, 4.0, 1.0]).astype(np.float32) / 256.0
_YUV = np.array([[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]], np.float32)
_RGB = np.linalg.inv(_YUV).astype(np.float32)


# --- sizes ---------------------------------------------------------------------------------------------------------

def fit_size(shape: tuple[int, ...], max_side: int | None) -> tuple[int, int]:
    """(H, W, ...) -> (h, w) whose longer side is `max_side` (scaling up or down); None or 0 keeps (H, W)."""
    h, w = shape[:2]
    if not max_side:
        return h, w
    factor = max_side / max(h, w)
    return max(1, round(h * factor)), max(1, round(w * factor))


def octave_sizes(height: int, width: int, count: int, ratio: float, min_side: int) -> list[tuple[int, int]]:
    """`count` sizes, each `ratio` times smaller than the next, from the smallest to (height, width); sizes whose
    shorter side would fall below min_side are dropped (the full size is always kept)."""
    sizes = []
    for k in range(count):
        h, w = round(height / ratio**k), round(width / ratio**k)
        if k and min(h, w) < min_side:
            break
        sizes.append((h, w))
    return sizes[::-1]


# --- resizing ------------------------------------------------------------------------------------------------------

def resize(x: jax.Array, size: tuple[int, int]) -> jax.Array:
    """(H, W, C) -> (h, w, C), linear interpolation, antialiased when shrinking; the same size is returned as is."""
    if tuple(x.shape[:2]) == tuple(size):
        return x
    return jax.image.resize(x, (*size, x.shape[2]), "linear", antialias=True)


# --- Laplacian pyramid ---------------------------------------------------------------------------------------------

def _downsample(x: jax.Array) -> jax.Array:
    """Depthwise 5x5 binomial blur of (H, W, C), then every second pixel; reflected borders keep edges clean."""
    channels = x.shape[-1]
    kernel = jnp.tile(jnp.asarray(_BINOMIAL)[:, :, None, None], (1, 1, 1, channels))
    padded = jnp.pad(x, ((2, 2), (2, 2), (0, 0)), mode="reflect")
    out = jax.lax.conv_general_dilated(
        padded[None], kernel, (2, 2), "VALID",
        dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=channels)
    return out[0]


def laplacian_split(x: jax.Array, levels: int) -> list[jax.Array]:
    bands = []
    for _ in range(levels - 1):
        if min(x.shape[0], x.shape[1]) < 4:
            break
        low = _downsample(x)
        bands.append(x - resize(low, x.shape[:2]))
        x = low
    bands.append(x)
    return bands[::-1]


def laplacian_merge(bands: list[jax.Array]) -> jax.Array:
    x = bands[0]
    for band in bands[1:]:
        x = resize(x, band.shape[:2]) + band
    return x


def laplacian_normalize(g: jax.Array, levels: int = 4, eps: float = 1e-8) -> jax.Array:
    bands = laplacian_split(g, levels)
    return laplacian_merge([b / (jnp.sqrt(jnp.mean(jnp.square(b))) + eps) for b in bands])


# --- colour --------------------------------------------------------------------------------------------------------

def rgb_to_yuv(x) -> jax.Array:
    return jnp.asarray(x, jnp.float32) @ jnp.asarray(_YUV).T


def yuv_to_rgb(x) -> jax.Array:
    return jnp.asarray(x, jnp.float32) @ jnp.asarray(_RGB).T


def transfer_luminance(stylized, content) -> jax.Array:
    """Keep the content's colours ("original colours"): the stylized image's luminance Y with the content's
    chroma U, V (BT.601), clipped to [0, 1]. Both images (H, W, 3) of one size."""
    yuv = rgb_to_yuv(content).at[..., 0].set(rgb_to_yuv(stylized)[..., 0])
    return jnp.clip(yuv_to_rgb(yuv), 0.0, 1.0)
