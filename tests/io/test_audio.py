"""Audio passthrough (dreamreel.io.audio): trimmed audio kept in a written MP4, and muxed in place.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from synthetic import ffmpeg, write_clip

from dreamreel.errors import DreamreelError
from dreamreel.io import (
    VideoInfo,
    mux_audio,
    read_video,
    video_info,
)

H, W = 32, 48


def ramp(shift: float = 0.0) -> np.ndarray:
    """A smooth colour ramp: red along x, green along y, blue constant (shifted per frame)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    return np.stack([x / (W - 1), y / (H - 1), np.full_like(x, 0.2 + shift)], axis=-1)


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
