"""A pool of worker actors that runs calls in parallel and hands their results back in the order of the calls.

Pool(ray, workers, load_model=None, weights={}, cancel=None)    context manager; creates `workers` Worker actors
                                                          working in this process's current folder
    .check_versions()                                         every worker runs this machine's dreamreel and jax
    .map(method, calls, window=None) -> iterator of results   Worker.method(*args) for args in calls, in order
On leaving the block (done, an error, Ctrl-C, a cancelled token) the actors are killed, which stops their running
tasks. A worker process that dies mid-task (killed, out of memory, its node lost) is restarted by Ray and the task
runs again, up to TASK_RETRIES times; tasks are pure functions of their arguments, so the result is the same.
"""

from __future__ import annotations

import os
from collections import deque
from typing import Callable, Iterable, Iterator

from ..errors import DreamreelError
from .workers import Worker, describe_here

TASK_RETRIES = 3
WAIT_SECONDS = 0.2  # how often a wait looks at the cancel token


class Pool:
    def __init__(self, ray, workers: int, *, load_model: Callable | None = None, weights: dict | None = None,
                 cancel=None):
        self.ray, self.cancel = ray, cancel
        remote = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=TASK_RETRIES)(Worker)
        self.actors = [remote.remote(os.getcwd(), load_model, weights or {}) for _ in range(workers)]

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        for actor in self.actors:
            self.ray.kill(actor, no_restart=True)
        self.actors = []

    def _get(self, ref):
        """A task's result; its DreamreelError as the same one-line error as a local run."""
        ray = self.ray
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as error:
            cause = error.cause
            if isinstance(cause, DreamreelError):
                raise type(cause)(*cause.args) from None
            raise cause from None
        except ray.exceptions.RayActorError as error:
            raise DreamreelError(f"a worker died {TASK_RETRIES + 1} times on the same task (out of memory? a node "
                                 f"lost?): {str(error).strip().splitlines()[0]}") from None

    def check_versions(self) -> None:
        here = describe_here()
        for there in self.ray.get([actor.describe.remote() for actor in self.actors]):
            for name in ("dreamreel", "jax"):
                if there[name] != here[name]:
                    raise DreamreelError(f"node {there['host']} runs {name} {there[name]}, this machine "
                                         f"{here[name]}: install the same versions on every node")

    def _ready(self, refs: list) -> list:
        while True:
            if self.cancel is not None:
                self.cancel.check()
            done, _ = self.ray.wait(refs, num_returns=1, timeout=WAIT_SECONDS)
            if done:
                return done

    def map(self, method: str, calls: Iterable[tuple], window: int | None = None) -> Iterator:
        """Results in the order of `calls`; at most `window` results (default: two per worker) wait to be
        handed over, so a slow call holds back memory, not the other workers."""
        window = window or 2 * len(self.actors)
        calls = iter(enumerate(calls))
        idle, running, finished = deque(self.actors), {}, {}
        next_index, submitted, exhausted = 0, 0, False
        while True:
            while idle and not exhausted and submitted - next_index < window:
                item = next(calls, None)
                if item is None:
                    exhausted = True
                    break
                index, args = item
                actor = idle.popleft()
                running[getattr(actor, method).remote(*args)] = (index, actor)
                submitted += 1
            while next_index in finished:
                yield self._get(finished.pop(next_index))
                next_index += 1
            if not running:
                if exhausted and not finished:
                    return
                continue
            for ref in self._ready(list(running)):
                index, actor = running.pop(ref)
                finished[index] = ref
                idle.append(actor)
