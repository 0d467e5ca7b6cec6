"""The studio's gallery: one folder per finished job, holding its result and a settings.json, kept across restarts.

Gallery(root) -> a gallery in root/ (root/.staging/ holds jobs still running; emptied on start)
gallery.stage(item_id) -> Path               an empty folder for a running job to write into
gallery.publish(item_id, record) -> Item     settings.json written, then the whole folder moved in with one rename
gallery.discard(item_id)                     a cancelled or failed job leaves nothing behind
gallery.items() -> [Item]                    newest first; gallery.find(item_id) -> Item | None
new_item_id() -> "20261125-041502-123456789-a3f9c1"   sortable by time, unguessable enough to keep sessions apart
record_of(job, kind, command, output) -> dict  what settings.json holds (the job as data, command line, version)
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..io import atomic_path

SETTINGS_FILE = "settings.json"
STAGING = ".staging"


@dataclass(frozen=True)
class Item:
    id: str
    folder: Path
    record: dict

    @property
    def result(self) -> Path:
        return self.folder / self.record["output"]

    @property
    def kind(self) -> str:
        return self.record["kind"]

    @property
    def command(self) -> str:
        return self.record["command"]


def new_item_id() -> str:
    now = time.time_ns()
    return f"{datetime.datetime.fromtimestamp(now // 10**9):%Y%m%d-%H%M%S}-{now % 10**9:09d}-{secrets.token_hex(3)}"


def plain(value: Any) -> Any:
    """A job dataclass (nested settings, tuples, paths) as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def record_of(job, kind: str, command: str, output: str) -> dict:
    return {"kind": kind, "output": output, "command": command, "job": plain(job),
            "dreamreel": __version__, "created": datetime.datetime.now().isoformat(timespec="seconds")}


class Gallery:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.staging = self.root / STAGING
        shutil.rmtree(self.staging, ignore_errors=True)  # left by a studio that was killed mid-job
        self.staging.mkdir(parents=True, exist_ok=True)

    def stage(self, item_id: str) -> Path:
        folder = self.staging / item_id
        folder.mkdir()
        return folder

    def final(self, item_id: str) -> Path:
        return self.root / item_id

    def publish(self, item_id: str, record: dict) -> Item:
        folder = self.staging / item_id
        with atomic_path(folder / SETTINGS_FILE) as tmp:
            tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        os.replace(folder, self.final(item_id))
        return Item(item_id, self.final(item_id), record)

    def discard(self, item_id: str) -> None:
        shutil.rmtree(self.staging / item_id, ignore_errors=True)

    def find(self, item_id: str) -> Item | None:
        return _read_item(self.final(item_id))

    def items(self) -> list[Item]:
        folders = [p for p in self.root.iterdir() if p.is_dir() and p.name != STAGING] if self.root.is_dir() else []
        items = [item for item in map(_read_item, folders) if item is not None]
        return sorted(items, key=lambda item: item.id, reverse=True)


def _read_item(folder: Path) -> Item | None:
    """An item whose settings.json is missing or unreadable, or whose result is gone, is skipped, not fatal."""
    try:
        record = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
        item = Item(folder.name, folder, record)
        return item if item.result.is_file() else None
    except (OSError, ValueError, KeyError, TypeError):
        return None
