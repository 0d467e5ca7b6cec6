"""Small random transforms of image batches, for transformation robustness: (key, images) -> images.

images are (N, H, W, 3). Each factory returns a pure function; compose() chains them with split keys.
    robust = compose([pad(12), jitter(8), random_scale((0.9, 1.1)), random_rotate(10), jitter(4)])
"""

from __future__ import annotations

from typing import Callable, Sequence

import jax
import jax.numpy as jnp

Transform = Callable[[jax.Array, jax.Array], jax.Array]


def pad(width: int, value: float = 0.5) -> Transform:
    def apply(key, images):
        return jnp.pad(images, ((0, 0), (width, width), (width, width), (0, 0)), constant_values=value)

    return apply


def jitter(pixels: int) -> Transform:
    """A random crop `pixels` smaller on each axis (the image shifts by up to `pixels`)."""

    def apply(key, images):
        n, h, w, c = images.shape
        offset = jax.random.randint(key, (2,), 0, pixels + 1)
        return jax.lax.dynamic_slice(images, (0, offset[0], offset[1], 0), (n, h - pixels, w - pixels, c))

    return apply


def _affine(images: jax.Array, matrix: jax.Array) -> jax.Array:
    """Resample every image at matrix @ (y, x) about the centre (bilinear, edges clamped); same output size."""
    n, h, w, c = images.shape
    ys, xs = jnp.meshgrid(jnp.arange(h) - (h - 1) / 2, jnp.arange(w) - (w - 1) / 2, indexing="ij")
    src = jnp.einsum("ij,jhw->ihw", matrix, jnp.stack([ys, xs]))
    coords = [src[0] + (h - 1) / 2, src[1] + (w - 1) / 2]

    def one(image):
        return jnp.stack([jax.scipy.ndimage.map_coordinates(image[..., k], coords, order=1, mode="nearest")
                          for k in range(c)], axis=-1)

    return jax.vmap(one)(images)


def random_scale(scales: Sequence[float] = (0.9, 1.1)) -> Transform:
    def apply(key, images):
        s = jax.random.uniform(key, (), minval=scales[0], maxval=scales[1])
        return _affine(images, jnp.eye(2) / s)

    return apply


def random_rotate(degrees: float = 10.0) -> Transform:
    def apply(key, images):
        angle = jnp.deg2rad(jax.random.uniform(key, (), minval=-degrees, maxval=degrees))
        cos, sin = jnp.cos(angle), jnp.sin(angle)
        return _affine(images, jnp.array([[cos, -sin], [sin, cos]]))

    return apply


def compose(transforms: Sequence[Transform]) -> Transform:
    def apply(key, images):
        for k, transform in zip(jax.random.split(key, len(transforms)), transforms):
            images = transform(k, images)
        return images

    return apply


def standard_robustness() -> Transform:
    """Lucid's recipe, scaled for CPU-sized renders: pad, jitter, scale, rotate, jitter."""
    return compose([pad(12), jitter(8), random_scale((0.9, 1.1)), random_rotate(10.0), jitter(4)])
