"""The one place the studio reaches the jobs layer: run a job, name its command line, make a cancel token.

Runner.run(job, progress, cancel) -> Path        the job's output; raises Cancelled or DreamreelError
Runner.command_line(job) -> str                   the equivalent `dreamreel ...` command
Runner.cancel_token() -> token with .cancel()     checked by the job between steps
Runner.is_cancelled(error) -> bool                whether an exception from run() means "the user cancelled"

The page and the queue never import `dreamreel.jobs` themselves: tests hand the queue a Runner with a tiny
model (`load_model`), and exactly the code path of `dreamreel ...` runs underneath.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable


@dataclass(frozen=True)
class Runner:
    load_model: Callable[[str], Any] | None = None  # None: the jobs layer loads (and fetches) real weights

    def run(self, job, progress: Callable[[Any], None], cancel) -> Path:
        from .. import jobs

        return Path(jobs.run(job, progress=progress, cancel=cancel, load_model=self.load_model))

    def command_line(self, job) -> str:
        from .. import jobs

        return jobs.command_line(job)

    def cancel_token(self):
        from .. import jobs

        return jobs.CancelToken()

    def is_cancelled(self, error: BaseException) -> bool:
        from .. import jobs

        return isinstance(error, jobs.Cancelled)
