"""Image parameterisations for feature visualisation from noise: params -> (N, H, W, 3) RGB in [0, 1].

fourier_image(shape, key) -> (params, to_image)   spectrum scaled by 1/frequency (natural-image statistics),
                                                  colours decorrelated, squashed by a sigmoid
pixel_image(shape, key)   -> (params, to_image)   plain pixels (through a sigmoid), for comparison
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

# Square root of ImageNet's colour correlation (principal axes); a fact about the data, as used by lucid
_COLOR_SQRT = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], np.float32)
_COLOR_SQRT /= np.max(np.linalg.norm(_COLOR_SQRT, axis=0))

Parameterisation = tuple[jax.Array, Callable[[jax.Array], jax.Array]]


def _decorrelated_to_rgb(x: jax.Array) -> jax.Array:
    return jax.nn.sigmoid(x @ jnp.asarray(_COLOR_SQRT).T)


def fourier_image(shape: tuple[int, int, int], key: jax.Array, decay: float = 1.0,
                  std: float = 0.01) -> Parameterisation:
    n, h, w = shape
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    freqs = np.sqrt(fx**2 + fy**2)
    scale = 1.0 / np.maximum(freqs, 1.0 / max(h, w)) ** decay  # with norm="ortho": lucid's scaling
    scale = jnp.asarray(scale, jnp.float32)[None, None]  # (1, 1, h, w//2+1)
    params = jax.random.normal(key, (n, 3, h, w // 2 + 1, 2)) * std

    def to_image(p):
        spectrum = (p[..., 0] + 1j * p[..., 1]) * scale
        image = jnp.fft.irfft2(spectrum, s=(h, w), norm="ortho") / 4.0  # (n, 3, h, w)
        return _decorrelated_to_rgb(jnp.transpose(image, (0, 2, 3, 1)))

    return params, to_image


def pixel_image(shape: tuple[int, int, int], key: jax.Array, std: float = 0.01) -> Parameterisation:
    n, h, w = shape
    params = jax.random.normal(key, (n, h, w, 3)) * std
    return params, jax.nn.sigmoid
