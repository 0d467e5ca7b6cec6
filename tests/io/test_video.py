"""Video in (dreamreel.io.video): frame-accurate selection, scaling, rotation, early stop and read errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import ffmpeg, write_clip

from dreamreel.errors import DreamreelError
from dreamreel.io import read_video, video_info

H, W = 32, 48
BITS = 6  # frame index drawn as 6 vertical black/white stripes, 8 px wide: survives H.264 easily


def index_frame(i: int) -> np.ndarray:
    stripes = np.array([(i >> b) & 1 for b in range(BITS)], np.float32)
    row = np.repeat(stripes, W // BITS)
    return np.repeat(np.broadcast_to(row[None, :], (H, W))[..., None], 3, axis=-1).copy()


def decode_index(frame: np.ndarray) -> int:
    stripes = frame.mean(axis=(0, 2)).reshape(BITS, -1)[:, 2:-2].mean(axis=1)  # stripe centres
    return int(sum(1 << b for b in range(BITS) if stripes[b] > 0.5))


@pytest.fixture(scope="module")
def index_clip(tmp_path_factory):
    """48 frames at 24 fps, frame i showing i in binary."""
    return write_clip(tmp_path_factory.mktemp("index") / "index.mp4", [index_frame(i) for i in range(48)], 24)


def test_index_frames_decode():
    assert [decode_index(index_frame(i)) for i in range(64)] == list(range(64))


@pytest.mark.parametrize("start, end, first, stop", [
    (None, None, 0, 48),
    (0.5, 1.25, 12, 30),      # 0.5 * 24 = 12; 1.25 * 24 = 30 (exclusive)
    (0.51, 1.26, 12, 31),     # frame 12 is on screen at 0.51 s; frame 30 starts before 1.26 s
    (1.0, None, 24, 48),
    (None, 0.1, 0, 3),
    (1.9, 10.0, 45, 48),      # an end beyond the clip is clamped
])
def test_read_video_is_frame_accurate(index_clip, start, end, first, stop):
    frames, info = read_video(index_clip, start=start, end=end)
    assert [decode_index(f) for f in frames] == list(range(first, stop))
    assert info.n_frames == stop - first and info.start == pytest.approx(first / 24)
    assert info.duration == pytest.approx((stop - first) / 24)


def test_read_video_scales(index_clip):
    frames, info = read_video(index_clip, start=1.0, end=1.5, max_side=24)
    frames = list(frames)
    assert (info.width, info.height, len(frames)) == (24, 16, 12)
    assert all(f.shape == (16, 24, 3) for f in frames)
    frames, info = read_video(index_clip, end=0.25, size=(64, 96))
    frames = list(frames)
    assert (info.height, info.width) == (64, 96) and frames[0].shape == (64, 96, 3)
    assert [decode_index(f) for f in frames] == list(range(6))
    assert read_video(index_clip, max_side=1000)[1].width == W  # never enlarged by max_side


def test_rotated_clip_is_read_upright(index_clip, tmp_path):
    rotated = tmp_path / "rotated.mp4"
    ffmpeg("-display_rotation", "90", "-i", str(index_clip), "-c", "copy", str(rotated))
    info = video_info(rotated)
    assert (info.width, info.height) == (H, W)
    frames, info = read_video(rotated, start=1.0, end=1.5, max_side=24)
    frames = list(frames)
    assert (info.width, info.height) == (16, 24) and [f.shape for f in frames] == [(24, 16, 3)] * 12


def test_read_video_stops_early(index_clip):
    frames, _ = read_video(index_clip)
    assert decode_index(next(frames)) == 0
    frames.close()  # ffmpeg is stopped, nothing hangs


def test_read_errors(tmp_path, index_clip):
    with pytest.raises(DreamreelError, match="no such video"):
        read_video(tmp_path / "missing.mp4")
    with pytest.raises(DreamreelError, match="no such video"):
        video_info(tmp_path / "missing.mp4")
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n" * 20)
    with pytest.raises(DreamreelError, match="cannot read"):
        read_video(fake)
    with pytest.raises(DreamreelError, match="cannot read"):
        video_info(fake)
    with pytest.raises(DreamreelError, match="folder"):
        video_info(tmp_path)
    with pytest.raises(DreamreelError, match="no frames"):
        read_video(index_clip, start=5.0)
    with pytest.raises(DreamreelError, match="no frames"):
        read_video(index_clip, start=1.0, end=1.0)
    with pytest.raises(DreamreelError, match=">= 0"):
        read_video(index_clip, start=-1.0)


