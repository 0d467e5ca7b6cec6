"""What the progress bar and the message line say, for each state of a job."""

from __future__ import annotations

import pytest

pytest.importorskip("gradio")

from dreamreel.studio.jobqueue import Status  # noqa: E402
from dreamreel.studio.panel import duration, message_html, progress_html, progress_text  # noqa: E402


def test_progress_text_for_each_state():
    assert progress_text(Status("i", "dream", "queued", position=2)) == "waiting: number 2 in the queue"
    assert progress_text(Status("i", "dream", "running")).startswith("starting")
    running = Status("i", "dream", "running", stage="dream", detail="octave 2/4", done=12, total=40, eta=75.4)
    assert progress_text(running) == "dream · octave 2/4 · 12/40 steps · about 1:15 left"
    assert progress_text(Status("i", "dream", "running", done=1, total=4, cancelling=True)).startswith("cancelling")
    assert progress_text(Status("i", "dream", "cancelled")) == "cancelled; nothing was written"


def test_progress_html_bar_width_and_escaping():
    page = progress_html(Status("i", "dream", "running", stage="<b>", done=1, total=4))
    assert 'data-state="running"' in page and "width:25.0%" in page and "&lt;b&gt;" in page
    assert "width:100.0%" in progress_html(Status("i", "dream", "done"))
    assert 'data-state="idle"' in progress_html(None)


def test_messages_are_escaped_and_marked():
    assert message_html("") == ""
    error = message_html("a <script> b", error=True)
    assert 'class="dr-error"' in error and 'role="alert"' in error and "&lt;script&gt;" in error


def test_duration():
    assert duration(0) == "0:00" and duration(61.4) == "1:01" and duration(3725) == "1:02:05"
