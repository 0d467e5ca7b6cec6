"""Convolution and pooling paths that keep XLA:CPU on its fast kernels, chosen per backend.

    conv_general_dilated(lhs, rhs, ...)   drop-in for lax.conv_general_dilated (what flax's nn.Conv calls)
    max_pool_2x2(x)                       2x2/2 max pool, padding SAME (odd sizes keep their last row/column)
    conv_mode() -> "xla" | "fast" | "bf16"

Why (measured in benchmarks/RESULTS.md, "Speed (issue 7)"): JAX 0.10's CPU backend hands convolutions to
YNNPACK, which on this AVX2 machine is as fast as PyTorch's oneDNN convolution or faster, but only when the kernel
arrives in the HWIO layout. The gradient of a convolution with respect to its input is a convolution with the kernel
flipped and its in/out axes swapped; inside a loop body (render.py's lax.map over tiles and fori_loop over steps)
XLA folds that swap into the convolution's dimension labels (kernel "01oi"), YNNPACK declines it and XLA falls back
to a generic convolution about five times slower (a whole dream step: 3.3x). `conv_general_dilated` here has its
own VJP that flips and swaps the kernel explicitly, so the backward convolution is an ordinary HWIO one and stays
on YNNPACK. Likewise flax's
max_pool is a reduce_window whose gradient is XLA:CPU's slow select-and-scatter; `max_pool_2x2` is the maximum of
four strided slices, whose gradient is an elementwise select that fuses.

The mode comes from $DREAMREEL_CONV: "auto" (default: "fast" on the CPU, "xla" elsewhere: a GPU keeps XLA's own
convolution and pooling), "xla" (lax.conv_general_dilated and flax's max_pool, float32: the reference path),
"fast" (float32, same arithmetic as "xla"), or "bf16" (like fast, with bfloat16 inputs and float32 accumulation,
the first layer kept in float32: for CPUs with native bfloat16 such as AMX; on AVX2 it is within a few % of
"fast"). The mode is read when a model is traced.
"""

from __future__ import annotations

import os
from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

MODES = ("auto", "xla", "fast", "bf16")
BF16_MIN_CHANNELS = 16  # convolutions with fewer input channels stay float32 in the bf16 mode


def conv_mode() -> str:
    """The convolution path in force: $DREAMREEL_CONV, with "auto" resolved by the default backend."""
    mode = os.environ.get("DREAMREEL_CONV", "auto").strip().lower() or "auto"
    if mode not in MODES:
        from ..errors import DreamreelError

        raise DreamreelError(f"DREAMREEL_CONV={mode!r} is not one of {', '.join(MODES)}")
    if mode == "auto":
        return "fast" if jax.default_backend() == "cpu" else "xla"
    return mode


