"""DeepDream: octaves, determinism, seams, the per-frame unit pipelines call, settings and bad input."""

import dataclasses
import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import photo

from dreamreel.core.dream import DreamSettings, default_objective, dream, dream_steps, tile_shift
from dreamreel.core.objectives import layer, objective_value
from dreamreel.errors import DreamreelError

OBJ = layer("block3_conv2")


def value(model, image):
    return float(objective_value(model, OBJ, jnp.asarray(image)[None]))


def test_dream_changes_the_image_within_range_and_is_deterministic(tiny_model):
    image = photo((40, 56))
    events = []
    a = dream(image, model=tiny_model, objective=OBJ, octaves=2, steps=3, seed=3, progress=events.append)
    b = dream(image, model=tiny_model, objective=OBJ, settings=DreamSettings(octaves=2, steps=3, seed=3))
    c = dream(image, model=tiny_model, objective=OBJ, octaves=2, steps=3, seed=4)
    assert a.shape == image.shape and a.dtype == np.float32 and 0 <= a.min() and a.max() <= 1
    np.testing.assert_allclose(a, b, atol=1e-6)  # with and without progress (one step per call): one result
    assert np.abs(a - c).max() > 0
    assert np.abs(a - image).mean() > 0.005
    assert value(tiny_model, a) > value(tiny_model, image)
    assert [e.done for e in events] == [1, 2, 3, 4, 5, 6] and {e.total for e in events} == {6}
    assert {e.stage for e in events} == {"dream"} and events[0].detail == "octave 1/2 40x29"
    assert events[-1].image.shape == image.shape and events[-1].detail == "octave 2/2 56x40"


def test_the_default_objective_is_the_models_dream_layers(tiny_model):
    assert default_objective(tiny_model).layers == frozenset(tiny_model.spec.dream_layers)
    out = dream(photo((32, 32)), model=tiny_model, octaves=1, steps=2)
    assert np.abs(out - photo((32, 32))).mean() > 0


def test_tiled_dream_has_no_seams(tiny_model):
    """With shifting tiles the dreamed change is as smooth across the tile border as elsewhere."""
    image = photo((64, 64))
    out = dream(image, model=tiny_model, objective=OBJ, octaves=1, steps=8, tile_size=32, seed=0)
    change = np.abs(out - image).mean(axis=-1)
    seam = np.abs(np.diff(change, axis=1))[:, 31].mean()
    elsewhere = np.abs(np.diff(change, axis=1)).mean()
    assert seam < 2.5 * elsewhere


def test_dream_steps_is_one_trace_per_shape_and_moves_uphill(tiny_model):
    image = jnp.asarray(photo((24, 24)))
    kwargs = dict(tile_size=512, max_shift=2, normalize="mean")
    one = dream_steps(tiny_model, OBJ, image, jax.random.PRNGKey(0), 0, 3, 0.01, **kwargs)
    assert one.shape == image.shape and one.dtype == jnp.float32
    assert value(tiny_model, one) > value(tiny_model, image)
    # a frame's key, step size (any float type) and objective weights change without changing the result's type
    two = dream_steps(tiny_model, 0.5 * OBJ, image, jax.random.fold_in(jax.random.PRNGKey(0), 7), 0, 3,
                      np.float32(0.02), **kwargs)
    assert two.shape == image.shape and np.abs(np.asarray(two - one)).max() > 0


def test_tile_shift_is_half_a_tile_when_tiled():
    assert tile_shift((100, 100), 512, 32) == 32
    assert tile_shift((600, 100), 512, 32) == 256
    assert tile_shift((600, 100), 512, 300) == 300


def test_settings_defaults_are_the_signature_defaults():
    defaults = {f.name: f.default for f in dataclasses.fields(DreamSettings)}
    assert defaults == dict(octaves=4, octave_scale=1.4, steps=10, step_size=1.0 / 255, jitter=32, tile_size=512,
                            normalize="mean", seed=0)
    params = inspect.signature(dream).parameters
    assert all(params[name].default == default for name, default in defaults.items())


@pytest.mark.parametrize("kwargs,key", [
    (dict(octaves=0), "octaves"), (dict(octave_scale=1.0), "octave_scale"), (dict(step_size=0), "step_size"),
    (dict(step_size=float("nan")), "step_size"), (dict(step_size=float("inf")), "step_size"),
    (dict(tile_size=8), "tile_size"), (dict(normalize="std"), "normalize"), (dict(seed=-1), "seed"),
    (dict(seed=2**32), "seed"), (dict(steps=2.5), "steps"), (dict(jitter=True), "jitter"),
])
def test_bad_settings_raise_one_line_naming_the_key(tiny_model, kwargs, key):
    with pytest.raises(DreamreelError, match=f"^{key} must be") as error:
        dream(photo((16, 16)), model=tiny_model, objective=OBJ, **kwargs)
    assert "\n" not in str(error.value)
    with pytest.raises(DreamreelError, match=f"^{key} must be"):
        DreamSettings(**kwargs)


def test_unknown_option_and_bad_image_raise(tiny_model):
    with pytest.raises(DreamreelError, match="unknown option octave;"):
        dream(photo((16, 16)), model=tiny_model, objective=OBJ, octave=2)
    with pytest.raises(DreamreelError, match="RGB"):
        dream(np.zeros((16, 16)), model=tiny_model, objective=OBJ)
