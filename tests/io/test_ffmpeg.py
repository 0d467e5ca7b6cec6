"""ffmpeg's stderr becomes one line that says what went wrong (dreamreel.io.ffmpeg)."""

from __future__ import annotations

import pytest

from dreamreel.errors import DreamreelError
from dreamreel.io.ffmpeg import ffmpeg_reason, ffmpeg_url, frame_rate, run_ffmpeg


def test_the_reason_skips_noise_and_prefixes():
    stderr = ("Input #0, rawvideo, from 'pipe:0':\n  Duration: N/A, bitrate: 1 kb/s\n"
              "[libx264 @ 0x55d4] [enc:libx264] invalid preset 'nonsense'.\n"
              "[vost#0:0/libx264 @ 0x55d4] Error while opening encoder - maybe incorrect parameters\n"
              "[libx264 @ 0x55d4] [enc:libx264] invalid preset 'nonsense'.\n"
              "Conversion failed!\n")
    assert ffmpeg_reason(stderr) == ("invalid preset 'nonsense'; Error while opening encoder - maybe incorrect "
                                     "parameters")
    assert ffmpeg_reason("av_interleaved_write_frame(): No space left on device\n") == "the disk is full"
    assert "IMAGEIO_FFMPEG_EXE" in ffmpeg_reason("Unknown encoder 'libx264'\n")
    assert ffmpeg_reason("") == "ffmpeg failed without saying why"
    assert len(ffmpeg_reason("x" * 1000)) == 300


def test_a_failing_run_raises_one_line(tmp_path):
    with pytest.raises(DreamreelError) as error:
        run_ffmpeg(["-i", ffmpeg_url(tmp_path / "missing.mp4"), "-f", "null", "-"], "cannot convert")
    message = str(error.value)
    assert message.startswith("cannot convert: ") and "No such file or directory" in message
    assert "\n" not in message


def test_urls_and_rates():
    assert ffmpeg_url("-x.mp4").startswith("file:/") and ffmpeg_url("a:b.mp4").endswith("/a:b.mp4")
    assert [frame_rate(f) for f in (24, 12.5, 29.97, 23.976, 59.94, 30000 / 1001, 25.0)] == \
        ["24/1", "25/2", "30000/1001", "24000/1001", "60000/1001", "30000/1001", "25/1"]
