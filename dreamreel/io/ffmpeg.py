"""Running ffmpeg (the binary bundled with imageio-ffmpeg) and turning its stderr into one-line reasons.

ffmpeg_exe() -> str                           the binary; a DreamreelError saying what to install when missing
ffmpeg_url(path) -> str                       a path as an unambiguous ffmpeg input/output URL
ffmpeg_reason(stderr) -> str                  the lines of ffmpeg's stderr that say what went wrong, as one line
run_ffmpeg(args, what) -> CompletedProcess    run to completion; failure -> DreamreelError("<what>: <reason>")
FramePipe(output_args, (H, W), fps, folder)   a running ffmpeg reading raw RGB frames from its stdin:
    .write(uint8 (H, W, 3)), .finish(what) (waits; failure -> DreamreelError), .kill()
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import DreamreelError


@functools.cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary bundled with imageio-ffmpeg (or the one IMAGEIO_FFMPEG_EXE names)."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:
        raise DreamreelError("ffmpeg is not available: install the imageio-ffmpeg package") from None


def ffmpeg_url(path: str | os.PathLike) -> str:
    """Absolute and with the file: protocol, so '-x.mp4' or 'a:b.mp4' are not misread as options or protocols."""
    return "file:" + str(Path(path).absolute())


def frame_rate(fps: float) -> str:
    """fps as the exact fraction ffmpeg wants: 24 -> '24/1', 29.97 -> '30000/1001'."""
    rate = Fraction(fps).limit_denominator(1001)
    return f"{rate.numerator}/{rate.denominator}"


_NOISE = re.compile(r"^(Press \[q\]|frame=|size=|video:|Stream mapping|Input #|Output #|Metadata:|Duration:|"
                    r"Stream #|Exiting normally|Conversion failed|Terminating thread|Task finished|"
                    r"Nothing was written|Error sending frames|Error while filtering|Error closing|"
                    r"Could not open encoder before EOF|Error opening input files?:|.*misdetection possible)")
_PREFIX = re.compile(r"^(\[[^\]]*\]\s*|x264 \[error\]:\s*)+")  # "[vost#0:0/libx264 @ 0x55d4...] [enc:...] "


def ffmpeg_reason(stderr: str) -> str:
    """The first lines of ffmpeg's stderr that say what went wrong (the rest is usually fallout), as one line."""
    if "No space left on device" in stderr:
        return "the disk is full"
    if re.search(r"Unknown encoder|Encoder not found", stderr):
        return "this ffmpeg lacks an encoder it needs (e.g. libx264); set IMAGEIO_FFMPEG_EXE to an ffmpeg that has it"
    lines = []
    for line in stderr.splitlines():
        if line.startswith(" "):  # the indented parts of an input/output description
            continue
        line = _PREFIX.sub("", line.strip()).rstrip(".")
        if line and not _NOISE.match(line) and line not in lines:
            lines.append(line)
    reason = "; ".join(lines[:2]) or "ffmpeg failed without saying why"
    return reason if len(reason) <= 300 else reason[:297] + "..."


def run_ffmpeg(args: list[str], what: str) -> subprocess.CompletedProcess:
    """Run ffmpeg to completion; a non-zero exit becomes a DreamreelError '<what>: <ffmpeg's reason>'."""
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
                          stdin=subprocess.DEVNULL, capture_output=True)
    if proc.returncode != 0:
        raise DreamreelError(f"{what}: {ffmpeg_reason(proc.stderr.decode(errors='replace'))}")
    return proc


class FramePipe:
    """ffmpeg encoding raw rgb24 frames of one size, streamed to its stdin (memory does not grow with the clip);
    its stderr goes to a temporary file in `folder` so a long run cannot block on a full pipe."""

    def __init__(self, output_args: list[str], size: tuple[int, int], fps: float, folder: Path):
        height, width = size
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", frame_rate(fps),
               "-i", "pipe:0", "-an", *output_args]
        self._errors = tempfile.TemporaryFile(dir=folder)
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._errors)

    def reason(self) -> str:
        self._errors.seek(0)
        return ffmpeg_reason(self._errors.read().decode(errors="replace"))

    def write(self, pixels: np.ndarray, what: str) -> None:
        try:
            self._proc.stdin.write(np.ascontiguousarray(pixels).tobytes())
        except (BrokenPipeError, OSError):
            self._proc.wait()
            raise DreamreelError(f"ffmpeg stopped while writing {what}: {self.reason()}") from None

    def finish(self, what: str) -> None:
        with contextlib.suppress(OSError):
            self._proc.stdin.close()
        failed = self._proc.wait() != 0
        try:
            if failed:
                raise DreamreelError(f"ffmpeg could not write {what}: {self.reason()}")
        finally:
            self._errors.close()

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        with contextlib.suppress(OSError):
            self._proc.stdin.close()
        self._proc.wait()
        self._errors.close()
