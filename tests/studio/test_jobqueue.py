"""The studio's job queue with a scripted runner: order, one job at a time, places in the queue, cancel, failures,
owners kept apart, ETA. No model and no browser: each job is a small function of (folder, progress, cancel)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from dreamreel.errors import DreamreelError
from dreamreel.studio.gallery import Gallery
from dreamreel.studio.jobqueue import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobQueue, eta_seconds, one_line


class Stop(Exception):
    pass


class Token:
    def __init__(self):
        self.event = threading.Event()

    def cancel(self):
        self.event.set()

    def check(self):
        if self.event.is_set():
            raise Stop("cancelled")


@dataclass(frozen=True)
class Job:
    folder: Path
    script: object  # (job, progress, cancel) -> output path

    @property
    def output(self) -> Path:
        return self.folder / "out.txt"


@dataclass(frozen=True)
class Event:
    done: int
    total: int
    stage: str = "dream"
    unit: str = "step"
    detail: str = ""
    image: object = None


class ScriptRunner:
    def run(self, job, progress, cancel):
        return job.script(job, progress, cancel)

    def command_line(self, job):
        return f"dreamreel test -o {job.output}"

    def cancel_token(self):
        return Token()

    def is_cancelled(self, error):
        return isinstance(error, Stop)


def writes(text: str = "ok"):
    def script(job, progress, cancel):
        progress(Event(1, 1))
        job.output.write_text(text)
        return job.output
    return script


def blocks_until(gate: threading.Event, started: threading.Event | None = None):
    """Reports steps until `gate` opens or the job is cancelled; writes a partial file first, as a real job's
    staging would."""
    def script(job, progress, cancel):
        (job.folder / "partial.tmp").write_text("half")
        done = 0
        while not gate.wait(0.01):
            cancel.check()
            done += 1
            progress(Event(done, 10_000))
            if started:
                started.set()
        job.output.write_text("finished")
        return job.output
    return script


@pytest.fixture
def queue(tmp_path):
    q = JobQueue(ScriptRunner(), Gallery(tmp_path / "gallery")).start()
    yield q
    q.stop(timeout=10)


def wait_for(queue, ticket, owner, predicate, timeout=20.0):
    status = queue.status(ticket, owner)
    while not predicate(status):
        seen = status.version
        status = queue.wait(ticket, owner, seen, timeout)
        assert status.version != seen, f"no change within {timeout} s: {status}"
    return status


def test_a_job_lands_in_the_gallery_with_its_settings(queue):
    ticket = queue.submit(lambda folder: Job(folder, writes("hello")), "dream", "tab-a")
    status = wait_for(queue, ticket, "tab-a", lambda s: s.finished)
    assert status.state == DONE and status.done == status.total == 1
    item = status.item
    assert item.result.read_text() == "hello"
    assert item.folder == queue.gallery.root / ticket
    assert item.record["command"] == status.command == f"dreamreel test -o {item.folder / 'out.txt'}"
    assert item.record["kind"] == "dream" and item.record["job"]["folder"] == str(item.folder)
    assert queue.gallery.find(ticket).record == item.record
    assert not list(queue.gallery.staging.iterdir())


def test_one_job_at_a_time_in_order_with_places_shown(queue):
    gate, started = threading.Event(), threading.Event()
    first = queue.submit(lambda folder: Job(folder, blocks_until(gate, started)), "animate", "a")
    assert started.wait(20)
    second = queue.submit(lambda folder: Job(folder, writes()), "dream", "b")
    third = queue.submit(lambda folder: Job(folder, writes()), "dream", "c")
    assert queue.status(first, "a").state == RUNNING and queue.status(first, "a").position == 0
    assert (queue.status(second, "b").state, queue.status(second, "b").position) == (QUEUED, 1)
    assert (queue.status(third, "c").state, queue.status(third, "c").position) == (QUEUED, 2)
    queue.cancel(second, "b")
    assert queue.status(second, "b").state == CANCELLED
    assert queue.status(third, "c").position == 1  # moved up
    gate.set()
    assert wait_for(queue, third, "c", lambda s: s.finished).state == DONE
    assert queue.status(first, "a").state == DONE
    assert queue.gallery.find(first).id < queue.gallery.find(third).id


def test_cancel_stops_a_running_job_and_leaves_nothing(queue):
    gate, started = threading.Event(), threading.Event()
    ticket = queue.submit(lambda folder: Job(folder, blocks_until(gate, started)), "animate", "a")
    assert started.wait(20)
    assert queue.cancel(ticket, "a")
    status = wait_for(queue, ticket, "a", lambda s: s.finished)
    assert status.state == CANCELLED and status.item is None
    assert queue.gallery.items() == [] and not list(queue.gallery.staging.iterdir())
    assert not queue.cancel(ticket, "a")  # nothing left to cancel


def test_another_tab_can_neither_see_nor_cancel_a_job(queue):
    gate, started = threading.Event(), threading.Event()
    ticket = queue.submit(lambda folder: Job(folder, blocks_until(gate, started)), "dream", "mine")
    assert started.wait(20)
    with pytest.raises(DreamreelError, match="no such job"):
        queue.cancel(ticket, "theirs")
    with pytest.raises(DreamreelError, match="no such job"):
        queue.status(ticket, "theirs")
    gate.set()
    assert wait_for(queue, ticket, "mine", lambda s: s.finished).state == DONE


def test_a_users_mistake_fails_in_one_line_and_the_worker_goes_on(queue):
    def refuses(job, progress, cancel):
        raise DreamreelError("model 'x' has no layer 'y';\n did you mean z?")

    def crashes(job, progress, cancel):
        raise ZeroDivisionError("division by zero")

    bad = queue.submit(lambda folder: Job(folder, refuses), "dream", "a")
    bug = queue.submit(lambda folder: Job(folder, crashes), "dream", "a")
    good = queue.submit(lambda folder: Job(folder, writes()), "dream", "a")
    assert wait_for(queue, good, "a", lambda s: s.finished).state == DONE
    refused, crashed = queue.status(bad, "a"), queue.status(bug, "a")
    assert (refused.state, refused.message) == (FAILED, "model 'x' has no layer 'y'; did you mean z?")
    assert crashed.state == FAILED and "ZeroDivisionError" in crashed.message and "\n" not in crashed.message
    assert [item.id for item in queue.gallery.items()] == [good]


def test_a_bad_setting_is_refused_before_queueing(queue):
    def make(folder):
        raise DreamreelError("steps must be an integer >= 0; got -1")

    with pytest.raises(DreamreelError, match="steps must be"):
        queue.submit(make, "dream", "a")
    assert not list(queue.gallery.staging.iterdir())


def test_progress_reaches_the_page_with_the_latest_image(queue):
    import numpy as np

    def paints(job, progress, cancel):
        for step in range(1, 4):
            progress(Event(step, 3, image=np.full((4, 5, 3), step / 4, np.float32)))
        job.output.write_text("x")
        return job.output

    ticket = queue.submit(lambda folder: Job(folder, paints), "dream", "a")
    status = wait_for(queue, ticket, "a", lambda s: s.finished)
    assert status.preview.dtype == np.uint8 and status.preview.shape == (4, 5, 3)
    assert int(status.preview[0, 0, 0]) == round(3 / 4 * 255)


def test_eta_from_the_rate_since_the_first_report():
    assert eta_seconds(None, 10.0, 5, 10) is None
    assert eta_seconds((0.0, 0), 0.0, 0, 10) is None  # no progress measured yet
    assert eta_seconds((100.0, 2), 104.0, 6, 10) == pytest.approx(4.0)  # 1 step/s, 4 steps left
    assert eta_seconds((100.0, 2), 104.0, 10, 10) == 0.0


def test_one_line_joins_lines():
    assert one_line(DreamreelError("a\n  b")) == "a b"
    assert one_line(ValueError()) == "ValueError"


def test_stop_cancels_every_job_and_ends_the_worker(tmp_path):
    q = JobQueue(ScriptRunner(), Gallery(tmp_path / "g")).start()
    gate, started = threading.Event(), threading.Event()
    running = q.submit(lambda folder: Job(folder, blocks_until(gate, started)), "dream", "a")
    assert started.wait(20)
    waiting = q.submit(lambda folder: Job(folder, writes()), "dream", "a")
    q.stop(timeout=20)
    assert q.status(waiting, "a").state == CANCELLED and q.status(running, "a").state == CANCELLED
    assert q.gallery.items() == [] and not list(q.gallery.staging.iterdir())


def test_model_cache_keeps_the_last_models_used():
    from dreamreel.studio.runner import ModelCache

    loads = []
    cache = ModelCache(lambda name: loads.append(name) or f"model {name}", keep=2)
    assert [cache(n) for n in ("a", "a", "b", "a", "c", "a", "b")] == \
        ["model a", "model a", "model b", "model a", "model c", "model a", "model b"]
    assert loads == ["a", "b", "c", "b"]  # b was dropped when c came (a was used more recently)
