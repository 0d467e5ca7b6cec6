"""The streaming pipeline with a synthetic frame source: outputs, checkpoints, resume, interruption."""

from dataclasses import dataclass

import numpy as np
import pytest

from dreamreel.io import read_image, video_info
from dreamreel.pipelines.checkpoint import Checkpoint, checkpoint_dir, fingerprint
from dreamreel.pipelines.stream import Frame, stream


@dataclass
class Counter:
    """Frame i is the previous frame plus a seeded increment: each frame needs its predecessor (like feedback)."""

    total: int = 6
    warmup: int = 1
    stage: str = "test"
    calls: int = 0

    @property
    def shown_total(self):
        return self.total - self.warmup

    def frames(self, start=0, state=None):
        previous = state["previous"] if state else np.zeros((16, 24, 3), np.float32)
        for index in range(start, self.total):
            self.calls += 1
            rng = np.random.default_rng(index)
            previous = np.clip(previous + 0.1 * rng.random(previous.shape, np.float32), 0, 1)
            shown = index - self.warmup
            yield Frame(index, shown if shown >= 0 else None, previous, {"previous": previous})


class Stop(Exception):
    pass


def test_frames_reach_the_writer_and_the_checkpoint_goes(tmp_path):
    events = []
    out = stream(Counter(), tmp_path / "out/", key="k", fps=10, progress=events.append)
    files = sorted(out.iterdir())
    assert len(files) == 5 and read_image(files[0]).shape == (16, 24, 3)
    assert not checkpoint_dir(out).exists()
    assert events[0].done == 0 and events[-1].done == 6 and events[-1].total == 6 and events[-1].unit == "frame"
    assert events[1].detail == "warming up" and events[-1].detail == "frame 5/5"


def test_an_interrupted_stream_resumes_to_the_same_video(tmp_path):
    whole = stream(Counter(), tmp_path / "whole.mp4", key="k", fps=10, quality=0)

    def interrupt(event):
        if event.done == 4:
            raise Stop

    with pytest.raises(Stop):
        stream(Counter(), tmp_path / "cut.mp4", key="k", fps=10, quality=0, progress=interrupt)
    assert not (tmp_path / "cut.mp4").exists()  # nothing half-written
    assert Checkpoint(tmp_path / "cut.mp4", "k").load().done == 4
    source, events = Counter(), []
    resumed = stream(source, tmp_path / "cut.mp4", key="k", fps=10, quality=0, progress=events.append)
    assert source.calls == 2 and events[0].resumed == 4
    assert video_info(resumed).n_frames == video_info(whole).n_frames == 5
    assert whole.read_bytes() == resumed.read_bytes() or _same_frames(whole, resumed)


def _same_frames(a, b):
    from dreamreel.io import read_video

    return all(np.array_equal(x, y) for x, y in zip(read_video(a)[0], read_video(b)[0]))


def test_another_key_starts_over(tmp_path):
    with pytest.raises(Stop):
        stream(Counter(), tmp_path / "o/", key="a", fps=10, progress=lambda e: (_ for _ in ()).throw(Stop)
               if e.done == 3 else None)
    source = Counter()
    stream(source, tmp_path / "o/", key="b", fps=10)
    assert source.calls == 6


def test_fingerprint_follows_settings_files_and_arrays(tmp_path):
    f = tmp_path / "guide.png"
    f.write_bytes(b"one")
    base = fingerprint({"a": 1}, [f], [np.zeros(3)])
    assert base == fingerprint({"a": 1}, [f], [np.zeros(3)])
    assert base != fingerprint({"a": 2}, [f], [np.zeros(3)])
    assert base != fingerprint({"a": 1}, [f], [np.ones(3)])
    f.write_bytes(b"two")
    assert base != fingerprint({"a": 1}, [f], [np.zeros(3)])
