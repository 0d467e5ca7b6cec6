"""Still images in and out; arrays are (H, W, 3) float32 RGB in [0, 1].

read_image(path, max_side=None, max_pixels=None) -> (H, W, 3) float32
    decoded by Pillow: CMYK (JPEG) -> RGB, grey -> RGB, palettes -> RGB(A), 16-bit -> its full range, alpha
    (RGBA, grey+alpha) composited over white, EXIF rotation applied. With max_side, a JPEG is decoded at 1/2, 1/4
    or 1/8 size (Pillow's draft mode) and other formats are box-reduced by an integer factor before the exact
    resize, so a large photo never exists in memory as a full-size float image. The pixel count is checked from
    the header, before decoding, against max_pixels (default: max_pixels_default()).
decode_image(path, max_side=None, max_pixels=None) -> (h, w, C) uint8/uint16 as decoded (maybe reduced), C in 1..4
write_image(path, (H, W, 3) array, quality=95) -> Path      atomic: a staging name, renamed when complete
to_float_rgb(pixels (H, W[, C])) -> (H, W, 3) float32;  to_uint8(image) -> (H, W, 3) uint8
resize(image, height, width) -> (height, width, C) float32   THE host resize: area when shrinking, bicubic else
resize_to_fit(image, max_side) -> image whose longer side is max_side
max_pixels_default() -> int        DREAMREEL_MAX_PIXELS if set, else 16384 * 16384
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import DreamreelError
from .staging import atomic_path

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
MAX_PIXELS = 16384 * 16384
MAX_PIXELS_ENV = "DREAMREEL_MAX_PIXELS"
_ORIENTATION = 0x0112  # EXIF tag


def max_pixels_default() -> int:
    """The pixel limit of read_image: the DREAMREEL_MAX_PIXELS environment variable, or 16384 * 16384."""
    value = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not value:
        return MAX_PIXELS
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if limit < 1:
        raise DreamreelError(f"{MAX_PIXELS_ENV} must be a positive whole number of pixels, got {value!r}")
    return limit


def read_image(path: str | os.PathLike, max_side: int | None = None, max_pixels: int | None = None) -> np.ndarray:
    pixels, (width, height) = _decode(path, max_side, max_pixels)
    image = to_float_rgb(pixels)
    if max_side:
        width, height = _fit((width, height), max_side)
    if image.shape[:2] != (height, width):  # from a reduced decode, or to fit max_side: the exact size
        image = resize(image, height, width)
    return image


def decode_image(path: str | os.PathLike, max_side: int | None = None,
                 max_pixels: int | None = None) -> np.ndarray:
    return _decode(path, max_side, max_pixels)[0]


def _decode(path, max_side: int | None, max_pixels: int | None) -> tuple[np.ndarray, tuple[int, int]]:
    """(pixels, (width, height) of the full image as shown, i.e. after its EXIF rotation)."""
    from PIL import ImageOps

    path = Path(path)
    if not path.is_file():
        raise DreamreelError(f"no such image: {path}" if not path.exists() else f"{path} is a folder, not an image")
    if max_side is not None and max_side < 1:
        raise DreamreelError(f"max_side must be a positive number of pixels, got {max_side}")
    with _open(path) as picture:
        _check_pixels(path, picture.size, max_pixels_default() if max_pixels is None else max_pixels)
        try:
            full = picture.size[::-1] if picture.getexif().get(_ORIENTATION, 1) in (5, 6, 7, 8) else picture.size
            if max_side:
                picture.draft(None, _fit(picture.size, max_side))  # JPEG: decode at 1/2, 1/4 or 1/8 size
            picture.load()
            ImageOps.exif_transpose(picture, in_place=True)
            if max_side:
                picture = _reduce(picture, max_side)
            return _pixels(picture), full
        except DreamreelError:
            raise
        except Exception as error:  # a truncated or corrupt file: Pillow's many exception types
            raise DreamreelError(f"cannot decode {path}: {error}") from None


def _open(path: Path):
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # our own pixel limit replaces Pillow's "decompression bomb" check
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except Image.DecompressionBombError:
        return _open_unchecked(path)
    except (UnidentifiedImageError, OSError, ValueError):
        raise DreamreelError(f"cannot read {path} as an image (is it a PNG, JPEG or WebP file?)") from None


def _open_unchecked(path: Path):
    """Image.open without Pillow's global size limit (only reached above it: our limit was raised)."""
    from PIL import Image

    Image.init()
    handle = open(path, "rb")
    prefix = handle.read(16)
    for name in Image.ID:
        factory, accept = Image.OPEN[name]
        if accept and not accept(prefix):
            continue
        try:
            handle.seek(0)
            picture = factory(handle, str(path))
            picture._exclusive_fp = True  # Pillow closes the file with the image
            return picture
        except (SyntaxError, IndexError, TypeError, ValueError, OSError):
            continue
    handle.close()
    raise DreamreelError(f"cannot read {path} as an image (is it a PNG, JPEG or WebP file?)")


