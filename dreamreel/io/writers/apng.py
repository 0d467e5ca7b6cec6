"""Animated PNG (.apng): lossless 8-bit RGB frames that loop forever, through ffmpeg's apng muxer. Frame delays are
stored as fractions of a second, so the rate is kept exactly. Browsers play it; most video players do not."""

from __future__ import annotations

from pathlib import Path

from ..ffmpeg import ffmpeg_url
from .base import PipeWriter, register


@register
class ApngWriter(PipeWriter):
    kind = "apng"
    suffixes = (".apng",)

    def output_args(self) -> list[str]:
        return ["-c:v", "apng", "-pix_fmt", "rgb24", "-plays", "0", "-f", "apng", ffmpeg_url(self.result())]

    def result(self) -> Path:
        return self.stage / "out.apng"
