"""The trained-network file (.dnet): weights, the recipe the network learned, versions and the sizes it takes.

save_net(path, net: LearnedNet) -> Path            atomic (a temporary name renamed when complete)
load_net(path, *, recipe=None) -> LearnedNet       recipe: refuse a network that learned another recipe
write_netfile(path, header: dict, arrays: {name: array}) -> Path    the container (training checkpoints use it too)
read_netfile(path, kind="net") -> (header, {name: array})
load_generator(path) -> (GanConfig, params)        the generator of `learn --unconditional` (kind "generator")

The container is a NumPy .npz archive (a zip: no pickles, readable without dreamreel) holding "header.json" (UTF-8
bytes as a uint8 array) and one float32 array per weight, named by its path in the parameter tree
("params/ConvLayer_0/Conv_0/kernel"). The header:
    format "dreamreel-net", format_version (FORMAT_VERSION), kind ("net" | "checkpoint"), dreamreel_version,
    config (the architecture), recipe (the look learned: a JSON object), min_side, max_side, trained_side, info.
A file of another format version is refused (a newer one says to upgrade dreamreel), as is a file whose recipe
differs from the one asked for: each with one line naming the file and what to do.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
from flax import traverse_util

from ..core.nets.networks import LearnedNet, NetConfig
from ..errors import DreamreelError
from . import atomic_path
from .paths import NET_SUFFIX

FORMAT = "dreamreel-net"
FORMAT_VERSION = 1
SUFFIX = NET_SUFFIX
_HEADER = "header.json"
_KINDS = {"net": "look network", "generator": "GAN generator (learn --unconditional)",
          "checkpoint": "training checkpoint (re-run the training command to finish it)"}


def write_netfile(path: str | os.PathLike, header: dict, arrays: dict[str, np.ndarray]) -> Path:
    from .. import __version__

    path = Path(path)
    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "dreamreel_version": __version__, **header}
    payload = {name: np.asarray(value) for name, value in arrays.items()}
    payload[_HEADER] = np.frombuffer(json.dumps(header, sort_keys=True).encode(), np.uint8)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **payload)
    return path


def read_netfile(path: str | os.PathLike, kind: str = "net") -> tuple[dict, dict[str, np.ndarray]]:
    path = Path(path)
    if not path.is_file():
        raise DreamreelError(f"no network file {path}: train one with `dreamreel learn` or check the path")
    if not zipfile.is_zipfile(path):
        raise DreamreelError(f"{path} is not a dreamreel network file (not a zip archive)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            header = json.loads(archive[_HEADER].tobytes().decode())
            arrays = {name: archive[name] for name in archive.files if name != _HEADER}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as error:
        raise DreamreelError(f"{path} is not a dreamreel network file ({type(error).__name__})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise DreamreelError(f"{path} is not a dreamreel network file (no {FORMAT} header)")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        advice = "upgrade dreamreel to read it" if isinstance(version, int) and version > FORMAT_VERSION \
            else "train it again with this dreamreel"
        raise DreamreelError(f"{path} is a network file of format version {version}, made by dreamreel "
                             f"{header.get('dreamreel_version')}; this dreamreel reads version {FORMAT_VERSION}: "
                             f"{advice}")
    if header.get("kind") != kind:
        found = _KINDS.get(header.get("kind"), f"{header.get('kind')!r} file")
        raise DreamreelError(f"{path} holds a {found}, not a {_KINDS[kind]}")
    return header, arrays


def params_to_arrays(params, prefix: str = "params") -> dict[str, np.ndarray]:
    flat = traverse_util.flatten_dict(params, sep="/")
    return {f"{prefix}/{name}": np.asarray(value) for name, value in flat.items()}


def arrays_to_params(arrays: dict[str, np.ndarray], prefix: str = "params"):
    start = prefix + "/"
    flat = {name[len(start):]: value for name, value in arrays.items() if name.startswith(start)}
    return traverse_util.unflatten_dict(flat, sep="/")


def net_header(net: LearnedNet) -> dict:
    return {"kind": "net", "config": net.config.to_dict(), "recipe": net.recipe, "min_side": net.min_side,
            "max_side": net.max_side, "trained_side": net.trained_side, "info": net.info}


def net_from(header: dict, arrays: dict[str, np.ndarray]) -> LearnedNet:
    return LearnedNet(NetConfig.from_dict(header["config"]), arrays_to_params(arrays), header["recipe"],
                      int(header["min_side"]), int(header["max_side"]), int(header["trained_side"]),
                      dict(header.get("info") or {}))


def save_net(path: str | os.PathLike, net: LearnedNet) -> Path:
    return write_netfile(path, net_header(net), params_to_arrays(net.params))


def describe_recipe(recipe: dict) -> str:
    return str(recipe.get("name") or json.dumps(recipe, sort_keys=True))


def same_recipe(a: dict, b: dict) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def load_net(path: str | os.PathLike, *, recipe: dict | None = None) -> LearnedNet:
    """The network in `path`; with `recipe`, refuse one that learned another look."""
    header, arrays = read_netfile(path, "net")
    try:
        net = net_from(header, arrays)
    except (KeyError, TypeError, ValueError) as error:
        raise DreamreelError(f"{path} is a damaged network file (missing {error})") from None
    if recipe is not None and not same_recipe(net.recipe, recipe):
        raise DreamreelError(f"{path} learned the look {describe_recipe(net.recipe)}, not "
                             f"{describe_recipe(recipe)}: train a network for this look with `dreamreel learn`")
    return net


def load_generator(path: str | os.PathLike):
    """(GanConfig, generator params) of a file written by `learn_unconditional`."""
    from ..core.nets.gan import GanConfig

    header, arrays = read_netfile(path, "generator")
    try:
        return GanConfig(**header["config"]), arrays_to_params(arrays)
    except (KeyError, TypeError) as error:
        raise DreamreelError(f"{path} is a damaged generator file (missing {error})") from None
