"""Keyframed values with easing: any number of a preset (a camera move, an objective's weight) may change over time.

ease(name, t) -> float                   t in [0, 1] -> the share of a segment's change done by then, in [0, 1]
Keyframe(at, value, easing)              `at` a frame index or a share of the clip ("50%")
Track(keys).at(frame, frames, loop=False) -> float     the value at a (fractional) frame; Track.constant(v)
parse_track(value, name, low=None, high=None, low_open=False) -> Track    a number or [[frame, value, easing], ...]
track(low=None, high=None, low_open=False) -> check     a settings field check (core.fields) parsing into a Track

In a loop a track is periodic with the clip's length: the last keyframe eases into the first one, `frames` frames
later. Easings: linear, ease_in (t^2), ease_out, ease_in_out (smoothstep: zero speed at both ends), hold.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import DreamreelError

EASINGS = ("linear", "ease_in", "ease_out", "ease_in_out", "hold")


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


def track(low: float | None = None, high: float | None = None, low_open: bool = False):
    """A check for settings fields holding a Track: a Track passes, anything else is parsed (and bounded)."""

    def check(value, key):
        if isinstance(value, Track):
            return value
        return parse_track(value, key, low=low, high=high, low_open=low_open)

    check.kind = Track
    return check
