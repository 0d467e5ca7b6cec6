"""The studio's job queue: one worker thread runs jobs first in, first out (one at a time: a CPU has no room for two).

JobQueue(runner, gallery) -> queue; queue.start() starts the worker; queue.stop() cancels every job and ends it
queue.submit(make_job, kind, owner) -> ticket id
    make_job(folder: Path) -> job   the job, writing into `folder` (a staging folder while it runs, then the
                                    gallery folder: its settings.json and command line name the final place)
queue.status(ticket_id, owner) -> Status    state, place in the queue, progress, ETA, latest preview, result
queue.wait(ticket_id, seen, timeout)        blocks until the ticket changes past version `seen` (or timeout)
queue.cancel(ticket_id, owner) -> bool      a queued job is dropped at once; a running one stops within one step

A ticket belongs to the browser session that submitted it (`owner`): another session can neither see nor cancel it,
so two tabs never touch each other's jobs. A cancelled or failed job leaves nothing in the gallery.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import DreamreelError
from .gallery import Gallery, Item, new_item_id, record_of
from .runner import Runner

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
KEEP_FINISHED = 200  # finished tickets kept for their pages to read; their results live on in the gallery


@dataclass(frozen=True)
class Status:
    id: str
    kind: str
    state: str
    position: int = 0  # 1 = next to run; 0 when running or finished
    stage: str = ""
    detail: str = ""
    done: int = 0
    total: int = 0
    unit: str = "step"
    eta: float | None = None  # seconds
    preview: np.ndarray | None = None  # (H, W, 3) uint8, the latest image the job reported
    cancelling: bool = False  # cancel was asked; the job stops at its next step
    message: str = ""  # the one-line error of a failed job
    item: Item | None = None  # the gallery item of a finished job
    command: str = ""
    version: int = 0  # grows with every change, so a watcher can wait for the next one

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


@dataclass
class _Ticket:
    status: Status
    owner: str
    job: Any
    final_job: Any
    token: Any
    first_report: tuple[float, int] | None = None  # (time, done) of the first progress report


def eta_seconds(first: tuple[float, int] | None, now: float, done: int, total: int) -> float | None:
    """Remaining time at the rate measured since the first report (which comes after compiling, so it is excluded)."""
    if first is None or total <= 0 or done <= first[1] or now <= first[0]:
        return None
    rate = (done - first[1]) / (now - first[0])
    return max(0.0, (total - done) / rate)


def preview_pixels(image) -> np.ndarray | None:
    if image is None:
        return None
    pixels = np.asarray(image, dtype=np.float32)
    if pixels.ndim == 4:  # a batch: show its first image
        pixels = pixels[0]
    return (np.clip(pixels, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


class JobQueue:
    def __init__(self, runner: Runner, gallery: Gallery, clock: Callable[[], float] = time.monotonic):
        self.runner, self.gallery, self.clock = runner, gallery, clock
        self._tickets: dict[str, _Ticket] = {}
        self._waiting: deque[str] = deque()
        self._changed = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    # --- the page's side ------------------------------------------------------------------------------------------

    def submit(self, make_job: Callable[[Path], Any], kind: str, owner: str) -> str:
        """Builds the job (a DreamreelError from a bad setting reaches the caller) and queues it."""
        item_id = new_item_id()
        final_job = make_job(self.gallery.final(item_id))
        command = self.runner.command_line(final_job)
        job = make_job(self.gallery.stage(item_id))
        ticket = _Ticket(Status(item_id, kind, QUEUED, command=command), owner, job, final_job,
                         self.runner.cancel_token())
        with self._changed:
            self._tickets[item_id] = ticket
            self._waiting.append(item_id)
            self._renumber()
        return item_id

    def status(self, ticket_id: str, owner: str) -> Status:
        with self._changed:
            return self._own(ticket_id, owner).status

    def wait(self, ticket_id: str, owner: str, seen: int, timeout: float) -> Status:
        with self._changed:
            self._changed.wait_for(lambda: self._own(ticket_id, owner).status.version > seen, timeout)
            return self._own(ticket_id, owner).status

    def cancel(self, ticket_id: str, owner: str) -> bool:
        with self._changed:
            ticket = self._own(ticket_id, owner)
            if ticket.status.finished:
                return False
            ticket.token.cancel()
            self._update(ticket, cancelling=True)
            if ticket.status.state == QUEUED:
                self._waiting.remove(ticket_id)
                self.gallery.discard(ticket_id)
                self._update(ticket, state=CANCELLED, position=0)
                self._renumber()
            return True

    def _own(self, ticket_id: str, owner: str) -> _Ticket:
        ticket = self._tickets.get(ticket_id)
        if ticket is None or ticket.owner != owner:
            raise DreamreelError("no such job in this browser tab")
        return ticket

    # --- the worker's side ----------------------------------------------------------------------------------------

    def start(self) -> "JobQueue":
        self._thread = threading.Thread(target=self._work, name="dreamreel-studio-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Cancel every job (the running one stops within a step, its staging folder removed), end the worker."""
        with self._changed:
            self._stopping = True
            for ticket_id, ticket in list(self._tickets.items()):
                if not ticket.status.finished:
                    self.cancel(ticket_id, ticket.owner)
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def _work(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._waiting or self._stopping)
                if self._stopping and not self._waiting:
                    return
                ticket = self._tickets[self._waiting.popleft()]
                self._update(ticket, state=RUNNING, position=0)
                self._renumber()
            self._run(ticket)

    def _run(self, ticket: _Ticket) -> None:
        item_id = ticket.status.id
        try:
            output = self.runner.run(ticket.job, progress=lambda event: self._report(ticket, event),
                                     cancel=ticket.token)
            record = record_of(ticket.final_job, ticket.status.kind, ticket.status.command, Path(output).name)
            item = self.gallery.publish(item_id, record)
            ending = dict(state=DONE, item=item, eta=0.0)
        except BaseException as error:  # noqa: BLE001  the worker must outlive any job
            self.gallery.discard(item_id)
            ending = self._failure(error)
        with self._changed:
            self._update(ticket, **ending)
            self._forget_old()

    def _failure(self, error: BaseException) -> dict:
        if self.runner.is_cancelled(error):
            return dict(state=CANCELLED, eta=None)
        if isinstance(error, DreamreelError):
            return dict(state=FAILED, message=one_line(error), eta=None)
        # a bug, not the user's mistake: the traceback goes to the studio's terminal, one line to the page
        traceback.print_exception(error, file=sys.stderr)
        return dict(state=FAILED, message=f"internal error ({type(error).__name__}: {one_line(error)}); "
                                          f"the terminal running `dreamreel studio` shows the details", eta=None)

    def _report(self, ticket: _Ticket, event) -> None:
        now = self.clock()
        done, total = int(getattr(event, "done", 0)), int(getattr(event, "total", 0))
        with self._changed:
            if ticket.first_report is None or done < ticket.first_report[1]:  # a new stage restarts the count
                ticket.first_report = (now, done)
            preview = preview_pixels(getattr(event, "image", None))
            self._update(ticket, stage=str(getattr(event, "stage", "")), detail=str(getattr(event, "detail", "")),
                         done=done, total=total,
                         unit=str(getattr(event, "unit", "step")),
                         eta=eta_seconds(ticket.first_report, now, done, total),
                         **({} if preview is None else {"preview": preview}))

    # --- shared ---------------------------------------------------------------------------------------------------

    def _update(self, ticket: _Ticket, **changes) -> None:
        """Call with the lock held: a new Status snapshot, and every watcher wakes up."""
        ticket.status = replace(ticket.status, version=ticket.status.version + 1, **changes)
        self._changed.notify_all()

    def _forget_old(self) -> None:
        finished = [key for key, ticket in self._tickets.items() if ticket.status.finished]
        for key in finished[:-KEEP_FINISHED]:  # dicts keep insertion order: the oldest go first
            del self._tickets[key]

    def _renumber(self) -> None:
        for place, ticket_id in enumerate(self._waiting, start=1):
            ticket = self._tickets[ticket_id]
            if ticket.status.position != place:
                self._update(ticket, position=place)
