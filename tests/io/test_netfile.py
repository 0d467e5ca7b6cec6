"""The network file: an exact round trip; another format version, another recipe or another file are refused."""

import json

import jax
import numpy as np
import pytest

from dreamreel.core.nets import LearnedNet, NetConfig, apply_net, init_params
from dreamreel.errors import DreamreelError
from dreamreel.io.netfile import (
    FORMAT_VERSION,
    load_net,
    net_header,
    params_to_arrays,
    save_net,
    write_netfile,
)

CONFIG = NetConfig(widths=(4, 8, 8), residual_blocks=1, norm="group")
RECIPE = {"name": "starry", "kind": "style", "style_weight": 10.0, "layers": ["block1_conv1", "block2_conv1"]}


@pytest.fixture
def net():
    return LearnedNet(CONFIG, init_params(CONFIG, jax.random.PRNGKey(4)), RECIPE, min_side=24, max_side=1024,
                      trained_side=320, info={"steps": 12})


def test_round_trip_is_exact(tmp_path, net):
    path = save_net(tmp_path / "look.dnet", net)
    loaded = load_net(path, recipe=json.loads(json.dumps(RECIPE)))
    assert loaded.config == net.config and loaded.recipe == RECIPE and loaded.info == {"steps": 12}
    assert (loaded.min_side, loaded.max_side, loaded.trained_side) == (24, 1024, 320)
    assert jax.tree_util.tree_structure(loaded.params) == jax.tree_util.tree_structure(net.params)
    for a, b in zip(jax.tree_util.tree_leaves(loaded.params), jax.tree_util.tree_leaves(net.params)):
        assert a.dtype == b.dtype and np.array_equal(a, np.asarray(b))
    image = np.random.default_rng(0).random((40, 40, 3)).astype(np.float32)
    assert np.array_equal(np.asarray(apply_net(loaded, image)), np.asarray(apply_net(net, image)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["look.dnet"]  # no temporary left behind


def test_overwriting_replaces_the_file_whole(tmp_path, net):
    path = save_net(tmp_path / "look.dnet", net)
    other = LearnedNet(CONFIG, jax.tree_util.tree_map(lambda p: p + 1, net.params), RECIPE)
    save_net(path, other)
    first = jax.tree_util.tree_leaves(load_net(path).params)[0]
    assert np.array_equal(first, np.asarray(jax.tree_util.tree_leaves(other.params)[0]))


def _one_line(error) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def test_a_newer_format_is_refused(tmp_path, net):
    path = write_netfile(tmp_path / "future.dnet", {**net_header(net), "format_version": FORMAT_VERSION + 1},
                         params_to_arrays(net.params))
    with pytest.raises(DreamreelError) as error:
        load_net(path)
    assert "upgrade dreamreel" in _one_line(error) and "future.dnet" in str(error.value)


def test_an_older_format_is_refused(tmp_path, net):
    path = write_netfile(tmp_path / "old.dnet", {**net_header(net), "format_version": 0},
                         params_to_arrays(net.params))
    with pytest.raises(DreamreelError, match="version 0") as error:
        load_net(path)
    _one_line(error)


def test_another_recipe_is_refused(tmp_path, net):
    path = save_net(tmp_path / "look.dnet", net)
    with pytest.raises(DreamreelError) as error:
        load_net(path, recipe={**RECIPE, "style_weight": 20.0})
    assert "learned the look starry" in _one_line(error)


@pytest.mark.parametrize("content", [b"not a zip at all", b""])
def test_other_files_are_refused(tmp_path, content):
    path = tmp_path / "photo.dnet"
    path.write_bytes(content)
    with pytest.raises(DreamreelError, match="not a dreamreel network file") as error:
        load_net(path)
    _one_line(error)
    with pytest.raises(DreamreelError, match="no network file"):
        load_net(tmp_path / "missing.dnet")


def test_a_plain_npz_is_refused(tmp_path):
    path = tmp_path / "weights.dnet"
    with open(path, "wb") as f:
        np.savez(f, kernel=np.zeros(3))
    with pytest.raises(DreamreelError, match="not a dreamreel network file"):
        load_net(path)
