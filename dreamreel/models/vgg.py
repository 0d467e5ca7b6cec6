"""VGG16/VGG19 as Flax modules that return their named activations.

VGG(blocks, widths, hed_head)(x, until) -> {name: (N, h, w, C)}; x is the preprocessed image (BGR, 0-255 minus
the Caffe mean). Names follow Keras: block4_conv3 (after ReLU), block4_conv3_pre_relu, block4_pool; with the HED
head also hed_side1..hed_side5 (edge logits upsampled to the input size) and hed_edges (fused edge probability).
VGG.layer_kind(name) -> "conv" | "pre_relu" | "pool" | "head"     (the layer table is derived from the module)
"""

from __future__ import annotations

from functools import partial

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp


VGG16_BLOCKS = (2, 2, 3, 3, 3)
VGG19_BLOCKS = (2, 2, 4, 4, 4)
VGG_WIDTHS = (64, 128, 256, 512, 512)
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)  # Keras applications' VGG mean
HED_MEAN_BGR = (104.00699, 116.66877, 122.67892)  # the HED (Caffe) training mean


class VGG(nn.Module):
    blocks: tuple[int, ...] = VGG16_BLOCKS
    widths: tuple[int, ...] = VGG_WIDTHS
    hed_head: bool = False
    conv_general_dilated: Any = None  # a faster convolution for this backend, or None for XLA's
    max_pool: Any = None  # a faster 2x2/2 SAME max pool (x -> pooled), or None for flax's reduce_window

    @nn.compact
    def __call__(self, x: jax.Array, until: str | None = None) -> dict[str, jax.Array]:
        acts: dict[str, jax.Array] = {}
        block_outputs = []

        def keep(name, value):
            acts[name] = value
            return name == until

        for b, (n_convs, width) in enumerate(zip(self.blocks, self.widths), start=1):
            for i in range(1, n_convs + 1):
                name = f"block{b}_conv{i}"
                conv = nn.Conv(width, (3, 3), padding="SAME", name=name,
                               conv_general_dilated=self.conv_general_dilated)
                pre = conv(x)
                if keep(f"{name}_pre_relu", pre):
                    return acts
                x = nn.relu(pre)
                if keep(name, x):
                    return acts
            block_outputs.append(x)
            # Keras pools with padding="same", so odd sizes keep their last row/column. The max commutes with the
            # ReLU, so the pool takes `pre`: then its backward never reads the full-size activations again.
            pool = self.max_pool or partial(nn.max_pool, window_shape=(2, 2), strides=(2, 2), padding="SAME")
            x = nn.relu(pool(pre))
            if keep(f"block{b}_pool", x):
                return acts
        if self.hed_head:
            self._hed(block_outputs, acts, until)
        return acts

    def _hed(self, block_outputs, acts, until):
        """Holistically-nested edge detection: a 1x1 side output per block, upsampled and fused."""
        n, h, w, _ = block_outputs[0].shape
        sides = []
        for k, features in enumerate(block_outputs, start=1):
            side = nn.Conv(1, (1, 1), name=f"hed_dsn{k}")(features)
            side = jax.image.resize(side, (n, h, w, 1), "bilinear") if k > 1 else side
            acts[f"hed_side{k}"] = side
            sides.append(side)
        fused = nn.Conv(1, (1, 1), name="hed_fuse")(jnp.concatenate(sides, axis=-1))
        acts["hed_edges"] = jax.nn.sigmoid(fused)

    @staticmethod
    def layer_kind(name: str) -> str:
        if name.endswith("_pre_relu"):
            return "pre_relu"
        if name.endswith("_pool"):
            return "pool"
        return "head" if name.startswith("hed_") else "conv"
