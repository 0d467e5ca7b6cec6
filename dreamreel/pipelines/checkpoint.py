"""Checkpoints of long renders, and the one fingerprint that says whether a checkpoint belongs to a render.

fingerprint(settings: dict, files=(), arrays=()) -> str      settings + file contents + arrays + dreamreel version
checkpoint_dir(output) -> Path                              "zoom.mp4" -> "zoom.mp4.frames", "out/" -> "out.frames"
Checkpoint(output, key)
    .load() -> Resume | None             done frames, shown frames, state: {name: np.ndarray} (what the next needs)
    .start()                             a fresh folder of ours (an unrelated folder of that name is never touched)
    .save(index, shown, pixels, state)   after each frame: the shown frame as PNG, then the state, written last
    .shown_frames(count) -> iterator of uint8 frames, to re-send to a new writer on resume
    .remove()                            only a folder that carries our marker

Every file is written atomically and the state (with the number of finished frames) last, so a kill at any moment
leaves either the previous or the new checkpoint, never a mixture.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ..errors import DreamreelError
from ..io import atomic_path, owned_folder, read_image, remove_owned, to_uint8

FRAME_NAME = "frame_{:06d}.png"
STATE_FILE = "state.npz"


def fingerprint(settings: dict, files: Iterable[str | os.PathLike] = (), arrays: Iterable[np.ndarray] = ()) -> str:
    from .. import __version__

    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    digest.update(__version__.encode())
    for path in files:
        digest.update(hashlib.sha256(Path(path).read_bytes()).digest())
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:20]


def checkpoint_dir(output: str | os.PathLike) -> Path:
    return Path(os.fspath(output).rstrip("/" + os.sep) + ".frames")


@dataclass(frozen=True)
class Resume:
    done: int  # frames rendered (warm-up included)
    shown: int  # of them, frames of the video (their PNGs are in the folder)
    state: dict  # {name: np.ndarray}: what the next frame needs


class Checkpoint:
    def __init__(self, output: str | os.PathLike, key: str):
        self.folder, self.key = checkpoint_dir(output), key

    def load(self) -> Resume | None:
        path = self.folder / STATE_FILE
        if not path.is_file():
            return None
        try:
            with np.load(path) as data:
                if str(data["key"]) != self.key:
                    return None
                done, shown = int(data["done"]), int(data["shown"])
                state = {name: data[name] for name in data.files if name not in ("key", "done", "shown")}
        except (OSError, ValueError, KeyError, EOFError):
            return None
        if not all((self.folder / FRAME_NAME.format(i)).is_file() for i in range(shown)):
            return None
        return Resume(done, shown, state)

    def start(self) -> None:
        remove_owned(self.folder)
        owned_folder(self.folder, "checkpoint")

    def shown_frames(self, count: int) -> Iterator[np.ndarray]:
        for i in range(count):
            path = self.folder / FRAME_NAME.format(i)
            try:
                yield to_uint8(read_image(path))
            except DreamreelError:
                raise DreamreelError(f"the checkpoint frame {path} is unreadable: run again with --restart") from None

    def save(self, index: int, shown: int | None, pixels: np.ndarray | None, state: dict[str, np.ndarray]) -> None:
        import cv2

        if pixels is not None:
            with atomic_path(self.folder / FRAME_NAME.format(shown)) as tmp:
                ok, png = cv2.imencode(".png", np.ascontiguousarray(pixels[..., ::-1]))
                tmp.write_bytes(png.tobytes())
        shown_done = 0 if shown is None else shown + 1
        with atomic_path(self.folder / STATE_FILE) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, key=self.key, done=index + 1, shown=shown_done,
                         **{name: np.asarray(value, np.float32) for name, value in state.items()})

    def remove(self) -> None:
        remove_owned(self.folder)
