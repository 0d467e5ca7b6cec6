"""Camera moves of feedback animations: one affine resampling per frame, and keyframed parameters with easing.

move_matrix(move, (H, W)) -> (3, 3) float64   where a pixel (x, y, 1) of the previous frame lands in the next one
warp(image, matrix, interpolation="lanczos") -> image       (H, W, 3) float32 in [0, 1] -> the same shape
validity_mask(matrix, (H, W), feather) -> (H, W) float32    1 where `warp` read inside the source, 0 outside
ease(name, t) -> float                                      t in [0, 1] -> eased t in [0, 1]
Track.at(frame, frames, loop=False) -> float                a keyframed value at a (fractional) frame
Camera.at(frame, frames, loop=False) -> Move;  Camera.matrix(frame, (H, W), frames, loop) -> (3, 3)

Moves are per frame: `zoom` 1.02 magnifies the picture by 2 % about the centre of the frame (the classic "crop the
margins and resize back"), `rotate` turns it counter-clockwise on screen by that many degrees, `pan_x` / `pan_y`
move the camera right / down by that many pixels (so the picture slides left / up). Pixel centres sit at integer
coordinates and the centre of the frame is ((W - 1) / 2, (H - 1) / 2), so a pure zoom or rotation keeps the centre
exactly where it is, whatever the parity of the size.

Resampling. The warp runs on the host with OpenCV (cv2.remap, float64 coordinates: no drift of the centre) and its
8x8 Lanczos kernel (INTER_LANCZOS4). In a feedback loop every frame is resampled again, so the interpolator's frequency response is raised to the power of
the number of frames. Measured (tests/test_frames.py) on a 96 px photo over 50 frames of sub-pixel moves (0.5 px
pans, 0.5 degree turns, 1 % zooms) against a single warp by the whole move, the share of fine detail (mean squared
Laplacian) kept: bilinear 0.1-5 % (a blur that eats everything: and JAX's map_coordinates offers nothing better
than linear), bicubic 62-98 % (and, unclipped, OpenCV's a = -0.75 kernel amplifies mid frequencies by up to 2.5 % a
frame: ringing), Lanczos-4 72-102 % (within 1 % of flat up to 0.6 of Nyquist at any sub-pixel offset).
The dream itself re-creates the finest scale each frame, so the remaining small loss near Nyquist does not accumulate. On CPU the frame is in host memory anyway and
the warp costs milliseconds against seconds of gradient steps, so nothing is gained by doing it in jit. Pixels the
camera brings in from outside the frame (zooming out, rotating, panning) are mirrored from the edge
(BORDER_REFLECT_101) and then dreamed over.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import DreamreelError

INTERPOLATIONS = ("lanczos", "cubic", "linear")
EASINGS = ("linear", "ease_in", "ease_out", "ease_in_out", "hold")


# --- easing and keyframes -----------------------------------------------------------------------------------------

def ease(name: str, t: float) -> float:
    """The share of a segment's change done at time t in [0, 1] of it."""
    t = min(max(float(t), 0.0), 1.0)
    if name == "linear":
        return t
    if name == "ease_in":
        return t * t
    if name == "ease_out":
        return 1.0 - (1.0 - t) ** 2
    if name == "ease_in_out":  # smoothstep: zero speed at both ends
        return t * t * (3.0 - 2.0 * t)
    if name == "hold":
        return 1.0 if t >= 1.0 else 0.0
    raise DreamreelError(f"unknown easing {name!r}; choose one of {', '.join(EASINGS)}")


_PERCENT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")


@dataclass(frozen=True)
class Keyframe:
    """A value at a frame: `at` is a frame index (int) or a share of the clip ("50%"); `easing` shapes the
    segment from this keyframe to the next (as CSS keyframes do)."""

    at: int | str
    value: float
    easing: str = "linear"

    def position(self, frames: int, loop: bool) -> float:
        """The frame this keyframe sits at: "100%" is the last frame, or in a loop frame `frames` (= frame 0)."""
        if isinstance(self.at, str):
            share = float(_PERCENT.match(self.at)[1]) / 100.0
            return share * (frames if loop else max(frames - 1, 0))
        return float(self.at)


