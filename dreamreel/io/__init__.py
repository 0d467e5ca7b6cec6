"""Images and video in and out, at the edges of dreamreel; arrays are (H, W, 3) float32 RGB in [0, 1].

Images
read_image(path, max_side=None) -> array         a clear DreamreelError for a missing or undecodable file
write_image(path, array)                          atomic: a temporary name, renamed when complete
check_output_path(output, *inputs)                refuses an output that would overwrite an input or cannot be written
atomic_path(path) -> context manager giving a temporary path in the same folder, renamed onto `path` on success

Video (ffmpeg from imageio-ffmpeg; frames are streamed, so memory does not grow with a clip's length)
video_info(path) -> VideoInfo(fps, n_frames, width, height, duration, has_audio, start)
read_video(path, start=None, end=None, size=None, max_side=None) -> (iterator of frames, VideoInfo)
    frame-accurate: frame i is the one shown at i / fps; [start, end) in seconds selects frames
    floor(start * fps) .. ceil(end * fps) - 1, counted in decoding order (no seeking)
open_writer(path, fps, quality=18, ...) -> VideoWriter, a context manager with .write(frame)
    by suffix: .mp4 (H.264, yuv420p, even size), .gif (two-pass palette, loops forever), or a folder of
    frame_000000.png ... (a path ending in "/" or without a suffix); the output appears only when the writer
    closes without error; audio=clip copies the clip's audio (trimmed) into an MP4
mux_audio(video_path, audio_source, start=0.0, end=None) -> bool   add trimmed audio to an MP4, in place, atomically
write_sidecar(output, data) -> Path              output + ".json" beside the output
check_video_output_path(output, *inputs)         check_output_path for the video outputs above
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import math
import numbers
import os
import re
import shutil
import stat
import subprocess
import tempfile
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import DreamreelError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


def read_image(path: str | os.PathLike, max_side: int | None = None) -> np.ndarray:
    import imageio.v3 as iio

    path = Path(path)
    if not path.is_file():
        raise DreamreelError(f"no such image: {path}")
    try:
        with warnings.catch_warnings():  # imageio's plugin probing warns about formats it then rejects
            warnings.simplefilter("ignore")
            pixels = iio.imread(path)
    except Exception:
        raise DreamreelError(f"cannot read {path} as an image (is it a PNG, JPEG or WebP file?)") from None
    image = to_float_rgb(pixels)
    if max_side and max(image.shape[:2]) > max_side:
        image = resize_to_fit(image, max_side)
    return image


def to_float_rgb(pixels: np.ndarray) -> np.ndarray:
    """Any decoded image (grey, RGBA, uint8/uint16/float) -> (H, W, 3) float32 in [0, 1]."""
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.ndim != 3:
        raise DreamreelError(f"expected a still image, got an array of shape {pixels.shape}")
    if np.issubdtype(pixels.dtype, np.integer):
        image = pixels.astype(np.float32) / np.iinfo(pixels.dtype).max
    else:
        image = np.clip(pixels.astype(np.float32), 0.0, 1.0)
    channels = image.shape[-1]
    if channels == 1:
        image = np.repeat(image, 3, axis=-1)
    elif channels == 4:  # composite over white: transparent areas should not dream as black
        image = image[..., :3] * image[..., 3:] + (1.0 - image[..., 3:])
    elif channels != 3:
        raise DreamreelError(f"expected 1, 3 or 4 colour channels, got {channels}")
    return np.ascontiguousarray(image)


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(np.asarray(image, np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Area-averaging when shrinking, bicubic when growing (OpenCV), float32 kept in [0, 1]."""
    import cv2

    h, w = image.shape[:2]
    interpolation = cv2.INTER_AREA if height * width < h * w else cv2.INTER_CUBIC
    out = cv2.resize(np.asarray(image, np.float32), (width, height), interpolation=interpolation)
    return np.clip(out, 0.0, 1.0)


