import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import photo

from dreamreel.errors import DreamreelError
from dreamreel.core.objectives import layer
from dreamreel.core.image import laplacian_merge, laplacian_normalize, laplacian_split
from dreamreel.core.dream import (dream, dream_steps, normalize_gradient, objective_gradient, objective_value,
                              octave_sizes, tile_grid)

OBJ = layer("block3_conv2")


def test_tile_grid_covers_with_equal_tiles():
    assert tile_grid(100, 100, 512) == (1, 1, 100, 100)
    rows, cols, th, tw = tile_grid(575, 1024, 512)
    assert (rows, cols) == (2, 2) and th * rows >= 575 and tw * cols >= 1024 and max(th, tw) <= 512


def test_untiled_gradient_is_the_plain_gradient(tiny_model):
    image = jnp.asarray(photo((40, 48)))
    ours = objective_gradient(tiny_model, OBJ, image, jax.random.PRNGKey(0), tile_size=512, max_shift=0)
    plain = jax.grad(lambda x: objective_value(tiny_model, OBJ, x[None]))(image)
    np.testing.assert_allclose(ours, plain, rtol=1e-4, atol=1e-6 * float(jnp.abs(plain).max()))


def test_tiled_gradient_is_the_gradient_of_each_tile(tiny_model):
    image = jnp.asarray(photo((40, 48)))
    ours = objective_gradient(tiny_model, OBJ, image, jax.random.PRNGKey(0), tile_size=24, max_shift=0)
    top_left = jax.grad(lambda x: objective_value(tiny_model, OBJ, x[None]))(image[:20, :24])
    np.testing.assert_allclose(ours[:20, :24], top_left, rtol=1e-4, atol=1e-6 * float(jnp.abs(top_left).max()))
    assert ours.shape == image.shape and float(jnp.abs(ours[20:, 24:]).sum()) > 0


def test_shift_is_undone(tiny_model):
    """The gradient of a jittered step is the gradient of the rolled image, rolled back into place."""
    image = jnp.asarray(photo((48, 48)))
    key = jax.random.PRNGKey(1)
    shift = jax.random.randint(key, (2,), -4, 5)
    assert int(jnp.abs(shift).sum()) > 0
    ours = objective_gradient(tiny_model, OBJ, image, key, tile_size=512, max_shift=4)
    grad_of_rolled = jax.grad(lambda x: objective_value(tiny_model, OBJ, x[None]))(
        jnp.roll(image, (shift[0], shift[1]), axis=(0, 1)))
    expected = jnp.roll(grad_of_rolled, (-shift[0], -shift[1]), axis=(0, 1))
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-6 * float(jnp.abs(expected).max()))


def test_laplacian_pyramid_is_exact_and_normalises():
    g = jax.random.normal(jax.random.PRNGKey(0), (37, 50, 3))
    bands = laplacian_split(g, 4)
    assert len(bands) == 4 and bands[0].shape[0] < bands[-1].shape[0]
    np.testing.assert_allclose(laplacian_merge(bands), g, atol=1e-5)
    # a gradient dominated by a low frequency gets its fine detail boosted
    smooth = jnp.linspace(0, 1, 50)[None, :, None] * jnp.ones((37, 1, 3)) * 100 + g
    normalized = laplacian_normalize(smooth)
    assert np.isfinite(np.asarray(normalized)).all()
    fine_before = laplacian_split(smooth, 4)[-1].std() / smooth.std()
    fine_after = laplacian_split(normalized, 4)[-1].std() / normalized.std()
    assert fine_after > 5 * fine_before


@pytest.mark.parametrize("how", ["mean", "laplacian"])
def test_normalized_gradient_has_unit_mean_abs(how):
    g = jax.random.normal(jax.random.PRNGKey(0), (32, 32, 3)) * 1e-5
    np.testing.assert_allclose(float(jnp.mean(jnp.abs(normalize_gradient(g, how)))), 1.0, rtol=1e-3)


def test_octave_sizes():
    assert octave_sizes(575, 1024, 4, 1.4, 16) == [(210, 373), (293, 522), (411, 731), (575, 1024)]
    assert octave_sizes(40, 40, 6, 2.0, 16) == [(20, 20), (40, 40)]


def test_dream_changes_the_image_within_range_and_is_deterministic(tiny_model):
    image = photo((40, 56))
    events = []
    a = dream(image, model=tiny_model, objective=OBJ, octaves=2, steps=3, seed=3, progress=events.append)
    b = dream(image, model=tiny_model, objective=OBJ, octaves=2, steps=3, seed=3)
    c = dream(image, model=tiny_model, objective=OBJ, octaves=2, steps=3, seed=4)
    assert a.shape == image.shape and a.dtype == np.float32 and 0 <= a.min() and a.max() <= 1
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0
    assert np.abs(a - image).mean() > 0.005
    assert float(objective_value(tiny_model, OBJ, jnp.asarray(a)[None])) > \
        float(objective_value(tiny_model, OBJ, jnp.asarray(image)[None]))
    assert [(e.octave, e.step) for e in events] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]
    assert events[-1].done == events[-1].total == 6


def test_tiled_dream_has_no_seams(tiny_model):
    """With shifting tiles the dreamed change is as smooth across the tile border as elsewhere."""
    image = photo((64, 64))
    out = dream(image, model=tiny_model, objective=OBJ, octaves=1, steps=8, tile_size=32, seed=0)
    change = np.abs(out - image).mean(axis=-1)
    seam = np.abs(np.diff(change, axis=1))[:, 31].mean()
    elsewhere = np.abs(np.diff(change, axis=1)).mean()
    assert seam < 2.5 * elsewhere


def test_steps_are_jitted_once_per_shape(tiny_model):
    image = jnp.asarray(photo((24, 24)))
    dream_steps(tiny_model, OBJ, image, jax.random.PRNGKey(0), 0, 1, 0.01, tile_size=512, max_shift=2,
                normalize="mean")
    before = dream_steps._cache_size()
    dream_steps(tiny_model, OBJ, image, jax.random.PRNGKey(5), 3, 7, 0.02, tile_size=512, max_shift=2,
                normalize="mean")
    assert dream_steps._cache_size() == before


@pytest.mark.parametrize("kwargs,match", [
    (dict(octaves=0), "octaves"), (dict(octave_scale=1.0), "octave scale"), (dict(step_size=0), "step size"),
    (dict(tile_size=8), "tile size"), (dict(normalize="std"), "normalisation"),
])
def test_bad_settings_raise(tiny_model, kwargs, match):
    with pytest.raises(DreamreelError, match=match):
        dream(photo((16, 16)), model=tiny_model, objective=OBJ, **kwargs)


def test_bad_image_raises(tiny_model):
    with pytest.raises(DreamreelError, match="RGB"):
        dream(np.zeros((16, 16)), model=tiny_model, objective=OBJ)
