"""Staging and atomic publishing, in one place: nothing dreamreel writes appears half-made, and nothing it did not
make is ever deleted.

atomic_path(path) -> context manager yielding a staging file beside `path`, renamed onto it only on success
staged_folder(output, kind) -> context manager yielding a staging folder (with our marker) beside `output`,
    removed afterwards whatever happens; move results out of it with publish(result, output)
publish(result, output)            rename a staged file or folder onto `output` (a previous output folder is
                                   swapped out and removed only if it is one of ours)
owned_folder(path, kind) -> Path   create (or reuse) a folder that carries our marker, e.g. a checkpoint folder
remove_owned(path)                 remove a folder only if it carries our marker; a DreamreelError otherwise
remove_stale(output)               remove the staging files and folders of `output` left by killed runs
output_lock(output) -> context manager: one run per output; a second one gets "... is already being rendered
                                   by PID N". A lock of a dead process is taken over (the kernel drops flocks).

Names. A staging file or folder of OUTPUT is `.OUTPUT.<pid>-<random>.dreamreel-part[suffix]` beside it; a
staging or checkpoint folder also holds `.dreamreel-owned`, a JSON {kind, output, pid, version}. A staging entry
is stale, and removed by the next run for the same output, when its name matches that pattern, its PID is not a
running process, and (for a folder) it holds the marker. The lock is `.OUTPUT.dreamreel-lock`, holding the PID.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import stat
from pathlib import Path
from typing import Iterator

from ..errors import DreamreelError

MARKER = ".dreamreel-owned"
STAGE_TAG = ".dreamreel-part"
LOCK_TAG = ".dreamreel-lock"


def _name(output: str | os.PathLike) -> tuple[Path, str]:
    """(folder, file name) of an output; 'frames/' names the folder 'frames'."""
    path = Path(os.fspath(output).rstrip("/" + os.sep) or ".")
    return (path.parent if str(path.parent) else Path(".")), path.name


def stage_name(output: str | os.PathLike, suffix: str = "") -> Path:
    folder, name = _name(output)
    return folder / f".{name}.{os.getpid()}-{secrets.token_hex(4)}{STAGE_TAG}{suffix}"


def _stale_pattern(name: str) -> re.Pattern:
    return re.compile(rf"\.{re.escape(name)}\.(\d+)-[0-9a-f]{{8}}{re.escape(STAGE_TAG)}.*", re.S)


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


# --- markers and owned folders -------------------------------------------------------------------------------------

def _version() -> str:
    from .. import __version__

    return __version__


def write_marker(folder: Path, kind: str, output: str | os.PathLike) -> None:
    data = {"kind": kind, "output": os.fspath(output), "pid": os.getpid(), "version": _version()}
    (folder / MARKER).write_text(json.dumps(data) + "\n", encoding="utf-8")


def is_owned(folder: str | os.PathLike) -> bool:
    """A real folder (not a link) holding our marker file."""
    folder = Path(folder)
    return folder.is_dir() and not folder.is_symlink() and (folder / MARKER).is_file()


def owned_folder(path: str | os.PathLike, kind: str) -> Path:
    """`path` as a folder of ours: created with the marker, or reused if it has it; refused if it exists without."""
    path = Path(path)
    if path.exists() or path.is_symlink():
        if not is_owned(path):
            what = "folder" if path.is_dir() else "file"
            raise DreamreelError(f"{path} is a {what} dreamreel did not make: move it away or choose another output "
                                 f"name (it would be used for the {kind})")
        return path
    try:
        path.mkdir()
    except OSError as error:
        raise DreamreelError(f"cannot create the {kind} folder {path}: {error.strerror}") from None
    write_marker(path, kind, path)
    return path


def remove_owned(path: str | os.PathLike) -> None:
    """Remove a folder of ours; nothing to do if it is gone; a DreamreelError if it is not ours."""
    path = Path(path)
    if not (path.exists() or path.is_symlink()):
        return
    if not is_owned(path):
        raise DreamreelError(f"refusing to delete {path}: dreamreel did not make it (no {MARKER} file in it)")
    shutil.rmtree(path)


def remove_stale(output: str | os.PathLike) -> list[Path]:
    """Remove what killed runs left while staging `output`: only entries named like our staging of this output,
    made by a process that is gone, and (folders) holding our marker. Returns what was removed."""
    folder, name = _name(output)
    pattern = _stale_pattern(name)
    removed = []
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            match = pattern.fullmatch(entry.name)
            if match is None or pid_alive(int(match[1])):
                continue
            with contextlib.suppress(OSError):
                if entry.is_dir() and not entry.is_symlink():
                    if not is_owned(entry):
                        continue
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
                removed.append(entry)
    return removed


# --- staging and publishing ----------------------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a staging path beside `path` (same suffix, so encoders can tell the format); rename it onto `path`
    only if the block succeeds; the staging file is gone afterwards either way."""
    path = Path(path)
    remove_stale(path)
    tmp = stage_name(path, path.suffix)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as for open()
    except OSError as error:
        raise DreamreelError(f"cannot write {path}: {error.strerror}") from None
    os.close(fd)
    try:
        yield tmp
        if path.is_file():  # keep the mode of the file being replaced
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def staged_folder(output: str | os.PathLike, kind: str) -> Iterator[Path]:
    """A fresh staging folder of ours beside `output`; removed when the block ends (publish results first)."""
    remove_stale(output)
    folder = stage_name(output)
    try:
        folder.mkdir()
    except OSError as error:
        raise DreamreelError(f"cannot write beside {output}: {error.strerror}") from None
    try:
        write_marker(folder, kind, output)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def publish(result: str | os.PathLike, output: str | os.PathLike) -> Path:
    """Rename a staged `result` onto `output`. A folder replaces an existing output folder by swapping it into the
    staging area first (restored if the second rename fails); that old folder must be ours or hold only what
    check_output allowed, which the caller checked."""
    result, target = Path(result), Path(os.fspath(output).rstrip("/" + os.sep))
    if result.is_dir() and target.is_dir():
        previous = result.parent / f"{result.name}.previous"
        os.replace(target, previous)
        try:
            os.replace(result, target)
        except BaseException:
            os.replace(previous, target)
            raise
        shutil.rmtree(previous, ignore_errors=True)
    else:
        os.replace(result, target)
    return target


