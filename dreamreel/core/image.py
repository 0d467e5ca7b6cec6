"""Image maths on arrays (JAX, usable inside jit): sizes, resizing, Laplacian pyramids, colour spaces.

fit_size(shape, max_side) -> (h, w)        the size with longer side max_side, aspect kept (None: the shape's own)
octave_sizes(height, width, count, ratio, min_side) -> [(h, w), ...]   smallest first, the full size last
resize(x (H, W, C), (h, w)) -> (h, w, C)   linear, antialiased when shrinking (jax.image.resize)
resize_tiles(x (H, W, C), (h, w), tile, combine=None) -> (h, w, C) on the device
    the same resize, computed tile by tile from bands of x (a NumPy or device array), so no full-size
    temporaries arise: memory holds x, the result and one tile; combine(tile, (top, left)) post-processes each
laplacian_split(x (H, W, C), levels) -> [coarsest, ..., finest band]      laplacian_merge(bands) -> x (exact)
laplacian_normalize(g (H, W, C), levels) -> g with every band scaled to unit RMS, so no scale dominates a step
rgb_to_yuv(x (..., 3)) -> (..., 3)   yuv_to_rgb(x) -> x   BT.601
transfer_luminance(stylized (H, W, 3), content (H, W, 3)) -> the stylized luminance with the content's chroma

Host-side resizing of NumPy images (OpenCV, area-averaging) lives in dreamreel.io.
"""

from __future__ import annotations

import math
from functools import partial

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


def strips(in_size: int, out_size: int, length: int) -> list[tuple[int, int, int]]:
    """[(out_start, in_start, in_length), ...]: output pixels out_start..out_start+length-1 of a linear resize
    from in_size to out_size read only input pixels in_start..in_start+in_length-1 (the kernel's reach, widened
    by the shrink factor, plus a margin). All strips have one shape (the last overlaps its predecessor), so one
    compiled program serves them all."""
    length = min(length, out_size)
    scale = out_size / in_size
    reach = max(1.0 / scale, 1.0) + 2.0
    band = min(in_size, math.ceil(length / scale + 2 * reach) + 1)
    plan = []
    for start in range(0, out_size, length):
        start = min(start, out_size - length)
        first = math.floor((start + 0.5) / scale - 0.5 - reach)
        plan.append((start, min(max(first, 0), in_size - band), band))
    return plan


@partial(jax.jit, static_argnames=("shape",))
def _resize_band(band, shape, scale, translation):
    return jax.image.scale_and_translate(band, (*shape, band.shape[2]), (0, 1), scale, translation, "linear",
                                         antialias=True)


@partial(jax.jit, donate_argnums=(0,))
def _put(out, tile, top, left):
    return jax.lax.dynamic_update_slice(out, tile, (top, left, 0))


def resize_tiles(x, size: tuple[int, int], tile: int = 512, combine=None) -> jax.Array:
    """resize(x, size), computed one output tile at a time from the band of x it reads (x may stay a NumPy
    array: only bands are moved to the device). combine(tile, (top, left)) -> tile, if given, is applied to each
    resized tile before it is stored (e.g. adding another image's rows), so it needs no full-size temporary."""
    height, width, channels = x.shape
    scale = jnp.asarray([size[0] / height, size[1] / width], jnp.float32)
    out = jnp.zeros((*size, channels), jnp.float32)
    rows, cols = strips(height, size[0], tile), strips(width, size[1], tile)
    for top, y0, band_h in rows:
        for left, x0, band_w in cols:
            # the band's origin moves the sampling grid: translation = in_start * scale - out_start
            shift = jnp.asarray([y0 * size[0] / height - top, x0 * size[1] / width - left], jnp.float32)
            shape = (min(tile, size[0]), min(tile, size[1]))
            piece = _resize_band(jnp.asarray(x[y0:y0 + band_h, x0:x0 + band_w]), shape, scale, shift)
            if combine is not None:
                piece = combine(piece, (top, left))
            out = _put(out, piece, top, left)
    return out


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
