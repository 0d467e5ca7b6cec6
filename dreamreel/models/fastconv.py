"""Convolution and pooling paths that keep XLA:CPU on its fast kernels, chosen per backend.

    conv_general_dilated(lhs, rhs, ...)   drop-in for lax.conv_general_dilated (what flax's nn.Conv calls)
    max_pool_2x2(x)                       2x2/2 max pool, padding SAME (odd sizes keep their last row/column)
    conv_mode() -> "xla" | "fast" | "bf16"
    auto_mode(backend, native_bf16) -> mode   what "auto" picks
    uses_bf16(kernel_shape) -> bool           whether a (3, 3, Cin, Cout) convolution runs as bf16 products
    winograd_kernel(w) -> 4 x 4 (Cin, Cout)   bf16 tiles of G w G^T
    winograd_conv(x, u, padding) -> (N, Ho, Wo, Cout) float32, from bf16 products

Why (measured in benchmarks/RESULTS.md, "Speed (issue 7)"): JAX 0.10's CPU backend hands convolutions to
YNNPACK, which on this AVX2 machine is as fast as PyTorch's oneDNN convolution or faster, but only when the kernel
arrives in the HWIO layout. The gradient of a convolution with respect to its input is a convolution with the kernel
flipped and its in/out axes swapped; inside a loop body (render.py's lax.map over tiles and fori_loop over steps)
XLA folds that swap into the convolution's dimension labels (kernel "01oi"), YNNPACK declines it and XLA falls back
to a generic convolution about five times slower (a whole dream step: 3.3x). `conv_general_dilated` here has its
own VJP that flips and swaps the kernel explicitly, so the backward convolution is an ordinary HWIO one and stays
on YNNPACK. Likewise flax's
max_pool is a reduce_window whose gradient is XLA:CPU's slow select-and-scatter; `max_pool_2x2` is the maximum of
four strided slices, and its gradient scatters through an int8 code of the winning slice (elementwise, and it never
reads the full-size input again).

The mode comes from $DREAMREEL_CONV: "auto" (default: "bf16" on a CPU whose flags have avx512_bf16 or amx_bf16,
"fast" on other CPUs, "xla" elsewhere: a GPU keeps XLA's own convolution and pooling), "xla"
(lax.conv_general_dilated and flax's max_pool, float32: the reference path), "fast" (float32, same arithmetic as
"xla"), or "bf16" (like fast, but convolutions at least BF16_MIN_CHANNELS wide in and out run as Winograd bf16
matrix products with float32 accumulation, forward and d/dinput; "Speed: bfloat16" in benchmarks/RESULTS.md).
The mode is read when a model is traced.
"""

from __future__ import annotations

import os
from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

from . import cpu

MODES = ("auto", "xla", "fast", "bf16")
BF16_MIN_CHANNELS = 128  # narrower convolutions stay float32 on the bf16 path (see uses_bf16)


def conv_mode() -> str:
    """The convolution path in force: $DREAMREEL_CONV, with "auto" resolved by the backend and the CPU's flags."""
    mode = os.environ.get("DREAMREEL_CONV", "auto").strip().lower() or "auto"
    if mode not in MODES:
        from ..errors import DreamreelError

        raise DreamreelError(f"DREAMREEL_CONV={mode!r} is not one of {', '.join(MODES)}")
    if mode == "auto":
        return auto_mode(jax.default_backend(), cpu.native_bf16())
    return mode


def auto_mode(backend: str, native_bf16: bool) -> str:
    """bf16 only on a CPU with bf16 instructions (emulated bf16 is slower than float32); GPUs keep XLA's."""
    if backend != "cpu":
        return "xla"
    return "bf16" if native_bf16 else "fast"


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


def _conv(x, w, padding, precision):
    return lax.conv_general_dilated(x, w, (1, 1), padding, dimension_numbers=_DN, precision=precision)


def _back_padding(padding, kh, kw):
    return ((kh - 1 - padding[0][0], kh - 1 - padding[0][1]), (kw - 1 - padding[1][0], kw - 1 - padding[1][1]))


def _flip_swap(w):
    """The kernel of d/dinput: flipped in space, in/out swapped, materialised in HWIO (see the module docstring)."""
    return jnp.flip(w, (0, 1)).transpose(0, 1, 3, 2)


def _kernel_grad(x, w, padding, precision, ct):
    # XLA's own transpose rule, in float32 (a dream or a style transfer never asks for it; XLA drops it unused)
    return jax.linear_transpose(lambda k: _conv(x.astype(w.dtype), k, padding, precision), w)(ct.astype(w.dtype))[0]


