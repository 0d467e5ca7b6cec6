"""Feature visualisation and atlases: the channel rises from noise, batches, progress, the sheet's layout."""

import jax.numpy as jnp
import numpy as np
import pytest

from dreamreel.core.objectives import channel_weights, objective_value
from dreamreel.core.visualize import VisualizeSettings, atlas, contact_sheet, visualize
from dreamreel.errors import DreamreelError

OBJ = channel_weights("block3_conv2_pre_relu", np.eye(8)[2], reduce="mean")


def test_visualize_from_noise_raises_the_channel_and_reports_each_step(tiny_model):
    events = []
    out = visualize(tiny_model, OBJ, size=32, steps=24, learning_rate=0.05, progress=events.append)
    assert out.shape == (1, 32, 32, 3) and out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
    assert [e.done for e in events] == list(range(1, 25)) and {e.stage for e in events} == {"visualize"}
    start = visualize(tiny_model, OBJ, size=32, steps=1, learning_rate=1e-9)
    assert float(objective_value(tiny_model, OBJ, jnp.asarray(out))) > \
        float(objective_value(tiny_model, OBJ, jnp.asarray(start))) + 0.1


@pytest.mark.parametrize("parameterisation,robust", [("pixels", False), ("fourier", False)])
def test_other_parameterisations_and_no_transforms_also_rise(tiny_model, parameterisation, robust):
    settings = VisualizeSettings(size=32, steps=16, batch=2, parameterisation=parameterisation, robust=robust)
    out = visualize(tiny_model, OBJ, settings=settings)
    start = visualize(tiny_model, OBJ, settings=settings, steps=1, learning_rate=1e-9)
    assert out.shape == (2, 32, 32, 3)
    assert float(objective_value(tiny_model, OBJ, jnp.asarray(out))) > \
        float(objective_value(tiny_model, OBJ, jnp.asarray(start)))


def test_atlas_renders_a_labelled_sheet_with_progress_over_the_whole_job(tiny_model):
    events = []
    sheet = atlas(tiny_model, [("block2_conv1_pre_relu", 0), ("block2_conv1_pre_relu", 1),
                               ("block3_conv2_pre_relu", 4)], size=32, steps=4, columns=3, progress=events.append)
    assert sheet.shape == (32 + 16, 3 * 32 + 2 * 2, 3)
    assert [e.done for e in events] == list(range(1, 9)) and {e.total for e in events} == {8}
    assert events[-1].stage == "atlas" and events[-1].detail == "block3_conv2_pre_relu 2/2"
    with pytest.raises(DreamreelError, match="channels 0..7"):
        atlas(tiny_model, [("block3_conv2", 9)], size=32, steps=1)
    with pytest.raises(DreamreelError, match="at least one"):
        atlas(tiny_model, [], size=32, steps=1)


@pytest.mark.parametrize("kwargs,key", [(dict(size=8), "size"), (dict(steps=0), "steps"),
                                        (dict(learning_rate=float("nan")), "learning_rate"),
                                        (dict(parameterisation="cppn"), "parameterisation"), (dict(seed=-2), "seed")])
def test_bad_settings_raise(tiny_model, kwargs, key):
    with pytest.raises(DreamreelError, match=f"^{key} must be"):
        visualize(tiny_model, OBJ, **kwargs)


def test_contact_sheet_layout():
    tiles = [np.full((4, 5, 3), i / 10, np.float32) for i in range(5)]
    sheet = contact_sheet(tiles, columns=2, gap=1)
    assert sheet.shape == (3 * 4 + 2, 2 * 5 + 1, 3)
    assert sheet[5, 6, 0] == pytest.approx(0.3)
