"""A small DCGAN (Radford et al. 2016) for `learn --unconditional`: dreamed-looking images from noise. A demonstration.

GanConfig(size, width, latent) -> the architecture, as data
init_gan(config, key, opt) -> GanState(generator, discriminator, g_opt, d_opt, step)
make_gan_step(config, opt) -> step(state, real (N, size, size, 3) in [0, 1], key) -> (state, {"d_loss", "g_loss"})
sample(config, generator_params, key, count) -> (count, size, size, 3) in (0, 1)
sample_grid(images (N, h, w, 3), columns) -> one (H, W, 3) image

This reproduces the experiment of "Bedtime Story" (replicating deep dreams with a GAN trained on dreamed images):
at 64 px and a few thousand CPU steps it learns the palette and texture of the dreams, not scenes; say so where it is
shown. Generator: a dense layer to 4x4, then resize-convolutions (nearest x2 + 3x3 conv, no checkerboards) with group
normalisation up to `size`; discriminator: stride-2 4x4 convolutions with leaky ReLUs down to 4x4, one logit per
patch, averaged (the same fully convolutional critic a PatchGAN uses). Non-saturating losses; both networks take one
Adam step per jitted step, the discriminator first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial
from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from ...errors import DreamreelError


@dataclass(frozen=True)
class GanConfig:
    size: int = 64  # a power of two, 8..256
    width: int = 32  # generator channels at full size (x2 per halving, at most 8x)
    latent: int = 64

    def __post_init__(self):
        if self.size < 8 or self.size > 256 or self.size & (self.size - 1):
            raise DreamreelError(f"GAN image size must be a power of two from 8 to 256, got {self.size}")
        if self.width < 1 or self.latent < 1:
            raise DreamreelError(f"GAN width and latent size must be positive, got {self.width}, {self.latent}")

    @property
    def levels(self) -> int:
        return int(np.log2(self.size)) - 2  # 4 px -> size

    def widths(self) -> list[int]:
        """Channels from 4x4 up to full size."""
        return [self.width * min(8, 2 ** k) for k in range(self.levels, -1, -1)]

    def to_dict(self) -> dict:
        return asdict(self)


class Generator(nn.Module):
    config: GanConfig

    @nn.compact
    def __call__(self, z):
        widths = self.config.widths()
        x = nn.Dense(4 * 4 * widths[0])(z).reshape(z.shape[0], 4, 4, widths[0])
        x = nn.relu(nn.GroupNorm(num_groups=min(8, widths[0]))(x))
        for width in widths[1:]:
            x = jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)
            x = nn.Conv(width, (3, 3), padding="SAME")(x)
            x = nn.relu(nn.GroupNorm(num_groups=min(8, width))(x))
        return jax.nn.sigmoid(nn.Conv(3, (3, 3), padding="SAME")(x))


class Discriminator(nn.Module):
    config: GanConfig

    @nn.compact
    def __call__(self, images):
        x = 2.0 * images - 1.0
        for k, width in enumerate(reversed(self.config.widths()[:-1])):
            x = nn.Conv(width, (4, 4), strides=(2, 2), padding="SAME")(x)
            if k:
                x = nn.GroupNorm(num_groups=min(8, width))(x)
            x = nn.leaky_relu(x, 0.2)
        patches = nn.Conv(1, (3, 3), padding="SAME")(x)  # one logit per patch
        return jnp.mean(patches, axis=(1, 2, 3))


@partial(jax.tree_util.register_dataclass, data_fields=["generator", "discriminator", "g_opt", "d_opt", "step"],
         meta_fields=[])
@dataclass(frozen=True)
class GanState:
    generator: Any
    discriminator: Any
    g_opt: Any
    d_opt: Any
    step: jax.Array


def gan_optimizer(learning_rate: float = 2e-4) -> optax.GradientTransformation:
    return optax.adam(learning_rate, b1=0.5)  # DCGAN's momentum: 0.9 oscillates


def init_gan(config: GanConfig, key: jax.Array, opt: optax.GradientTransformation) -> GanState:
    g_key, d_key = jax.random.split(key)
    generator = Generator(config).init(g_key, jnp.zeros((1, config.latent)))["params"]
    discriminator = Discriminator(config).init(d_key, jnp.zeros((1, config.size, config.size, 3)))["params"]
    return GanState(generator, discriminator, opt.init(generator), opt.init(discriminator), jnp.zeros((), jnp.int32))


def gan_losses(generator, discriminator, real, z, config: GanConfig) -> tuple[jax.Array, jax.Array]:
    """(discriminator loss, generator loss), non-saturating: softplus(-D(real)) + softplus(D(fake)); softplus(-D(fake))."""
    fake = Generator(config).apply({"params": generator}, z)
    critic = partial(Discriminator(config).apply, {"params": discriminator})
    d_loss = jnp.mean(jax.nn.softplus(-critic(real))) + jnp.mean(jax.nn.softplus(critic(fake)))
    g_loss = jnp.mean(jax.nn.softplus(-critic(fake)))
    return d_loss, g_loss


def make_gan_step(config: GanConfig, opt: optax.GradientTransformation) -> Callable:
    def step(state: GanState, real: jax.Array, key: jax.Array):
        z = jax.random.normal(jax.random.fold_in(key, state.step), (real.shape[0], config.latent))
        d_grad = jax.grad(lambda d: gan_losses(jax.lax.stop_gradient(state.generator), d, real, z, config)[0])
        updates, d_opt = opt.update(d_grad(state.discriminator), state.d_opt, state.discriminator)
        discriminator = optax.apply_updates(state.discriminator, updates)
        g_grad = jax.grad(lambda g: gan_losses(g, discriminator, real, z, config)[1])
        updates, g_opt = opt.update(g_grad(state.generator), state.g_opt, state.generator)
        generator = optax.apply_updates(state.generator, updates)
        d_loss, g_loss = gan_losses(generator, discriminator, real, z, config)
        return GanState(generator, discriminator, g_opt, d_opt, state.step + 1), {"d_loss": d_loss, "g_loss": g_loss}

    return jax.jit(step, donate_argnums=(0,))


@partial(jax.jit, static_argnames=("config", "count"))
def sample(config: GanConfig, generator, key: jax.Array, count: int) -> jax.Array:
    return Generator(config).apply({"params": generator}, jax.random.normal(key, (count, config.latent)))


def sample_grid(images, columns: int, gap: int = 2) -> np.ndarray:
    images = np.asarray(images, np.float32)
    n, h, w, _ = images.shape
    rows = -(-n // columns)
    grid = np.ones((rows * (h + gap) + gap, columns * (w + gap) + gap, 3), np.float32)
    for k, image in enumerate(images):
        r, c = divmod(k, columns)
        grid[gap + r * (h + gap):gap + r * (h + gap) + h, gap + c * (w + gap):gap + c * (w + gap) + w] = image
    return grid
