"""Guided hallucination, channel weights, batch-selected channels, classes, feature visualisation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import assert_objective_rises, photo

from dreamreel.errors import DreamreelError
from dreamreel.models import activations
from dreamreel.core.objectives import (batch_channels, channel_weights, class_logit, guide, guide_channel_weights,
                                  guide_match, layer, pixels)
from dreamreel.core.dream import objective_value
from dreamreel.core.visualize import atlas, contact_sheet, visualize

LAYER = "block3_conv1"


@pytest.fixture(scope="module")
def image():
    return photo((32, 32))


@pytest.fixture(scope="module")
def guide_image():
    return photo((32, 32))[::-1].copy()  # the same photo upside down: different content, same statistics


def acts_of(model, img):
    return activations(model, jnp.asarray(img)[None])


def test_dot_guide_of_an_image_with_itself_is_its_mean_square(tiny_model, image):
    a = acts_of(tiny_model, image)
    np.testing.assert_allclose(float(guide(LAYER, a, "dot")(a)), float(layer(LAYER)(a)), rtol=1e-6)


@pytest.mark.parametrize("loss", ["l1", "l2"])
def test_distance_to_itself_is_zero_with_zero_gradient(tiny_model, image, loss):
    objective = guide(LAYER, acts_of(tiny_model, image), loss)
    value, grad = jax.value_and_grad(lambda x: objective_value(tiny_model, objective, x[None]))(jnp.asarray(image))
    assert float(value) == 0.0 and float(jnp.abs(grad).max()) == 0.0
    pix = pixels(image, loss)
    value, grad = jax.value_and_grad(lambda x: objective_value(tiny_model, pix, x[None]))(jnp.asarray(image))
    assert float(value) == 0.0 and float(jnp.abs(grad).max()) == 0.0


@pytest.mark.parametrize("loss", ["dot", "l1", "l2"])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_guides_rise_both_ways(tiny_model, image, guide_image, loss, sign):
    objective = sign * guide(LAYER, acts_of(tiny_model, guide_image), loss)
    assert_objective_rises(tiny_model, objective, image)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_pixel_loss_and_combinations_rise(tiny_model, image, guide_image, sign):
    assert_objective_rises(tiny_model, sign * pixels(guide_image, "l1"), image)
    combined = guide(LAYER, acts_of(tiny_model, guide_image), "l2") + sign * 0.5 * pixels(guide_image, "l2")
    assert_objective_rises(tiny_model, combined, image)


def test_l2_guide_brings_features_closer(tiny_model, image, guide_image):
    g = acts_of(tiny_model, guide_image)
    _, after = assert_objective_rises(tiny_model, guide(LAYER, g, "l2"), image, steps=5)
    assert after < 0  # still a distance


def test_guide_features_follow_the_dream_size(tiny_model, guide_image):
    """Octaves change the dream's size: the guide's features are resized to match, not refused."""
    objective = guide(LAYER, acts_of(tiny_model, guide_image), "dot")
    small = photo((24, 40))
    assert np.isfinite(float(objective_value(tiny_model, objective, jnp.asarray(small)[None])))


def test_guide_from_another_model_or_layer_is_refused(tiny_model, guide_image):
    g = acts_of(tiny_model, guide_image)
    bad = guide(LAYER, {LAYER: g["block1_conv1"]}, "dot")
    with pytest.raises(DreamreelError, match="channels"):
        bad.bind(tiny_model.spec)
    with pytest.raises(DreamreelError, match="unknown guide loss"):
        guide(LAYER, g, "cosine")
    with pytest.raises(DreamreelError, match="H, W, 3"):
        pixels(np.zeros((8, 8)))


def test_guide_match_picks_the_best_matching_guide_feature(tiny_model, image, guide_image):
    g = acts_of(tiny_model, guide_image)
    objective = guide_match(LAYER, g)
    x = acts_of(tiny_model, image)[LAYER][0].reshape(-1, 8)
    y = g[LAYER][0].reshape(-1, 8)
    expected = np.mean(np.max(np.asarray(x) @ np.asarray(y).T, axis=1))
    np.testing.assert_allclose(float(objective(acts_of(tiny_model, image))), expected, rtol=1e-5)
    assert_objective_rises(tiny_model, objective, image)


def test_guide_channel_weights_sum_to_one_and_favour_the_guide(tiny_model, image, guide_image):
    g = acts_of(tiny_model, guide_image)
    objective = guide_channel_weights([LAYER, "block3_conv2"], g)
    for term in objective.terms:
        np.testing.assert_allclose(float(jnp.sum(term.weights)), 1.0, rtol=1e-6)
        sums = np.asarray(jnp.sum(g[term.name][0], axis=(0, 1)))
        assert int(jnp.argmax(term.weights)) == int(np.argmax(sums))
    assert_objective_rises(tiny_model, objective, image)


def test_batch_selected_channels(tiny_model):
    batch = jnp.stack([jnp.asarray(photo((32, 32))), jnp.asarray(photo((32, 32))[:, ::-1])])
    acts = activations(tiny_model, batch)
    means = np.asarray(jnp.mean(acts[LAYER], axis=(0, 1, 2)))
    most = batch_channels(LAYER, acts, count=3, most=True)
    least = batch_channels(LAYER, acts, count=3, most=False)
    assert set(most.channels) == set(np.argsort(means)[-3:].tolist())
    assert set(least.channels) == set(np.argsort(means)[:3].tolist())
    assert_objective_rises(tiny_model, channel_weights("block3_conv1_pre_relu", np.eye(8)[list(most.channels)].sum(0)))


def test_class_needs_a_classifier(tiny_model):
    with pytest.raises(DreamreelError):
        class_logit("jellyfish").bind(tiny_model.spec)


def test_visualize_from_noise_raises_the_channel(tiny_model):
    objective = channel_weights("block3_conv2_pre_relu", np.eye(8)[2], reduce="mean")
    out = visualize(tiny_model, objective, size=32, steps=24, learning_rate=0.05)
    assert out.shape == (1, 32, 32, 3) and 0 <= out.min() and out.max() <= 1
    start = visualize(tiny_model, objective, size=32, steps=1, learning_rate=1e-9)
    assert float(objective_value(tiny_model, objective, jnp.asarray(out))) > \
        float(objective_value(tiny_model, objective, jnp.asarray(start))) + 0.1


def test_atlas_renders_a_labelled_sheet(tiny_model):
    sheet = atlas(tiny_model, [("block2_conv1_pre_relu", 0), ("block2_conv1_pre_relu", 1),
                               ("block3_conv2_pre_relu", 4)], size=32, steps=4, columns=3)
    assert sheet.shape == (32 + 16, 3 * 32 + 2 * 2, 3)
    with pytest.raises(DreamreelError, match="channels 0..7"):
        atlas(tiny_model, [("block3_conv2", 9)], size=32, steps=1)


def test_contact_sheet_layout():
    tiles = [np.full((4, 5, 3), i / 10, np.float32) for i in range(5)]
    sheet = contact_sheet(tiles, columns=2, gap=1)
    assert sheet.shape == (3 * 4 + 2, 2 * 5 + 1, 3)
    assert sheet[5, 6, 0] == pytest.approx(0.3)
