"""The DCGAN demonstration: shapes, a sample grid, and training that moves samples towards the data."""

import jax
import numpy as np
import pytest

from dreamreel.core.nets.gan import GanConfig, gan_optimizer, init_gan, make_gan_step, sample, sample_grid
from dreamreel.errors import DreamreelError

TINY = GanConfig(size=8, width=4, latent=8)


def test_samples_have_the_configured_shape_and_range():
    state = init_gan(TINY, jax.random.PRNGKey(0), gan_optimizer())
    images = np.asarray(sample(TINY, state.generator, jax.random.PRNGKey(1), 5))
    assert images.shape == (5, 8, 8, 3) and images.min() > 0 and images.max() < 1
    grid = sample_grid(images, 3, gap=2)
    assert grid.shape == (2 * 10 + 2, 3 * 10 + 2, 3)
    np.testing.assert_array_equal(grid[2:10, 12:20], images[1])


def test_training_pulls_the_samples_towards_the_data():
    red = np.zeros((16, 8, 8, 3), np.float32)
    red[..., 0] = 0.9
    red += np.random.default_rng(0).normal(0, 0.02, red.shape).astype(np.float32)
    opt = gan_optimizer(2e-3)
    state = init_gan(TINY, jax.random.PRNGKey(0), opt)
    key = jax.random.PRNGKey(3)
    before = np.asarray(sample(TINY, state.generator, key, 32)).mean(axis=(0, 1, 2))
    step = make_gan_step(TINY, opt)
    for _ in range(150):
        state, losses = step(state, red, key)
    after = np.asarray(sample(TINY, state.generator, key, 32)).mean(axis=(0, 1, 2))
    target = np.array([0.9, 0.0, 0.0])
    assert np.abs(after - target).sum() < 0.5 * np.abs(before - target).sum(), (before, after)
    assert int(state.step) == 150 and np.isfinite(float(losses["d_loss"]))


@pytest.mark.parametrize("size", [6, 12, 512])
def test_sizes_must_be_powers_of_two(size):
    with pytest.raises(DreamreelError, match="power of two"):
        GanConfig(size=size)
