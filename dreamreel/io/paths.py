"""Checking paths before any work: inputs that must exist, and outputs that must be writable and new.

check_output(output, *inputs, kinds=("image", "video")) -> Path
    ONE check for every output (its refusals start with "cannot write <output>: "): its kind from its suffix (an image suffix, or a writer's: .mp4, .gif, .apng, a
    folder of PNGs for "name/"); refuses an output that is any of the inputs (None inputs are skipped) or a folder
    holding one of them, a missing folder, an existing folder given as a file output (and vice versa), and proves
    the folder writable by creating and removing a staging file in it, so /proc/x.png, a read-only folder or a full
    quota fail here, in one line, before the work starts.
output_kind(output) -> str         "image", "net" (a .dnet network file) or a writer kind ("mp4", "gif", ...)
existing_file(path, what="video") -> Path     a DreamreelError for a missing path or a folder
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DreamreelError
from .images import IMAGE_SUFFIXES
from .staging import stage_name
from .writers.base import load_writers, writer_class

VIDEO = "video"
IMAGE = "image"
NET = "net"  # a trained network (.dnet): a single file, like an image
NET_SUFFIX = ".dnet"


def existing_file(path: str | os.PathLike, what: str = "video") -> Path:
    path = Path(path)
    if not path.exists():
        raise DreamreelError(f"no such {what}: {path}")
    if not path.is_file():
        raise DreamreelError(f"{path} is a folder, not a {what} file")
    return path


def output_kind(output: str | os.PathLike) -> str:
    text = os.fspath(output)
    if Path(text).suffix.lower() in IMAGE_SUFFIXES and not text.endswith(("/", os.sep)):
        return IMAGE
    if Path(text).suffix.lower() == NET_SUFFIX and not text.endswith(("/", os.sep)):
        return NET
    return writer_class(output).kind


def check_output(output: str | os.PathLike, *inputs: str | os.PathLike | None,
                 kinds: tuple[str, ...] = (IMAGE, VIDEO)) -> Path:
    kind = _allowed_kind(output, kinds)
    target = Path(os.fspath(output).rstrip("/" + os.sep) or ".")
    for source in inputs:
        if source is not None:
            _not_an_input(target, Path(source), folder=kind not in (IMAGE, NET) and writer_class(output).folder)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise DreamreelError(f"cannot write {output}: the folder {folder} does not exist")
    if kind in (IMAGE, NET):
        if target.is_dir():
            raise DreamreelError(f"cannot write {target}: it is a folder; choose a file name for the {kind}")
    else:
        writer_class(output).check_target(target)
    _prove_writable(target, folder)
    return target


def _allowed_kind(output, kinds: tuple[str, ...]) -> str:
    try:
        kind = output_kind(output)
    except DreamreelError:  # no writer for this suffix
        kind = None
    if kind is not None and (kind in kinds or (kind not in (IMAGE, NET) and VIDEO in kinds)):
        return kind
    writers = load_writers().values()
    formats = [*(IMAGE_SUFFIXES if IMAGE in kinds else ()), *((NET_SUFFIX,) if NET in kinds else ()),
               *sorted(s for c in writers for s in c.suffixes if VIDEO in kinds or c.kind in kinds)]
    if VIDEO in kinds or any(c.folder and c.kind in kinds for c in writers):
        formats.append("a folder name ending in / (PNG frames)")
    if kind is None:  # a suffix nothing can write
        what = "video format" if VIDEO in kinds and IMAGE not in kinds else "format"
        raise DreamreelError(f"cannot write {output}: cannot tell the {what} from its name; use {', '.join(formats)}")
    names = " or ".join(k if k in (IMAGE, VIDEO) else f"{k} video" for k in kinds)
    article = "an" if names[0] in "aeiou" else "a"
    raise DreamreelError(f"cannot write {output} as {article} {names}: use {', '.join(formats)}")


def _same(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def _not_an_input(target: Path, source: Path, folder: bool) -> None:
    if _same(target, source):
        raise DreamreelError(f"refusing to overwrite the input {source}: choose another output name")
    if folder and target.resolve() in source.resolve().parents:
        raise DreamreelError(f"refusing to replace the folder {target}: it holds the input {source}")


def _prove_writable(target: Path, folder: Path) -> None:
    probe = stage_name(target, ".probe")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise DreamreelError(f"cannot write {target}: {error.strerror} (in {folder})") from None
    os.close(fd)
    os.unlink(probe)
