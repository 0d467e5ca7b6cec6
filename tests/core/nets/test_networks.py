"""The look network: shapes at any size, identity at start, resize-convolutions, dtype, bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import photo
from dreamreel.core.nets import LearnedNet, NetConfig, apply_net, build, init_params, parameter_count
from dreamreel.errors import DreamreelError

SMALL = NetConfig(widths=(4, 8, 8), residual_blocks=1)


@pytest.fixture(scope="module")
def net():
    return LearnedNet(SMALL, init_params(SMALL, jax.random.PRNGKey(0)), {"name": "test"})


@pytest.mark.parametrize("size", [(16, 16), (30, 37), (33, 18)])
def test_any_size_keeps_its_shape_and_range(net, size):
    out = np.asarray(apply_net(net, photo(size)))
    assert out.shape == (*size, 3)
    assert np.isfinite(out).all() and out.min() > 0.0 and out.max() < 1.0


def test_a_fresh_network_is_close_to_the_identity(net):
    image = photo((32, 48))
    out = np.asarray(apply_net(net, image))
    assert np.mean(np.abs(out - image)) < 0.03
    assert np.corrcoef(out.ravel(), image.ravel())[0, 1] > 0.97


def test_batch_equals_single_images_and_the_module(net):
    images = np.stack([photo((32, 32)), photo((32, 32))[::-1]])
    batch = np.asarray(apply_net(net, images))
    single = np.asarray(apply_net(net, images[1]))
    np.testing.assert_allclose(batch[1], single, atol=1e-5)
    eager = np.asarray(build(SMALL).apply({"params": net.params}, jnp.asarray(images)))
    np.testing.assert_allclose(batch, eager, atol=1e-5)


def test_flat_input_gives_flat_output_no_checkerboard(net):
    # a transposed stride-2 convolution paints a period-2 pattern even on a flat image; resize-convolution cannot
    flat = np.full((32, 40, 3), 0.4, np.float32)
    out = np.asarray(apply_net(net, flat))
    assert out.std(axis=(0, 1)).max() < 1e-5


def test_bfloat16_compute_is_close_to_float32(net):
    image = photo((32, 32))
    f32 = np.asarray(apply_net(net, image))
    bf16 = np.asarray(apply_net(net, image, dtype=jnp.bfloat16))
    assert bf16.dtype == np.float32
    assert np.abs(f32 - bf16).max() < 0.05


def test_width_changes_the_parameter_count():
    small = parameter_count(init_params(SMALL, jax.random.PRNGKey(0)))
    wider = parameter_count(init_params(NetConfig(widths=(8, 16, 16), residual_blocks=1), jax.random.PRNGKey(0)))
    assert wider > 3 * small


def test_bad_inputs_raise_one_line_errors(net):
    with pytest.raises(DreamreelError, match="RGB"):
        apply_net(net, np.zeros((32, 32)))
    with pytest.raises(DreamreelError, match="sides from 16"):
        apply_net(net, np.zeros((8, 32, 3)))
    with pytest.raises(DreamreelError, match="norm"):
        NetConfig(norm="batch")
    with pytest.raises(DreamreelError, match="widths"):
        NetConfig(widths=(4, 8))


def test_group_norm_variant_runs():
    config = NetConfig(widths=(8, 8, 16), residual_blocks=1, norm="group")
    net = LearnedNet(config, init_params(config, jax.random.PRNGKey(1)), {})
    assert apply_net(net, photo((20, 24))).shape == (20, 24, 3)


def test_a_held_strength_fixes_each_images_mean_change_and_old_configs_have_none(net):
    held = NetConfig(widths=(4, 8, 8), residual_blocks=1, strength=0.05)
    params = init_params(held, jax.random.PRNGKey(3))
    images = np.stack([photo((32, 40)), 0.5 + 0.3 * (photo((32, 40))[::-1] - 0.5)])
    out = np.asarray(build(held).apply({"params": params}, jnp.asarray(images)))
    changes = np.abs(out - images).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(changes, 0.05, rtol=0.05)  # clipping at 0 and 1 may take a little off
    free = np.abs(np.asarray(build(SMALL).apply({"params": net.params}, jnp.asarray(images))) - images).mean()
    assert free < 0.03  # without a strength a fresh network stays near the identity
    assert NetConfig.from_dict({"widths": [4, 8, 8], "residual_blocks": 1, "norm": "group"}).strength == 0.0
    assert NetConfig.from_dict(held.to_dict()) == held
    with pytest.raises(DreamreelError, match="strength"):
        NetConfig(strength=1.5)