@dataclass(frozen=True)
class Track:
    """A parameter over time: keyframes in increasing order, the value held before the first and after the last;
    in a loop the track is periodic (the last keyframe eases into the first one, `frames` frames later)."""

    keys: tuple[Keyframe, ...]

    @staticmethod
    def constant(value: float) -> "Track":
        return Track((Keyframe(0, float(value)),))

    @property
    def is_constant(self) -> bool:
        return len({k.value for k in self.keys}) == 1

    def at(self, frame: float, frames: int, loop: bool = False) -> float:
        if len(self.keys) == 1:
            return self.keys[0].value
        points = [(k.position(frames, loop), k.value, k.easing) for k in self.keys]
        if loop:  # one period from the first keyframe: [first, first + frames], the end being the first again
            start = points[0][0]
            if points[-1][0] < start + frames:
                points.append((start + frames, points[0][1], points[0][2]))
            frame = float(frame) % frames
            frame = frame + frames if frame < start else frame
        if frame <= points[0][0]:
            return points[0][1]
        for (p0, v0, easing), (p1, v1, _) in zip(points, points[1:]):
            if frame < p1:
                return v0 + (v1 - v0) * ease(easing, (frame - p0) / (p1 - p0))
        return points[-1][1]

    def check(self, name: str, frames: int, loop: bool) -> None:
        positions = [k.position(frames, loop) for k in self.keys]
        if any(b <= a for a, b in zip(positions, positions[1:])):
            shown = ", ".join(str(k.at) for k in self.keys)
            raise DreamreelError(f"the keyframes of {name} must be at increasing frames, got {shown} "
                                 f"(with {frames} frames)")
        span = positions[-1] - positions[0]
        if loop and len(positions) > 1 and (span > frames or (span == frames
                                                              and self.keys[-1].value != self.keys[0].value)):
            raise DreamreelError(f"in a loop the keyframes of {name} must lie within one period of {frames} frames "
                                 f"(the last one eases back into the first; one at exactly a period after the first, "
                                 f'such as "100%", must repeat its value); got {positions[0]:g} .. {positions[-1]:g}')

    def describe(self) -> str:
        if len(self.keys) == 1:
            return f"{self.keys[0].value:g}"
        return " -> ".join(f"{k.value:g}@{k.at}" + ("" if k.easing == "linear" else f" ({k.easing})")
                           for k in self.keys)


def parse_track(value, name: str, *, low: float | None = None, high: float | None = None,
                low_open: bool = False) -> Track:
    """A preset's value: a number, or keyframes [[frame, value], [frame, value, "easing"], ...] where frame is an
    index or a share of the clip such as "50%". Errors name the key and what is allowed."""
    allowed = (f'a number or keyframes such as [[0, 1.0], ["100%", 1.05, "ease_in_out"]] '
               f'(frame index or "NN%", value, optional easing: {", ".join(EASINGS)})')
    if _is_number(value):
        track = Track.constant(float(value))
    elif isinstance(value, (list, tuple)) and value:
        keys = []
        for item in value:
            if not (isinstance(item, (list, tuple)) and len(item) in (2, 3)):
                raise DreamreelError(f"{name} must be {allowed}; got the keyframe {item!r}")
            at, val, *rest = item
            if isinstance(at, bool) or not (isinstance(at, int) or (isinstance(at, str) and _PERCENT.match(at))):
                raise DreamreelError(f"the keyframe {item!r} of {name} must start with a frame index (integer) or "
                                     f'a share of the clip such as "50%"')
            if isinstance(at, int) and at < 0:
                raise DreamreelError(f"the keyframe {item!r} of {name} is at a negative frame")
            if not _is_number(val):
                raise DreamreelError(f"the keyframe {item!r} of {name} must have a number as its value")
            easing = rest[0] if rest else "linear"
            if easing not in EASINGS:
                raise DreamreelError(f"unknown easing {easing!r} in the keyframe {item!r} of {name}; "
                                     f"choose one of {', '.join(EASINGS)}")
            keys.append(Keyframe(at, float(val), easing))
        track = Track(tuple(keys))
    else:
        raise DreamreelError(f"{name} must be {allowed}; got {value!r}")
    for key in track.keys:
        v = key.value
        if not math.isfinite(v) or (low is not None and (v <= low if low_open else v < low)) \
                or (high is not None and v > high):
            bounds = []
            if low is not None:
                bounds.append(f"{'>' if low_open else '>='} {low:g}")
            if high is not None:
                bounds.append(f"<= {high:g}")
            raise DreamreelError(f"{name} must be {' and '.join(bounds) or 'finite'}; got {v:g}")
    return track


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- the camera ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Move:
    """One frame's move: zoom factor (> 1 goes in), degrees counter-clockwise, camera pan in pixels."""

    zoom: float = 1.0
    rotate: float = 0.0
    pan_x: float = 0.0
    pan_y: float = 0.0


