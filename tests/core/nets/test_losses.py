"""The look losses against the optimiser's own (core.stylize), the temporal term against known motion."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import photo
from dreamreel.core import stylize as S
from dreamreel.core.nets import dream_look, feature_term, look_terms, look_total, style_look, temporal_term
from dreamreel.core.objectives import layer
from dreamreel.models.registry import activations
from dreamreel.errors import DreamreelError

LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1")
CONTENT = "block2_conv1"


@pytest.fixture(scope="module")
def painting():
    return np.random.default_rng(3).random((40, 40, 3)).astype(np.float32)


def test_style_terms_equal_the_optimisers_losses(tiny_model, painting):
    look = style_look(tiny_model, [painting], content_layer=CONTENT, style_layers=LAYERS, content_weight=2.0,
                      style_weight=5.0)
    inputs = jnp.asarray(np.stack([photo((32, 32)), photo((32, 32))[:, ::-1]]))
    outputs = jnp.clip(inputs + 0.1 * jnp.sin(20 * inputs), 0, 1)
    terms = look_terms(tiny_model, look, outputs, inputs)
    content, style = [], []
    for out, inp in zip(np.asarray(outputs), np.asarray(inputs)):
        objective = S.gatys_objective(S.content_loss(tiny_model, inp, layer=CONTENT),
                                      S.style_loss(tiny_model, [painting], layers=LAYERS),
                                      content_weight=1.0, style_weight=1.0, tv_weight=0.0)
        reference = S.loss_terms(tiny_model, objective, out)
        content.append(reference["content"])
        style.append(reference["style"])
    assert float(terms["content"]) == pytest.approx(np.mean(content), rel=1e-4)
    assert float(terms["style"]) == pytest.approx(np.mean(style), rel=1e-4)
    assert float(look_total(look, terms)) == pytest.approx(2 * np.mean(content) + 5 * np.mean(style), rel=1e-4)


def test_identity_has_no_content_loss_and_no_dream_gain(tiny_model, painting):
    inputs = jnp.asarray(photo((32, 32))[None])
    s_terms = look_terms(tiny_model, style_look(tiny_model, [painting], content_layer=CONTENT, style_layers=LAYERS),
                         inputs, inputs)
    assert float(s_terms["content"]) == 0.0 and float(s_terms["style"]) > 0.0
    d_terms = look_terms(tiny_model, dream_look(tiny_model, layer("block2_conv1")), inputs, inputs)
    assert float(d_terms["dream"]) == 0.0 and float(d_terms["closeness"]) == 0.0


def test_dream_term_falls_as_the_objective_rises(tiny_model):
    look = dream_look(tiny_model, layer("block2_conv1"), closeness_weight=0.5)
    inputs = jnp.asarray(photo((32, 32))[None])
    louder = jnp.clip(0.5 + 1.5 * (inputs - 0.5), 0, 1)  # more contrast: stronger activations
    terms = look_terms(tiny_model, look, louder, inputs)
    assert float(terms["dream"]) < 0.0
    assert float(terms["closeness"]) == pytest.approx(float(jnp.mean(jnp.square(louder - inputs))))
    assert float(look_total(look, terms)) == pytest.approx(float(terms["dream"] + 0.5 * terms["closeness"]))


def test_temporal_term_is_zero_for_outputs_that_follow_the_flow():
    image = photo((24, 32))
    shifted = np.roll(image, 2, axis=1)  # next frame: everything moved 2 px right
    flow = np.zeros((1, 24, 32, 2), np.float32)
    flow[..., 0] = -2.0  # backward flow on next's grid: where each pixel came from
    mask = np.ones((1, 24, 32), np.float32)
    mask[:, :, :2] = 0.0  # the strip that came in from the left edge
    exact = temporal_term(jnp.asarray(shifted[None]), jnp.asarray(image[None]), flow, mask)
    assert float(exact) < 1e-10
    wrong = temporal_term(jnp.asarray(image[None]), jnp.asarray(shifted[None]), flow, mask)
    assert float(wrong) > 1e-3
    assert float(temporal_term(jnp.asarray(image[None]), jnp.asarray(shifted[None]), flow, 0 * mask)) == 0.0


def test_bad_looks_raise(tiny_model, painting):
    with pytest.raises(DreamreelError, match="style weight"):
        style_look(tiny_model, [painting], content_layer=CONTENT, style_layers=LAYERS, style_weight=0.0)
    with pytest.raises(DreamreelError, match="content weight"):
        style_look(tiny_model, [painting], content_layer=CONTENT, style_layers=LAYERS, content_weight=-1.0)
    with pytest.raises(DreamreelError, match="no layer"):
        style_look(tiny_model, [painting], content_layer="block9_conv1", style_layers=LAYERS)
    with pytest.raises(DreamreelError, match="closeness"):
        dream_look(tiny_model, layer("block2_conv1"), closeness_weight=float("nan"))


def test_objective_weight_scales_only_the_dream_term(tiny_model):
    inputs = jnp.asarray(photo((32, 32))[None])
    louder = jnp.clip(0.5 + 1.5 * (inputs - 0.5), 0, 1)
    look = dream_look(tiny_model, layer("block2_conv1"), closeness_weight=0.5, objective_weight=0.01)
    terms = look_terms(tiny_model, look, louder, inputs)
    assert float(look_total(look, terms)) == pytest.approx(float(0.01 * terms["dream"] + 0.5 * terms["closeness"]))
    held = dream_look(tiny_model, layer("block2_conv1"), strength=0.05, objective_weight=0.5)
    assert (held.strength, held.objective_weight, held.max_gain) == (0.05, 0.5, 0.0)
    silent = dream_look(tiny_model, layer("block2_conv1"), objective_weight=0.0)
    assert set(look_terms(tiny_model, silent, louder, inputs)) == {"closeness"}
    with pytest.raises(DreamreelError, match="objective weight"):
        dream_look(tiny_model, layer("block2_conv1"), objective_weight=-1.0)


def test_feature_term_is_each_outputs_style_loss_against_its_own_target(tiny_model):
    look = dream_look(tiny_model, layer("block2_conv1"))
    targets = jnp.asarray(np.stack([photo((32, 32)), photo((32, 32))[::-1]]))
    outputs = jnp.clip(targets + 0.05 * jnp.cos(30 * targets), 0, 1)
    assert float(feature_term(tiny_model, look, targets, targets)) == 0.0
    ours, theirs = (activations(tiny_model, x, "block2_conv1") for x in (outputs, targets))

    def gram(f):  # (h, w, C) -> (C, C), by numpy
        flat = np.asarray(f, np.float64).reshape(-1, f.shape[-1])
        return flat.T @ flat / flat.shape[0]

    errors = [np.mean((gram(ours[n][i]) - gram(theirs[n][i])) ** 2) / np.mean(gram(theirs[n][i]) ** 2)
              for n in ("block1_conv1", "block2_conv1") for i in range(2)]  # style layers down to the look's
    assert float(feature_term(tiny_model, look, outputs, targets)) == pytest.approx(np.mean(errors), rel=1e-4)
    shifted = jnp.roll(targets, 3, axis=2)  # the same texture, moved: near by statistics, far by pixels
    other = 1.0 - targets
    assert float(feature_term(tiny_model, look, shifted, targets)) < 0.1 * float(feature_term(tiny_model, look, other,
                                                                                               targets))


def test_a_capped_dream_term_stops_at_the_optimisers_gain(tiny_model):
    inputs = jnp.asarray(photo((32, 32))[None])
    louder = jnp.clip(0.5 + 1.5 * (inputs - 0.5), 0, 1)
    free = dream_look(tiny_model, layer("block2_conv1"))
    gain = -float(look_terms(tiny_model, free, louder, inputs)["dream"])
    assert gain > 0
    capped = dataclasses.replace(free, max_gain=gain / 2)
    assert float(look_terms(tiny_model, capped, louder, inputs)["dream"]) == pytest.approx(-gain / 2)
    above = jax.grad(lambda x: look_terms(tiny_model, capped, x, inputs)["dream"])(louder)
    assert float(jnp.max(jnp.abs(above))) == 0.0  # past the cap the objective pulls no further
