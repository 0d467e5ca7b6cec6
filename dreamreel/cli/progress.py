"""Progress bars: core.steps.Progress events drawn with tqdm on stderr.

progress_bar(desc) -> context manager yielding a callback(Progress); a new stage starts a new bar
"""

from __future__ import annotations

import contextlib
import sys


@contextlib.contextmanager
def progress_bar(desc: str):
    from tqdm import tqdm

    bar, stage = None, None

    def update(event) -> None:
        nonlocal bar, stage
        if bar is not None and event.stage != stage:  # a new stage (e.g. learn's keyframes, then its steps)
            bar.close()
            bar = None
        if bar is None:
            stage = event.stage
            bar = tqdm(total=event.total, initial=event.done, desc=desc, unit=event.unit, file=sys.stderr,
                       dynamic_ncols=True)
            if event.resumed:
                bar.write(f"resuming after {event.resumed} finished {event.unit}s", file=sys.stderr)
        bar.total = event.total
        if event.detail or event.losses:
            losses = " ".join(f"{name} {value:.3g}" for name, value in event.losses)
            bar.set_postfix_str(" ".join(part for part in (event.detail, losses) if part))
        bar.update(event.done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()
