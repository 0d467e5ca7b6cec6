"""Uploads are judged by decoding, never by their names; sizes are capped; the server names what it keeps."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import photo

from dreamreel.errors import DreamreelError
from dreamreel.io import read_image, write_image
from dreamreel.studio.uploads import accept_image, accept_video, sample_images


def test_a_real_image_is_stored_re_encoded_under_a_server_name(tmp_path):
    source = write_image(tmp_path / "my holiday.jpg", photo((48, 40)))
    stored = accept_image(source, tmp_path / "uploads")
    assert stored.parent == tmp_path / "uploads" and stored.suffix == ".png" and "holiday" not in stored.name
    np.testing.assert_allclose(read_image(stored), read_image(source), atol=1 / 255)
    assert accept_image(source, tmp_path / "uploads") == stored  # the same pixels are kept once


def test_a_text_file_named_png_is_refused_in_one_line(tmp_path):
    fake = tmp_path / "cat.png"
    fake.write_text("<html>not a picture</html>")
    with pytest.raises(DreamreelError) as error:
        accept_image(fake, tmp_path / "uploads")
    assert str(error.value) == "cat.png is not an image dreamreel can read; upload a PNG, JPEG or WebP photo"
    assert not (tmp_path / "uploads").exists()


def test_an_image_named_txt_is_accepted(tmp_path):
    source = write_image(tmp_path / "photo.png", photo((16, 16)))
    renamed = source.rename(tmp_path / "photo.txt")
    assert accept_image(renamed, tmp_path / "uploads").is_file()


def test_size_and_pixel_caps(tmp_path):
    source = write_image(tmp_path / "p.png", photo((64, 64)))
    with pytest.raises(DreamreelError, match=r"p.png is .* MB; image uploads are limited to"):
        accept_image(source, tmp_path / "u", max_bytes=100)
    with pytest.raises(DreamreelError, match=r"p.png is 64x64 pixels; the studio takes at most"):
        accept_image(source, tmp_path / "u", max_pixels=64 * 63)
    with pytest.raises(DreamreelError, match="did not arrive"):
        accept_image(tmp_path / "missing.png", tmp_path / "u")


def test_a_video_is_checked_by_decoding(tmp_path):
    from dreamreel.io import open_writer

    clip = tmp_path / "clip.mov"  # an MP4 inside: the name does not decide
    with open_writer(tmp_path / "clip.mp4", 8) as writer:
        for i in range(6):
            writer.write(np.full((32, 48, 3), i / 6, np.float32))
    (tmp_path / "clip.mp4").rename(clip)
    stored = accept_video(clip, tmp_path / "uploads")
    assert stored.suffix == ".mov" and stored.read_bytes() == clip.read_bytes()
    fake = tmp_path / "fake.mp4"
    fake.write_text("not a video")
    with pytest.raises(DreamreelError, match="fake.mp4 is not a video dreamreel can read"):
        accept_video(fake, tmp_path / "uploads")
    with pytest.raises(DreamreelError, match="lasts 1 s; the studio takes clips of at most 0 s"):
        accept_video(clip, tmp_path / "uploads", max_seconds=0.5)


def test_samples_ship_with_dreamreel():
    samples = sample_images()
    assert {"sky", "starry night"} <= set(samples)
    assert all(path.is_file() for path in samples.values())
