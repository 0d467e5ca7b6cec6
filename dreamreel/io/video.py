"""Video in: probing and frame-accurate, streamed decoding with ffmpeg; frames are (H, W, 3) float32 RGB in [0, 1].

video_info(path) -> VideoInfo(fps, n_frames, width, height, duration, has_audio, start)
probe(path, count_frames=False) -> Probe(header, has_video, has_audio, width, height, fps, duration, n_frames)
frame_range(info, start, end) -> (first, stop)      [start, end) seconds -> frame indices [first, stop)
working_size(height, width, size=None, max_side=None) -> (height, width) to decode at
read_video(path, start=None, end=None, size=None, max_side=None) -> (iterator of frames, VideoInfo)
    frame-accurate: frame i is the one shown at i / fps; [start, end) in seconds selects frames
    floor(start * fps) .. ceil(end * fps) - 1, counted in decoding order (no seeking); memory does not grow with
    the clip's length
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import DreamreelError
from .ffmpeg import ffmpeg_exe, ffmpeg_reason, ffmpeg_url
from .paths import existing_file


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


# ---------------------------------------------------------------------------------------------------- probing

@dataclasses.dataclass(frozen=True)
class Probe:
    """What ffmpeg says about a file's streams (n_frames only when counted)."""

    header: str
    has_video: bool
    has_audio: bool
    width: int = 0
    height: int = 0
    fps: float = 0.0
    duration: float = 0.0  # of the container, from its header (0 when unknown)
    n_frames: int = 0      # video packets, counted by demuxing (only when asked for)


def probe(path: Path, count_frames: bool = False) -> Probe:
    """Parse ffmpeg's description of the input; with count_frames, also count the video's frames by demuxing
    the first video stream without decoding it (fast: one packet per frame)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats"]
    if count_frames:
        cmd += ["-progress", "pipe:1"]
    cmd += ["-i", ffmpeg_url(path)]
    if count_frames:
        cmd += ["-map", "0:V:0", "-c", "copy", "-f", "null", "-"]  # V: not cover art
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True)
    stderr = proc.stderr.decode(errors="replace")
    header = re.split(r"^(?:Stream mapping:|Output #0|At least one output file)", stderr, maxsplit=1,
                      flags=re.M)[0]
    if "Input #0" not in header:
        reason = ffmpeg_reason(stderr)
        raise DreamreelError(f"cannot read {path} as a video or audio file ({reason})")
    video = re.search(r"^\s*Stream #\d+:\d+.*?: Video: ((?:(?!attached pic).)*)$", header, re.M)
    has_audio = re.search(r"^\s*Stream #\d+:\d+.*?: Audio: ", header, re.M) is not None
    seconds = re.search(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", header)
    duration = int(seconds[1]) * 3600 + int(seconds[2]) * 60 + float(seconds[3]) if seconds else 0.0
    if video is None:
        return Probe(header, False, has_audio, duration=duration)
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
            raise DreamreelError(f"cannot read {path} as a video ({ffmpeg_reason(stderr)})")
        counts = re.findall(r"^frame=\s*(\d+)", proc.stdout.decode(errors="replace"), re.M)
        n_frames = int(counts[-1]) if counts else 0
    return Probe(header, True, has_audio, width, height, fps, duration, n_frames)


def video_info(path: str | os.PathLike) -> VideoInfo:
    """fps, frame count, size, duration and whether there is audio; a DreamreelError for a missing file, a file
    that is not a video, or one without frames."""
    path = existing_file(path)
    found = probe(path, count_frames=True)
    if not found.has_video:
        raise DreamreelError(f"{path} has no video stream")
    if found.n_frames <= 0:
        raise DreamreelError(f"{path} has no video frames")
    fps = found.fps
    if fps <= 0:
        if found.duration <= 0:
            raise DreamreelError(f"cannot tell the frame rate of {path}")
        fps = found.n_frames / found.duration
    return VideoInfo(fps=fps, n_frames=found.n_frames, width=found.width, height=found.height,
                     duration=found.n_frames / fps, has_audio=found.has_audio)


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
    path = existing_file(path)
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
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", ffmpeg_url(path),
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
                        reason = ffmpeg_reason(errors.read().decode(errors="replace"))
                        raise DreamreelError(f"cannot decode {path} ({reason})")
                    return  # fewer frames than the container promised: the clip ends early
                yield np.frombuffer(buffer, np.uint8).reshape(height, width, 3).astype(np.float32) * scale
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.stdout.close()
            proc.wait()
