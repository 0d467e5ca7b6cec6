"""Audio passthrough: a clip's soundtrack, trimmed, into an MP4 (AAC), its video stream copied untouched.

mux(video, source, start, end, out)      video's frames + source's first audio track over [start, end) s -> out
mux_audio(video_path, audio_source, start=0.0, end=None) -> bool    the same, into video_path in place and
    atomically; False, changing nothing, when the source has no audio
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from ..errors import DreamreelError
from .ffmpeg import ffmpeg_url, run_ffmpeg
from .paths import existing_file
from .staging import atomic_path
from .video import probe


def mux(video: Path, source: Path, start: float, end: float | None, out: Path) -> None:
    trim = []
    if start and start > 0:
        trim += ["-ss", f"{start:.6f}"]
    if end is not None:
        trim += ["-t", f"{end - (start or 0.0):.6f}"]
    run_ffmpeg(["-i", ffmpeg_url(video), *trim, "-i", ffmpeg_url(source), "-map", "0:v:0", "-map", "1:a:0",
                "-c:v", "copy", "-c:a", "aac", "-b:a", "192k", "-map_metadata", "0",
                "-movflags", "+faststart", "-f", "mp4", ffmpeg_url(out)],
               f"ffmpeg could not add the audio of {source}")


def has_audio(source: str | os.PathLike) -> bool:
    return probe(Path(source)).has_audio


def check_range(start: float | None, end: float | None) -> float:
    """The start time, checked with the end: [start, end) must be a non-empty range of non-negative seconds."""
    start = 0.0 if start is None else float(start)
    if not (math.isfinite(start) and start >= 0) or (end is not None and not end > start):
        shown = "the end" if end is None else f"{end:g} s"
        raise DreamreelError(f"the audio range {start:g} s to {shown} is empty or negative")
    return start


def mux_audio(video_path: str | os.PathLike, audio_source: str | os.PathLike, start: float = 0.0,
              end: float | None = None) -> bool:
    video_path = existing_file(video_path)
    if video_path.suffix.lower() != ".mp4":
        raise DreamreelError(f"audio can only be added to an MP4 file, not to {video_path}")
    source = existing_file(audio_source, "audio source")
    start = check_range(start, end)
    if not has_audio(source):
        return False
    with atomic_path(video_path) as tmp:
        mux(video_path, source, start, end, tmp)
    return True
