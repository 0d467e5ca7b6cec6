"""Image parameterisations for feature visualisation from noise: params -> (N, H, W, 3) RGB in [0, 1].

Fourier(shape, decay)  spectrum scaled by 1/frequency (natural-image statistics), colours decorrelated, squashed
                       by a sigmoid; params (N, 3, H, W//2+1, 2)
Pixels(shape)          plain pixels through a sigmoid, for comparison; params (N, H, W, 3)
p = Fourier((n, h, w)); params = p.init(key); images = p(params)

Parameterisations are frozen dataclasses (hashable by value), so the step runner takes them as static arguments
and two visualisations of one shape share one compiled program.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

# Square root of ImageNet's colour correlation (principal axes); a fact about the data, as used by lucid
_COLOR_SQRT = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], np.float32)
_COLOR_SQRT /= np.max(np.linalg.norm(_COLOR_SQRT, axis=0))


def decorrelated_to_rgb(x: jax.Array) -> jax.Array:
    """(..., 3) in decorrelated colour space, unbounded -> RGB in (0, 1)."""
    return jax.nn.sigmoid(x @ jnp.asarray(_COLOR_SQRT).T)


@dataclass(frozen=True)
class Fourier:
    shape: tuple[int, int, int]  # (N, H, W)
    decay: float = 1.0
    std: float = 0.01

    def init(self, key: jax.Array) -> jax.Array:
        n, h, w = self.shape
        return jax.random.normal(key, (n, 3, h, w // 2 + 1, 2)) * self.std

    def spectrum_scale(self) -> np.ndarray:
        """(H, W//2+1): 1 / frequency**decay, with norm="ortho" as in lucid."""
        _, h, w = self.shape
        freqs = np.sqrt(np.fft.rfftfreq(w)[None, :] ** 2 + np.fft.fftfreq(h)[:, None] ** 2)
        return (1.0 / np.maximum(freqs, 1.0 / max(h, w)) ** self.decay).astype(np.float32)

    def __call__(self, params: jax.Array) -> jax.Array:
        _, h, w = self.shape
        spectrum = (params[..., 0] + 1j * params[..., 1]) * jnp.asarray(self.spectrum_scale())[None, None]
        image = jnp.fft.irfft2(spectrum, s=(h, w), norm="ortho") / 4.0  # (N, 3, H, W)
        return decorrelated_to_rgb(jnp.transpose(image, (0, 2, 3, 1)))


@dataclass(frozen=True)
class Pixels:
    shape: tuple[int, int, int]  # (N, H, W)
    std: float = 0.01

    def init(self, key: jax.Array) -> jax.Array:
        n, h, w = self.shape
        return jax.random.normal(key, (n, h, w, 3)) * self.std

    def __call__(self, params: jax.Array) -> jax.Array:
        return jax.nn.sigmoid(params)
