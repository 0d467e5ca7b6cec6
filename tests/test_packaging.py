"""Packaging: a wheel (not the editable install) carries the presets and sample images, and the dreamreel it
installs lists the presets and renders one. Builds with the installed setuptools (no network) into a fresh venv
that sees the installed dependencies (--system-site-packages) but takes dreamreel itself from the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import imageio.v3 as iio
import pytest

from dreamreel.home import dreamreel_home

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["dreamreel/presets/infinite_zoom.toml", "dreamreel/presets/video/dream_dots.toml",
           "dreamreel/presets/images/sky.jpg", "dreamreel/presets/images/CREDITS.md",
           "dreamreel/models/formats/keras_h5.py"]


def run(command, **kwargs):
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(wheel, venv, env): the wheel built from this tree, installed alone into a new venv."""
    tmp = tmp_path_factory.mktemp("packaging")
    source = tmp / "source"  # a copy, so the build leaves nothing in the tree
    shutil.copytree(ROOT / "dreamreel", source / "dreamreel", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
         "-q", "-w", tmp / "dist", source])
    (wheel,) = (tmp / "dist").glob("dreamreel-*.whl")
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--system-site-packages", venv])
    run([venv / "bin" / "python", "-m", "pip", "install", "--no-deps", "--no-index", "--force-reinstall",
         "--disable-pip-version-check", "-q", wheel])
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "DREAMREEL_PRESETS")}
    env["DREAMREEL_HOME"] = str(dreamreel_home())  # the weights cache the other integration tests use
    return wheel, venv, env


def test_the_wheel_holds_the_presets_and_images(installed):
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(SHIPPED) <= names
    assert not any(name.startswith("presets/") for name in names)


def test_dreamreel_comes_from_the_wheel(installed, tmp_path):
    _, venv, env = installed
    where = run([venv / "bin" / "python", "-c", "import dreamreel, dreamreel.home as h; "
                 "print(dreamreel.__file__); print(h.presets_dir())"], env=env, cwd=tmp_path).split()
    assert Path(where[0]).is_relative_to(venv) and Path(where[1]).is_relative_to(venv)
    assert (Path(where[1]) / "infinite_zoom.toml").is_file()


def test_the_installed_cli_lists_the_presets(installed, tmp_path):
    _, venv, env = installed
    listing = run([venv / "bin" / "dreamreel", "presets"], env=env, cwd=tmp_path)
    assert "infinite_zoom" in listing and "spiral_zoom" in listing


def test_the_installed_cli_renders_a_preset(installed, tmp_path):
    _, venv, env = installed
    out = tmp_path / "x.gif"
    run([venv / "bin" / "dreamreel", "render", "infinite_zoom", "-o", out, "--frames", "2",
         "--set", "width=64", "--set", "height=64", "--set", "first_steps=1", "--set", "steps=1"],
        env=env, cwd=tmp_path)
    frames = iio.imread(out, index=None)
    assert frames.shape[:3] == (2, 64, 64)
