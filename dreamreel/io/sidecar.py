"""Sidecar JSON: what made an output, written beside it.

sidecar_path(output) -> Path      'dream.mp4' -> 'dream.mp4.json', 'frames/' -> 'frames.json'
write_sidecar(output, data) -> Path    atomically; values JSON cannot hold are written as strings
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .staging import atomic_path


def sidecar_path(output: str | os.PathLike) -> Path:
    return Path(os.fspath(output).rstrip("/" + os.sep) + ".json")


def write_sidecar(output: str | os.PathLike, data: dict[str, Any]) -> Path:
    path = sidecar_path(output)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path
