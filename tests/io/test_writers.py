"""Writers (dreamreel.io.writers): MP4 / GIF / APNG / PNG-folder round trips, atomic publishing, option checks.

Frames are tiny (32x48) and clips short; every ffmpeg call takes well under a second here.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from synthetic import ffmpeg, write_clip

from dreamreel.errors import DreamreelError
from dreamreel.io import open_writer, read_image, read_video, sidecar_path, video_info

H, W = 32, 48


def ramp(shift: float = 0.0) -> np.ndarray:
    """A smooth colour ramp: red along x, green along y, blue constant (shifted per frame)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    return np.stack([x / (W - 1), y / (H - 1), np.full_like(x, 0.2 + shift)], axis=-1)


def test_mp4_round_trip(tmp_path):
    frames = [ramp(0.05 * i) for i in range(10)]
    path = write_clip(tmp_path / "ramp.mp4", frames, 12)
    assert os.listdir(tmp_path) == ["ramp.mp4"]
    info = video_info(path)
    assert (info.n_frames, info.width, info.height, info.fps, info.has_audio) == (10, W, H, 12.0, False)
    assert info.duration == pytest.approx(10 / 12)
    decoded, read_info = read_video(path)
    decoded = list(decoded)
    assert read_info == info and len(decoded) == 10
    for original, back in zip(frames, decoded):
        assert back.shape == (H, W, 3) and back.dtype == np.float32
        assert np.abs(back - original).mean() < 0.02
        assert np.abs(back - original).max() < 0.15


def test_mp4_metadata_and_sidecar(tmp_path):
    preset = 'objective = "layer(block4_conv3)"\noctaves = 4\n'
    sidecar = {"preset": preset, "version": "0.1.0", "fps": 12}
    path = write_clip(tmp_path / "meta.mp4", [ramp()] * 2, 12, comment=preset, title="dreamreel 0.1.0",
                      sidecar=sidecar)
    text = ffmpeg("-i", str(path), "-f", "ffmetadata", "pipe:1").stdout.decode()
    assert "title=dreamreel 0.1.0" in text
    assert 'comment=objective \\= "layer(block4_conv3)"\\\noctaves \\= 4' in text  # ffmetadata escaping
    assert sidecar_path(path) == tmp_path / "meta.mp4.json"
    assert json.loads(sidecar_path(path).read_text()) == sidecar
    assert sorted(os.listdir(tmp_path)) == ["meta.mp4", "meta.mp4.json"]
    assert sidecar_path(path).stat().st_mode == path.stat().st_mode  # not a private temporary file's 0600


@pytest.mark.parametrize("odd_size, expected", [("pad", (34, 48)), ("crop", (32, 46))])
def test_odd_sizes_become_valid_for_h264(tmp_path, odd_size, expected):
    y, x = np.mgrid[0:33, 0:47].astype(np.float32)
    grey = 0.5 + 0.2 * np.sin(x / 2) + 0.2 * np.sin(y / 2)  # fine detail in luma shows any shift or scaling
    frame = np.stack([grey + 0.1 * (x / 46 - 0.5), grey, grey - 0.1 * (y / 32 - 0.5)], axis=-1)
    path = write_clip(tmp_path / "odd.mp4", [frame] * 3, 24, odd_size=odd_size)
    info = video_info(path)
    assert (info.height, info.width) == expected and info.n_frames == 3
    back = next(read_video(path)[0])
    error = lambda dy, dx: np.abs(back[1 + dy:31 + dy, 1 + dx:45 + dx] - frame[1:31, 1:45]).mean()  # noqa: E731
    assert error(0, 0) < 0.02
    assert error(0, 0) < 0.3 * min(error(0, 1), error(1, 0), error(0, -1), error(-1, 0))


