"""Sidecar JSON beside an output (dreamreel.io.sidecar)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from dreamreel.io import sidecar_path, write_sidecar


def test_sidecar_sits_beside_the_output_and_holds_any_value(tmp_path):
    assert sidecar_path(tmp_path / "dream.mp4") == tmp_path / "dream.mp4.json"
    assert sidecar_path(str(tmp_path / "frames") + "/") == tmp_path / "frames.json"
    path = write_sidecar(tmp_path / "frames/", {"a": 1, "where": Path("x/y"), "size": (3, 4)})
    assert path == tmp_path / "frames.json" and os.listdir(tmp_path) == ["frames.json"]
    assert json.loads(path.read_text()) == {"a": 1, "where": "x/y", "size": [3, 4]}
