"""Where dreamreel keeps its cache and finds its presets."""

from pathlib import Path

import dreamreel
from dreamreel.home import dreamreel_home, presets_dir


def test_presets_ship_inside_the_package(monkeypatch):
    monkeypatch.delenv("DREAMREEL_PRESETS", raising=False)
    folder = presets_dir()
    assert folder == Path(dreamreel.__file__).resolve().parent / "presets"
    assert (folder / "infinite_zoom.toml").is_file() and (folder / "video" / "dream_dots.toml").is_file()
    assert (folder / "images" / "CREDITS.md").is_file() and (folder / "images" / "sky.jpg").is_file()
    assert not (folder / "__init__.py").exists()  # data, not a package: `dreamreel.presets` stays the module


def test_the_presets_folder_can_be_moved(monkeypatch, tmp_path):
    monkeypatch.setenv("DREAMREEL_PRESETS", str(tmp_path))
    assert presets_dir() == tmp_path


def test_home_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DREAMREEL_HOME", str(tmp_path / "h"))
    assert dreamreel_home() == tmp_path / "h"
    monkeypatch.delenv("DREAMREEL_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert dreamreel_home() == tmp_path / "xdg" / "dreamreel"