def test_gif_round_trip_and_loops(tmp_path):
    frames = [ramp(0.1 * i) for i in range(8)]
    path = write_clip(tmp_path / "ramp.gif", frames, 10)
    assert os.listdir(tmp_path) == ["ramp.gif"]
    data = path.read_bytes()
    assert data[:6] == b"GIF89a"
    loop = data.index(b"NETSCAPE2.0")
    assert data[loop + 11:loop + 16] == b"\x03\x01\x00\x00\x00"  # loop count 0: forever
    info = video_info(path)
    assert (info.n_frames, info.width, info.height, info.fps) == (8, W, H, 10.0)
    decoded = list(read_video(path)[0])
    assert len(decoded) == 8
    blur = lambda image: image.reshape(H // 4, 4, W // 4, 4, 3).mean(axis=(1, 3))  # noqa: E731 - undo dithering
    for original, back in zip(frames, decoded):
        assert np.abs(blur(back) - blur(original)).mean() < 0.05  # 256 colours for a 3-D gradient


def test_png_folder(tmp_path):
    frames = [ramp(0.1 * i) for i in range(5)]
    target = tmp_path / "frames"
    write_clip(str(target) + "/", frames, 24)
    assert os.listdir(tmp_path) == ["frames"]
    assert sorted(os.listdir(target)) == [f"frame_{i:06d}.png" for i in range(5)]
    for i, original in enumerate(frames):
        assert np.abs(read_image(target / f"frame_{i:06d}.png") - original).max() <= 0.5 / 255 + 1e-6
    # writing again replaces the earlier frames (a folder of only frames), atomically
    write_clip(target, frames[:2], 24)
    assert sorted(os.listdir(target)) == ["frame_000000.png", "frame_000001.png"]
    (target / "notes.txt").write_text("mine")
    with pytest.raises(DreamreelError, match="other files"):
        open_writer(target, 24)


@pytest.mark.parametrize("name", ["clip.mp4", "clip.gif", "frames/"])
def test_exception_in_block_leaves_nothing(tmp_path, name):
    with pytest.raises(RuntimeError, match="boom"):
        with open_writer(tmp_path / name if not name.endswith("/") else str(tmp_path / name), 10) as writer:
            for i in range(3):
                writer.write(ramp(0.1 * i))
            raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []


def test_failure_keeps_the_previous_output(tmp_path):
    path = write_clip(tmp_path / "clip.mp4", [ramp()] * 2, 10)
    before = path.read_bytes()
    with pytest.raises(KeyboardInterrupt):
        with open_writer(path, 10) as writer:
            writer.write(ramp())
            raise KeyboardInterrupt
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["clip.mp4"]


def test_writer_errors(tmp_path):
    with pytest.raises(DreamreelError, match="format"):
        open_writer(tmp_path / "clip.avi", 10)
    with pytest.raises(DreamreelError, match="does not exist"):
        open_writer(tmp_path / "missing" / "clip.mp4", 10)
    with pytest.raises(DreamreelError, match="fps must be a finite number > 0 and <= 1000; got 0"):
        open_writer(tmp_path / "clip.mp4", 0)
    with pytest.raises(DreamreelError, match="no frames"):
        with open_writer(tmp_path / "clip.mp4", 10):
            pass
    with pytest.raises(DreamreelError, match="first was 48x32"):
        with open_writer(tmp_path / "clip.mp4", 10) as writer:
            writer.write(ramp())
            writer.write(np.zeros((16, 16, 3), np.float32))
    with pytest.raises(DreamreelError, match="MP4"):
        open_writer(tmp_path / "clip.gif", 10, audio=tmp_path / "clip.mp4")
    # options are checked before any work, naming what is allowed
    with pytest.raises(DreamreelError, match="preset must be one of .*medium.*got 'nonsense'"):
        open_writer(tmp_path / "clip.mp4", 10, preset="nonsense")
    with pytest.raises(DreamreelError, match="unknown writer option 'qualty'"):
        open_writer(tmp_path / "clip.mp4", 10, qualty=3)
    assert os.listdir(tmp_path) == []


def test_apng_round_trips_frames_exactly(tmp_path):
    from PIL import Image

    frames = [ramp(0.1 * i) for i in range(4)]
    path = write_clip(tmp_path / "ramp.apng", frames, 8)
    assert os.listdir(tmp_path) == ["ramp.apng"]
    with Image.open(path) as picture:
        assert picture.format == "PNG" and picture.n_frames == 4 and picture.info.get("loop") == 0
        for i, original in enumerate(frames):
            picture.seek(i)
            assert picture.info["duration"] == pytest.approx(125.0)  # ms: 8 fps kept exactly
            expected = (np.clip(original, 0, 1) * 255 + 0.5).astype(np.uint8)
            assert np.array_equal(np.asarray(picture.convert("RGB")), expected)
    info = video_info(path)
    assert (info.n_frames, info.width, info.height) == (4, W, H)


def test_every_format_is_a_registered_writer(tmp_path):
    from dreamreel.io.writers import REGISTRY, Writer, register, writer_class

    assert {"mp4", "gif", "apng", "frames"} <= set(REGISTRY)
    assert writer_class(tmp_path / "a.MP4").kind == "mp4" and writer_class(str(tmp_path / "x") + "/").kind == "frames"
    assert writer_class(tmp_path / "a.apng").kind == "apng" and writer_class(tmp_path / "frames").kind == "frames"

    class Again(Writer):
        kind, suffixes = "again", (".gif",)

    with pytest.raises(ValueError, match="already taken"):
        register(Again)
    assert "again" not in REGISTRY
