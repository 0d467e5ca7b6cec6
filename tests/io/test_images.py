"""Still images (dreamreel.io.images): colour modes decoded right, reduced decoding of large files, the pixel limit,
the one host resize, and atomic writing."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from dreamreel.errors import DreamreelError
from dreamreel.io import (
    decode_image,
    max_pixels_default,
    read_image,
    resize,
    resize_to_fit,
    to_float_rgb,
    to_uint8,
    write_image,
)


def test_cmyk_jpeg_is_converted_to_rgb(tmp_path):
    """A CMYK JPEG (as print workflows save them) is read as its colours, not as RGBA (which dreamed to white)."""
    path = tmp_path / "print.jpg"
    cmyk = np.zeros((8, 16, 4), np.uint8)
    cmyk[:, :8] = (0, 255, 255, 0)   # red
    cmyk[:, 8:] = (255, 0, 0, 128)   # cyan, half black: (0, 127, 127)
    Image.fromarray(cmyk, "CMYK").save(path, quality=100)
    assert Image.open(path).mode == "CMYK"
    image = read_image(path)
    assert image.shape == (8, 16, 3) and image.dtype == np.float32
    assert np.abs(image[4, 2] - [1.0, 0.0, 0.0]).max() < 0.03
    assert np.abs(image[4, 13] - [0.0, 127 / 255, 127 / 255]).max() < 0.03


def test_grey_with_alpha_is_composited_over_white(tmp_path):
    path = tmp_path / "la.png"
    Image.fromarray(np.array([[[100, 255], [100, 0], [100, 128]]], np.uint8), "LA").save(path)
    image = read_image(path)
    assert image.shape == (1, 3, 3)
    grey, a = 100 / 255, 128 / 255
    assert np.allclose(image[0], [[grey] * 3, [1.0] * 3, [grey * a + 1 - a] * 3], atol=1e-6)


def test_sixteen_bit_png_uses_its_full_range(tmp_path):
    path = tmp_path / "g16.png"
    values = np.array([[0, 257, 16384, 65535]], np.uint16)
    Image.fromarray(values).save(path)
    assert decode_image(path).dtype == np.uint16
    assert np.allclose(read_image(path)[0, :, 0], values[0] / 65535.0, atol=1e-7)
    big = tmp_path / "g16_big.png"
    Image.fromarray(np.full((40, 80), 40000, np.uint16)).save(big)
    reduced = decode_image(big, max_side=10)  # box-reduced by 8 while still 16-bit
    assert reduced.shape == (5, 10, 1) and reduced.dtype == np.uint16 and (reduced == 40000).all()
    assert np.allclose(read_image(big, max_side=10), 40000 / 65535.0, atol=1e-6)


def test_palette_images_become_rgb(tmp_path):
    path = tmp_path / "p.png"
    picture = Image.new("P", (3, 1))
    picture.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255] + [0] * 759)
    picture.putdata([1, 2, 0])
    picture.save(path)
    assert np.array_equal(read_image(path)[0], [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    picture.info["transparency"] = 0  # index 0 transparent: composited over white
    picture.save(path, transparency=0)
    assert np.array_equal(read_image(path)[0], [[1, 0, 0], [0, 0, 1], [1, 1, 1]])
    halves = Image.new("P", (80, 40))
    halves.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    halves.paste(1, (0, 0, 40, 40))
    halves.save(path)
    reduced = read_image(path, max_side=10)  # colours are averaged, not palette indices
    assert reduced.shape == (5, 10, 3) and np.array_equal(reduced[2, 2], [1, 0, 0]) and not reduced[2, 8].any()


def test_exif_rotation_is_applied(tmp_path):
    path = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown turned 90 degrees clockwise
    Image.new("RGB", (40, 20), (200, 10, 10)).save(path, exif=exif)
    assert read_image(path).shape == (40, 20, 3)


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory):
    """An 8K (7680x4320) JPEG: a smooth ramp."""
    height, width = 4320, 7680
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[..., 0] = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    pixels[..., 1] = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    pixels[..., 2] = 128
    path = tmp_path_factory.mktemp("big") / "8k.jpg"
    Image.fromarray(pixels).save(path, quality=90)
    return path


def test_a_large_jpeg_is_decoded_at_reduced_size(big_jpeg, monkeypatch):
    drafts = []
    draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = draft(self, mode, size)
        drafts.append((self.format, size, self.size))
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    decoded = decode_image(big_jpeg, max_side=1024)
    # draft asks for 1024x576; the decoder's 1/4 scale is the largest that still covers it: never full size
    assert drafts == [("JPEG", (1024, 576), (1920, 1080))]
    assert decoded.shape == (1080, 1920, 3) and decoded.dtype == np.uint8
    image = read_image(big_jpeg, max_side=1024)
    assert image.shape == (576, 1024, 3) and image.dtype == np.float32
    expected_red = np.linspace(0, 1, 1024)  # the ramp survives the reduced decode and the exact resize
    assert np.abs(image[288, 8:-8, 0] - expected_red[8:-8]).max() < 0.02


def test_other_formats_are_box_reduced_before_the_float_image(tmp_path):
    path = tmp_path / "wide.png"
    Image.fromarray(np.full((100, 1000, 3), 77, np.uint8)).save(path)
    decoded = decode_image(path, max_side=120)
    assert decoded.shape == (13, 125, 3)  # reduced by 8 (1000 // 120): the float image is never 100x1000
    image = read_image(path, max_side=120)
    assert image.shape == (12, 120, 3) and np.allclose(image, 77 / 255, atol=1e-6)


def test_the_pixel_limit_is_checked_from_the_header(big_jpeg, monkeypatch):
    with pytest.raises(DreamreelError, match=r"8k.jpg is 7680x4320 = 33 megapixels, more than the limit of 10 "
                                             r"megapixels: pass max_pixels= or set DREAMREEL_MAX_PIXELS"):
        read_image(big_jpeg, max_pixels=10_000_000)
    monkeypatch.setenv("DREAMREEL_MAX_PIXELS", "1000000")
    assert max_pixels_default() == 1_000_000
    with pytest.raises(DreamreelError, match="limit of 1 megapixels"):
        read_image(big_jpeg, max_side=64)
    assert read_image(big_jpeg, max_side=64, max_pixels=40_000_000).shape == (36, 64, 3)  # the caller decides
    monkeypatch.setenv("DREAMREEL_MAX_PIXELS", "lots")
    with pytest.raises(DreamreelError, match="DREAMREEL_MAX_PIXELS must be a positive whole number"):
        max_pixels_default()
    monkeypatch.delenv("DREAMREEL_MAX_PIXELS")
    assert max_pixels_default() == 16384 * 16384


def test_pillows_own_size_limit_does_not_apply(tmp_path, monkeypatch):
    """Above Pillow's 'decompression bomb' limit the image is still read when ours allows it."""
    path = tmp_path / "a.png"
    Image.new("RGB", (64, 64), (0, 255, 0)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 4096 pixels > 2 x 100: Image.open itself refuses
    with pytest.raises(Image.DecompressionBombError):
        Image.open(path)
    assert np.array_equal(read_image(path)[10, 10], [0, 1, 0])
    with pytest.raises(DreamreelError, match="64x64"):
        read_image(path, max_pixels=4095)


def test_unreadable_files_give_one_line(tmp_path):
    with pytest.raises(DreamreelError, match="no such image"):
        read_image(tmp_path / "missing.png")
    with pytest.raises(DreamreelError, match="is a folder"):
        read_image(tmp_path)
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(DreamreelError, match="cannot read .*notes.png as an image"):
        read_image(tmp_path / "notes.png")
    good = tmp_path / "cut.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(good)
    good.write_bytes(good.read_bytes()[:2000])  # the header and part of the pixels
    with pytest.raises(DreamreelError, match="cannot decode .*cut.jpg") as error:
        read_image(good)
    assert "\n" not in str(error.value)


def test_to_float_rgb_and_to_uint8():
    grey = np.array([[0, 255]], np.uint8)
    assert np.array_equal(to_float_rgb(grey), [[[0, 0, 0], [1, 1, 1]]])
    rgba = np.array([[[255, 0, 0, 0]]], np.uint8)  # fully transparent red: white
    assert np.array_equal(to_float_rgb(rgba), [[[1, 1, 1]]])
    assert to_float_rgb(np.array([[[2.0, -1.0, 0.5]]])).tolist() == [[[1.0, 0.0, 0.5]]]
    with pytest.raises(DreamreelError, match="1 to 4 colour channels"):
        to_float_rgb(np.zeros((2, 2, 5)))
    assert to_uint8(np.array([[[0.0, 0.5, 1.2]]])).tolist() == [[[0, 128, 255]]]


def test_resize_is_exact_on_tiny_inputs():
    image = np.arange(16, dtype=np.float32).reshape(4, 4, 1) / 15.0
    half = resize(image, 2, 2)  # area averaging: the mean of each 2x2 block
    assert half.shape == (2, 2, 1) and np.allclose(half[..., 0], [[2.5, 4.5], [10.5, 12.5]] / np.float32(15))
    assert np.array_equal(resize(image, 4, 4), image)
    assert resize(np.ones((3, 5, 3), np.float32), 7, 11).shape == (7, 11, 3)
    assert resize_to_fit(np.zeros((30, 60, 3), np.float32), 20).shape == (10, 20, 3)


def test_write_image_is_atomic_and_round_trips(tmp_path):
    image = np.random.default_rng(0).random((5, 7, 3)).astype(np.float32)
    path = write_image(tmp_path / "out.png", image)
    assert os.listdir(tmp_path) == ["out.png"]
    assert np.abs(read_image(path) - image).max() <= 0.5 / 255 + 1e-6
    with pytest.raises(DreamreelError, match="cannot tell the format"):
        write_image(tmp_path / "out.xyz", image)
    assert os.listdir(tmp_path) == ["out.png"]
