"""Synthetic clips with known motion, for testing (and benchmarking) optical flow and warping.

pan_clip(image, n, dx, dy, size=None) -> SyntheticClip       content moves by (dx, dy) px per frame
zoom_clip(image, n, factor, size=None) -> SyntheticClip       content magnified by `factor` per frame about the centre
rotate_clip(image, n, degrees, size=None) -> SyntheticClip    content turned by `degrees` per frame about the centre
moving_square_clip(background, n, ...) -> SyntheticClip      a textured square slides over a static background

A SyntheticClip holds n frames (H, W, 3) float32 in [0, 1] and, for each of the n - 1 consecutive pairs, the true
flows in dreamreel.flow's convention (flow[y, x] = (dx, dy); frame_b(x + flow(x)) == frame_a(x)):
    forward[k]        (H, W, 2) frame k -> k + 1          backward[k]        (H, W, 2) frame k + 1 -> k
    valid_forward[k]  (H, W) bool on frame k's grid: the point is seen in frame k + 1 (lands inside it, not hidden)
    valid_backward[k] (H, W) bool on frame k + 1's grid: the point is seen in frame k
    coverage          moving_square_clip only: per frame, the (H, W) fraction of each pixel covered by the square

Frames are rendered by resampling the source once per frame (Lanczos), never by resampling a previous frame, so
every frame has the same sharpness and the true flow is exact. Affine clips only sample inside the source image.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

_MARGIN = 4  # pixels kept clear of the source border (Lanczos-4 support)


class SyntheticClip(NamedTuple):
    frames: list
    forward: list
    backward: list
    valid_forward: list
    valid_backward: list
    coverage: list | None = None


def _homogeneous(m: np.ndarray) -> np.ndarray:
    return np.vstack([m, [0.0, 0.0, 1.0]])


def _grid(h: int, w: int) -> np.ndarray:
    """(H, W, 3) homogeneous pixel coordinates (x, y, 1); pixel centres at integers."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    return np.stack([xs, ys, np.ones_like(xs)], axis=-1)


def _render(source: np.ndarray, to_source: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """frame(x) = source(to_source @ (x, 1)) for a 2x3 matrix mapping frame pixels to source pixels."""
    h, w = size
    out = cv2.warpAffine(np.asarray(source, np.float32), to_source.astype(np.float64), (w, h),
                         flags=cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT_101)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _inside(points: np.ndarray, h: int, w: int) -> np.ndarray:
    return (points[..., 0] >= 0) & (points[..., 0] <= w - 1) & (points[..., 1] >= 0) & (points[..., 1] <= h - 1)


def _affine_clip(source: np.ndarray, matrices: list[np.ndarray], size: tuple[int, int]) -> SyntheticClip:
    """Frames from 2x3 frame->source matrices; the true flow k -> k+1 is M_{k+1}^-1 M_k x - x."""
    h, w = size
    sh, sw = source.shape[:2]
    grid = _grid(h, w)
    corners = np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]], np.float64)
    for m in matrices:
        seen = corners @ m.T
        if seen.min() < 0 or seen[:, 0].max() > sw - 1 or seen[:, 1].max() > sh - 1:
            raise ValueError(f"a {h}x{w} frame does not fit inside the {sh}x{sw} source: use a smaller size")
    frames = [_render(source, m, size) for m in matrices]
    forward, backward, valid_f, valid_b = [], [], [], []
    for a, b in zip(matrices[:-1], matrices[1:]):
        a3, b3 = _homogeneous(a), _homogeneous(b)
        to_next = grid @ (np.linalg.inv(b3) @ a3).T
        to_prev = grid @ (np.linalg.inv(a3) @ b3).T
        forward.append((to_next[..., :2] - grid[..., :2]).astype(np.float32))
        backward.append((to_prev[..., :2] - grid[..., :2]).astype(np.float32))
        valid_f.append(_inside(to_next, h, w))
        valid_b.append(_inside(to_prev, h, w))
    return SyntheticClip(frames, forward, backward, valid_f, valid_b)