# --- one run per output --------------------------------------------------------------------------------------------

def lock_path(output: str | os.PathLike) -> Path:
    folder, name = _name(output)
    return folder / f".{name}{LOCK_TAG}"


@contextlib.contextmanager
def output_lock(output: str | os.PathLike) -> Iterator[Path]:
    """Hold `.OUTPUT.dreamreel-lock` (an flock, with our PID in the file) for the block; the file is removed after."""
    path = lock_path(output)
    fd = _acquire(path, output)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # before unlocking: a waiting run then finds no file, or a new one
        os.close(fd)


def _acquire(path: Path, output) -> int:
    for _ in range(10):  # retried when the file we locked was replaced meanwhile
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as error:
            raise DreamreelError(f"cannot lock {output}: {error.strerror} ({path})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise DreamreelError(f"cannot lock {output}: {error.strerror} ({path})") from None
            raise DreamreelError(f"{output} is already being rendered by PID {_holder(path)}: wait for it to "
                                 f"finish or stop that process") from None
        with contextlib.suppress(OSError):
            if os.fstat(fd).st_ino == path.stat().st_ino:
                return fd
        os.close(fd)
    raise DreamreelError(f"cannot lock {output}: {path} keeps changing")


def _holder(path: Path) -> str:
    with contextlib.suppress(OSError, ValueError):
        return str(int(path.read_text().strip()))
    return "?"
