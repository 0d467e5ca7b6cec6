"""The algebra and the feature objectives: values against direct arithmetic, binding, pytree leaves."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import photo

from dreamreel.core.objectives import (Sum, batch_channels, channel, class_logit, layer, layers_sum, neuron,
                                       objective_value)
from dreamreel.errors import DreamreelError
from dreamreel.models import activations
from dreamreel.models.registry import Model


@pytest.fixture(scope="module")
def acts(tiny_model):
    return activations(tiny_model, jnp.asarray(photo((32, 32)))[None])


def classifier(tiny_model) -> Model:
    """The tiny model with block3_conv2_pre_relu's 8 channels standing in for the logits of 8 classes."""
    spec = dataclasses.replace(tiny_model.spec, class_layer="block3_conv2_pre_relu",
                               labels=tuple(f"class{k}" for k in range(8)))
    return Model(params=tiny_model.params, spec=spec)


def test_algebra_matches_the_arithmetic(acts):
    a, b = layer("block3_conv2"), channel("block2_conv1", 3)
    combined = 0.7 * a - 0.3 * b
    np.testing.assert_allclose(float(combined(acts)), 0.7 * float(a(acts)) - 0.3 * float(b(acts)), rtol=1e-6)
    np.testing.assert_allclose(float((-a)(acts)), -float(a(acts)), rtol=1e-6)
    np.testing.assert_allclose(float((a / 4)(acts)), float(a(acts)) / 4, rtol=1e-6)
    np.testing.assert_allclose(float((b - a)(acts)), float(b(acts)) - float(a(acts)), rtol=1e-6)
    assert len((a + b + a).terms) == 3  # sums flatten
    assert sum([a, b], 0).layers == {"block3_conv2", "block2_conv1"}
    with pytest.raises(TypeError):
        a + "block3_conv2"


def test_describe():
    text = (0.7 * layer("block4_conv3") - 0.3 * channel("block5_conv1", [12, 40])).describe()
    assert text == "0.7*layer(block4_conv3) - 0.3*channel(block5_conv1, 12,40)"
    assert neuron("b", 3, x=1, y=2).describe() == "neuron(b, 3, x=1, y=2)"


def test_reductions(acts):
    a = acts["block3_conv2"]
    np.testing.assert_allclose(float(layer("block3_conv2")(acts)), float(jnp.mean(a**2)), rtol=1e-6)
    np.testing.assert_allclose(float(layer("block3_conv2", "mean")(acts)), float(jnp.mean(a)), rtol=1e-6)
    np.testing.assert_allclose(float(layer("block3_conv2", "mean_abs")(acts)), float(jnp.mean(jnp.abs(a))),
                               rtol=1e-6)
    np.testing.assert_allclose(float(channel("block3_conv2", [1, 5])(acts)), float(jnp.mean(a[..., [1, 5]])),
                               rtol=1e-6)
    n = neuron("block3_conv2", 2)
    np.testing.assert_allclose(float(n(acts)), float(a[0, a.shape[1] // 2, a.shape[2] // 2, 2]), rtol=1e-6)
    np.testing.assert_allclose(float(layers_sum(["block3_conv2", "block2_conv1"])(acts)),
                               float(jnp.mean(a**2) + jnp.mean(acts["block2_conv1"] ** 2)), rtol=1e-6)


def test_bind_checks_layers_and_channels(tiny_model):
    with pytest.raises(DreamreelError, match="no layer"):
        layer("block9_conv1").bind(tiny_model.spec)
    with pytest.raises(DreamreelError, match="channels 0..7; got 8"):
        (layer("block3_conv1") + channel("block3_conv1", [1, 8])).bind(tiny_model.spec)
    with pytest.raises(DreamreelError, match="channels 0..7; got 9"):
        neuron("block3_conv1", 9).bind(tiny_model.spec)
    with pytest.raises(DreamreelError, match="unknown reduction"):
        layer("block3_conv1", "median")
    with pytest.raises(DreamreelError, match="at least one channel"):
        channel("block3_conv1", [])


def test_class_objective_reads_the_models_class_layer(tiny_model):
    with pytest.raises(DreamreelError, match="no class head"):
        class_logit("class3").bind(tiny_model.spec)
    model = classifier(tiny_model)
    bound = class_logit("class3").bind(model.spec)
    assert bound.layers == {"block3_conv2_pre_relu"} and bound.index == 3
    assert class_logit(5).bind(model.spec).index == 5
    image = jnp.asarray(photo((32, 32)))[None]
    logits = activations(model, image)["block3_conv2_pre_relu"]
    np.testing.assert_allclose(float(objective_value(model, bound, image)), float(jnp.mean(logits[..., 3])),
                               rtol=1e-6)
    with pytest.raises(DreamreelError, match="no class 'jellyfish'"):
        class_logit("jellyfish").bind(model.spec)


def test_batch_selected_channels(tiny_model):
    batch = jnp.stack([jnp.asarray(photo((32, 32))), jnp.asarray(photo((32, 32))[:, ::-1])])
    acts = activations(tiny_model, batch)
    means = np.asarray(jnp.mean(acts["block3_conv1"], axis=(0, 1, 2)))
    most = batch_channels("block3_conv1", acts, count=3, most=True)
    least = batch_channels("block3_conv1", acts, count=3, most=False)
    assert set(most.channels) == set(np.argsort(means)[-3:].tolist())
    assert set(least.channels) == set(np.argsort(means)[:3].tolist())


def test_weights_are_leaves_so_changing_them_does_not_retrace(acts):
    traces = []

    @jax.jit
    def value(objective, acts):
        traces.append(1)
        return objective(acts)

    a, b = layer("block3_conv2"), layer("block2_conv1")
    value(0.2 * a + 0.8 * b, acts)
    value(0.9 * a + 0.1 * b, acts)
    assert len(traces) == 1
    assert isinstance(0.2 * a, Sum)
