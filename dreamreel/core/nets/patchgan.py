"""A PatchGAN discriminator (pix2pix, Isola et al. 2017) as an optional adversarial loss of a look network.

PatchConfig(width, layers, conditional) -> the architecture, as data
init_critic(config, key, crop) -> params
critic_logits(config, params, images (N, H, W, 3), inputs (N, H, W, 3) | None) -> (N, h, w) one logit per patch
critic_losses(config, params, real, fake, inputs) -> (critic loss, generator loss)   non-saturating, per patch

Each logit judges one patch of the image (receptive field 34 px for 3 layers, 70 px for 4: pix2pix's; only the
normalisation's statistics are shared across the image), so the critic learns texture (is this patch brushwork like the optimiser's?) rather than layout. Conditional (pix2pix): it
sees the input beside the image, so a stroke must also fit the frame it was painted on. The real images are the
optimiser's outputs on keyframes; the fakes the network's outputs on the same frames. Layers: 4x4 convolutions
(stride 2, then one of stride 1) with group normalisation after the first and leaky ReLUs, then a 4x4 convolution to
one channel. It is trained by its own Adam step inside the network's jitted step (core.nets.train).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from ...errors import DreamreelError


@dataclass(frozen=True)
class PatchConfig:
    width: int = 32
    layers: int = 3  # stride-2 convolutions: receptive field 34 px (3) or 70 px (4)
    conditional: bool = True

    def __post_init__(self):
        if self.width < 1 or not 1 <= self.layers <= 6:
            raise DreamreelError(f"PatchGAN width must be positive and layers 1..6, got {self.width}, {self.layers}")

    def to_dict(self) -> dict:
        return asdict(self)


class PatchDiscriminator(nn.Module):
    config: PatchConfig

    @nn.compact
    def __call__(self, images: jax.Array, inputs: jax.Array | None = None) -> jax.Array:
        x = 2.0 * images - 1.0
        if self.config.conditional:
            x = jnp.concatenate([x, 2.0 * inputs - 1.0], axis=-1)
        width = self.config.width
        for k in range(self.config.layers + 1):
            stride = 2 if k < self.config.layers else 1
            x = nn.Conv(width * 2 ** min(k, 3), (4, 4), strides=(stride, stride), padding="SAME")(x)
            if k:
                x = nn.GroupNorm(num_groups=min(8, width * 2 ** min(k, 3)))(x)
            x = nn.leaky_relu(x, 0.2)
        return nn.Conv(1, (4, 4), padding="SAME")(x)[..., 0]


def init_critic(config: PatchConfig, key: jax.Array, crop: int = 64) -> Any:
    images = jnp.zeros((1, crop, crop, 3), jnp.float32)
    return PatchDiscriminator(config).init(key, images, images if config.conditional else None)["params"]


def critic_logits(config: PatchConfig, params, images: jax.Array, inputs: jax.Array | None = None) -> jax.Array:
    return PatchDiscriminator(config).apply({"params": params}, images, inputs if config.conditional else None)


def critic_losses(config: PatchConfig, params, real: jax.Array, fake: jax.Array,
                  inputs: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
    """(critic loss: softplus(-D(real)) + softplus(D(fake)), generator loss: softplus(-D(fake))), patch means."""
    logits = partial(critic_logits, config, params, inputs=inputs)
    fake_logits = logits(fake)
    critic = jnp.mean(jax.nn.softplus(-logits(real))) + jnp.mean(jax.nn.softplus(fake_logits))
    return critic, jnp.mean(jax.nn.softplus(-fake_logits))
