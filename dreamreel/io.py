"""Images (and video) in and out, at the edges of dreamreel; arrays are (H, W, 3) float32 RGB in [0, 1].

read_image(path, max_side=None) -> array         a clear DreamreelError for a missing or undecodable file
write_image(path, array)                          atomic: a temporary name, renamed when complete
check_output_path(output, *inputs)                refuses an output that would overwrite an input or cannot be written
atomic_path(path) -> context manager giving a temporary path in the same folder, renamed onto `path` on success
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from .errors import DreamreelError

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
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_image(path: str | os.PathLike, image: np.ndarray, quality: int = 95) -> Path:
    import imageio.v3 as iio

    path = Path(path)
    pixels = to_uint8(image)
    suffix = path.suffix.lower()
    options = {"quality": quality} if suffix in (".jpg", ".jpeg", ".webp") else {}
    with atomic_path(path) as tmp:
        iio.imwrite(tmp, pixels, extension=suffix, **options)
    return path
