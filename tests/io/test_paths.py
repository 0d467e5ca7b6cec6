"""check_output: every output kind through one check, refused up front with one line (never a traceback)."""

from __future__ import annotations

import os

import pytest

from dreamreel.errors import DreamreelError
from dreamreel.io import check_output, output_kind


def test_kinds_come_from_the_suffix_or_the_writer_registry(tmp_path):
    assert [output_kind(tmp_path / name) for name in ("a.png", "a.JPG", "a.mp4", "a.gif", "a.apng", "frames")] == \
        ["image", "image", "mp4", "gif", "apng", "frames"]
    assert output_kind(str(tmp_path / "out.png") + "/") == "frames"  # a trailing slash means a folder
    assert check_output(tmp_path / "a.png") == tmp_path / "a.png"
    assert check_output(str(tmp_path / "frames") + "/", kinds=("video",)) == tmp_path / "frames"
    assert os.listdir(tmp_path) == []  # the writability probe leaves nothing


def test_wrong_kind_for_the_job(tmp_path):
    with pytest.raises(DreamreelError, match="as an image: use .png, .jpg"):
        check_output(tmp_path / "a.mp4", kinds=("image",))
    with pytest.raises(DreamreelError, match="as a video: use .apng, .gif, .mp4, a folder"):
        check_output(tmp_path / "a.png", kinds=("video",))
    with pytest.raises(DreamreelError, match="as a mp4 video: use .mp4$"):
        check_output(tmp_path / "a.gif", kinds=("mp4",))
    with pytest.raises(DreamreelError, match="cannot write .*a.avi"):
        check_output(tmp_path / "a.avi")


@pytest.mark.parametrize("path", ["/proc/x.png", "/proc/self/x.mp4", "/sys/x.png", "/sys/kernel/x.gif"])
def test_unwritable_system_folders_fail_up_front(path):
    if not os.path.isdir(os.path.dirname(path)):
        pytest.skip(f"{os.path.dirname(path)} does not exist here")
    with pytest.raises(DreamreelError, match=f"cannot write {path}: ") as error:
        check_output(path)
    assert "\n" not in str(error.value)  # one line: the CLI prints it as it is


def test_read_only_folder(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root may write into read-only folders (the /proc and /sys cases cover this)")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(DreamreelError, match="cannot write .*Permission denied"):
            check_output(folder / "a.png")
    finally:
        folder.chmod(0o700)


def test_folders_and_files_in_the_wrong_place(tmp_path):
    (tmp_path / "shots.png").mkdir()
    with pytest.raises(DreamreelError, match="shots.png is a folder: choose a file name"):
        check_output(tmp_path / "shots.png")
    (tmp_path / "clip.mp4").mkdir()
    with pytest.raises(DreamreelError, match="is a folder: choose a file name for the MP4"):
        check_output(tmp_path / "clip.mp4")
    (tmp_path / "frames").write_text("not a folder")
    with pytest.raises(DreamreelError, match="is a file; a folder is needed"):
        check_output(str(tmp_path / "frames") + "/")
    with pytest.raises(DreamreelError, match="output folder .*missing does not exist"):
        check_output(tmp_path / "missing" / "a.png")


def test_output_equal_to_any_input_is_refused(tmp_path):
    photo, guide = tmp_path / "photo.jpg", tmp_path / "guide.png"
    photo.write_bytes(b"x")
    guide.write_bytes(b"x")
    with pytest.raises(DreamreelError, match="refusing to overwrite the input .*guide.png"):
        check_output(guide, photo, None, guide)  # the guide, not just the first input
    os.link(photo, tmp_path / "alias.jpg")  # the same file under another name
    with pytest.raises(DreamreelError, match="refusing to overwrite the input"):
        check_output(tmp_path / "alias.jpg", photo)
    with pytest.raises(DreamreelError, match="refusing to overwrite the input"):  # neither exists yet
        check_output(tmp_path / "sub" / ".." / "new.png", tmp_path / "new.png")
    frames = tmp_path / "frames"
    frames.mkdir()
    (frames / "frame_000000.png").write_bytes(b"x")
    with pytest.raises(DreamreelError, match="it holds the input"):
        check_output(str(frames) + "/", frames / "frame_000000.png")

