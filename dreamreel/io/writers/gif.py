"""GIF: a 256-colour palette made from all frames (two passes over a lossless staged copy), dithered with
gif_dither, looping forever. GIF frame delays are whole hundredths of a second, so 12 or 24 fps play at about that
rate, not exactly."""

from __future__ import annotations

from pathlib import Path

from ..ffmpeg import ffmpeg_url, run_ffmpeg
from .base import PipeWriter, register


@register
class GifWriter(PipeWriter):
    kind = "gif"
    suffixes = (".gif",)

    def output_args(self) -> list[str]:  # lossless first: the palette needs every frame
        return ["-c:v", "ffv1", "-pix_fmt", "bgr0", "-f", "matroska", ffmpeg_url(self.stage / "frames.mkv")]

    def result(self) -> Path:
        frames, palette, gif = self.stage / "frames.mkv", self.stage / "palette.png", self.stage / "out.gif"
        run_ffmpeg(["-i", ffmpeg_url(frames), "-vf", "palettegen=max_colors=256:reserve_transparent=0:stats_mode=full",
                    "-frames:v", "1", "-update", "1", ffmpeg_url(palette)],
                   f"ffmpeg could not make a palette for {self.path}")
        run_ffmpeg(["-i", ffmpeg_url(frames), "-i", ffmpeg_url(palette), "-lavfi",
                    f"[0:v][1:v]paletteuse=dither={self.settings.gif_dither}:diff_mode=rectangle",
                    "-loop", "0", "-f", "gif", ffmpeg_url(gif)],
                   f"ffmpeg could not write {self.path}")
        return gif
