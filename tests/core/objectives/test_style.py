"""Gatys' losses: statistics against NumPy, zero at their targets, blends, the model's default layers."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import photo
from synthetic import painting

from dreamreel.core.objectives import (
    STYLE_LOSSES,
    content_loss,
    feature_stats,
    gatys_objective,
    gram_matrix,
    loss_terms,
    objective_value,
    style_loss,
    total_variation,
)
from dreamreel.errors import DreamreelError
from dreamreel.models.registry import Model

STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1")
CONTENT_LAYER = "block3_conv2"


def value(model, objective, image):
    return float(objective_value(model, objective, jnp.asarray(image)[None]))


def test_gram_matrix_matches_numpy(rng):
    features = rng.standard_normal((2, 5, 7, 4)).astype(np.float32)
    expected = np.stack([f.reshape(-1, 4).T @ f.reshape(-1, 4) / 35 for f in features])
    np.testing.assert_allclose(np.asarray(gram_matrix(jnp.asarray(features))), expected, rtol=1e-5, atol=1e-5)
    jitted = jax.jit(gram_matrix)(jnp.asarray(features))
    np.testing.assert_allclose(np.asarray(jitted), expected, rtol=1e-5, atol=1e-5)


def test_feature_stats_are_the_mean_and_gram_of_each_layer(tiny_model):
    from dreamreel.models import activations

    image = painting()
    stats = feature_stats(tiny_model, image, STYLE_LAYERS)
    acts = activations(tiny_model, jnp.asarray(image)[None])
    for name in STYLE_LAYERS:
        f = np.asarray(acts[name][0]).reshape(-1, acts[name].shape[-1])
        np.testing.assert_allclose(np.asarray(stats[name][0]), f.mean(0), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(np.asarray(stats[name][1]), f.T @ f / len(f), rtol=1e-4, atol=1e-3)


def test_content_loss_is_zero_with_zero_gradient_at_the_content(tiny_model):
    content = photo((32, 32))
    loss = content_loss(tiny_model, content, layer=CONTENT_LAYER)
    assert value(tiny_model, loss, content) == pytest.approx(0.0, abs=1e-10)
    grad = jax.grad(lambda x: objective_value(tiny_model, loss, x[None]))(jnp.asarray(content))
    assert float(jnp.max(jnp.abs(grad))) < 1e-8
    assert value(tiny_model, loss, painting()) > 0.01
    with pytest.raises(DreamreelError, match="content's size"):
        value(tiny_model, loss, photo((40, 40)))


@pytest.mark.parametrize("kind", STYLE_LOSSES)
def test_style_loss_of_an_image_against_itself_is_zero(tiny_model, kind):
    image = painting()
    loss = style_loss(tiny_model, [image], layers=STYLE_LAYERS, loss=kind)
    assert value(tiny_model, loss, image) == pytest.approx(0.0, abs=1e-7)
    assert value(tiny_model, loss, photo((32, 32))) > 0.01
    assert loss.layers == frozenset(STYLE_LAYERS) and kind in loss.describe()


def test_style_loss_is_a_pytree_whose_targets_are_leaves(tiny_model):
    loss = style_loss(tiny_model, [painting()], layers=STYLE_LAYERS)
    leaves = jax.tree_util.tree_leaves(loss)
    assert any(getattr(leaf, "shape", None) == (8, 8) for leaf in leaves)  # block3's Gram target
    doubled = jax.tree_util.tree_map(lambda x: 2 * x, loss)
    assert doubled.names == loss.names and doubled.kind == loss.kind


def test_blend_of_two_identical_styles_equals_one_style(tiny_model):
    image, other = painting(), photo((32, 32))
    one = style_loss(tiny_model, [image], layers=STYLE_LAYERS)
    two = style_loss(tiny_model, [image, image], layers=STYLE_LAYERS, blend=[3, 1])
    for a, b in zip(jax.tree_util.tree_leaves(one), jax.tree_util.tree_leaves(two)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    assert value(tiny_model, two, other) == pytest.approx(value(tiny_model, one, other), rel=1e-5)


def test_blend_weights_move_the_target_between_styles(tiny_model):
    a, b = painting(seed=1), photo((32, 32))
    mostly_a = style_loss(tiny_model, [a, b], layers=STYLE_LAYERS, blend=[9, 1])
    mostly_b = style_loss(tiny_model, [a, b], layers=STYLE_LAYERS, blend=[1, 9])
    assert value(tiny_model, mostly_a, a) < value(tiny_model, mostly_b, a)


def test_default_layers_come_from_the_model_spec(tiny_model):
    bare = Model(params=tiny_model.params,
                 spec=dataclasses.replace(tiny_model.spec, style_layers=(), content_layer=None))
    with pytest.raises(DreamreelError, match="names no style layers"):
        style_loss(bare, [painting()])
    with pytest.raises(DreamreelError, match="names no content layer"):
        content_loss(bare, painting())
    spec = dataclasses.replace(tiny_model.spec, style_layers=STYLE_LAYERS, content_layer=CONTENT_LAYER)
    model = Model(params=tiny_model.params, spec=spec)
    assert style_loss(model, [painting()]).names == STYLE_LAYERS
    assert content_loss(model, painting()).name == CONTENT_LAYER


@pytest.mark.parametrize("kwargs,message", [
    (dict(blend=[1.0, 2.0]), "blend weights"), (dict(blend=[0.0]), "not all 0"),
    (dict(blend=[float("nan")]), "blend weights"), (dict(loss="wasserstein"), "gram, mean_cov"),
    (dict(layers=("block9_conv1",)), "no layer"), (dict(layer_weights=[1.0]), "style layer weights"),
])
def test_bad_style_loss_arguments_raise(tiny_model, kwargs, message):
    with pytest.raises(DreamreelError, match=message):
        style_loss(tiny_model, [painting()], **{"layers": STYLE_LAYERS, **kwargs})


def test_loss_terms_name_each_term_and_sum_to_the_total(tiny_model):
    content = photo((32, 32))
    objective = gatys_objective(content_loss(tiny_model, content, layer=CONTENT_LAYER),
                                style_loss(tiny_model, [painting()], layers=STYLE_LAYERS),
                                content_weight=1.0, style_weight=10.0, tv_weight=2.0)
    terms = loss_terms(tiny_model, objective, painting())
    assert set(terms) == {"content", "style", "tv", "total"}
    assert terms["total"] == pytest.approx(terms["content"] + terms["style"] + terms["tv"], rel=1e-5)
    assert terms["total"] == pytest.approx(-value(tiny_model, objective, painting()), rel=1e-5)
    assert terms["tv"] == pytest.approx(-2.0 * value(tiny_model, total_variation(), painting()), rel=1e-5)


def test_all_weights_zero_in_the_objective_is_an_error():
    with pytest.raises(DreamreelError, match="nothing to optimise"):
        gatys_objective(None, None, content_weight=0.0, style_weight=0.0, tv_weight=0.0)
