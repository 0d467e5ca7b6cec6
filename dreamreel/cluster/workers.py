"""What runs on the cluster's nodes: a worker keeps its models loaded and its programs compiled between tasks, and
runs jobs with the same code as a local run (dreamreel.jobs), writing into a scratch folder of its own.

Worker(cwd, load_model=None, weights={})   a Ray actor class, working in the driver's folder `cwd` (relative paths
                                      mean the same as on the driver); load_model(name) -> Model (default: the
                                      node's cache, fetched if missing; its file must have the sha256 in
                                      weights[name], the driver's, so every node paints with the same weights)
    .describe() -> dict               dreamreel and jax versions, host, pid
    .run(job) -> {field: {name: bytes}}   the files a job wrote, per output field ("output", "timelapse")
    .image(job) -> (H, W, 3) float32      the image a still job wrote, as read_image reads it
    .segment(job, first, stop) -> [uint8 (H, W, 3)]   frames [first, stop) of a clip job (see segments.py)
weights_digests(names) -> {name: sha256}  of this machine's cached weights, for Worker(weights=...)
scratch_job(job, folder) -> job           the job with its outputs moved into `folder`/FIELD/NAME
publish(job, files) -> Path               the files written beside the job's real outputs, atomically, main last

Inputs are read where the job names them: a cluster shares its input files (same paths on every node); outputs
travel back to the driver, which alone writes them.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import tempfile
from pathlib import Path
from typing import Callable

from ..errors import DreamreelError
from ..io import atomic_path, read_image
from ..jobs import RenderJob, default_loader, run

OUTPUT_FIELDS = ("output", "timelapse")


def describe_here() -> dict:
    import jax

    from .. import __version__

    return {"dreamreel": __version__, "jax": jax.__version__, "host": socket.gethostname(), "pid": os.getpid()}


def _cached_weights(name: str):
    from ..models import get_spec
    from ..models.weights import cached_path, is_cached

    spec = get_spec(name)
    return cached_path(spec) if spec.weights is not None and is_cached(spec) else None


def weights_digests(names) -> dict[str, str]:
    from ..models.weights import sha256_of

    paths = {name: _cached_weights(name) for name in set(names)}
    return {name: sha256_of(path) for name, path in paths.items() if path is not None}


class Worker:
    def __init__(self, cwd: str, load_model: Callable | None = None, weights: dict[str, str] | None = None):
        self.cwd, self.load_model, self.weights, self.models = cwd, load_model or default_loader, weights or {}, {}

    def _enter_cwd(self) -> None:
        try:
            os.chdir(self.cwd)
        except OSError:
            raise DreamreelError(f"the driver's folder {self.cwd} is not on {socket.gethostname()}: a cluster reads "
                                 "its inputs from a filesystem shared at the same path on every node") from None

    def model(self, name: str):
        if name not in self.models:
            model = self.load_model(name)
            if name in self.weights:
                from ..models.weights import sha256_of

                path = _cached_weights(name)
                if path is None or sha256_of(path) != self.weights[name]:
                    raise DreamreelError(f"the {name} weights on {socket.gethostname()} differ from the driver's: "
                                         f"delete {path} there (it is fetched again) or copy the driver's")
            self.models[name] = model
        return self.models[name]

    def describe(self) -> dict:
        return describe_here()

    def run(self, job) -> dict[str, dict[str, bytes]]:
        self._enter_cwd()
        with tempfile.TemporaryDirectory(prefix="dreamreel-") as folder:
            run(scratch_job(job, folder), load_model=self.model)
            return {name: _files(Path(folder, name)) for name in OUTPUT_FIELDS if Path(folder, name).is_dir()}

    def image(self, job):
        self._enter_cwd()
        with tempfile.TemporaryDirectory(prefix="dreamreel-") as folder:
            return read_image(run(scratch_job(job, folder), load_model=self.model))

    def segment(self, job, first: int, stop: int) -> list:
        from .segments import render_segment

        self._enter_cwd()
        return render_segment(job, first, stop, load_model=self.model)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def scratch_job(job, folder: str | os.PathLike):
    changes = {}
    for name in OUTPUT_FIELDS:
        value = getattr(job, name, None)
        if value:
            os.makedirs(Path(folder, name), exist_ok=True)
            changes[name] = str(Path(folder, name, Path(value).name))
    if isinstance(job, RenderJob):  # the live preview is a local view; a cluster render reports progress instead
        changes.update(preview=None, resume=False, keep_frames=False)
    return dataclasses.replace(job, **changes)


def publish(job, files: dict[str, dict[str, bytes]]) -> Path:
    """Sidecars first and each output last, so an output that exists is complete."""
    for name, written in files.items():
        target = Path(getattr(job, name))
        for relative in sorted(written, key=lambda r: r == target.name):
            with atomic_path(target.parent / relative) as tmp:
                tmp.write_bytes(written[relative])
    return Path(job.output)
