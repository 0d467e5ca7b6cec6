"""Small random transforms of image batches, for transformation robustness: transform(key, images) -> images.

images are (N, H, W, 3). Each transform is a frozen dataclass (hashable: the step runner takes it as a static
argument); Compose chains a list of them with split keys, lucid-style:
    robust = Compose((Pad(12), Jitter(8), RandomScale((0.9, 1.1)), RandomRotate(10), Jitter(4)))
Identity() leaves images alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp


@dataclass(frozen=True)
class Identity:
    def __call__(self, key, images):
        return images


@dataclass(frozen=True)
class Pad:
    """Constant padding of `width` px on every side (mid-grey by default)."""

    width: int
    value: float = 0.5

    def __call__(self, key, images):
        w = self.width
        return jnp.pad(images, ((0, 0), (w, w), (w, w), (0, 0)), constant_values=self.value)


@dataclass(frozen=True)
class Jitter:
    """A random crop `pixels` smaller on each axis (the image shifts by up to `pixels`)."""

    pixels: int

    def __call__(self, key, images):
        n, h, w, c = images.shape
        offset = jax.random.randint(key, (2,), 0, self.pixels + 1)
        return jax.lax.dynamic_slice(images, (0, offset[0], offset[1], 0), (n, h - self.pixels, w - self.pixels, c))


def affine(images: jax.Array, matrix: jax.Array) -> jax.Array:
    """Resample every image (N, H, W, C) at matrix @ (y, x) about the centre (bilinear, edges clamped)."""
    n, h, w, c = images.shape
    ys, xs = jnp.meshgrid(jnp.arange(h) - (h - 1) / 2, jnp.arange(w) - (w - 1) / 2, indexing="ij")
    src = jnp.einsum("ij,jhw->ihw", matrix, jnp.stack([ys, xs]))
    coords = [src[0] + (h - 1) / 2, src[1] + (w - 1) / 2]
    return jax.vmap(lambda image: sample(image, coords))(images)


def sample(image: jax.Array, coords) -> jax.Array:
    """image (H, W, C) read at coords = [ys, xs] (any shape), bilinear, edges clamped: the in-jit warp."""
    return jnp.stack([jax.scipy.ndimage.map_coordinates(image[..., k], coords, order=1, mode="nearest")
                      for k in range(image.shape[-1])], axis=-1)


def follow(images: jax.Array, flows: jax.Array) -> jax.Array:
    """Backward warp along optical flows (N, H, W, 2 as dx, dy): out(x) = image(x + flow(x)), differentiable."""
    h, w = images.shape[1:3]
    ys, xs = jnp.meshgrid(jnp.arange(h, dtype=jnp.float32), jnp.arange(w, dtype=jnp.float32), indexing="ij")
    return jax.vmap(lambda image, flow: sample(image, [ys + flow[..., 1], xs + flow[..., 0]]))(images, flows)


@dataclass(frozen=True)
class RandomScale:
    scales: tuple[float, float] = (0.9, 1.1)

    def __call__(self, key, images):
        s = jax.random.uniform(key, (), minval=self.scales[0], maxval=self.scales[1])
        return affine(images, jnp.eye(2) / s)


@dataclass(frozen=True)
class RandomRotate:
    degrees: float = 10.0

    def __call__(self, key, images):
        angle = jnp.deg2rad(jax.random.uniform(key, (), minval=-self.degrees, maxval=self.degrees))
        cos, sin = jnp.cos(angle), jnp.sin(angle)
        return affine(images, jnp.array([[cos, -sin], [sin, cos]]))


@dataclass(frozen=True)
class Compose:
    transforms: tuple

    def __call__(self, key, images):
        for k, transform in zip(jax.random.split(key, len(self.transforms)), self.transforms):
            images = transform(k, images)
        return images


def standard_robustness() -> Compose:
    """Lucid's recipe, scaled for CPU-sized renders: pad, jitter, scale, rotate, jitter."""
    return Compose((Pad(12), Jitter(8), RandomScale((0.9, 1.1)), RandomRotate(10.0), Jitter(4)))