def _as_source(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, np.float32)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {image.shape}")
    return image


def pan_clip(image: np.ndarray, n: int, dx: float, dy: float, size: tuple[int, int] | None = None) -> SyntheticClip:
    """A camera pan: the content moves by (+dx, +dy) pixels per frame (so the true flow is (dx, dy) everywhere).

    Default size: the largest frame whose window stays inside `image` over the whole clip."""
    source = _as_source(image)
    sh, sw = source.shape[:2]
    span_x, span_y = (n - 1) * abs(dx), (n - 1) * abs(dy)
    if size is None:
        size = (sh - math.ceil(span_y) - 2 * _MARGIN, sw - math.ceil(span_x) - 2 * _MARGIN)
    h, w = size
    # frame k shows source(x + origin - k d); the origin centres the swept window in the source
    ox = (sw - 1 - (w - 1) - span_x) / 2 + (n - 1) * max(dx, 0.0)
    oy = (sh - 1 - (h - 1) - span_y) / 2 + (n - 1) * max(dy, 0.0)
    matrices = [np.array([[1.0, 0.0, ox - k * dx], [0.0, 1.0, oy - k * dy]]) for k in range(n)]
    return _affine_clip(source, matrices, (h, w))


def _about_centre(linear: np.ndarray, frame_size: tuple[int, int], source_shape) -> np.ndarray:
    """2x3 matrix: frame pixel x -> source centre + linear @ (x - frame centre)."""
    h, w = frame_size
    cf = np.array([(w - 1) / 2, (h - 1) / 2])
    cs = np.array([(source_shape[1] - 1) / 2, (source_shape[0] - 1) / 2])
    return np.hstack([linear, (cs - linear @ cf)[:, None]])


def zoom_clip(image: np.ndarray, n: int, factor: float, size: tuple[int, int] | None = None) -> SyntheticClip:
    """A zoom about the centre: frame k shows the content magnified by factor**k (factor > 1 zooms in).

    The true flow is (factor - 1) * (x - centre) per frame. Default size: the centre crop of `image` that stays
    inside it over the whole clip."""
    source = _as_source(image)
    sh, sw = source.shape[:2]
    if size is None:
        shrink = min(1.0, factor ** (n - 1))
        size = (int((sh - 2 * _MARGIN) * shrink), int((sw - 2 * _MARGIN) * shrink))
    matrices = [_about_centre(np.eye(2) / factor**k, size, source.shape) for k in range(n)]
    return _affine_clip(source, matrices, size)


def rotate_clip(image: np.ndarray, n: int, degrees: float, size: tuple[int, int] | None = None) -> SyntheticClip:
    """A rotation about the centre: the content turns by `degrees` per frame (positive: anticlockwise on screen).

    Default size: the largest frame of the image's aspect that stays inside it at every angle of the clip."""
    source = _as_source(image)
    sh, sw = source.shape[:2]
    if size is None:
        total = math.radians(min(abs(degrees) * (n - 1), 90.0))
        c, s = math.cos(total), math.sin(total)
        scale = min((sw - 2 * _MARGIN) / (sw * c + sh * s), (sh - 2 * _MARGIN) / (sw * s + sh * c))
        size = (int(sh * scale), int(sw * scale))

    def to_source(k):
        # y points down, so turning the content anticlockwise on screen by t maps frame x to R x with:
        t = math.radians(degrees * k)
        return np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])

    matrices = [_about_centre(to_source(k), size, source.shape) for k in range(n)]
    return _affine_clip(source, matrices, size)


def _box_coverage(h: int, w: int, left: float, top: float, side: float) -> np.ndarray:
    """(H, W) fraction of each pixel (the unit square around its centre) inside the box [left, left+side] x ..."""
    xs, ys = np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64)
    cover_x = np.clip(np.minimum(xs + 0.5, left + side) - np.maximum(xs - 0.5, left), 0.0, 1.0)
    cover_y = np.clip(np.minimum(ys + 0.5, top + side) - np.maximum(ys - 0.5, top), 0.0, 1.0)
    return np.outer(cover_y, cover_x)


