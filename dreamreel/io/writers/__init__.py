"""Writers of frame sequences, one module per format behind one Writer protocol (base.py).

open_writer(path, fps, *, inputs=(), **options) -> Writer     the writer for the path's suffix, checked by
    check_output first (also against `inputs`, and the audio source); use as
    `with open_writer("out.mp4", 24) as w: w.write(frame)`. Options are WriterSettings' fields.
Formats: .mp4 (mp4.py), .gif (gif.py), .apng (apng.py), a folder of PNG frames (pngdir.py: "name/" or no suffix).
A new format is one new module here defining a registered Writer subclass; nothing else changes.
Everything is staged beside the target and renamed into place when the writer closes without error; an exception
inside the `with` block leaves neither the target nor staging files.
"""

from __future__ import annotations

import os

from .base import REGISTRY, PipeWriter, Writer, WriterSettings, load_writers, register, writer_class, writer_settings


def open_writer(path: str | os.PathLike, fps: float, *, inputs=(), **options) -> Writer:
    from ..paths import VIDEO, check_output  # paths needs this package's registry: imported when called

    settings = writer_settings(fps, **options)
    cls = writer_class(path)
    target = check_output(path, settings.audio, *inputs, kinds=(VIDEO,))
    return cls(target, settings)


__all__ = ["REGISTRY", "PipeWriter", "Writer", "WriterSettings", "load_writers", "open_writer", "register",
           "writer_class", "writer_settings"]