def resize_to_fit(image: np.ndarray, max_side: int) -> np.ndarray:
    h, w = image.shape[:2]
    scale = max_side / max(h, w)
    return resize(image, max(1, round(h * scale)), max(1, round(w * scale)))


def check_output_path(output: str | os.PathLike, *inputs: str | os.PathLike,
                      suffixes: tuple[str, ...] = IMAGE_SUFFIXES) -> Path:
    output = Path(output)
    if output.suffix.lower() not in suffixes:
        raise DreamreelError(f"cannot tell the format of {output}: use one of {', '.join(suffixes)}")
    for source in inputs:
        if source is not None and Path(source).exists() and output.exists() \
                and os.path.samefile(source, output):
            raise DreamreelError(f"refusing to overwrite the input {source}: choose another output name")
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise DreamreelError(f"the output folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise DreamreelError(f"cannot write into {folder}")
    return output


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside `path` (same suffix); rename it onto `path` only if the block succeeds."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.stem}.",
                               suffix=f".part{path.suffix}")
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp makes the file private (0600): give it the mode a plain open() would, or the replaced file's
        os.chmod(tmp, stat.S_IMODE(path.stat().st_mode) if path.is_file() else 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


@functools.cache
def _umask() -> int:
    with contextlib.suppress(OSError, ValueError, StopIteration):  # Linux: read it without changing it
        with open("/proc/self/status") as status:
            return int(next(line for line in status if line.startswith("Umask:")).split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_image(path: str | os.PathLike, image: np.ndarray, quality: int = 95) -> Path:
    import imageio.v3 as iio

    path = Path(path)
    pixels = to_uint8(image)
    suffix = path.suffix.lower()
    options = {"quality": quality} if suffix in (".jpg", ".jpeg", ".webp") else {}
    with atomic_path(path) as tmp:
        iio.imwrite(tmp, pixels, extension=suffix, **options)
    return path


# ---------------------------------------------------------------------------------------------------- video

VIDEO_SUFFIXES = (".mp4", ".gif")
FRAME_NAME = "frame_{:06d}.png"
_FRAME_NAME_RE = re.compile(r"frame_\d{6,}\.png")
_STAGE_SUFFIX = ".dreamreel-part"


@dataclasses.dataclass(frozen=True)
class VideoInfo:
    """A clip, or (from read_video) the frames selected from it.

    fps: frames per second; n_frames: number of frames; width, height: frame size in pixels (after any
    rotation the file asks for, and, from read_video, after scaling); duration = n_frames / fps seconds;
    has_audio: the file has an audio stream; start: time of the first frame in the source clip, in seconds
    (0 for video_info), so the selection spans [start, start + duration) of the source.
    """

    fps: float
    n_frames: int
    width: int
    height: int
    duration: float
    has_audio: bool
    start: float = 0.0


@functools.cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary bundled with imageio-ffmpeg (or the one IMAGEIO_FFMPEG_EXE names)."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:
        raise DreamreelError("ffmpeg is not available: install the imageio-ffmpeg package") from None


def _ff_path(path: str | os.PathLike) -> str:
    """A path as an ffmpeg URL: absolute and with the file: protocol, so '-x.mp4' or 'a:b.mp4' are not misread."""
    return "file:" + str(Path(path).absolute())


_NOISE = re.compile(r"^(Press \[q\]|frame=|size=|video:|Stream mapping|Input #|Output #|Metadata:|Duration:|"
                    r"Stream #|Exiting normally|Conversion failed|Terminating thread|Task finished|"
                    r"Nothing was written|Error sending frames|Error while filtering|Error closing|"
                    r"Could not open encoder before EOF|Error opening input files?:|.*misdetection possible)")
_PREFIX = re.compile(r"^(\[[^\]]*\]\s*|x264 \[error\]:\s*)+")  # "[vost#0:0/libx264 @ 0x55d4...] [enc:...] "


def _ffmpeg_reason(stderr: str) -> str:
    """The first lines of ffmpeg's stderr that say what went wrong (the rest is usually fallout), as one line."""
    if "No space left on device" in stderr:
        return "the disk is full"
    if re.search(r"Unknown encoder|Encoder not found", stderr):
        return "this ffmpeg has no H.264 encoder (libx264); set IMAGEIO_FFMPEG_EXE to an ffmpeg that has one"
    lines = []
    for line in stderr.splitlines():
        if line.startswith(" "):  # the indented parts of an input/output description
            continue
        line = _PREFIX.sub("", line.strip()).rstrip(".")
        if line and not _NOISE.match(line) and line not in lines:
            lines.append(line)
    reason = "; ".join(lines[:2]) or "ffmpeg failed without saying why"
    return reason if len(reason) <= 300 else reason[:297] + "..."


def _run_ffmpeg(args: list[str], what: str) -> subprocess.CompletedProcess:
    """Run ffmpeg to completion; a non-zero exit becomes a DreamreelError '<what>: <ffmpeg's reason>'."""
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
                          stdin=subprocess.DEVNULL, capture_output=True)
    if proc.returncode != 0:
        raise DreamreelError(f"{what}: {_ffmpeg_reason(proc.stderr.decode(errors='replace'))}")
    return proc


# ---------------------------------------------------------------------------------------------------- probing

@dataclasses.dataclass(frozen=True)
class _Probe:
    header: str
    has_video: bool
    has_audio: bool
    width: int = 0
    height: int = 0
    fps: float = 0.0
    duration: float = 0.0  # of the container, from its header (0 when unknown)
    n_frames: int = 0      # video packets, counted by demuxing (only when asked for)


def _existing_file(path: str | os.PathLike, what: str = "video") -> Path:
    path = Path(path)
    if not path.exists():
        raise DreamreelError(f"no such {what}: {path}")
    if not path.is_file():
        raise DreamreelError(f"{path} is a folder, not a {what} file")
    return path


def _probe(path: Path, count_frames: bool) -> _Probe:
    """Parse ffmpeg's description of the input; with count_frames, also count the video's frames by demuxing
    the first video stream without decoding it (fast: one packet per frame)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats"]
    if count_frames:
        cmd += ["-progress", "pipe:1"]
    cmd += ["-i", _ff_path(path)]
    if count_frames:
        cmd += ["-map", "0:V:0", "-c", "copy", "-f", "null", "-"]  # V: not cover art
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True)
    stderr = proc.stderr.decode(errors="replace")
    header = re.split(r"^(?:Stream mapping:|Output #0|At least one output file)", stderr, maxsplit=1,
                      flags=re.M)[0]
    if "Input #0" not in header:
        reason = _ffmpeg_reason(stderr)
        raise DreamreelError(f"cannot read {path} as a video or audio file ({reason})")
    video = re.search(r"^\s*Stream #\d+:\d+.*?: Video: ((?:(?!attached pic).)*)$", header, re.M)
    has_audio = re.search(r"^\s*Stream #\d+:\d+.*?: Audio: ", header, re.M) is not None
    seconds = re.search(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", header)
    duration = int(seconds[1]) * 3600 + int(seconds[2]) * 60 + float(seconds[3]) if seconds else 0.0
    if video is None:
        return _Probe(header, False, has_audio, duration=duration)
    description = video[1]
    size = re.search(r"(?:^|[ ,])(\d+)x(\d+)(?=[ ,\[]|$)", description)
    if size is None:
        raise DreamreelError(f"cannot tell the frame size of {path}")
    width, height = int(size[1]), int(size[2])
    rotation = re.search(r"rotation of (-?\d+(?:\.\d+)?) degrees", header)
    if rotation and round(float(rotation[1])) % 180 == 90:  # ffmpeg turns such frames upright when decoding
        width, height = height, width
    rate = re.search(r"(\d+(?:\.\d+)?) fps", description)
    fps = float(rate[1]) if rate else 0.0
    if not fps and (rate := re.search(r"(\d+(?:\.\d+)?)(k?) tbr", description)):
        fps = float(rate[1]) * (1000 if rate[2] else 1)
    n_frames = 0
    if count_frames:
        if proc.returncode != 0:
            raise DreamreelError(f"cannot read {path} as a video ({_ffmpeg_reason(stderr)})")
        counts = re.findall(r"^frame=\s*(\d+)", proc.stdout.decode(errors="replace"), re.M)
        n_frames = int(counts[-1]) if counts else 0
    return _Probe(header, True, has_audio, width, height, fps, duration, n_frames)


def video_info(path: str | os.PathLike) -> VideoInfo:
    """fps, frame count, size, duration and whether there is audio; a DreamreelError for a missing file, a file
    that is not a video, or one without frames."""
    path = _existing_file(path)
    probe = _probe(path, count_frames=True)
    if not probe.has_video:
        raise DreamreelError(f"{path} has no video stream")
    if probe.n_frames <= 0:
        raise DreamreelError(f"{path} has no video frames")
    fps = probe.fps
    if fps <= 0:
        if probe.duration <= 0:
            raise DreamreelError(f"cannot tell the frame rate of {path}")
        fps = probe.n_frames / probe.duration
    return VideoInfo(fps=fps, n_frames=probe.n_frames, width=probe.width, height=probe.height,
                     duration=probe.n_frames / fps, has_audio=probe.has_audio)


# ---------------------------------------------------------------------------------------------------- reading

def frame_range(info: VideoInfo, start: float | None = None, end: float | None = None,
                path: str | os.PathLike = "the clip") -> tuple[int, int]:
    """[start, end) seconds -> frame indices [first, stop): frame i is shown from i / fps to (i + 1) / fps, so
    `first` is the frame on screen at `start` and `stop - 1` the last one to appear before `end`."""
    for name, value in (("start", start), ("end", end)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise DreamreelError(f"the {name} time must be a number of seconds >= 0, got {value}")
    eps = 1e-6
    first = math.floor((start or 0.0) * info.fps + eps)
    stop = info.n_frames if end is None else min(info.n_frames, math.ceil(end * info.fps - eps))
    if stop <= first:
        shown = f"{start or 0:g} s .. {'the end' if end is None else f'{end:g} s'}"
        raise DreamreelError(f"no frames of {path} fall in {shown} (it has {info.n_frames} frames, "
                             f"{info.duration:.2f} s at {info.fps:g} fps)")
    return first, stop


def working_size(height: int, width: int, size: tuple[int, int] | None = None,
                 max_side: int | None = None) -> tuple[int, int]:
    """(height, width) to decode at: `size` exactly if given, else shrunk to fit `max_side` (never enlarged)."""
    if size is not None:
        h, w = (int(s) for s in size)
        if h < 1 or w < 1:
            raise DreamreelError(f"a frame size must be positive, got {size} (height, width)")
        return h, w
    if max_side is not None:
        if max_side < 1:
            raise DreamreelError(f"max_side must be positive, got {max_side}")
        if max(height, width) > max_side:
            scale = max_side / max(height, width)
            return max(1, round(height * scale)), max(1, round(width * scale))
    return height, width


def read_video(path: str | os.PathLike, *, start: float | None = None, end: float | None = None,
               size: tuple[int, int] | None = None,
               max_side: int | None = None) -> tuple[Iterator[np.ndarray], VideoInfo]:
    """Frames of [start, end) seconds of a clip, frame-accurately, as (H, W, 3) float32 RGB in [0, 1].

    size=(height, width) scales every frame to exactly that; max_side shrinks them to fit. The VideoInfo
    describes what the iterator yields (n_frames, scaled width and height, duration and start of the selection
    in the source). Frames are selected by index in decoding order (frame i is at i / fps), never by seeking;
    decoding is lazy and stops after the last selected frame. A missing or undecodable file or an empty range
    raises DreamreelError here, not while iterating.
    """
    path = _existing_file(path)
    source = video_info(path)
    first, stop = frame_range(source, start, end, path)
    height, width = working_size(source.height, source.width, size, max_side)
    info = VideoInfo(fps=source.fps, n_frames=stop - first, width=width, height=height,
                     duration=(stop - first) / source.fps, has_audio=source.has_audio, start=first / source.fps)
    filters = []
    if first > 0 or stop < source.n_frames:
        filters.append(f"trim=start_frame={first}:end_frame={stop}")
    if (height, width) != (source.height, source.width):
        flags = "area" if height * width < source.height * source.width else "bicubic"
        filters.append(f"scale={width}:{height}:flags={flags}+accurate_rnd+full_chroma_int")
    return _decode(path, filters, width, height, stop - first), info


def _decode(path: Path, filters: list[str], width: int, height: int, count: int) -> Iterator[np.ndarray]:
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", _ff_path(path),
           "-map", "0:V:0", "-an", "-sn", "-dn", "-fps_mode", "passthrough"]
    if filters:
        cmd += ["-vf", ",".join(filters)]
    cmd += ["-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]
    frame_bytes = width * height * 3
    scale = np.float32(1.0 / 255.0)
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors)
        try:
            for _ in range(count):
                buffer = proc.stdout.read(frame_bytes)
                if len(buffer) < frame_bytes:
                    if proc.wait() != 0 or buffer:
                        errors.seek(0)
                        reason = _ffmpeg_reason(errors.read().decode(errors="replace"))
                        raise DreamreelError(f"cannot decode {path} ({reason})")
                    return  # fewer frames than the container promised: the clip ends early
                yield np.frombuffer(buffer, np.uint8).reshape(height, width, 3).astype(np.float32) * scale
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.stdout.close()
            proc.wait()


# ---------------------------------------------------------------------------------------------------- writing

def output_kind(path: str | os.PathLike) -> str:
    """'mp4', 'gif' or 'frames' (a folder of PNGs: a path ending in '/', without a suffix, or an existing folder)."""
    text = os.fspath(path)
    if text.endswith(("/", os.sep)) or not Path(text).suffix or Path(text).is_dir():
        return "frames"
    suffix = Path(text).suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return suffix[1:]
    raise DreamreelError(f"cannot tell the video format of {path}: use .mp4, .gif, or a folder name ending "
                         f"in / for PNG frames")


def check_video_output_path(output: str | os.PathLike, *inputs: str | os.PathLike | None) -> Path:
    """Like check_output_path, for the outputs open_writer accepts (MP4, GIF, a folder of PNG frames)."""
    kind = output_kind(output)
    target = Path(output)
    for source in inputs:
        if source is not None and Path(source).exists() and target.exists() and os.path.samefile(source, target):
            raise DreamreelError(f"refusing to overwrite the input {source}: choose another output name")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise DreamreelError(f"the output folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise DreamreelError(f"cannot write into {folder}")
    if kind == "frames":
        if target.exists() and not target.is_dir():
            raise DreamreelError(f"{target} is a file; a folder is needed for PNG frames")
        if target.is_dir():
            foreign = [p.name for p in target.iterdir()
                       if not _FRAME_NAME_RE.fullmatch(p.name)]
            if foreign:
                raise DreamreelError(f"the folder {target} holds other files than frames ({foreign[0]}, ...): "
                                     f"choose an empty or new folder")
    elif target.is_dir():
        raise DreamreelError(f"{target} is a folder: choose a file name for the {kind.upper()} output")
    return target


def sidecar_path(output: str | os.PathLike) -> Path:
    """Where write_sidecar puts an output's JSON: 'dream.mp4' -> 'dream.mp4.json', 'frames/' -> 'frames.json'."""
    return Path(os.fspath(output).rstrip("/" + os.sep) + ".json")


def write_sidecar(output: str | os.PathLike, data: dict[str, Any]) -> Path:
    """Write `data` as JSON beside `output` (atomically); values JSON cannot hold are written as strings."""
    path = sidecar_path(output)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path


def _frame_uint8(frame: np.ndarray) -> np.ndarray:
    pixels = np.asarray(frame)
    if pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3:
        return np.ascontiguousarray(pixels)
    return to_uint8(to_float_rgb(pixels))


def _rate(fps: float) -> str:
    """fps as the exact fraction ffmpeg wants: 24 -> '24/1', 29.97 -> '30000/1001'."""
    rate = Fraction(fps).limit_denominator(1001)
    return f"{rate.numerator}/{rate.denominator}"


class VideoWriter:
    """Frames in, one video out; see open_writer. Use it as a context manager (or call close / abort)."""

    def __init__(self, path: str | os.PathLike, fps: float, *, quality: int = 18, preset: str = "medium",
                 odd_size: str = "pad", comment: str | None = None, title: str | None = None,
                 audio: str | os.PathLike | None = None, audio_start: float = 0.0, audio_end: float | None = None,
                 sidecar: dict[str, Any] | None = None, gif_dither: str = "sierra2_4a"):
        self.path = check_video_output_path(path, audio)
        self.kind = output_kind(path)
        if not (isinstance(fps, numbers.Real) and math.isfinite(fps) and fps > 0):
            raise DreamreelError(f"the frame rate must be a positive number, got {fps}")
        if not (isinstance(quality, numbers.Integral) and 0 <= quality <= 51):
            raise DreamreelError(f"quality is an H.264 CRF from 0 (lossless) to 51 (worst), got {quality}")
        if odd_size not in ("pad", "crop"):
            raise DreamreelError(f"odd_size must be 'pad' or 'crop', got {odd_size!r}")
        if audio is not None:
            if self.kind != "mp4":
                raise DreamreelError(f"audio can only be kept in an MP4 output, not in {self.path}")
            _existing_file(audio, "audio source")
            if audio_end is not None and audio_end <= audio_start:
                raise DreamreelError(f"the audio range {audio_start:g} s to {audio_end:g} s is empty")
        self.fps, self.quality, self.preset, self.odd_size = float(fps), int(quality), preset, odd_size
        self.comment, self.title, self.sidecar, self.gif_dither = comment, title, sidecar, gif_dither
        self.audio, self.audio_start, self.audio_end = audio, audio_start, audio_end
        self.n_frames = 0
        self.frame_shape: tuple[int, int, int] | None = None  # of the frames passed to write()
        self._proc: subprocess.Popen | None = None
        self._errors = None
        self._done = False
        parent = self.path.parent if str(self.path.parent) else Path(".")
        self._stage = Path(tempfile.mkdtemp(dir=parent, prefix=f".{self.path.name}.", suffix=_STAGE_SUFFIX))

    # -- context manager

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, traceback) -> bool:
        if exc_type is not None:
            self.abort()
        else:
            self.close()
        return False

    def __del__(self):
        try:
            if not self._done:
                self.abort()
        except Exception:
            pass

    # -- frames

    def write(self, frame: np.ndarray) -> None:
        """Append one (H, W, 3) frame: float32 RGB in [0, 1] (uint8 RGB is passed through as it is)."""
        if self._done:
            raise DreamreelError(f"the writer for {self.path} is already closed")
        pixels = _frame_uint8(frame)
        if self.frame_shape is None:
            self.frame_shape = pixels.shape
            self._start(*pixels.shape[:2])
        elif pixels.shape != self.frame_shape:
            raise DreamreelError(f"frame {self.n_frames} of {self.path} is {pixels.shape[1]}x{pixels.shape[0]}, "
                                 f"but the first was {self.frame_shape[1]}x{self.frame_shape[0]}")
        if self.kind == "frames":
            import cv2

            ok, png = cv2.imencode(".png", pixels[..., ::-1])
            if not ok:
                raise DreamreelError(f"cannot encode frame {self.n_frames} as PNG")
            (self._stage / "frames" / FRAME_NAME.format(self.n_frames)).write_bytes(png.tobytes())
        else:
            if self.kind == "mp4":
                pixels = self._even(pixels)
            try:
                self._proc.stdin.write(pixels.tobytes())
            except (BrokenPipeError, OSError):
                self._proc.wait()
                raise DreamreelError(f"ffmpeg stopped while writing {self.path}: {self._stderr()}") from None
        self.n_frames += 1

    def _even(self, pixels: np.ndarray) -> np.ndarray:
        """H.264 in yuv420p needs an even width and height: pad (repeating the edge) or crop by one pixel."""
        h, w = pixels.shape[:2]
        if not (h % 2 or w % 2):
            return pixels
        if self.odd_size == "crop" and h > 1 and w > 1:
            return np.ascontiguousarray(pixels[: h - h % 2, : w - w % 2])
        return np.pad(pixels, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")

    def _start(self, height: int, width: int) -> None:
        if self.kind == "frames":
            (self._stage / "frames").mkdir()
            return
        if self.kind == "mp4":
            height, width = self._even(np.zeros((height, width, 1), np.uint8)).shape[:2]
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", _rate(self.fps),
               "-i", "pipe:0", "-an"]
        if self.kind == "mp4":
            cmd += ["-vf", "scale=out_color_matrix=bt709:out_range=tv:flags=bicubic+accurate_rnd+full_chroma_int,"
                           "format=yuv420p,setparams=range=tv:colorspace=bt709:color_primaries=bt709:color_trc=bt709",
                    "-c:v", "libx264", "-preset", self.preset, "-crf", str(self.quality), "-pix_fmt", "yuv420p",
                    "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
                    "-color_range", "tv", "-movflags", "+faststart"]
            for key, value in (("comment", self.comment), ("title", self.title)):
                if value:
                    cmd += ["-metadata", f"{key}={value}"]
            cmd += ["-f", "mp4", _ff_path(self._stage / "video.mp4")]
        else:  # GIF: a lossless intermediate first, the palette is made from all frames when closing
            cmd += ["-c:v", "ffv1", "-pix_fmt", "bgr0", "-f", "matroska", _ff_path(self._stage / "frames.mkv")]
        self._errors = tempfile.TemporaryFile(dir=self._stage)
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._errors)

    def _stderr(self) -> str:
        if self._errors is None:
            return ""
        self._errors.seek(0)
        return _ffmpeg_reason(self._errors.read().decode(errors="replace"))

    # -- finishing

    def close(self) -> Path:
        """Finish the video and move it into place (then the sidecar JSON, if any); returns the output path."""
        if self._done:
            return self.path
        try:
            if self.n_frames == 0:
                raise DreamreelError(f"no frames were written to {self.path}")
            result = self._finish()
            self._publish(result)
        except BaseException:
            self.abort()
            raise
        self._cleanup()
        if self.sidecar is not None:
            write_sidecar(self.path, self.sidecar)
        return self.path

    def _finish(self) -> Path:
        if self.kind == "frames":
            return self._stage / "frames"
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        if self._proc.wait() != 0:
            raise DreamreelError(f"ffmpeg could not write {self.path}: {self._stderr()}")
        if self.kind == "gif":
            frames, palette, gif = self._stage / "frames.mkv", self._stage / "palette.png", self._stage / "out.gif"
            _run_ffmpeg(["-i", _ff_path(frames), "-vf", "palettegen=max_colors=256:reserve_transparent=0:"
                         "stats_mode=full", "-frames:v", "1", "-update", "1", _ff_path(palette)],
                        f"ffmpeg could not make a palette for {self.path}")
            _run_ffmpeg(["-i", _ff_path(frames), "-i", _ff_path(palette), "-lavfi",
                         f"[0:v][1:v]paletteuse=dither={self.gif_dither}:diff_mode=rectangle",
                         "-loop", "0", "-f", "gif", _ff_path(gif)],
                        f"ffmpeg could not write {self.path}")
            return gif
        video = self._stage / "video.mp4"
        if self.audio is not None:
            with_audio = self._stage / "with_audio.mp4"
            if _probe(Path(self.audio), count_frames=False).has_audio:
                _mux(video, Path(self.audio), self.audio_start, self.audio_end, with_audio)
                return with_audio
        return video

    def _publish(self, result: Path) -> None:
        if self.kind == "frames" and self.path.exists():  # replace a previous frames folder (checked at open)
            previous = self._stage / "previous"
            os.replace(self.path, previous)
            try:
                os.replace(result, self.path)
            except BaseException:
                os.replace(previous, self.path)
                raise
        else:
            os.replace(result, self.path)

    def abort(self) -> None:
        """Stop without producing the output; removes every temporary file."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        self._cleanup()

    def _cleanup(self) -> None:
        self._done = True
        if self._proc is not None:
            for stream in (self._proc.stdin,):
                with contextlib.suppress(OSError):
                    stream.close()
            self._proc.wait()
        if self._errors is not None:
            self._errors.close()
        shutil.rmtree(self._stage, ignore_errors=True)


def open_writer(path: str | os.PathLike, fps: float, *, quality: int = 18, **options) -> VideoWriter:
    """A VideoWriter for `path`, chosen by its suffix; use as `with open_writer("out.mp4", 24) as w: w.write(f)`.

    .mp4: H.264 (libx264, -crf `quality`: 0 lossless .. 51 worst, 18 looks lossless), yuv420p with BT.709 tags,
          an odd width/height padded by repeating the edge (odd_size="pad") or cropped (odd_size="crop") by 1 px,
          +faststart; comment= and title= go into the MP4's metadata; audio=clip (with audio_start, audio_end in
          seconds) copies that clip's audio, trimmed, re-encoded to AAC (nothing happens if it has none).
    .gif: a palette made from all frames (two passes over a lossless temporary copy), gif_dither= one of ffmpeg's
          paletteuse dithers (sierra2_4a, bayer, floyd_steinberg, none); loops forever. GIF frame delays are whole
          hundredths of a second, so a rate such as 12 or 24 fps is played at about that rate, not exactly.
    folder (path ending in "/" or without a suffix): frame_000000.png, frame_000001.png, ...
    Other options: preset= (x264 speed preset), sidecar={...} written as JSON beside the output (write_sidecar).
    Everything is written under a temporary name beside the target and renamed into place when the writer closes
    without error; an exception inside the `with` block leaves neither the target nor temporary files.
    """
    return VideoWriter(path, fps, quality=quality, **options)


# ---------------------------------------------------------------------------------------------------- audio

def _mux(video: Path, source: Path, start: float, end: float | None, out: Path) -> None:
    """video's frames (copied) + source's first audio track over [start, end) s, re-encoded to AAC -> out."""
    trim = []
    if start and start > 0:
        trim += ["-ss", f"{start:.6f}"]
    if end is not None:
        trim += ["-t", f"{end - (start or 0.0):.6f}"]
    _run_ffmpeg(["-i", _ff_path(video), *trim, "-i", _ff_path(source), "-map", "0:v:0", "-map", "1:a:0",
                 "-c:v", "copy", "-c:a", "aac", "-b:a", "192k", "-map_metadata", "0",
                 "-movflags", "+faststart", "-f", "mp4", _ff_path(out)],
                f"ffmpeg could not add the audio of {source}")


def mux_audio(video_path: str | os.PathLike, audio_source: str | os.PathLike, start: float = 0.0,
              end: float | None = None) -> bool:
    """Put `audio_source`'s audio over [start, end) seconds (AAC) into the MP4 `video_path`, in place and
    atomically, copying its video stream; returns False, changing nothing, when the source has no audio."""
    video_path = _existing_file(video_path)
    if video_path.suffix.lower() != ".mp4":
        raise DreamreelError(f"audio can only be added to an MP4 file, not to {video_path}")
    source = _existing_file(audio_source, "audio source")
    start = 0.0 if start is None else float(start)
    if not (math.isfinite(start) and start >= 0) or (end is not None and not end > start):
        shown = "the end" if end is None else f"{end:g} s"
        raise DreamreelError(f"the audio range {start:g} s to {shown} is empty or negative")
    if not _probe(source, count_frames=False).has_audio:
        return False
    with atomic_path(video_path) as tmp:
        _mux(video_path, source, start, end, tmp)
    return True
