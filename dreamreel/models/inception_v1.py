"""InceptionV1 (GoogLeNet) as published in TensorFlow's inception5h graph, the network of the DeepDream notebook.

InceptionV1(stem, mixed, classes, lrn)(x, until) -> {name: (N, h, w, C)}
    x is preprocessed: RGB, 0-255 minus 117 (`preprocess`). Names are the graph's own: conv2d0 (after ReLU) and
    conv2d0_pre_relu, maxpool0, localresponsenorm0, ..., mixed4d_3x3_bottleneck(_pre_relu), mixed4d_pool,
    mixed4d (the concatenation), maxpool10, ..., avgpool0, softmax2_pre_activation (logits) and softmax2
    (class probabilities); the last three are (N, 1, 1, C).
InceptionV1.layer_kind(name) -> "conv" | "pre_relu" | "pool" | "head" | "logits" | "probs"
scaled_widths(divisor) -> (stem, mixed)   the same topology, narrower (tests)

The weights, the class names and the checks that the published graph computes exactly this forward pass are in
formats/inception5h.py. avgpool0 here is the mean over all positions: the graph's 7x7 VALID pool at 224x224
input, and defined for any image size. The auxiliary heads (softmax0, softmax1) are training-only and left out.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

IMAGENET_MEAN = 117.0  # the DeepDream notebook's imagenet_mean, subtracted from 0-255 RGB
STEM_WIDTHS = (64, 64, 192)  # conv2d0 (7x7/2), conv2d1 (1x1), conv2d2 (3x3)
BRANCHES = ("1x1", "3x3_bottleneck", "3x3", "5x5_bottleneck", "5x5", "pool_reduce")
# per mixed block, the widths of BRANCHES; the block's output concatenates 1x1, 3x3, 5x5 and pool_reduce
MIXED_WIDTHS = (
    ("mixed3a", (64, 96, 128, 16, 32, 32)),
    ("mixed3b", (128, 128, 192, 32, 96, 64)),
    ("mixed4a", (192, 96, 204, 16, 48, 64)),
    ("mixed4b", (160, 112, 224, 24, 64, 64)),
    ("mixed4c", (128, 128, 256, 24, 64, 64)),
    ("mixed4d", (112, 144, 288, 32, 64, 64)),
    ("mixed4e", (256, 160, 320, 32, 128, 128)),
    ("mixed5a", (256, 160, 320, 48, 128, 128)),
    ("mixed5b", (384, 192, 384, 48, 128, 128)),
)
POOL_AFTER = {"mixed3b": "maxpool4", "mixed4e": "maxpool10"}  # 3x3 stride-2 pools between the stages
CLASSES = 1008
LRN = (5, 2.0, 1e-4, 0.5)  # depth_radius, bias, alpha, beta of localresponsenorm0 and localresponsenorm1
HEAD_KINDS = {"avgpool0": "head", "softmax2_pre_activation": "logits", "softmax2": "probs"}




def preprocess(images: jax.Array) -> jax.Array:
    """RGB [0, 1] -> RGB 0-255 minus 117, what the inception5h graph's `input` expects."""
    return images * 255.0 - IMAGENET_MEAN


def mixed_output_width(widths: tuple[int, ...]) -> int:
    w1, _, w3, _, w5, wp = widths
    return w1 + w3 + w5 + wp


def scaled_widths(divisor: int) -> tuple[tuple[int, ...], tuple]:
    """(stem, mixed) widths divided by `divisor` (at least 1): the same topology, narrower, for tests."""
    stem = tuple(max(1, w // divisor) for w in STEM_WIDTHS)
    mixed = tuple((name, tuple(max(1, w // divisor) for w in widths)) for name, widths in MIXED_WIDTHS)
    return stem, mixed


def local_response_norm(x: jax.Array, depth_radius: int, bias: float, alpha: float, beta: float) -> jax.Array:
    """TensorFlow's LRN over the last axis: x / (bias + alpha * sum of x^2 over channels c-r..c+r) ** beta."""
    channels = x.shape[-1]
    index = np.arange(channels)
    band = (np.abs(index[:, None] - index[None, :]) <= depth_radius).astype(np.float32)
    square_sum = jnp.matmul(jnp.square(x), jnp.asarray(band, x.dtype), precision=jax.lax.Precision.HIGHEST)
    return x * jnp.power(bias + alpha * square_sum, -beta)


class _Stop(Exception):
    """Raised inside __call__ once `until` is computed; caught there."""


class InceptionV1(nn.Module):
    stem: tuple[int, ...] = STEM_WIDTHS
    mixed: tuple = MIXED_WIDTHS
    classes: int = CLASSES
    lrn: tuple = LRN
    conv_general_dilated: Any = None  # a faster convolution for this backend, or None for XLA's

    @staticmethod
    def layer_kind(name: str) -> str:
        if name.endswith("_pre_relu"):
            return "pre_relu"
        if name in HEAD_KINDS:
            return HEAD_KINDS[name]
        return "pool" if name.startswith("maxpool") or name.endswith("_pool") else "conv"

    @nn.compact
    def __call__(self, x: jax.Array, until: str | None = None) -> dict[str, jax.Array]:
        acts: dict[str, jax.Array] = {}

        def keep(name, value):
            acts[name] = value
            if name == until:
                raise _Stop

        def conv(name, value, width, size, stride=1):
            pre = nn.Conv(width, (size, size), strides=(stride, stride), padding="SAME", name=name,
                          conv_general_dilated=self.conv_general_dilated)(value)
            keep(f"{name}_pre_relu", pre)
            out = nn.relu(pre)
            keep(name, out)
            return out

        def max_pool(name, value, stride):
            out = nn.max_pool(value, (3, 3), strides=(stride, stride), padding="SAME")
            keep(name, out)
            return out

        try:
            x = conv("conv2d0", x, self.stem[0], 7, stride=2)
            x = max_pool("maxpool0", x, 2)
            x = local_response_norm(x, *self.lrn)
            keep("localresponsenorm0", x)
            x = conv("conv2d1", x, self.stem[1], 1)
            x = conv("conv2d2", x, self.stem[2], 3)
            x = local_response_norm(x, *self.lrn)
            keep("localresponsenorm1", x)
            x = max_pool("maxpool1", x, 2)
            for block, widths in self.mixed:
                w1, w3b, w3, w5b, w5, wp = widths
                b1 = conv(f"{block}_1x1", x, w1, 1)
                b3 = conv(f"{block}_3x3", conv(f"{block}_3x3_bottleneck", x, w3b, 1), w3, 3)
                b5 = conv(f"{block}_5x5", conv(f"{block}_5x5_bottleneck", x, w5b, 1), w5, 5)
                bp = conv(f"{block}_pool_reduce", max_pool(f"{block}_pool", x, 1), wp, 1)
                x = jnp.concatenate([b1, b3, b5, bp], axis=-1)
                keep(block, x)
                if block in POOL_AFTER:
                    x = max_pool(POOL_AFTER[block], x, 2)
            x = jnp.mean(x, axis=(1, 2), keepdims=True)
            keep("avgpool0", x)
            logits = nn.Dense(self.classes, name="softmax2")(x)
            keep("softmax2_pre_activation", logits)
            keep("softmax2", jax.nn.softmax(logits, axis=-1))
        except _Stop:
            pass
        return acts