# --- bfloat16: Winograd F(2x2, 3x3) (Lavin & Gray 2016) ------------------------------------------------------------
# Each 2x2 output tile comes from a 4x4 input tile through 16 elementwise products of transformed tiles, which over
# channels are 16 matrix products (tiles x Cin) @ (Cin x Cout): bf16 operands, float32 accumulation. The transforms
# only add and subtract (input, output) or halve (kernel), so bf16 rounding is the only extra error.
def _input_transform(z, axis):
    """B^T along `axis` over windows of 4 with stride 2: 2T+2 entries -> 4 arrays of T (strided slices, no gather)."""
    even, odd = lax.slice_in_dim(z, 0, None, 2, axis), lax.slice_in_dim(z, 1, None, 2, axis)
    n = even.shape[axis] - 1
    x0, x2 = lax.slice_in_dim(even, 0, n, axis=axis), lax.slice_in_dim(even, 1, n + 1, axis=axis)
    x1, x3 = lax.slice_in_dim(odd, 0, n, axis=axis), lax.slice_in_dim(odd, 1, n + 1, axis=axis)
    return x0 - x2, x1 + x2, x2 - x1, x1 - x3


def _output_transform(m):
    """A^T over 4 terms -> 2: the two outputs of a tile along one axis."""
    return m[0] + m[1] + m[2], m[1] - m[2] - m[3]


def _kernel_transform(w, axis):
    """G along `axis` (3 taps -> 4): w0, (w0 + w1 + w2) / 2, (w0 - w1 + w2) / 2, w2."""
    w0, w1, w2 = (lax.index_in_dim(w, k, axis, keepdims=False) for k in range(3))
    half = 0.5 * (w0 + w2)
    return w0, half + 0.5 * w1, half - 0.5 * w1, w2


def winograd_kernel(w: jax.Array) -> list[list[jax.Array]]:
    """(3, 3, Cin, Cout) -> 4 x 4 (Cin, Cout) bfloat16: G w G^T, in float32 and rounded once. Elementwise (as an
    einsum, XLA made it thin matrix products costing ~15 % of a step), and a nested list (a stacked array would cost
    a concatenation; the products take one each)."""
    return [[v.astype(jnp.bfloat16) for v in _kernel_transform(r, 0)]
            for r in _kernel_transform(w.astype(jnp.float32), 0)]


_FLIP = (3, 1, 2, 0)  # G of the reversed taps is G with rows 0 and 3 swapped: a flipped kernel's tiles, permuted


def winograd_conv(x: jax.Array, u, padding, flipped: bool = False) -> jax.Array:
    """3x3 stride-1 convolution of (N, H, W, Cin) with a winograd_kernel u; padding ((lo, hi), (lo, hi)), each 0..2.

    flipped: convolve with the kernel flipped in space and with in/out swapped (d/dinput), from the same u: its tiles
    permuted and contracted over their Cout axis, so no kernel is transformed or transposed again.
    Returns float32 (N, Ho, Wo, C). Each of the 16 products is its own dot of materialised bf16 operands: XLA:CPU
    runs a dot at bf16 speed only then (a convert fused into the product, or one stacked batched dot whose operand
    is a concatenation, measured 2-4x slower).
    """
    n, h, w, cin = x.shape
    (top, bottom), (left, right) = padding
    ho, wo = h + top + bottom - 2, w + left + right - 2
    th, tw = -(-ho // 2), -(-wo // 2)  # odd sizes: one extra output row/column, cropped below
    xp = jnp.pad(x, ((0, 0), (top, 2 * th + 2 - h - top), (left, 2 * tw + 2 - w - left), (0, 0)))

    def product(v, i, j):
        kernel, axis = (u[_FLIP[i]][_FLIP[j]], 1) if flipped else (u[i][j], 0)
        m = lax.dot_general(v.astype(jnp.bfloat16).reshape(-1, cin), kernel, (((1,), (axis,)), ((), ())),
                            preferred_element_type=jnp.float32)
        return m.reshape(n, th, tw, -1)

    m = [[product(v, i, j) for j, v in enumerate(_input_transform(r, 2))] for i, r in enumerate(_input_transform(xp, 1))]
    by_row = [_output_transform([m[i][j] for i in range(4)]) for j in range(4)]  # [j][p]
    y = jnp.stack([jnp.stack(_output_transform([by_row[j][p] for j in range(4)]), 3) for p in range(2)], 2)
    return y.reshape(n, 2 * th, 2 * tw, -1)[:, :ho, :wo]


def uses_bf16(kernel_shape, mode: str | None = None) -> bool:
    """Whether a (kh, kw, Cin, Cout) convolution runs as bf16 products on `mode` (default: conv_mode()); the same
    answer for its d/dinput (Cout, Cin).

    Only 3x3 kernels with at least BF16_MIN_CHANNELS in and out: thinner products (the first layer's 3 channels,
    VGG's 64-channel block) run faster as XLA's float32 convolution (benchmarks/RESULTS.md), and the first layer
    in bf16 would cost the image gradient its cosine >= 0.99 with the float32 one.
    """
    kh, kw, cin, cout = kernel_shape
    return (mode or conv_mode()) == "bf16" and (kh, kw) == (3, 3) and min(cin, cout) >= BF16_MIN_CHANNELS


@partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def _conv_hwio(x, w, padding, precision, mode):
    return _conv_hwio_fwd(x, w, padding, precision, mode)[0]


def _conv_hwio_fwd(x, w, padding, precision, mode):
    if uses_bf16(w.shape, mode):
        u = winograd_kernel(w)
        return winograd_conv(x, u, padding), (x, w, u)
    return _conv(x, w, padding, precision), (x, w, None)


def _conv_hwio_bwd(padding, precision, mode, residuals, ct):
    x, w, u = residuals
    # d/dinput is again a convolution, with the flipped, swapped kernel
    back = _back_padding(padding, *w.shape[:2])
    if u is not None:
        # rounded once where the cotangent is padded, so the 16 transforms read half the bytes
        dx = winograd_conv(ct.astype(jnp.bfloat16), u, back, flipped=True)
    else:
        dx = _conv(ct.astype(x.dtype), _flip_swap(w), back, precision)
    return dx.astype(x.dtype), _kernel_grad(x, w, padding, precision, ct)


_conv_hwio.defvjp(_conv_hwio_fwd, _conv_hwio_bwd)


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                         dimension_numbers=None, feature_group_count=1, batch_group_count=1, precision=None,
                         preferred_element_type=None):
    """lax.conv_general_dilated, on the path of conv_mode(); convolutions it has no fast path for go to lax.

    On the bf16 path a float32 or bfloat16 input gives a float32 result (accumulated in float32)."""
    mode = conv_mode()
    plain = (mode != "xla" and _nhwc_hwio(dimension_numbers, lhs.ndim) and tuple(window_strides) == (1, 1)
             and not any(d != 1 for d in (lhs_dilation or (1, 1))) and not any(d != 1 for d in (rhs_dilation or (1, 1)))
             and feature_group_count == 1 and batch_group_count == 1 and preferred_element_type is None
             and lhs.dtype in (jnp.float32, jnp.bfloat16) and rhs.dtype == jnp.float32)
    if plain:
        pads = _normalize_padding(padding, rhs.shape[:2], lhs.shape[1:3])
        if all(0 <= lo <= k - 1 and 0 <= hi <= k - 1 for (lo, hi), k in zip(pads, rhs.shape[:2])):
            # bf16 products: the input is rounded once, by the fusion that pads it, and saved for the backward in bf16
            lhs = lhs.astype(jnp.bfloat16 if uses_bf16(rhs.shape, mode) else jnp.float32)
            return _conv_hwio(lhs, rhs, pads, precision, mode)
    return lax.conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                    rhs_dilation=rhs_dilation, dimension_numbers=dimension_numbers,
                                    feature_group_count=feature_group_count, batch_group_count=batch_group_count,
                                    precision=precision, preferred_element_type=preferred_element_type)


