"""An independent NumPy forward pass of VGG (and its HED head), to check the Flax modules against."""

from __future__ import annotations

import numpy as np


def conv_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """(H, W, Cin) * (kh, kw, Cin, Cout), zero 'same' padding, by im2col in float64."""
    kh, kw, cin, cout = kernel.shape
    h, w, _ = x.shape
    padded = np.pad(x.astype(np.float64), ((kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    columns = np.stack([padded[i:i + h, j:j + w] for i in range(kh) for j in range(kw)], axis=2)
    out = columns.reshape(h * w, kh * kw * cin) @ kernel.reshape(kh * kw * cin, cout).astype(np.float64)
    return out.reshape(h, w, cout) + bias


def max_pool_same(x: np.ndarray) -> np.ndarray:
    """2x2 stride-2 max pool that keeps a last odd row/column (Keras padding='same')."""
    h, w, c = x.shape
    padded = np.full((h + h % 2, w + w % 2, c), -np.inf)
    padded[:h, :w] = x
    return padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2, c).max(axis=(1, 3))


def bilinear_upsample(x: np.ndarray, h: int, w: int) -> np.ndarray:
    """Half-pixel-centre bilinear resize of (h0, w0, C) to (h, w, C), edges clamped."""
    h0, w0, _ = x.shape

    def axis(n_out, n_in):
        pos = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
        pos = np.clip(pos, 0, n_in - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, pos - lo

    ylo, yhi, fy = axis(h, h0)
    xlo, xhi, fx = axis(w, w0)
    top = x[ylo][:, xlo] * (1 - fx)[None, :, None] + x[ylo][:, xhi] * fx[None, :, None]
    bottom = x[yhi][:, xlo] * (1 - fx)[None, :, None] + x[yhi][:, xhi] * fx[None, :, None]
    return top * (1 - fy)[:, None, None] + bottom * fy[:, None, None]


def vgg_forward(params: dict, image_rgb01: np.ndarray, blocks, mean_bgr, hed_head=False) -> dict:
    x = image_rgb01[..., ::-1].astype(np.float64) * 255.0 - np.asarray(mean_bgr)
    acts, block_outputs = {}, []
    for b, n_convs in enumerate(blocks, start=1):
        for i in range(1, n_convs + 1):
            name = f"block{b}_conv{i}"
            p = {k: np.asarray(v) for k, v in params[name].items()}
            x = np.maximum(conv_same(x, p["kernel"], p["bias"]), 0.0)
            acts[name] = x
        block_outputs.append(x)
        x = max_pool_same(x)
        acts[f"block{b}_pool"] = x
    if hed_head:
        h, w = block_outputs[0].shape[:2]
        sides = []
        for k, feats in enumerate(block_outputs, start=1):
            p = {n: np.asarray(v) for n, v in params[f"hed_dsn{k}"].items()}
            side = conv_same(feats, p["kernel"], p["bias"])
            sides.append(bilinear_upsample(side, h, w) if k > 1 else side)
        p = {n: np.asarray(v) for n, v in params["hed_fuse"].items()}
        acts["hed_edges"] = 1.0 / (1.0 + np.exp(-conv_same(np.concatenate(sides, -1), p["kernel"], p["bias"])))
    return acts
