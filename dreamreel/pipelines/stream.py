"""The one streaming pipeline of every video: frames in -> step -> checkpoint -> writer.

Frame(index, shown, image, state)       one rendered frame: its index (warm-up included), its index in the video
                                        (None while warming up), the (H, W, 3) float image, and what the next
                                        frame needs ({name: array}, saved in the checkpoint)
FrameSource                             .total (frames to render), .shown_total, .stage,
                                        .frames(start, state) -> iterator of Frame from frame `start` on
stream(source, output, *, key, fps, resume, keep_checkpoint, progress, **writer_options) -> Path

Feedback animations (pipelines.feedback) and clips (pipelines.clip) are FrameSources. stream holds the output's
lock, resumes from the checkpoint of an interrupted run with the same key (re-sending its finished frames to a
new writer), saves every frame before writing it, and publishes the video atomically when the last frame is
written. An exception (Ctrl-C, SIGTERM, a cancelled job) leaves the checkpoint for the next run and no partial
output.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol

import numpy as np

from ..core.steps import Progress
from ..io import open_writer, output_lock, to_uint8
from .checkpoint import Checkpoint


@dataclass
class Frame:
    index: int
    shown: int | None
    image: np.ndarray
    state: dict = field(default_factory=dict)


class FrameSource(Protocol):
    stage: str
    total: int
    shown_total: int

    def frames(self, start: int, state: dict | None) -> Iterator[Frame]: ...


def stream(source: FrameSource, output: str | os.PathLike, *, key: str, fps: float, resume: bool = True,
           keep_checkpoint: bool = False, progress: Callable[[Progress], None] | None = None,
           **writer_options) -> Path:
    output = Path(output)
    with output_lock(output):
        checkpoint = Checkpoint(output, key)
        resumed = checkpoint.load() if resume else None
        if resumed is None:
            checkpoint.start()
        done = resumed.done if resumed else 0
        if progress:
            progress(Progress(source.stage, done, source.total, unit="frame", resumed=done))
        with open_writer(output, fps, **writer_options) as writer:
            for pixels in checkpoint.shown_frames(resumed.shown if resumed else 0):
                writer.write(pixels)
            for frame in source.frames(done, resumed.state if resumed else None):
                pixels = to_uint8(frame.image) if frame.shown is not None else None
                checkpoint.save(frame.index, frame.shown, pixels, frame.state)
                if pixels is not None:
                    writer.write(pixels)
                if progress:
                    progress(Progress(source.stage, frame.index + 1, source.total, unit="frame", image=frame.image,
                                      detail=f"frame {frame.shown + 1}/{source.shown_total}"
                                      if frame.shown is not None else "warming up"))
        if not keep_checkpoint:
            checkpoint.remove()
    return output
