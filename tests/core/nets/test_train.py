"""The jitted training step lowers the loss on a tiny model and tiny images, with each optional term."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import photo
from dreamreel.core.nets import (ExtraWeights, NetConfig, dream_look, init_state, make_train_step, optimizer,
                                 style_look, training_loss)
from dreamreel.core.objectives import layer

SMALL = NetConfig(widths=(4, 8, 8), residual_blocks=1)


def _batch():
    image = photo((48, 48))
    inputs = np.stack([image[:24, :24], image[24:, 24:]])
    following = np.roll(inputs, 1, axis=2)
    flow = np.zeros((2, 24, 24, 2), np.float32)
    flow[..., 0] = -1.0
    return {"inputs": jnp.asarray(inputs), "next": jnp.asarray(following), "flow": jnp.asarray(flow),
            "mask": jnp.ones((2, 24, 24)), "keyframes": jnp.asarray(inputs[:1]),
            "targets": jnp.asarray(1.0 - inputs[:1])}


def _train(model, look, weights, steps=25, learning_rate=1e-2):
    opt = optimizer(learning_rate, clip_norm=1.0)
    state = init_state(SMALL, jax.random.PRNGKey(0), opt)
    batch = _batch()
    before = float(training_loss(state.params, batch, model, look, config=SMALL, weights=weights)[0])
    step = make_train_step(SMALL, opt, weights)
    for _ in range(steps):
        state, terms = step(state, batch, model, look)
    after = float(training_loss(state.params, batch, model, look, config=SMALL, weights=weights)[0])
    return before, after, state, terms


@pytest.mark.parametrize("weights", [ExtraWeights(), ExtraWeights(temporal=10.0, keyframe=1.0)])
def test_style_training_lowers_the_loss(tiny_model, weights):
    painting = np.random.default_rng(1).random((32, 32, 3)).astype(np.float32)
    look = style_look(tiny_model, [painting], content_layer="block2_conv1",
                      style_layers=("block1_conv1", "block2_conv1", "block3_conv1"))
    before, after, state, terms = _train(tiny_model, look, weights)
    assert after < 0.7 * before, (before, after)
    assert int(state.step) == 25
    assert set(terms) >= {"content", "style", "total", "grad_norm"}
    assert ("temporal" in terms) == bool(weights.temporal)


def test_dream_training_lowers_the_loss(tiny_model):
    look = dream_look(tiny_model, layer("block3_conv1"), closeness_weight=1.0)
    before, after, _, terms = _train(tiny_model, look, ExtraWeights())
    assert before == pytest.approx(0.0, abs=0.05)  # a fresh network is nearly the identity
    assert after < before - 0.05
    assert np.isfinite(float(terms["total"]))


def test_gradient_matches_finite_differences(tiny_model):
    painting = np.random.default_rng(2).random((32, 32, 3)).astype(np.float32)
    look = style_look(tiny_model, [painting], content_layer="block2_conv1", style_layers=("block1_conv1",))
    state = init_state(SMALL, jax.random.PRNGKey(0), optimizer())
    batch = {"inputs": _batch()["inputs"]}

    def loss(bias):
        params = jax.tree_util.tree_map(lambda p: p, state.params)
        params["to_rgb"] = {**params["to_rgb"], "bias": bias}
        return training_loss(params, batch, tiny_model, look, config=SMALL)[0]

    bias = state.params["to_rgb"]["bias"]
    grad = jax.grad(loss)(bias)
    direction = jnp.asarray([1.0, -0.5, 0.25])
    eps = 1e-2
    numeric = (loss(bias + eps * direction) - loss(bias - eps * direction)) / (2 * eps)
    assert float(jnp.dot(grad, direction)) == pytest.approx(float(numeric), rel=0.03)