@dataclass(frozen=True)
class Camera:
    zoom: Track = Track.constant(1.0)
    rotate: Track = Track.constant(0.0)
    pan_x: Track = Track.constant(0.0)
    pan_y: Track = Track.constant(0.0)

    def at(self, frame: float, frames: int, loop: bool = False) -> Move:
        return Move(*(getattr(self, name).at(frame, frames, loop) for name in ("zoom", "rotate", "pan_x", "pan_y")))

    def matrix(self, frame: float, size: tuple[int, int], frames: int, loop: bool = False) -> np.ndarray:
        return move_matrix(self.at(frame, frames, loop), size)


def move_matrix(move: Move, size: tuple[int, int]) -> np.ndarray:
    """p' = c + zoom * R(rotate) (p - c) - pan, as a 3x3 matrix on (x, y, 1), c the centre of the frame."""
    height, width = size
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    a = math.radians(move.rotate)
    cos, sin = move.zoom * math.cos(a), move.zoom * math.sin(a)
    linear = np.array([[cos, sin], [-sin, cos]])  # y points down: this turns the picture counter-clockwise
    centre = np.array([cx, cy])
    matrix = np.eye(3)
    matrix[:2, :2] = linear
    matrix[:2, 2] = centre - linear @ centre - np.array([move.pan_x, move.pan_y])
    return matrix


def chain(matrices: Sequence[np.ndarray]) -> np.ndarray:
    """The single move equal to applying `matrices` in order (first one first)."""
    result = np.eye(3)
    for m in matrices:
        result = m @ result
    return result


_CV_INTERPOLATION = {"lanczos": "INTER_LANCZOS4", "cubic": "INTER_CUBIC", "linear": "INTER_LINEAR"}


def _source_coords(matrix: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """For every output pixel q, where matrix^-1 q lies in the source (x and y maps, float64)."""
    height, width = size
    inverse = np.linalg.inv(matrix)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    return (inverse[0, 0] * xs + inverse[0, 1] * ys + inverse[0, 2],
            inverse[1, 0] * xs + inverse[1, 1] * ys + inverse[1, 2])


def warp(image: np.ndarray, matrix: np.ndarray, interpolation: str = "lanczos") -> np.ndarray:
    """The image moved by `matrix` (a pixel at p lands at matrix @ p): out(q) = image(matrix^-1 q), one resampling,
    mirrored at the borders, clipped back to [0, 1]. The source coordinates are computed in float64 and handed to
    cv2.remap as float maps: warpAffine's own fixed-point coordinates round with a bias that moved the centre of a
    64 px frame by 0.04 px over 50 frames; these maps keep it within 1e-5 px."""
    import cv2

    if interpolation not in _CV_INTERPOLATION:
        raise DreamreelError(f"unknown interpolation {interpolation!r}; choose one of {', '.join(INTERPOLATIONS)}")
    image = np.asarray(image, np.float32)
    sx, sy = _source_coords(matrix, image.shape[:2])
    out = cv2.remap(image, sx.astype(np.float32), sy.astype(np.float32),
                    getattr(cv2, _CV_INTERPOLATION[interpolation]), borderMode=cv2.BORDER_REFLECT_101)
    return np.clip(out, 0.0, 1.0, out=out)


def validity_mask(matrix: np.ndarray, size: tuple[int, int], feather: float = 4.0) -> np.ndarray:
    """(H, W) weights in [0, 1]: 1 where warp(image, matrix) reads at least `feather` output pixels inside the source
    image, falling linearly to 0 at its edge (and 0 outside), so a blend with it has no visible seam."""
    height, width = size
    sx, sy = _source_coords(matrix, size)
    inside = np.minimum(np.minimum(sx + 0.5, width - 0.5 - sx), np.minimum(sy + 0.5, height - 0.5 - sy))
    scale = math.sqrt(abs(np.linalg.det(matrix[:2, :2])))  # source pixels -> output pixels
    return np.clip(inside * scale / max(feather, 1e-6), 0.0, 1.0).astype(np.float32)