def _check_pixels(path: Path, size: tuple[int, int], limit: int) -> None:
    width, height = size
    if width * height > limit:
        raise DreamreelError(f"{path} is {width}x{height} = {width * height / 1e6:.0f} megapixels, more than the limit "
                             f"of {limit / 1e6:.0f} megapixels: pass max_pixels= or set {MAX_PIXELS_ENV} to allow it")


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _reduce(picture, max_side: int):
    """Box-average by the largest whole factor that keeps the longer side >= max_side (the exact resize follows)."""
    factor = max(picture.size) // max_side
    if factor < 2 or picture.mode not in ("L", "LA", "RGB", "RGBA", "CMYK", "I", "I;16", "F"):
        return picture
    return picture.reduce(factor)


def _pixels(picture) -> np.ndarray:
    """A Pillow image as (h, w, C) uint8 or uint16 (C = 1, 2, 3 or 4) or float32, colour modes made RGB(A)."""
    mode = picture.mode
    if mode == "CMYK":  # inverted (Adobe) CMYK JPEGs are un-inverted by Pillow's decoder already
        picture = picture.convert("RGB")
    elif mode in ("P", "PA"):
        picture = picture.convert("RGBA" if mode == "PA" or "transparency" in picture.info else "RGB")
    elif mode == "1":
        picture = picture.convert("L")
    elif mode in ("YCbCr", "LAB", "HSV"):
        picture = picture.convert("RGB")
    elif mode == "I":  # Pillow's 32-bit grey: 16-bit files are read into it
        return np.clip(np.asarray(picture), 0, 65535).astype(np.uint16)[..., None]
    elif mode.startswith("I;16"):
        return np.asarray(picture.convert("I")).astype(np.uint16)[..., None]
    pixels = np.asarray(picture)
    return pixels[..., None] if pixels.ndim == 2 else pixels


def to_float_rgb(pixels: np.ndarray) -> np.ndarray:
    """Any decoded image (grey, grey+alpha, RGB, RGBA; uint8/uint16/float) -> (H, W, 3) float32 in [0, 1];
    alpha is composited over white (transparent areas should not dream as black)."""
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
    if channels not in (1, 2, 3, 4):
        raise DreamreelError(f"expected 1 to 4 colour channels, got {channels}")
    if channels in (2, 4):
        colour, alpha = image[..., :-1], image[..., -1:]
        image = colour * alpha + (1.0 - alpha)
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    return np.ascontiguousarray(image)


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(np.asarray(image, np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Area-averaging when shrinking, bicubic when growing (OpenCV), float32 kept in [0, 1]."""
    import cv2

    h, w = image.shape[:2]
    if (h, w) == (height, width):
        return np.array(image, np.float32)
    interpolation = cv2.INTER_AREA if height * width < h * w else cv2.INTER_CUBIC
    out = cv2.resize(np.asarray(image, np.float32), (width, height), interpolation=interpolation)
    out = out.reshape(height, width, *image.shape[2:])  # OpenCV drops a last axis of 1
    return np.clip(out, 0.0, 1.0)


def resize_to_fit(image: np.ndarray, max_side: int) -> np.ndarray:
    h, w = image.shape[:2]
    scale = max_side / max(h, w)
    return resize(image, max(1, round(h * scale)), max(1, round(w * scale)))


def write_image(path: str | os.PathLike, image: np.ndarray, quality: int = 95) -> Path:
    """(H, W, 3) float in [0, 1] -> an 8-bit file whose format the suffix names; written atomically."""
    from PIL import Image

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise DreamreelError(f"cannot tell the format of {path}: use one of {', '.join(IMAGE_SUFFIXES)}")
    options = {"quality": quality} if suffix in (".jpg", ".jpeg", ".webp") else {}
    picture = Image.fromarray(to_uint8(image))
    with atomic_path(path) as tmp:
        picture.save(tmp, format=Image.registered_extensions()[suffix], **options)
    return path
