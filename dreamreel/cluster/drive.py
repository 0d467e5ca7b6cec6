"""The driver side: check every job here, hand the work to the pool, write the results here in order.

prepare(jobs) -> jobs                 check(job) for each, render outputs chosen, no two jobs writing one file
check(job) -> None                   the checks of jobs.run before any work: the same one-line errors as a local run
run_batch(jobs, pool, progress) -> [Path]       one task per job (stills, styles, renders); outputs written as
                                     their tasks finish, in the order of the jobs
run_atlas(job, pool, progress) -> Path        an AtlasJob, a one-cell atlas per cell on the pool, the sheet
                                     made and written here
run_clip(job, pool, length=, warmup=, crossfade=, progress=) -> Path   a ClipJob over segments (segments.py),
                                     streamed into the same checkpoint and writer as a local run (resumable:
                                     frames written are not rendered again)
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Callable

from ..core.steps import Progress
from ..core.visualize import contact_sheet
from ..errors import DreamreelError
from ..io import frame_range, read_video, video_info, write_image
from ..jobs import AtlasJob, ClipJob, RenderJob, atlas_cells, run, stream_clip
from ..settings import load_clip_preset, load_preset
from .segments import SegmentSource, plan_segments
from .workers import publish


class _Checked(Exception):
    """Raised in place of loading a model: every check of the job has passed by then."""


def _stop_before_model(name: str):
    raise _Checked


def check(job) -> None:
    try:
        run(job, load_model=_stop_before_model)
    except _Checked:
        return
    raise DreamreelError(f"{type(job).__name__} ran without a model; it cannot be checked for a cluster")


def _render_output(job: RenderJob) -> RenderJob:
    """The output a local run would choose, and one file: a worker's frames come back as one video."""
    output = job.output or f"{load_preset(job.preset, job.overrides).name}.mp4"
    if output.endswith(("/", os.sep)) or Path(output).is_dir():
        raise DreamreelError(f"on a cluster a render writes one video file (.mp4, .gif, .apng), not the folder "
                             f"{output}")
    return dataclasses.replace(job, output=output)


def prepare(jobs: list) -> list:
    jobs = [_render_output(job) if isinstance(job, RenderJob) else job for job in jobs]
    seen: dict[Path, object] = {}
    for job in jobs:
        for name in ("output", "timelapse"):
            value = getattr(job, name, None)
            if value:
                target = Path(value).resolve()
                if target in seen:
                    raise DreamreelError(f"two jobs of the batch write {value}: give each its own output")
                seen[target] = job
        check(job)
    return jobs


def run_batch(jobs: list, pool, progress: Callable | None = None) -> list[Path]:
    """Jobs from prepare(): checked, render outputs chosen."""
    outputs = []
    if progress and jobs:
        progress(Progress("batch", 0, len(jobs), unit="job"))
    for job, files in zip(jobs, pool.map("run", [(job,) for job in jobs])):
        outputs.append(publish(job, files))
        if progress:
            progress(Progress("batch", len(outputs), len(jobs), unit="job", detail=f"wrote {outputs[-1]}"))
    return outputs


def run_atlas(job: AtlasJob, pool, progress: Callable | None = None) -> Path:
    """A job checked by prepare(). Each cell is an atlas of one cell (its labelled tile), rendered alone; the sheet
    is put together as core.visualize.atlas does. A local atlas renders a layer's cells as one batch, so a cell's
    pixels match it where a layer has one cell (--per-layer), and are the same look elsewhere."""
    cells = atlas_cells(job)
    calls = [(dataclasses.replace(job, output="cell.png", layer=layer, channels=str(channel), per_layer=False),)
             for layer, channel in cells]
    tiles = []
    for tile in pool.map("image", calls):
        tiles.append(tile)
        if progress:
            progress(Progress("atlas", len(tiles), len(cells), unit="cell"))
    return write_image(job.output, contact_sheet(tiles))


def clip_frames(job: ClipJob) -> tuple[int, float]:
    """(frames in the job's range, frames per second)."""
    info = video_info(job.input)
    first, stop = frame_range(info, job.start, job.end, job.input)
    return stop - first, info.fps


def run_clip(job: ClipJob, pool, *, length: int, warmup: int, crossfade: int,
             progress: Callable | None = None) -> Path:
    """A job checked by prepare()."""
    look = load_clip_preset(job.preset, job.overrides)
    s = look.clip
    total, fps = clip_frames(job)
    plan = plan_segments(total, length, warmup, crossfade)
    source = SegmentSource(plan, lambda todo: pool.map("segment", [(job, g.render_first, g.render_stop)
                                                                    for g in todo]), stage=s.mode)
    frames, info = read_video(job.input, start=job.start, end=job.end, max_side=s.max_side)
    frames.close()  # only the selection's description: nothing is decoded
    # as jobs.run streams a local clip, plus the segment plan (so a local run's checkpoint is not resumed)
    return stream_clip(job, look, info, source, progress=progress,
                       extra={"segments": [dataclasses.asdict(g) for g in plan]})
