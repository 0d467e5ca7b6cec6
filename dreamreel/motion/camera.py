"""Camera moves of feedback animations: small classes, each turning keyframed parameters into a 3x3 matrix per frame.

Move.matrix(frame, (H, W), frames, loop=False) -> (3, 3) float64    where a pixel (x, y, 1) of the previous frame
    lands in the next one (apply it with motion.warp.warp)
Zoom(factor), Rotate(degrees), Pan(x, y), Shake(amplitude, period, seed): the moves; every parameter is a Track
Camera(moves).matrix(frame, (H, W), frames, loop=False) -> (3, 3)    the moves applied in order (first one first)
Camera.from_settings({"zoom": 1.02, "pan_x": [[0, 0.0], ["100%", 3.0]], ...}) -> Camera    one key per move field
    (MOVES' settings_keys()); absent keys keep their defaults, so the camera is the identity by default
chain(matrices) -> (3, 3)     the single move equal to applying `matrices` in order
about_centre(linear (2, 2), (H, W)) -> (3, 3)    the linear map applied about the centre of the frame

Moves are per frame: `zoom` 1.02 magnifies the picture by 2 % about the centre of the frame (the classic "crop the
margins and resize back"), `rotate` turns it counter-clockwise on screen by that many degrees, `pan_x` / `pan_y`
move the camera right / down by that many pixels (so the picture slides left / up), `shake` moves the camera by a
smooth pseudo-random offset of up to that many pixels that never drifts away. Pixel centres sit at integer
coordinates and the centre of the frame is ((W - 1) / 2, (H - 1) / 2), so a pure zoom or rotation keeps the centre
exactly where it is, whatever the parity of the size.

A new move is one small class here: a frozen dataclass whose fields are settings (core.fields.setting with a
keyframes.track check; `flag` names the preset key), a matrix() method, and the @move decorator.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np

from ..core.fields import integer, number, setting
from ..errors import DreamreelError
from .keyframes import Track, track

MOVES: dict[str, type] = {}  # name -> move class, in the order the camera applies them


def move(cls):
    """Register a move class (a name used twice is refused); its fields are checked on creation."""
    if cls.name in MOVES:
        raise ValueError(f"a camera move named {cls.name!r} is already registered")
    MOVES[cls.name] = cls
    return cls


def settings_keys(cls) -> dict[str, dataclasses.Field]:
    """The preset keys of a move's fields: the field's flag, else '<move>_<field>'."""
    return {f.metadata.get("flag") or f"{cls.name}_{f.name}": f for f in dataclasses.fields(cls)}


def about_centre(linear: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    height, width = size
    centre = np.array([(width - 1) / 2.0, (height - 1) / 2.0])
    matrix = np.eye(3)
    matrix[:2, :2] = linear
    matrix[:2, 2] = centre - linear @ centre
    return matrix


def translation(dx: float, dy: float) -> np.ndarray:
    matrix = np.eye(3)
    matrix[:2, 2] = dx, dy
    return matrix


def chain(matrices: Sequence[np.ndarray]) -> np.ndarray:
    result = np.eye(3)
    for m in matrices:
        result = m @ result
    return result


class Move:
    """Base of the moves: validates its fields; subclasses give `name` and matrix()."""

    name: ClassVar[str]

    def __post_init__(self):  # errors name the preset key, e.g. "camera.zoom must be ..."
        for key, f in settings_keys(type(self)).items():
            object.__setattr__(self, f.name, f.metadata["check"](getattr(self, f.name), f"camera.{key}"))

    def matrix(self, frame: float, size: tuple[int, int], frames: int, loop: bool = False) -> np.ndarray:
        raise NotImplementedError

    def tracks(self) -> dict[str, Track]:
        return {k: getattr(self, f.name) for k, f in settings_keys(type(self)).items()
                if isinstance(getattr(self, f.name), Track)}


@move
@dataclass(frozen=True)
class Zoom(Move):
    name = "zoom"
    factor: Track = setting(Track.constant(1.0), track(0.25, 4.0), "zoom per frame (> 1 goes in)", flag="zoom")

    def matrix(self, frame, size, frames, loop=False):
        return about_centre(self.factor.at(frame, frames, loop) * np.eye(2), size)


@move
@dataclass(frozen=True)
class Rotate(Move):
    name = "rotate"
    degrees: Track = setting(Track.constant(0.0), track(-45.0, 45.0), "degrees per frame, counter-clockwise",
                             flag="rotate")

    def matrix(self, frame, size, frames, loop=False):
        a = math.radians(self.degrees.at(frame, frames, loop))
        return about_centre(np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]]), size)  # y is down


@move
@dataclass(frozen=True)
class Pan(Move):
    name = "pan"
    x: Track = setting(Track.constant(0.0), track(-1000.0, 1000.0), "camera moves right, pixels per frame")
    y: Track = setting(Track.constant(0.0), track(-1000.0, 1000.0), "camera moves down, pixels per frame")

    def matrix(self, frame, size, frames, loop=False):
        return translation(-self.x.at(frame, frames, loop), -self.y.at(frame, frames, loop))


@move
@dataclass(frozen=True)
class Shake(Move):
    """A hand-held wobble: the picture sits at a smooth pseudo-random offset d(frame) of up to `amplitude` pixels,
    two sines per axis with seeded phases; each frame moves by d(frame) - d(frame - 1), so it never drifts. In a
    loop the sines make whole cycles over the clip, so the last frame flows into the first."""

    name = "shake"
    amplitude: Track = setting(Track.constant(0.0), track(0.0, 1000.0), "camera shake, pixels", flag="shake")
    period: float = setting(12.0, number(2.0, 100_000.0), "frames per wobble of the shake")
    seed: int = setting(0, integer(0), "the shake's random phases")

    def offset(self, frame: float, frames: int, loop: bool) -> np.ndarray:
        cycles = np.array([1.0, 1.618]) / self.period  # incommensurate: no visible repetition
        if loop:
            cycles = np.maximum(1.0, np.round(cycles * frames)) / frames
        phases = np.random.default_rng(self.seed).uniform(0.0, 2 * math.pi, (2, 2))  # (axis, sine)
        waves = np.sin(2 * math.pi * cycles[None, :] * frame + phases) @ np.array([0.6, 0.4])
        return self.amplitude.at(frame, frames, loop) * waves

    def matrix(self, frame, size, frames, loop=False):
        return translation(*(self.offset(frame, frames, loop) - self.offset(frame - 1, frames, loop)))


@dataclass(frozen=True)
class Camera:
    moves: tuple[Move, ...] = ()

    @staticmethod
    def from_settings(values: Mapping[str, Any]) -> "Camera":
        unknown = set(values) - {k for cls in MOVES.values() for k in settings_keys(cls)}
        if unknown:
            known = ", ".join(k for cls in MOVES.values() for k in settings_keys(cls))
            raise DreamreelError(f"unknown camera setting {sorted(unknown)[0]!r}; known: {known}")
        moves = []
        for cls in MOVES.values():
            given = {f.name: values[k] for k, f in settings_keys(cls).items() if k in values}
            moves.append(cls(**given))
        return Camera(tuple(moves))

    def matrix(self, frame: float, size: tuple[int, int], frames: int, loop: bool = False) -> np.ndarray:
        return chain([m.matrix(frame, size, frames, loop) for m in self.moves])

    def check(self, frames: int, loop: bool) -> None:
        """Every keyframed parameter's keyframes fit the clip (see Track.check)."""
        for m in self.moves:
            for key, t in m.tracks().items():
                t.check(f"camera.{key}", frames, loop)
