"""The one place the studio reaches the jobs layer: run a job, name its command line, make a cancel token.

Runner.run(job, progress, cancel) -> Path        the job's output; raises Cancelled or DreamreelError
Runner.command_line(job) -> str                   the equivalent `dreamreel ...` command
Runner.cancel_token() -> token with .cancel()     checked by the job between steps
Runner.is_cancelled(error) -> bool                whether an exception from run() means "the user cancelled"
ModelCache(load, keep=2)(name) -> Model           models stay loaded between jobs (loading VGG16 takes seconds)

The page and the queue never import `dreamreel.jobs` themselves: tests hand the queue a Runner with a tiny
model (`load_model`), and exactly the code path of `dreamreel ...` runs underneath.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .. import jobs
from ..models import load_model


class ModelCache:
    """load(name) -> Model, remembering the `keep` models used last (only the queue's one worker calls it)."""

    def __init__(self, load: Callable[[str], Any] = load_model, keep: int = 2):
        self.load, self.keep = load, keep
        self.models: OrderedDict[str, Any] = OrderedDict()

    def __call__(self, name: str):
        if name not in self.models:
            self.models[name] = self.load(name)
            while len(self.models) > self.keep:
                self.models.popitem(last=False)
        self.models.move_to_end(name)
        return self.models[name]


@dataclass(frozen=True)
class Runner:
    load_model: Callable[[str], Any] = field(default_factory=ModelCache)  # real weights, fetched on first use

    def run(self, job, progress: Callable[[Any], None], cancel) -> Path:
        return Path(jobs.run(job, progress=progress, cancel=cancel, load_model=self.load_model))

    def command_line(self, job) -> str:
        return jobs.command_line(job)

    def cancel_token(self):
        return jobs.CancelToken()

    def is_cancelled(self, error: BaseException) -> bool:
        return isinstance(error, jobs.Cancelled)
