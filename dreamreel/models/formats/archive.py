"""Reading a weights file that may sit inside an archive.

member_bytes(path, suffix) -> bytes     `path`'s bytes, or those of its member ending in `suffix` when `path` is a
                                        zip (a wheel, inception5h.zip)
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ...errors import DreamreelError


def member_bytes(path: Path, suffix: str) -> bytes:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(suffix)]
            if not names:
                raise DreamreelError(f"{path.name} holds no file ending in {suffix}")
            return archive.read(names[0])
    return path.read_bytes()
