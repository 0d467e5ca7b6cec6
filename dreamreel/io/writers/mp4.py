"""MP4: H.264 (libx264, -crf quality), yuv420p with BT.709 tags, +faststart; an odd width or height padded by
repeating the edge (odd_size="pad") or cropped by 1 px ("crop"); comment and title in the metadata; audio= a clip
whose soundtrack over [audio_start, audio_end) s is kept, as AAC (nothing happens if it has none)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..audio import has_audio, mux
from ..ffmpeg import ffmpeg_url
from ..paths import existing_file
from .base import PipeWriter, WriterSettings, register

_COLOUR = ("scale=out_color_matrix=bt709:out_range=tv:flags=bicubic+accurate_rnd+full_chroma_int,"
           "format=yuv420p,setparams=range=tv:colorspace=bt709:color_primaries=bt709:color_trc=bt709")


@register
class Mp4Writer(PipeWriter):
    kind = "mp4"
    suffixes = (".mp4",)
    takes_audio = True

    def __init__(self, path, settings: WriterSettings):
        if settings.audio is not None:
            existing_file(settings.audio, "audio source")
        super().__init__(path, settings)

    def even(self, pixels: np.ndarray) -> np.ndarray:
        """yuv420p needs an even width and height: pad (repeating the edge) or crop by one pixel."""
        h, w = pixels.shape[:2]
        if not (h % 2 or w % 2):
            return pixels
        if self.settings.odd_size == "crop" and h > 1 and w > 1:
            return np.ascontiguousarray(pixels[: h - h % 2, : w - w % 2])
        return np.pad(pixels, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")

    def start(self, height: int, width: int) -> None:
        super().start(*self.even(np.zeros((height, width, 1), np.uint8)).shape[:2])

    def output_args(self) -> list[str]:
        s = self.settings
        args = ["-vf", _COLOUR, "-c:v", "libx264", "-preset", s.preset, "-crf", str(s.quality), "-pix_fmt", "yuv420p",
                "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
                "-movflags", "+faststart"]
        for key, value in (("comment", s.comment), ("title", s.title)):
            if value:
                args += ["-metadata", f"{key}={value}"]
        return args + ["-f", "mp4", ffmpeg_url(self.stage / "video.mp4")]

    def encode(self, pixels: np.ndarray) -> None:
        super().encode(self.even(pixels))

    def result(self) -> Path:
        video, s = self.stage / "video.mp4", self.settings
        if s.audio is None or not has_audio(s.audio):
            return video
        with_audio = self.stage / "with_audio.mp4"
        mux(video, Path(s.audio), s.audio_start, s.audio_end, with_audio)
        return with_audio
