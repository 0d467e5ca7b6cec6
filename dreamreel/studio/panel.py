"""The part every tab shares: a Run and a Cancel button, a progress bar with ETA, a one-line message, the command line.

job_panel(tab, run_label) -> Panel              the widgets, created inside the tab's layout
wire(panel, studio, inputs, make, show, results, preview=None)
    Run submits make(*values) -> (kind, folder -> job) to the queue, then streams the job's status into the panel:
    progress, the live preview (once done, the result itself when it is a still image), and show(item) -> the
    values of `results`. Bad input shows a one-line error in the panel, never a traceback; Cancel cancels this
    browser tab's job only.
statuses(queue, ticket, owner) -> iterator of each new Status until the job ends
progress_html(status) -> str; message_html(text, error) -> str
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import gradio as gr

from ..errors import DreamreelError
from ..io import IMAGE_SUFFIXES
from .jobqueue import CANCELLED, DONE, FAILED, QUEUED, Status

WATCH_SECONDS = 0.5  # longest wait between two looks at a job; progress reports wake the page sooner


@dataclass
class Panel:
    run: Any
    cancel: Any
    progress: Any
    message: Any
    command: Any
    ticket: Any  # gr.State: the id of this browser tab's latest job (kept on the server)
    started: Any  # gr.State: the job the last press of Run started, None if it was refused (nothing to watch)


def job_panel(tab: str, run_label: str) -> Panel:
    with gr.Row():
        run = gr.Button(run_label, variant="primary", elem_id=f"{tab}-run", scale=3)
        cancel = gr.Button("Cancel", variant="stop", elem_id=f"{tab}-cancel", scale=1)
    progress = gr.HTML(progress_html(None), elem_id=f"{tab}-progress")
    message = gr.HTML("", elem_id=f"{tab}-message")
    command = gr.Textbox("", label="The same in a terminal", lines=1, max_lines=4, interactive=False,
                         buttons=["copy"], elem_id=f"{tab}-command", elem_classes=["dr-command"])
    return Panel(run, cancel, progress, message, command, gr.State(None), gr.State(None))


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


def progress_text(status: Status) -> str:
    if status.state == QUEUED:
        return f"waiting: number {status.position} in the queue" + (" (cancelling)" if status.cancelling else "")
    if status.state == DONE:
        return "done"
    if status.state == CANCELLED:
        return "cancelled; nothing was written"
    if status.state == FAILED:
        return "failed"
    if status.cancelling:
        return "cancelling at the end of this step"
    if not status.total:
        return "starting (loading the model and compiling; the first run takes longest)"
    parts = [status.stage, status.detail, f"{status.done}/{status.total} {status.unit}s"]
    if status.eta is not None:
        parts.append(f"about {duration(status.eta)} left")
    return " · ".join(p for p in parts if p)


def progress_html(status: Status | None) -> str:
    if status is None:
        return '<div class="dr-progress" data-state="idle"></div>'
    fraction = 1.0 if status.state == DONE else status.done / status.total if status.total else 0.0
    return (f'<div class="dr-progress" data-state="{status.state}"><div class="dr-bar">'
            f'<div class="dr-fill" style="width:{100 * fraction:.1f}%"></div></div>'
            f'<div class="dr-progress-text">{html.escape(progress_text(status))}</div></div>')


def message_html(text: str, error: bool = False) -> str:
    if not text:
        return ""
    kind = "dr-error" if error else "dr-note"
    return f'<div class="{kind}" role="{"alert" if error else "status"}">{html.escape(text)}</div>'


def owner_of(request) -> str:
    return getattr(request, "session_hash", None) or "local"


def statuses(queue, ticket: str, owner: str):
    """Each new Status of a ticket, until it is finished (a page's watcher; it sleeps between changes)."""
    seen = -1
    while True:
        status = queue.wait(ticket, owner, seen, WATCH_SECONDS)
        if status.version != seen:
            seen = status.version
            yield status
            if status.finished:
                return


def wire(panel: Panel, studio, inputs: Sequence[Any], make: Callable[..., tuple[str, Callable]],
         show: Callable[[Any], list], results: Sequence[Any], preview: Any = None) -> None:
    """Run -> submit, then watch until the job ends; Cancel -> cancel this tab's job."""
    def submit(request: gr.Request, current, *values):  # gradio passes the request where the signature asks
        owner = owner_of(request)
        try:
            if current is not None and _unfinished(studio.queue, current, owner):
                raise DreamreelError("this tab's job is not finished yet: wait for it, or press Cancel")
            kind, job_for = make(*values)
            ticket = studio.queue.submit(job_for, kind, owner)
        except DreamreelError as error:
            return current, None, message_html(str(error), error=True), gr.skip(), gr.skip()
        status = studio.queue.status(ticket, owner)
        return ticket, ticket, message_html(""), progress_html(status), status.command

    outputs = [panel.progress, panel.message, *([preview] if preview is not None else []), *results]

    def watch(ticket, request: gr.Request):
        if ticket is None:  # the press was refused: its message is already on the page
            yield [gr.skip()] * len(outputs)
            return
        shown_preview = None
        for status in statuses(studio.queue, ticket, owner_of(request)):
            update = [progress_html(status), _message(status)]
            if preview is not None:
                update.append(_preview_value(status, shown_preview))
                shown_preview = status.preview
            update += show(status.item) if status.state == DONE else [gr.skip()] * len(results)
            yield update

    def cancel(ticket, request: gr.Request):
        if ticket is None:
            return message_html("nothing to cancel")
        try:
            studio.queue.cancel(ticket, owner_of(request))
        except DreamreelError as error:
            return message_html(str(error), error=True)
        return gr.skip()

    panel.run.click(submit, [panel.ticket, *inputs],
                    [panel.ticket, panel.started, panel.message, panel.progress, panel.command],
                    concurrency_limit=None, show_progress="hidden") \
        .then(watch, [panel.started], outputs, concurrency_limit=None, show_progress="hidden")
    panel.cancel.click(cancel, [panel.ticket], [panel.message], concurrency_limit=None, show_progress="hidden")


def _unfinished(queue, ticket: str, owner: str) -> bool:
    try:
        return not queue.status(ticket, owner).finished
    except DreamreelError:  # long finished and forgotten by the queue
        return False


def _preview_value(status: Status, shown):
    """The latest image while running; the result itself once done, when the result is a still image."""
    if status.state == DONE and status.item is not None and status.item.result.suffix.lower() in IMAGE_SUFFIXES:
        return str(status.item.result)
    if status.preview is not None and status.preview is not shown and not status.finished:
        return status.preview
    return gr.skip()


def _message(status: Status) -> str:
    if status.state == FAILED:
        return message_html(status.message, error=True)
    if status.state == DONE and status.item is not None:
        return message_html(f"saved in the gallery as {status.item.id}")
    return message_html("")
