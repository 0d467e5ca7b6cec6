"""Staging, owned folders and locks: only what dreamreel made is ever deleted; killed runs are cleaned up by the next
run for the same output; a second concurrent run for an output is refused with the first one's PID."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from dreamreel.errors import DreamreelError
from dreamreel.io import (
    atomic_path,
    open_writer,
    output_lock,
    owned_folder,
    remove_owned,
    remove_stale,
)
from dreamreel.io.staging import MARKER, lock_path, stage_name

ENV = {**os.environ, "PYTHONPATH": os.getcwd()}


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def python(code: str, **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=ENV, text=True, **options)


def test_owned_folder_carries_a_marker_and_is_reused(tmp_path):
    folder = owned_folder(tmp_path / "clip.mp4.frames", "checkpoint")
    marker = json.loads((folder / MARKER).read_text())
    assert marker["kind"] == "checkpoint" and marker["pid"] == os.getpid() and marker["version"]
    (folder / "frame_000000.png").write_bytes(b"x")
    assert owned_folder(folder, "checkpoint") == folder and (folder / "frame_000000.png").exists()
    remove_owned(folder)
    assert not folder.exists()
    remove_owned(folder)  # already gone: nothing to do


def test_an_unrelated_folder_is_never_deleted(tmp_path):
    holiday = tmp_path / "holiday.frames"
    holiday.mkdir()
    (holiday / "beach.jpg").write_bytes(b"my photo")
    with pytest.raises(DreamreelError, match="holiday.frames is a folder dreamreel did not make"):
        owned_folder(holiday, "checkpoint")
    with pytest.raises(DreamreelError, match="refusing to delete .*holiday.frames"):
        remove_owned(holiday)
    (tmp_path / "notes.frames").write_text("a file")
    with pytest.raises(DreamreelError, match="notes.frames is a file"):
        owned_folder(tmp_path / "notes.frames", "checkpoint")
    assert (holiday / "beach.jpg").read_bytes() == b"my photo"


def test_only_our_stale_staging_is_removed(tmp_path):
    output, gone = tmp_path / "clip.mp4", dead_pid()
    stale_file = tmp_path / f".clip.mp4.{gone}-0123abcd.dreamreel-part.mp4"
    stale_file.write_bytes(b"half a video")
    stale_folder = tmp_path / f".clip.mp4.{gone}-89abcdef.dreamreel-part"
    stale_folder.mkdir()
    (stale_folder / MARKER).write_text("{}")
    unmarked = tmp_path / f".clip.mp4.{gone}-00000000.dreamreel-part"  # our name but not our marker
    unmarked.mkdir()
    live = stage_name(output, ".mp4")  # this process is alive: its staging is in use
    live.write_bytes(b"busy")
    other = tmp_path / f".other.mp4.{gone}-0123abcd.dreamreel-part.mp4"  # another output's
    other.write_bytes(b"x")
    assert sorted(remove_stale(output)) == sorted([stale_file, stale_folder])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([unmarked.name, live.name, other.name])


def test_a_killed_render_is_cleaned_up_by_the_next_one(tmp_path):
    output = tmp_path / "clip.mp4"
    killed = python(f"""
        import os, numpy as np
        from dreamreel.io import open_writer
        writer = open_writer({str(output)!r}, 10)
        writer.write(np.zeros((16, 16, 3), np.float32))
        os.kill(os.getpid(), 9)
    """)
    assert killed.wait(timeout=60) == -9
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".clip.mp4.")]
    assert len(left) == 1 and (left[0] / MARKER).is_file()
    with open_writer(output, 10) as writer:
        writer.write(np.zeros((16, 16, 3), np.float32))
    assert os.listdir(tmp_path) == ["clip.mp4"]


def test_atomic_path_publishes_only_on_success(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    target.chmod(0o640)
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".txt" and tmp.name.startswith(".a.txt.")
        tmp.write_text("new")
    assert target.read_text() == "new" and (target.stat().st_mode & 0o777) == 0o640
    assert os.listdir(tmp_path) == ["a.txt"]


def test_a_second_run_on_the_same_output_is_refused(tmp_path):
    output = tmp_path / "clip.mp4"
    holder = python(f"""
        import sys
        from dreamreel.io import output_lock
        with output_lock({str(output)!r}):
            print("locked", flush=True)
            sys.stdin.read()
    """, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(DreamreelError, match=f"clip.mp4 is already being rendered by PID {holder.pid}"):
            with output_lock(output):
                pass
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    with output_lock(output) as lock:  # free again once the first run ended
        assert lock == lock_path(output) and int(lock.read_text()) == os.getpid()
    assert os.listdir(tmp_path) == []


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    output = tmp_path / "frames"
    lock_path(output).write_text(f"{dead_pid()}\n")  # a lock file whose process was killed (its flock is gone)
    with output_lock(str(output) + "/"):
        assert int(lock_path(output).read_text()) == os.getpid()
    assert not lock_path(output).exists()
