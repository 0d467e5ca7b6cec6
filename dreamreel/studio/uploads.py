"""Uploads: size-capped, checked by decoding (never by the file's name), stored under names the server chose.

accept_image(path, folder, max_bytes, max_pixels) -> Path    folder/<sha256 of the pixels>.png, re-encoded
accept_video(path, folder, max_bytes, max_seconds) -> Path   folder/<sha256 of the file><suffix>, decoded first
sample_images() -> {name: Path}                              the photos and paintings that ship with dreamreel

Each raises a one-line DreamreelError naming the upload by its own file name, never a server path.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import warnings
from pathlib import Path

import numpy as np

from ..errors import DreamreelError
from ..home import presets_dir
from ..io import atomic_path, read_image, video_info, write_image

MAX_IMAGE_BYTES = 25 * 2**20
MAX_IMAGE_PIXELS = 40_000_000  # a 40 MP photo; the header is read first, so a small "pixel bomb" file is refused
MAX_VIDEO_BYTES = 200 * 2**20
MAX_VIDEO_SECONDS = 600.0
VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".mkv", ".avi", ".gif", ".m4v")


def _sized(path: str | os.PathLike, max_bytes: int, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise DreamreelError(f"the upload of {path.name} did not arrive; please upload it again")
    size = path.stat().st_size
    if size > max_bytes:
        raise DreamreelError(f"{path.name} is {size / 2**20:.1f} MB; {what} uploads are limited to "
                             f"{max_bytes / 2**20:.0f} MB")
    return path


def _image_shape(path: Path) -> tuple[int, ...]:
    import imageio.v3 as iio

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return tuple(iio.improps(path).shape)
    except Exception:
        raise DreamreelError(f"{path.name} is not an image dreamreel can read; upload a PNG, JPEG or WebP "
                             f"photo") from None


def accept_image(path: str | os.PathLike, folder: str | os.PathLike, max_bytes: int = MAX_IMAGE_BYTES,
                 max_pixels: int = MAX_IMAGE_PIXELS) -> Path:
    path = _sized(path, max_bytes, "image")
    shape = _image_shape(path)
    if len(shape) >= 2 and shape[0] * shape[1] > max_pixels:
        raise DreamreelError(f"{path.name} is {shape[1]}x{shape[0]} pixels; the studio takes at most "
                             f"{max_pixels / 1e6:.0f} megapixels")
    try:
        image = read_image(path)
    except DreamreelError:
        raise DreamreelError(f"{path.name} is not an image dreamreel can read; upload a PNG, JPEG or WebP "
                             f"photo") from None
    pixels = np.ascontiguousarray((image * 255.0 + 0.5).astype(np.uint8))
    stored = Path(folder) / f"{hashlib.sha256(pixels.tobytes()).hexdigest()[:24]}.png"
    if not stored.is_file():
        Path(folder).mkdir(parents=True, exist_ok=True)
        write_image(stored, image)
    return stored


def accept_video(path: str | os.PathLike, folder: str | os.PathLike, max_bytes: int = MAX_VIDEO_BYTES,
                 max_seconds: float = MAX_VIDEO_SECONDS) -> Path:
    path = _sized(path, max_bytes, "video")
    try:
        info = video_info(path)
    except DreamreelError:
        raise DreamreelError(f"{path.name} is not a video dreamreel can read; upload an MP4, MOV or WebM "
                             f"clip") from None
    if not info.n_frames or not info.width:
        raise DreamreelError(f"{path.name} has no video frames")
    if info.duration > max_seconds:
        raise DreamreelError(f"{path.name} lasts {info.duration:.0f} s; the studio takes clips of at most "
                             f"{max_seconds:.0f} s (trim it, or use `dreamreel video` in a terminal)")
    suffix = path.suffix.lower() if path.suffix.lower() in VIDEO_SUFFIXES else ".mp4"  # ffmpeg reads by content
    stored = Path(folder) / f"{_file_digest(path)}{suffix}"
    if not stored.is_file():
        Path(folder).mkdir(parents=True, exist_ok=True)
        with atomic_path(stored) as tmp:
            shutil.copyfile(path, tmp)
    return stored


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:24]


def sample_images() -> dict[str, Path]:
    folder = presets_dir() / "images"
    return {p.stem.replace("_", " "): p for p in sorted(folder.glob("*.jpg"))} if folder.is_dir() else {}