def _nhwc_hwio(dimension_numbers, ndim: int) -> bool:
    if ndim != 4:
        return False
    if dimension_numbers is None:
        return False
    if isinstance(dimension_numbers, lax.ConvDimensionNumbers):
        return tuple(dimension_numbers) == ((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    return tuple(dimension_numbers) == ("NHWC", "HWIO", "NHWC")


def _normalize_padding(padding, kernel_hw, in_hw):
    if isinstance(padding, str):
        return tuple(lax.padtype_to_pads(in_hw, kernel_hw, (1, 1), padding))
    return tuple((int(lo), int(hi)) for lo, hi in padding)


_DN = ("NHWC", "HWIO", "NHWC")


def _conv(x, w, padding, precision, dtype):
    if dtype is not None:
        x, w = x.astype(dtype), w.astype(dtype)
    return lax.conv_general_dilated(x, w, (1, 1), padding, dimension_numbers=_DN, precision=precision,
                                    preferred_element_type=jnp.float32 if dtype is not None else None)


@partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def _conv_hwio(x, w, padding, precision, dtype):
    return _conv(x, w, padding, precision, dtype)


def _conv_hwio_fwd(x, w, padding, precision, dtype):
    return _conv(x, w, padding, precision, dtype), (x, w)


def _conv_hwio_bwd(padding, precision, dtype, residuals, ct):
    x, w = residuals
    kh, kw = w.shape[:2]
    # d/dx: correlate the cotangent with the kernel flipped in space and with in/out swapped, materialised in
    # HWIO so that the backend's fast convolution takes it (see the module docstring)
    w_t = jnp.flip(w, (0, 1)).transpose(0, 1, 3, 2)
    back_pad = ((kh - 1 - padding[0][0], kh - 1 - padding[0][1]), (kw - 1 - padding[1][0], kw - 1 - padding[1][1]))
    dx = _conv(ct.astype(x.dtype) if dtype is None else ct, w_t, back_pad, precision, dtype).astype(x.dtype)
    # d/dw: XLA's own transpose rule (a dream never asks for it; XLA drops it when unused)
    dw = jax.linear_transpose(lambda k: _conv(x, k, padding, precision, None), w)(ct.astype(w.dtype))[0]
    return dx, dw.astype(w.dtype)


_conv_hwio.defvjp(_conv_hwio_fwd, _conv_hwio_bwd)


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                         dimension_numbers=None, feature_group_count=1, batch_group_count=1, precision=None,
                         preferred_element_type=None):
    """lax.conv_general_dilated, on the path of conv_mode(); convolutions it has no fast path for go to lax."""
    mode = conv_mode()
    plain = (mode != "xla" and _nhwc_hwio(dimension_numbers, lhs.ndim) and tuple(window_strides) == (1, 1)
             and not any(d != 1 for d in (lhs_dilation or (1, 1))) and not any(d != 1 for d in (rhs_dilation or (1, 1)))
             and feature_group_count == 1 and batch_group_count == 1 and preferred_element_type is None
             and lhs.dtype == jnp.float32 and rhs.dtype == jnp.float32)
    if plain:
        pads = _normalize_padding(padding, rhs.shape[:2], lhs.shape[1:3])
        if all(0 <= lo <= k - 1 and 0 <= hi <= k - 1 for (lo, hi), k in zip(pads, rhs.shape[:2])):
            # bf16: not the first layer (3 input channels of 0-255 pixels, little arithmetic): in bfloat16 it
            # costs the image gradient its cosine >= 0.99 with the float32 one (0.985 vs 0.997 measured)
            bf16 = mode == "bf16" and rhs.shape[2] >= BF16_MIN_CHANNELS
            return _conv_hwio(lhs, rhs, pads, precision, jnp.bfloat16 if bf16 else None)
    return lax.conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                    rhs_dilation=rhs_dilation, dimension_numbers=dimension_numbers,
                                    feature_group_count=feature_group_count, batch_group_count=batch_group_count,
                                    precision=precision, preferred_element_type=preferred_element_type)


def max_pool_2x2(x: jax.Array) -> jax.Array:
    """2x2 max pool with stride 2 and SAME padding of (N, H, W, C), as the maximum of four strided slices.

    On the "xla" path this is flax's max_pool (reduce_window; its gradient is select-and-scatter). Elsewhere the
    slices' gradient is elementwise. Ties share the gradient instead of giving it to the first maximum; after a
    ReLU ties are zeros, whose gradient the ReLU stops anyway.
    """
    if conv_mode() == "xla":
        import flax.linen as nn

        return nn.max_pool(x, (2, 2), strides=(2, 2), padding="SAME")
    _, h, w, _ = x.shape
    if h % 2 or w % 2:
        x = jnp.pad(x, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), constant_values=-jnp.inf)
    return jnp.maximum(jnp.maximum(x[:, 0::2, 0::2], x[:, 0::2, 1::2]),
                       jnp.maximum(x[:, 1::2, 0::2], x[:, 1::2, 1::2]))
