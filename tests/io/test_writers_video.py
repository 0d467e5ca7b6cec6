"""Video in and out (dreamreel.io): MP4 / GIF / PNG-folder writers, the frame-accurate reader, audio passthrough.

Frames are tiny (32x48) and clips short; every ffmpeg call takes well under a second here.
"""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest

from dreamreel.errors import DreamreelError
from dreamreel.io import (VideoInfo, ffmpeg_exe, mux_audio, open_writer, read_image, read_video, sidecar_path,
                          video_info, write_sidecar)
from dreamreel.io.ffmpeg import ffmpeg_url, run_ffmpeg

H, W = 32, 48
BITS = 6  # frame index drawn as 6 vertical black/white stripes, 8 px wide: survives H.264 easily


def ramp(shift: float = 0.0) -> np.ndarray:
    """A smooth colour ramp: red along x, green along y, blue constant (shifted per frame)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    return np.stack([x / (W - 1), y / (H - 1), np.full_like(x, 0.2 + shift)], axis=-1)


def index_frame(i: int) -> np.ndarray:
    stripes = np.array([(i >> b) & 1 for b in range(BITS)], np.float32)
    row = np.repeat(stripes, W // BITS)
    return np.repeat(np.broadcast_to(row[None, :], (H, W))[..., None], 3, axis=-1).copy()


def decode_index(frame: np.ndarray) -> int:
    stripes = frame.mean(axis=(0, 2)).reshape(BITS, -1)[:, 2:-2].mean(axis=1)  # stripe centres
    return int(sum(1 << b for b in range(BITS) if stripes[b] > 0.5))


def write_clip(path, frames, fps, **options):
    with open_writer(path, fps, **options) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def ffmpeg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
                          capture_output=True, check=True)


def audio_pcm(path, rate: int = 44100) -> np.ndarray:
    out = ffmpeg("-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-f", "s16le", "pipe:1").stdout
    return np.frombuffer(out, np.int16).astype(np.float32) / 32768.0


def peak_frequency(pcm: np.ndarray, rate: int = 44100) -> float:
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(len(pcm))))
    return float(np.fft.rfftfreq(len(pcm), 1.0 / rate)[np.argmax(spectrum)])


@pytest.fixture(scope="module")
def tone_clip(tmp_path_factory):
    """3 s of ffmpeg's test pattern at 24 fps (x264 with B-frames) with a 440 Hz tone."""
    path = tmp_path_factory.mktemp("tone") / "tone.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc=size={W}x{H}:rate=24:duration=3",
           "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=3",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-bf", "2", "-g", "12", "-c:a", "aac", str(path))
    return path


# ---------------------------------------------------------------------------------------------------- writers

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
    assert write_sidecar(tmp_path / "frames/", {"a": 1}) == tmp_path / "frames.json"


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
    with pytest.raises(DreamreelError, match="frame rate"):
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


def test_ffmpeg_complaint_becomes_one_line(tmp_path):
    with pytest.raises(DreamreelError) as error:
        run_ffmpeg(["-i", ffmpeg_url(tmp_path / "missing.mp4"), "-f", "null", "-"], "cannot convert")
    message = str(error.value)
    assert message.startswith("cannot convert: ") and "No such file or directory" in message
    assert "\n" not in message


# ---------------------------------------------------------------------------------------------------- reader

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


# ---------------------------------------------------------------------------------------------------- audio

def test_tone_clip_info(tone_clip):
    info = video_info(tone_clip)
    assert info == VideoInfo(fps=24.0, n_frames=72, width=W, height=H, duration=3.0, has_audio=True)


def test_audio_passes_through_trimmed(tone_clip, tmp_path):
    full = list(read_video(tone_clip)[0])
    frames, info = read_video(tone_clip, start=0.5, end=2.0)
    frames = list(frames)
    assert info.has_audio and len(frames) == 36 and info.start == 0.5
    for k, frame in enumerate(frames):  # the same frames as a full decode gives (x264 with B-frames, GOP 12)
        assert np.abs(frame - full[12 + k]).max() < 1e-6
    out = write_clip(tmp_path / "dream.mp4", frames, info.fps, audio=tone_clip, audio_start=info.start,
                     audio_end=info.start + info.duration, comment="kept")
    assert os.listdir(tmp_path) == ["dream.mp4"]
    out_info = video_info(out)
    assert out_info.has_audio and out_info.n_frames == 36
    pcm = audio_pcm(out)
    assert abs(len(pcm) / 44100 - 1.5) < 2 / 24
    assert peak_frequency(pcm) == pytest.approx(440, abs=3)
    assert "comment=kept" in ffmpeg("-i", str(out), "-f", "ffmetadata", "pipe:1").stdout.decode()


def test_mux_audio_in_place(tone_clip, tmp_path):
    silent = write_clip(tmp_path / "silent.mp4", [ramp(0.02 * i) for i in range(24)], 24)
    before = silent.read_bytes()
    assert mux_audio(silent, silent) is False  # no audio in the source: nothing happens
    assert silent.read_bytes() == before
    mode = silent.stat().st_mode
    assert mux_audio(silent, tone_clip, 1.0, 2.0) is True
    assert os.listdir(tmp_path) == ["silent.mp4"] and silent.stat().st_mode == mode
    info = video_info(silent)
    assert info.has_audio and info.n_frames == 24
    pcm = audio_pcm(silent)
    assert abs(len(pcm) / 44100 - 1.0) < 2 / 24
    assert peak_frequency(pcm) == pytest.approx(440, abs=3)
    with pytest.raises(DreamreelError, match="empty"):
        mux_audio(silent, tone_clip, 2.0, 1.0)
    with pytest.raises(DreamreelError, match="no such audio source"):
        mux_audio(silent, tmp_path / "missing.wav")
