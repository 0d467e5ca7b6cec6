"""A folder of PNG frames, frame_000000.png, frame_000001.png, ... (8-bit RGB, lossless); the output path ends in
"/" or has no suffix. Writing again replaces a previous folder of frames, as a whole, when the new one is complete;
a folder holding anything else is refused."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ...errors import DreamreelError
from .base import Writer, register

FRAME_NAME = "frame_{:06d}.png"
FRAME_NAME_RE = re.compile(r"frame_\d{6,}\.png")


@register
class PngFolderWriter(Writer):
    kind = "frames"
    folder = True

    @classmethod
    def check_target(cls, target: Path) -> None:
        if target.exists() and not target.is_dir():
            raise DreamreelError(f"{target} is a file; a folder is needed for PNG frames")
        if target.is_dir():
            foreign = sorted(p.name for p in target.iterdir() if not FRAME_NAME_RE.fullmatch(p.name))
            if foreign:
                raise DreamreelError(f"the folder {target} holds other files than frames ({foreign[0]}, ...): "
                                     f"choose an empty or new folder")

    def start(self, height: int, width: int) -> None:
        (self.stage / "frames").mkdir()

    def encode(self, pixels: np.ndarray) -> None:
        import cv2

        ok, png = cv2.imencode(".png", pixels[..., ::-1])
        if not ok:
            raise DreamreelError(f"cannot encode frame {self.n_frames} as PNG")
        (self.stage / "frames" / FRAME_NAME.format(self.n_frames)).write_bytes(png.tobytes())

    def finish(self) -> Path:
        self.check_target(self.path)  # nothing else crept into the old folder since check_output
        return self.stage / "frames"
