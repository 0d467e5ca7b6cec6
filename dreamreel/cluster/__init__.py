"""Render on a Ray cluster: the same jobs as a local run (dreamreel.jobs), spread over workers, written here.

run(jobs, *, address="auto", workers=None, progress=None, cancel=None, load_model=None,
    segment=SEGMENT, warmup=WARMUP, crossfade=CROSSFADE) -> [Path]     one output per job, in order
What spreads, and how:
    DreamJob, StyleJob, VisualizeJob   a batch: one task per job
    AtlasJob                           one task per cell, the sheet assembled here
    RenderJob                          one task per job: a feedback animation is sequential (each frame is the
                                       last one moved and dreamed again), so only several presets or seeds spread
    ClipJob                            the frame range in segments of `segment` frames, each started `warmup`
                                       frames early (dropped) and crossfaded over `crossfade` frames into the next
address: "auto" (RAY_ADDRESS, else a cluster started here with `ray start`, else a new local Ray), "ray://host:port"
or "host:port" (session.connect). Workers are actors holding one model each (loaded once, checksum checked
against this machine's weights) and their compiled programs; inputs are read from a filesystem shared by the nodes
at the same paths, outputs come back here and are written atomically by the same writers as a local run.
Importing dreamreel.cluster does not import Ray; connecting does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..jobs import AtlasJob, ClipJob, RenderJob
from ..settings import load_clip_preset, load_preset

# Measured (benchmarks/RESULTS.md, Cluster): two segments of a dream never settle into the same pattern, whatever
# the warm-up (a seam is ~30x the temporal error inside a segment with 0, 4 or 8 warm-up frames); a 10-frame
# crossfade brings the seam's mean error to that inside segments. 48 + 4 + 10 frames rendered per 48 written.
SEGMENT = 48  # frames per clip segment (2 s at 24 fps)
WARMUP = 4  # frames rendered before a segment and dropped
CROSSFADE = 10  # frames blended across a seam


def _model_names(jobs: list) -> set[str]:
    names = set()
    for job in jobs:
        if isinstance(job, RenderJob):
            names.add(load_preset(job.preset, job.overrides).render.model)
        elif isinstance(job, ClipJob):
            names.add(load_clip_preset(job.preset, job.overrides).clip.model)
        else:
            names.add(job.model)
    return names


def run(jobs, *, address: str | None = "auto", workers: int | None = None, progress: Callable | None = None,
        cancel=None, load_model: Callable | None = None, segment: int = SEGMENT, warmup: int = WARMUP,
        crossfade: int = CROSSFADE) -> list[Path]:
    from . import drive
    from .pool import Pool
    from .session import cluster_cpus, connect
    from .workers import weights_digests

    jobs = drive.prepare(list(jobs))  # every job checked before the cluster is reached: a typo fails in a second
    weights = {} if load_model else weights_digests(_model_names(jobs))
    with connect(address) as ray, Pool(ray, workers or cluster_cpus(ray), load_model=load_model, weights=weights,
                                       cancel=cancel) as pool:
        pool.check_versions()
        outputs: dict[int, Path] = {}
        batch = [i for i, job in enumerate(jobs) if not isinstance(job, (ClipJob, AtlasJob))]
        outputs.update(zip(batch, drive.run_batch([jobs[i] for i in batch], pool, progress)))
        for i, job in enumerate(jobs):
            if isinstance(job, ClipJob):
                outputs[i] = drive.run_clip(job, pool, length=segment, warmup=warmup, crossfade=crossfade,
                                            progress=progress)
            elif isinstance(job, AtlasJob):
                outputs[i] = drive.run_atlas(job, pool, progress)
    return [outputs[i] for i in range(len(jobs))]
