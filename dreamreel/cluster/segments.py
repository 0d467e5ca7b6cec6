"""A clip painted by the optimiser, split into segments rendered in parallel and joined back in order.

plan_segments(total, length, warmup, crossfade) -> [Segment]   frames [first, stop) owned by each segment
Segment(first, stop, warm, tail)        renders [first - warm, stop + tail): `warm` frames let the carried dream
                                        (or the temporal loss) settle and are dropped; `tail` frames are crossfaded
                                        into the next segment's first frames
render_segment(job, first, stop, *, load_model) -> [uint8 (H, W, 3)]   frames [first, stop) of a ClipJob's range
                                        rendered as a clip of their own: the same jobs.run as a local run
join(plan, rendered) -> iterator of (index, (H, W, 3) float32)   segments' frames in order, warm-up dropped, seams
                                        crossfaded
SegmentSource(plan, render)             a pipelines.stream FrameSource over join(...): resumable by frame index
seam_errors(frames, raws, plan) -> (seams, inside)   temporal error of each consecutive pair, split into pairs
                                        across a seam and pairs inside a segment

Frames within a segment depend on each other (each starts from the previous one along the optical flow), so a
segment is sequential; segments are independent, so they spread over the cluster. Each segment's first rendered
frame is dreamed in full, as a local run's first frame, and the warm-up lets the carried detail reach its steady
strength. It does not make two segments agree: a dream amplifies the pattern it carries, so neighbouring segments
settle into different patterns, and a hard cut is ~30x the temporal error inside a segment whatever the warm-up.
The crossfade spreads that change over `tail` frames; 10 bring the seam to the error inside segments
(benchmarks/RESULTS.md, Cluster).
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from ..errors import DreamreelError
from ..io import frame_range, read_image, to_uint8, video_info
from ..jobs import ClipJob, run
from ..pipelines.clip import temporal_error
from ..pipelines.stream import Frame


@dataclass(frozen=True)
class Segment:
    first: int
    stop: int
    warm: int = 0
    tail: int = 0

    @property
    def render_first(self) -> int:
        return self.first - self.warm

    @property
    def render_stop(self) -> int:
        return self.stop + self.tail


def plan_segments(total: int, length: int, warmup: int = 0, crossfade: int = 0) -> list[Segment]:
    if length < 1 or warmup < 0 or crossfade < 0:
        raise DreamreelError(f"segments need a length of 1 or more frames and no negative warm-up or crossfade; "
                             f"got {length}, {warmup}, {crossfade}")
    if crossfade >= length and total > length:
        raise DreamreelError(f"a crossfade of {crossfade} frames needs segments longer than that, not {length}")
    starts = range(0, total, length)
    return [Segment(first, min(first + length, total), warm=min(warmup, first),
                    tail=min(crossfade, max(total - first - length, 0)))
            for first in starts]


def _piece(job: ClipJob, first: int, stop: int) -> ClipJob:
    """The job narrowed to frames [first, stop) of its range: times half a frame inside the bounds, so the
    frame-accurate selection of io.read_video picks exactly those frames at any frame rate."""
    info = video_info(job.input)
    offset, _ = frame_range(info, job.start, job.end, job.input)
    return dataclasses.replace(job, start=(offset + first + 0.5) / info.fps, end=(offset + stop - 0.5) / info.fps,
                               keep_audio=False, resume=False)


def render_segment(job: ClipJob, first: int, stop: int, *, load_model: Callable | None = None) -> list[np.ndarray]:
    with tempfile.TemporaryDirectory(prefix="dreamreel-segment-") as folder:
        piece = dataclasses.replace(_piece(job, first, stop), output=str(Path(folder, "frames")) + "/")
        written = run(piece, load_model=load_model)
        return [to_uint8(read_image(path)) for path in sorted(Path(written).glob("frame_*.png"))]


def join(plan: list[Segment], rendered: Iterable[list[np.ndarray]]) -> Iterator[tuple[int, np.ndarray]]:
    """Frame t of the seam zone [stop, stop + tail) is (1 - w) * previous + w * next, w rising from 1/(tail+1)."""
    carried: list[np.ndarray] = []
    for segment, frames in zip(plan, rendered):
        expected = segment.render_stop - segment.render_first
        if len(frames) != expected:
            raise DreamreelError(f"a segment of frames {segment.render_first}..{segment.render_stop - 1} came "
                                 f"back with {len(frames)} frames instead of {expected}")
        own = [np.asarray(f, np.float32) / 255.0 for f in frames[segment.warm:]]
        for i, image in enumerate(own[:segment.stop - segment.first]):
            if i < len(carried):
                w = (i + 1) / (len(carried) + 1)
                image = (1.0 - w) * carried[i] + w * image
            yield segment.first + i, image
        carried = own[segment.stop - segment.first:]


@dataclass
class SegmentSource:
    """render(segments) -> iterator of each segment's rendered frames, in order (a pool's map, or local calls)."""

    plan: list[Segment]
    render: Callable[[list[Segment]], Iterator[list[np.ndarray]]]
    stage: str = "dream"

    @property
    def total(self) -> int:
        return self.plan[-1].stop if self.plan else 0

    @property
    def shown_total(self) -> int:
        return self.total

    def _resume_at(self, start: int) -> int:
        """The first segment to render again for frame `start`: its own, or the one before if `start` is in the
        crossfade that needs that one's tail."""
        k = next(i for i, s in enumerate(self.plan) if s.first <= start < s.stop)
        return k - 1 if k > 0 and start < self.plan[k].first + self.plan[k - 1].tail else k

    def frames(self, start: int = 0, state: dict | None = None) -> Iterator[Frame]:
        if start >= self.total:
            return
        todo = self.plan[self._resume_at(start):]
        for index, image in join(todo, self.render(todo)):
            if index >= start:
                yield Frame(index, index, image, {})


def seam_errors(frames: list[np.ndarray], raws: list[np.ndarray], plan: list[Segment],
                flow_method: str = "dis") -> tuple[list[float], list[float]]:
    """Temporal error (pipelines.clip.temporal_error) of each pair (t-1, t): across the seams (from the pair that
    enters a segment to the one that leaves its crossfade) and inside segments."""
    seams = {t for before, after in zip(plan, plan[1:]) for t in range(after.first, after.first + before.tail + 1)}
    at_seams, inside = [], []
    for t in range(1, len(frames)):
        error = temporal_error(frames[t - 1:t + 1], raws[t - 1:t + 1], flow_method=flow_method)
        (at_seams if t in seams else inside).append(error)
    return at_seams, inside