def moving_square_clip(background: np.ndarray, n: int, side: int | None = None,
                       velocity: tuple[float, float] = (2.5, 1.5), start: tuple[float, float] | None = None,
                       texture: np.ndarray | None = None) -> SyntheticClip:
    """A textured square (side `side`, top-left corner at start + k * velocity) slides over a static background.

    The square carries `texture` (default: the background turned upside down) with it; its edges are
    anti-aliased by exact pixel coverage. True flow: `velocity` on the square (coverage >= 0.5), 0 elsewhere.
    Not valid: pixels hidden in the other frame (background the square covers or uncovers) and mixed edge pixels.
    Default side: a quarter of the shorter frame side; default start: the square centred at mid-clip.
    """
    bg = _as_source(background)
    h, w = bg.shape[:2]
    vx, vy = velocity
    side = side or min(h, w) // 4
    if start is None:
        start = ((w - side) / 2 - vx * (n - 1) / 2, (h - side) / 2 - vy * (n - 1) / 2)
    tex = _as_source(texture) if texture is not None else bg[::-1, ::-1].copy()

    frames, coverage = [], []
    for k in range(n):
        left, top = start[0] + k * vx, start[1] + k * vy
        # the texture's origin moves with the square: square pixel x shows texture(x - corner + texture centre)
        shift = np.array([[1.0, 0.0, (tex.shape[1] - side) / 2 - left], [0.0, 1.0, (tex.shape[0] - side) / 2 - top]])
        square = _render(tex, shift, (h, w))
        alpha = _box_coverage(h, w, left, top, side)[..., None].astype(np.float32)
        frames.append((alpha * square + (1.0 - alpha) * bg).astype(np.float32))
        coverage.append(alpha[..., 0])

    forward, backward, valid_f, valid_b = [], [], [], []
    grid = _grid(h, w)
    for k in range(n - 1):
        on_a, on_b = coverage[k] >= 0.5, coverage[k + 1] >= 0.5
        mixed_a = (coverage[k] > 0) & (coverage[k] < 1)
        mixed_b = (coverage[k + 1] > 0) & (coverage[k + 1] < 1)
        fw = np.where(on_a[..., None], np.float32([vx, vy]), np.float32(0)).astype(np.float32)
        bw = np.where(on_b[..., None], np.float32([-vx, -vy]), np.float32(0)).astype(np.float32)
        # a background pixel is seen in the other frame only if the square does not cover it there
        valid_f.append(_inside(grid[..., :2] + fw, h, w) & ~mixed_a & (on_a | (coverage[k + 1] == 0)))
        valid_b.append(_inside(grid[..., :2] + bw, h, w) & ~mixed_b & (on_b | (coverage[k] == 0)))
        forward.append(fw)
        backward.append(bw)
    return SyntheticClip(frames, forward, backward, valid_f, valid_b, coverage)


# --- small shared helpers of the tests ------------------------------------------------------------------------------

def painting(size=(32, 32), seed=1) -> np.ndarray:
    """A stand-in style image: stripes plus colour noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: size[0], : size[1]]
    stripes = 0.5 + 0.4 * np.sin((x + 2 * y) / 2.5)
    image = np.stack([stripes, 1 - stripes, 0.5 + 0.2 * np.cos(x / 3.0)], -1)
    return np.clip(image + 0.1 * rng.standard_normal(image.shape), 0, 1).astype(np.float32)


def write_clip(path, frames, fps, **options):
    """The frames written as a video with dreamreel's own writer."""
    from dreamreel.io import open_writer

    with open_writer(path, fps, **options) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def ffmpeg(*args: str):
    """Run the bundled ffmpeg quietly (raises if it fails)."""
    import subprocess

    from dreamreel.io import ffmpeg_exe

    return subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
                          capture_output=True, check=True)
