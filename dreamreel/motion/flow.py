"""Optical flow and flow reliability, for temporally consistent video (Ruder et al. 2016).

optical_flow(frame_a (H, W, 3), frame_b (H, W, 3), method="dis", preset="medium") -> flow (H, W, 2) float32
flow_pair(prev (H, W, 3), next (H, W, 3), method="dis", preset="medium") -> (forward (H, W, 2), backward (H, W, 2))
(warping by a flow: motion.warp.warp(image, flow_coords(flow), "linear", border="edge") = image(x + flow(x)))
reliability_mask(flow (H, W, 2), reverse (H, W, 2)) -> (H, W) float32 in {0, 1}, on flow's grid

Flow convention (one for the whole package). flow[y, x] = (dx, dy) in pixels, dx along columns, dy along rows;
`optical_flow(a, b)` says where each pixel of `a` went to in `b`:

    b(x + flow(x)) ~= a(x)          ("pull" / backward-warping convention, the same as OpenCV's)

and warping by a flow reads the image there: `warp(image, flow_coords(flow), "linear", border="edge")(x) =
image(x + flow(x))` (motion.warp, the one host warp; bilinear, the border pixel repeated outside the frame), so

    warp(b, flow_coords(optical_flow(a, b)), "linear", border="edge") ~= a

For video: `forward, backward = flow_pair(prev, next)`; then warping previous_output by `backward` aligns the
previous stylised frame with `next`, and `reliability_mask(backward, forward)` is 1 where that is trustworthy
(0 where `next` shows something `prev` did not, or at motion boundaries), as in Ruder et al.'s temporal loss.

The default method, DIS at its MEDIUM preset, was chosen by benchmarks/flow_accuracy.py (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import numpy as np

from ..errors import DreamreelError
from .warp import flow_coords, warp

METHODS = ("dis", "farneback")
DIS_PRESETS = ("ultrafast", "fast", "medium")
DEFAULT_METHOD = "dis"
DEFAULT_PRESET = "medium"
MIN_SIDE = 16  # smaller frames are below the coarsest scale the estimators work at


def _frame(x, name: str) -> np.ndarray:
    array = np.ascontiguousarray(x, dtype=np.float32)
    if array.ndim != 3 or array.shape[2] != 3:
        raise DreamreelError(f"{name} must be an (H, W, 3) RGB frame, got shape {tuple(array.shape)}")
    if min(array.shape[:2]) < MIN_SIDE:
        raise DreamreelError(f"{name} is {array.shape[0]}x{array.shape[1]}: optical flow needs frames of at least "
                             f"{MIN_SIDE}x{MIN_SIDE} pixels")
    if not np.isfinite(array).all():
        raise DreamreelError(f"{name} contains NaN or infinite values")
    return array


def _flow_field(flow, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    array = np.asarray(flow, dtype=np.float32)
    if array.ndim != 3 or array.shape[2] != 2:
        raise DreamreelError(f"{name} must be an (H, W, 2) flow field, got shape {tuple(array.shape)}")
    if shape is not None and array.shape[:2] != tuple(shape[:2]):
        raise DreamreelError(f"{name} is {array.shape[0]}x{array.shape[1]} but the image is "
                             f"{shape[0]}x{shape[1]}: they must be the same size")
    return array


def _gray8(frame: np.ndarray) -> np.ndarray:
    import cv2

    gray = cv2.cvtColor(np.clip(frame, 0.0, 1.0), cv2.COLOR_RGB2GRAY)
    return np.round(gray * 255.0).astype(np.uint8)


def _farneback(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    import cv2

    # pyramid down to ~16 px on the short side; a box window of about a tenth of the short side (15..45 px):
    # wider windows fill in low-texture areas better, and the box beat the Gaussian window at 640x360
    short = min(a.shape[:2])
    levels = max(1, int(np.log2(short / 16.0)) + 1)
    window = int(np.clip(short // 10 | 1, 15, 45))
    return cv2.calcOpticalFlowFarneback(a, b, None, pyr_scale=0.5, levels=levels, winsize=window, iterations=3,
                                        poly_n=5, poly_sigma=1.1, flags=0)


def optical_flow(frame_a, frame_b, method: str = DEFAULT_METHOD, preset: str = DEFAULT_PRESET) -> np.ndarray:
    """Dense flow from frame_a to frame_b: (H, W, 2) float32 with frame_b(x + flow(x)) ~= frame_a(x).

    method: "dis" (OpenCV's Dense Inverse Search) or "farneback"; preset (DIS only): "ultrafast", "fast", "medium".
    The frames are compared in 8-bit grey, as both OpenCV estimators require.
    """
    import cv2

    if method not in METHODS:
        raise DreamreelError(f"unknown optical flow method {method!r}: use one of {', '.join(METHODS)}")
    if preset not in DIS_PRESETS:
        raise DreamreelError(f"unknown DIS preset {preset!r}: use one of {', '.join(DIS_PRESETS)}")
    a, b = _frame(frame_a, "frame_a"), _frame(frame_b, "frame_b")
    if a.shape != b.shape:
        raise DreamreelError(f"frame_a is {a.shape[0]}x{a.shape[1]} but frame_b is {b.shape[0]}x{b.shape[1]}: "
                             "optical flow needs two frames of the same size")
    ga, gb = _gray8(a), _gray8(b)
    if method == "farneback":
        flow = _farneback(ga, gb)
    else:
        codes = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
                 "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}
        flow = cv2.DISOpticalFlow_create(codes[preset]).calc(ga, gb, None)
    return np.ascontiguousarray(flow, dtype=np.float32)


def flow_pair(prev, next, method: str = DEFAULT_METHOD, preset: str = DEFAULT_PRESET):  # noqa: A002
    """(forward, backward) = (optical_flow(prev, next), optical_flow(next, prev)), each (H, W, 2) float32.

    forward lives on prev's pixel grid, backward on next's; warp(prev, backward) ~= next."""
    return (optical_flow(prev, next, method=method, preset=preset),
            optical_flow(next, prev, method=method, preset=preset))


def _gradient_energy(flow: np.ndarray) -> np.ndarray:
    """|grad u|^2 + |grad v|^2 with central differences (f[x+1] - f[x-1]) / 2, border repeated."""
    padded = np.pad(flow, ((1, 1), (1, 1), (0, 0)), mode="edge")
    ddx = (padded[1:-1, 2:] - padded[1:-1, :-2]) / 2.0
    ddy = (padded[2:, 1:-1] - padded[:-2, 1:-1]) / 2.0
    return (ddx**2 + ddy**2).sum(axis=-1)


def reliability_mask(flow, reverse, motion_boundaries: bool = True,
                     consistency: tuple[float, float] = (0.01, 0.5),
                     boundary: tuple[float, float] = (0.01, 0.002)) -> np.ndarray:
    """Where `flow` (frame A -> B, on A's grid) can be trusted: (H, W) float32, 1 reliable, 0 not.

    `reverse` is the flow B -> A. Following Ruder et al. (2016), with w = flow(x) and r = reverse(x + w):
      * disocclusion / inconsistency: 0 where |w + r|^2 > c0 (|w|^2 + |r|^2) + c1,  (c0, c1) = consistency,
        and where x + w falls outside B;
      * motion boundary (if motion_boundaries): 0 where |grad w|^2 > b0 |w|^2 + b1,  (b0, b1) = boundary,
        with |grad w|^2 = |grad u|^2 + |grad v|^2 of the checked flow.
    For the temporal loss of frame t (previous output warped by the backward flow) call
    reliability_mask(backward, forward): the mask then lives on frame t's grid.
    """
    flow = _flow_field(flow, "flow")
    reverse = _flow_field(reverse, "reverse flow", flow.shape)
    h, w = flow.shape[:2]
    back = warp(reverse, flow_coords(flow), "linear", border="edge")  # reverse flow sampled where each pixel lands
    landing_x = np.arange(w, dtype=np.float32)[None, :] + flow[..., 0]
    landing_y = np.arange(h, dtype=np.float32)[:, None] + flow[..., 1]
    inside = (landing_x >= 0) & (landing_x <= w - 1) & (landing_y >= 0) & (landing_y <= h - 1)
    round_trip = ((flow + back) ** 2).sum(axis=-1)
    magnitude = (flow**2).sum(axis=-1)
    consistent = round_trip <= consistency[0] * (magnitude + (back**2).sum(axis=-1)) + consistency[1]
    reliable = inside & consistent
    if motion_boundaries:
        reliable &= _gradient_energy(flow) <= boundary[0] * magnitude + boundary[1]
    return reliable.astype(np.float32)
