"""The one step runner: the tiled gradient against a plain roll-pad-tile reference, each method moving its
objective the right way on the tiny model, chunked runs equal to one run, no re-tracing, cancellation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import photo

from dreamreel.core.objectives import content_loss, gatys_objective, layer, objective_value, style_loss
from dreamreel.core.objectives.base import pytree_dataclass
from dreamreel.core.objectives.features import LayerObjective
from dreamreel.core.steps import (LBFGS, Adam, Ascent, Progress, Tiled, Whole, normalize_gradient, run, run_steps,
                                  tile_grid)

OBJ = layer("block3_conv2")


def plain_gradient(model, objective, image):
    return jax.grad(lambda x: objective_value(model, objective, x[None]))(image)


def reference_tiled_gradient(model, objective, image, tile_size, shift):
    """The definition, spelled out: roll, pad with edge pixels, gradient of each tile, crop, roll back."""
    h, w, _ = image.shape
    rows, cols, th, tw = tile_grid(h, w, tile_size)
    rolled = np.roll(np.asarray(image), shift, axis=(0, 1))
    padded = np.pad(rolled, ((0, rows * th - h), (0, cols * tw - w), (0, 0)), mode="edge")
    grads = np.zeros_like(padded)
    for r in range(rows):
        for c in range(cols):
            tile = jnp.asarray(padded[r * th:(r + 1) * th, c * tw:(c + 1) * tw])
            grads[r * th:(r + 1) * th, c * tw:(c + 1) * tw] = plain_gradient(model, objective, tile)
    return np.roll(grads[:h, :w], (-shift[0], -shift[1]), axis=(0, 1))


def close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5 * float(np.abs(b).max()))


def test_tile_grid_covers_with_equal_tiles():
    assert tile_grid(100, 100, 512) == (1, 1, 100, 100)
    rows, cols, th, tw = tile_grid(575, 1024, 512)
    assert (rows, cols) == (2, 2) and th * rows >= 575 and tw * cols >= 1024 and max(th, tw) <= 512


def test_untiled_gradient_is_the_plain_gradient(tiny_model):
    image = jnp.asarray(photo((40, 48)))
    ours = Tiled(512, 0).gradient(tiny_model, OBJ, image, jax.random.PRNGKey(0))
    assert ours.shape == image.shape and ours.dtype == jnp.float32
    close(ours, plain_gradient(tiny_model, OBJ, image))
    close(Whole().gradient(tiny_model, OBJ, image, None), plain_gradient(tiny_model, OBJ, image))


@pytest.mark.parametrize("size,tile_size,max_shift", [((41, 50), 24, 0), ((41, 50), 24, 9), ((48, 48), 512, 4)])
def test_tiled_gradient_equals_roll_pad_tile_reference(tiny_model, size, tile_size, max_shift):
    """Tiles padded past the border (41 = 2 x 21 - 1), shifted or not: the gathered tiles give the definition's
    gradient, jitted or not."""
    image = jnp.asarray(photo(size))
    key = jax.random.PRNGKey(3)
    shift = tuple(int(s) for s in jax.random.randint(key, (2,), -max_shift, max_shift + 1)) if max_shift else (0, 0)
    expected = reference_tiled_gradient(tiny_model, OBJ, image, tile_size, shift)
    target = Tiled(tile_size, max_shift)
    close(target.gradient(tiny_model, OBJ, image, key), expected)
    jitted = jax.jit(target.gradient)(tiny_model, OBJ, image, key)
    close(jitted, expected)


@pytest.mark.parametrize("how", ["mean", "laplacian"])
def test_normalized_gradient_has_unit_mean_abs(how):
    g = jax.random.normal(jax.random.PRNGKey(0), (32, 32, 3)) * 1e-5
    np.testing.assert_allclose(float(jnp.mean(jnp.abs(normalize_gradient(g, how)))), 1.0, rtol=1e-3)
    np.testing.assert_array_equal(normalize_gradient(g, "none"), g)


def value_of(model, objective, image):
    return float(objective_value(model, objective, jnp.asarray(image)[None]))


def test_ascent_raises_its_objective_and_stays_in_range(tiny_model):
    image = jnp.asarray(photo((32, 32)))
    out, state = run(Ascent(), Tiled(512, 4), tiny_model, OBJ, image, jax.random.PRNGKey(0), 3, rate=0.01)
    assert out.shape == image.shape and state == ()
    assert float(out.min()) >= 0 and float(out.max()) <= 1
    assert value_of(tiny_model, OBJ, out) > value_of(tiny_model, OBJ, image)


@pytest.fixture(scope="module")
def gatys(tiny_model):
    content = photo((32, 32))
    painting = np.clip(photo((32, 32))[::-1, ::-1] * 1.3, 0, 1)
    return content, gatys_objective(content_loss(tiny_model, content, layer="block3_conv2"),
                                    style_loss(tiny_model, [painting], layers=("block1_conv1", "block2_conv1")),
                                    content_weight=1.0, style_weight=10.0, tv_weight=0.0)


@pytest.mark.parametrize("method", [Adam(), LBFGS()], ids=["adam", "lbfgs"])
def test_adam_and_lbfgs_lower_the_gatys_loss(tiny_model, gatys, method):
    content, objective = gatys
    image = jnp.asarray(content)
    out, _ = run(method, Whole(), tiny_model, objective, image, jax.random.PRNGKey(0), 8, rate=0.02)
    before, after = -value_of(tiny_model, objective, image), -value_of(tiny_model, objective, jnp.clip(out, 0, 1))
    assert after < 0.8 * before, (before, after)


@pytest.mark.parametrize("method", [Ascent(), Adam()], ids=["ascent", "adam"])
def test_chunked_runs_equal_one_run(tiny_model, method):
    """Step i's key is fold_in(key, i) whatever the chunking, so a run with a callback gives the same result."""
    image, key = jnp.asarray(photo((24, 24))), jax.random.PRNGKey(7)
    whole, _ = run(method, Tiled(512, 3), tiny_model, OBJ, image, key, 4, rate=0.01)
    seen = []
    chunked, _ = run(method, Tiled(512, 3), tiny_model, OBJ, image, key, 4, rate=0.01,
                     on_step=lambda done, x, state: seen.append(done))
    assert seen == [1, 2, 3, 4]
    np.testing.assert_allclose(np.asarray(chunked), np.asarray(whole), atol=1e-6)


