"""The Writer protocol, its settings and the registry of writers by kind and suffix.

Writer(path, settings): .write(frame (H, W, 3) float32 in [0, 1] or uint8), .close() -> Path (publishes the output
atomically, then the sidecar JSON if any), .abort() (leaves nothing); a context manager: an exception in the block
aborts. A writer stages everything in a staging folder of its own beside the output (io.staging).
WriterSettings(fps, quality, preset, odd_size, comment, title, audio, audio_start, audio_end, gif_dither, sidecar)
    validated on creation; each field carries its default, check and help (core.fields)
PipeWriter: a Writer streaming raw frames into one ffmpeg process (subclasses give output_args() and result())
@register: a Writer subclass with `kind` and `suffixes` (or folder = True) joins the registry; a kind or suffix
    registered twice is refused. writer_class(path) -> the class for a path (every module in this folder is
    imported first, so a new format is one new file here).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib
import os
import pkgutil
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ...core.fields import choice, integer, number, setting, text, validate
from ...errors import DreamreelError
from ..ffmpeg import FramePipe
from ..sidecar import write_sidecar
from ..staging import publish, staged_folder

X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
GIF_DITHERS = ("sierra2_4a", "sierra2", "sierra3", "floyd_steinberg", "burkes", "atkinson", "heckbert", "bayer",
               "none")


def _optional(check):
    def optional(value, key):
        return None if value is None else check(value, key)

    optional.kind = getattr(check, "kind", None)
    return optional


def _path(value, key):
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise DreamreelError(f"{key} must be a file path; got {value!r}")
    return Path(value)


def _mapping(value, key):
    if not isinstance(value, dict):
        raise DreamreelError(f"{key} must be a dict of JSON values; got {value!r}")
    return value


@dataclasses.dataclass(frozen=True)
class WriterSettings:
    fps: float = setting(24.0, number(0, 1000, low_open=True), "frames per second")
    quality: int = setting(18, integer(0, 51), "H.264 CRF of an MP4: 0 lossless .. 51 worst (18 looks lossless)")
    preset: str = setting("medium", choice(X264_PRESETS), "x264 speed preset of an MP4 (slower: smaller file)")
    odd_size: str = setting("pad", choice(("pad", "crop")),
                            "an MP4 needs an even size: pad (repeat the edge) or crop an odd width/height by 1 px")
    comment: str | None = setting(None, _optional(text), "comment stored in an MP4's metadata")
    title: str | None = setting(None, _optional(text), "title stored in an MP4's metadata")
    audio: Path | None = setting(None, _optional(_path), "a clip whose audio an MP4 keeps (trimmed, as AAC)")
    audio_start: float = setting(0.0, number(0), "where the kept audio starts in that clip, seconds")
    audio_end: float | None = setting(None, _optional(number(0)), "where it ends (None: its end), seconds")
    gif_dither: str = setting("sierra2_4a", choice(GIF_DITHERS), "dithering of a GIF's 256-colour palette")
    sidecar: dict[str, Any] | None = setting(None, _optional(_mapping), "written as JSON beside the output")

    def __post_init__(self):
        validate(self)
        if self.audio_end is not None and self.audio_end <= self.audio_start:
            raise DreamreelError(f"the audio range {self.audio_start:g} s to {self.audio_end:g} s is empty")


def writer_settings(fps: float, **options) -> WriterSettings:
    """WriterSettings from keyword options; an unknown option is a DreamreelError naming the known ones."""
    known = {f.name for f in dataclasses.fields(WriterSettings)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise DreamreelError(f"unknown writer option {unknown[0]!r}; known: {', '.join(sorted(known - {'fps'}))}")
    try:
        return WriterSettings(fps=fps, **options)
    except DreamreelError as error:
        if "fps must be" in str(error):
            raise DreamreelError(f"the frame rate must be a positive number, got {fps!r}") from None
        raise


def frame_uint8(frame: np.ndarray) -> np.ndarray:
    """An (H, W, 3) uint8 RGB frame from float RGB in [0, 1] (or uint8 passed through as it is)."""
    from ..images import to_float_rgb, to_uint8

    pixels = np.asarray(frame)
    if pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3:
        return np.ascontiguousarray(pixels)
    return to_uint8(to_float_rgb(pixels))


class Writer:
    """Frames in, one output out. Subclasses set `kind`, `suffixes` (or `folder`) and implement start(height,
    width), encode(pixels uint8 (H, W, 3)) and finish() -> the staged result; stop() ends any process early."""

    kind: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]] = ()
    folder: ClassVar[bool] = False  # the output is a folder (paths without a suffix or ending in "/")
    takes_audio: ClassVar[bool] = False

    def __init__(self, path: str | os.PathLike, settings: WriterSettings):
        self.path = Path(os.fspath(path).rstrip("/" + os.sep))
        self.settings = settings
        if settings.audio is not None and not self.takes_audio:
            raise DreamreelError(f"audio can only be kept in an MP4 output, not in {self.path}")
        self.n_frames = 0
        self.frame_shape: tuple[int, int, int] | None = None  # of the frames passed to write()
        self._done = False
        self._stack = contextlib.ExitStack()
        self.stage = self._stack.enter_context(staged_folder(self.path, f"{self.kind} writer"))

    @classmethod
    def check_target(cls, target: Path) -> None:
        """Refuse an existing target this writer cannot replace (called by check_output)."""
        if target.is_dir():
            raise DreamreelError(f"{target} is a folder: choose a file name for the {cls.kind.upper()} output")

    # -- hooks
    def start(self, height: int, width: int) -> None:
        pass

    def encode(self, pixels: np.ndarray) -> None:
        raise NotImplementedError

    def finish(self) -> Path:
        raise NotImplementedError

    def stop(self) -> None:
        pass

    # -- the protocol
    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type, exc, traceback) -> bool:
        if exc_type is not None:
            self.abort()
        else:
            self.close()
        return False

    def __del__(self):
        with contextlib.suppress(Exception):
            if not self._done:
                self.abort()

    def write(self, frame: np.ndarray) -> None:
        """Append one (H, W, 3) frame: float32 RGB in [0, 1] (uint8 RGB is passed through as it is)."""
        if self._done:
            raise DreamreelError(f"the writer for {self.path} is already closed")
        pixels = frame_uint8(frame)
        if self.frame_shape is None:
            self.frame_shape = pixels.shape
            self.start(*pixels.shape[:2])
        elif pixels.shape != self.frame_shape:
            raise DreamreelError(f"frame {self.n_frames} of {self.path} is {pixels.shape[1]}x{pixels.shape[0]}, "
                                 f"but the first was {self.frame_shape[1]}x{self.frame_shape[0]}")
        self.encode(pixels)
        self.n_frames += 1

    def close(self) -> Path:
        """Finish, move the output into place, then write the sidecar JSON (if any); returns the output path."""
        if self._done:
            return self.path
        try:
            if self.n_frames == 0:
                raise DreamreelError(f"no frames were written to {self.path}")
            publish(self.finish(), self.path)
        except BaseException:
            self.abort()
            raise
        self._cleanup()
        if self.settings.sidecar is not None:
            write_sidecar(self.path, self.settings.sidecar)
        return self.path

    def abort(self) -> None:
        """Stop without producing the output; removes every staging file."""
        with contextlib.suppress(Exception):
            self.stop()
        self._cleanup()

    def _cleanup(self) -> None:
        self._done = True
        self._stack.close()


class PipeWriter(Writer):
    """A writer whose frames stream into one ffmpeg process: subclasses give ffmpeg's output arguments (writing
    into self.stage) and the staged file they produce."""

    pipe: FramePipe | None = None

    def output_args(self) -> list[str]:
        raise NotImplementedError

    def result(self) -> Path:
        raise NotImplementedError

    def start(self, height: int, width: int) -> None:
        self.pipe = FramePipe(self.output_args(), (height, width), self.settings.fps, self.stage)

    def encode(self, pixels: np.ndarray) -> None:
        self.pipe.write(pixels, str(self.path))

    def finish(self) -> Path:
        self.pipe.finish(str(self.path))
        return self.result()

    def stop(self) -> None:
        if self.pipe is not None:
            self.pipe.kill()


# --- the registry ----------------------------------------------------------------------------------------------------

REGISTRY: dict[str, type[Writer]] = {}


def register(cls: type[Writer]) -> type[Writer]:
    taken = {s: k for k, c in REGISTRY.items() for s in c.suffixes}
    if cls.kind in REGISTRY and REGISTRY[cls.kind] is not cls:
        raise ValueError(f"a writer of kind {cls.kind!r} is already registered ({REGISTRY[cls.kind].__name__})")
    for suffix in cls.suffixes:
        if taken.get(suffix, cls.kind) != cls.kind:
            raise ValueError(f"the suffix {suffix} is already taken by the {taken[suffix]} writer")
    if cls.folder and any(c.folder and c is not cls for c in REGISTRY.values()):
        raise ValueError("a folder writer is already registered")
    REGISTRY[cls.kind] = cls
    return cls


@functools.cache
def load_writers() -> dict[str, type[Writer]]:
    """Import every module of this folder once (each registers its writer)."""
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name != "base":
            importlib.import_module(f"{__package__}.{module.name}")
    return REGISTRY


def writer_class(path: str | os.PathLike) -> type[Writer]:
    """The writer for `path`: the folder writer for "name/" or a name without a suffix, else the one for its
    suffix, else the folder writer if `path` is an existing folder."""
    writers = load_writers().values()
    text_path = os.fspath(path)
    suffix = Path(text_path).suffix.lower()
    by_suffix = next((c for c in writers if suffix in c.suffixes), None)
    if text_path.endswith(("/", os.sep)) or not suffix or (by_suffix is None and Path(text_path).is_dir()):
        cls = next((c for c in writers if c.folder), None)
    else:
        cls = by_suffix
    if cls is None:
        known = sorted(s for c in writers for s in c.suffixes)
        raise DreamreelError(f"cannot tell the video format of {path}: use {', '.join(known)}, or a folder name "
                             f"ending in / for PNG frames")
    return cls