def max_pool_2x2(x: jax.Array) -> jax.Array:
    """2x2 max pool with stride 2 and SAME padding of (N, H, W, C), as the maximum of four strided slices.

    On the "xla" path this is flax's max_pool (reduce_window; its gradient is select-and-scatter). Elsewhere the
    forward also keeps which of the four slices won (int8), and the gradient goes to that position (the first
    maximum, as select-and-scatter does): the backward reads a quarter-size byte code instead of the full-size
    input again (block1 at 512 px: 4 MB instead of 67 MB).
    """
    if conv_mode() == "xla":
        import flax.linen as nn

        return nn.max_pool(x, (2, 2), strides=(2, 2), padding="SAME")
    return _pool_with_argmax(x)


def _quarters(x):
    _, h, w, _ = x.shape
    if h % 2 or w % 2:
        x = jnp.pad(x, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), constant_values=-jnp.inf)
    return [x[:, i::2, j::2] for i in (0, 1) for j in (0, 1)]


@jax.custom_vjp
def _pool_with_argmax(x):
    return _pool_with_argmax_fwd(x)[0]


def _pool_with_argmax_fwd(x):
    q = _quarters(x)
    pooled = jnp.maximum(jnp.maximum(q[0], q[1]), jnp.maximum(q[2], q[3]))
    winner = jnp.where(q[0] == pooled, 0, jnp.where(q[1] == pooled, 1, jnp.where(q[2] == pooled, 2, 3)))
    return pooled, (winner.astype(jnp.int8), x.shape)


def _pool_with_argmax_bwd(residuals, ct):
    winner, (n, h, w, c) = residuals
    parts = [jnp.where(winner == k, ct, jnp.zeros((), ct.dtype)) for k in range(4)]
    rows = jnp.stack([jnp.stack(parts[0:2], 3), jnp.stack(parts[2:4], 3)], 2)  # (N, H/2, 2, W/2, 2, C)
    _, hh, _, ww, _, _ = rows.shape
    return (rows.reshape(n, 2 * hh, 2 * ww, c)[:, :h, :w],)


_pool_with_argmax.defvjp(_pool_with_argmax_fwd, _pool_with_argmax_bwd)