def test_a_raising_callback_stops_the_run_after_that_step(tiny_model):
    class Cancelled(Exception):
        pass

    seen = []

    def on_step(done, x, state):
        seen.append(done)
        if done == 2:
            raise Cancelled

    with pytest.raises(Cancelled):
        run(Ascent(), Tiled(512, 0), tiny_model, OBJ, jnp.asarray(photo((24, 24))), jax.random.PRNGKey(0), 10,
            rate=0.01, on_step=on_step)
    assert seen == [1, 2]


TRACES = []


@pytree_dataclass
class CountingLayer(LayerObjective):
    """A layer objective that counts how often it is traced."""

    def __call__(self, acts):
        TRACES.append(1)
        return super().__call__(acts)


def test_new_keys_rates_steps_and_weights_do_not_retrace(tiny_model):
    image = jnp.asarray(photo((24, 24)))
    objective = 1.0 * CountingLayer("block3_conv2")
    args = (Ascent(), Tiled(512, 2), tiny_model)
    run_steps(*args, objective, image, (), jax.random.PRNGKey(0), 0, 1, jnp.float32(0.01))
    traced = len(TRACES)
    assert traced > 0
    run_steps(*args, 0.5 * CountingLayer("block3_conv2"), image + 0.01, (), jax.random.PRNGKey(5), 3, 7,
              jnp.float32(0.02))
    run(Ascent(), Tiled(512, 2), tiny_model, objective, image, jax.random.PRNGKey(1), 2, rate=np.float32(0.5))
    assert len(TRACES) == traced


def test_progress_event_defaults():
    event = Progress("dream", 3, 40)
    assert (event.unit, event.detail, event.image, event.losses, event.resumed) == ("step", "", None, (), 0)
