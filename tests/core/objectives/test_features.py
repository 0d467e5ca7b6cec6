import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import assert_objective_rises, photo

from dreamreel.errors import DreamreelError
from dreamreel.models import activations
from dreamreel.core.objectives import Sum, channel, layer, layers_sum, neuron, parse_objective, total_variation


@pytest.fixture(scope="module")
def acts(tiny_model):
    return activations(tiny_model, jnp.asarray(photo((32, 32)))[None])


def test_algebra_matches_the_arithmetic(acts):
    a, b = layer("block3_conv2"), channel("block2_conv1", 3)
    combined = 0.7 * a - 0.3 * b
    np.testing.assert_allclose(float(combined(acts)), 0.7 * float(a(acts)) - 0.3 * float(b(acts)), rtol=1e-6)
    np.testing.assert_allclose(float((-a)(acts)), -float(a(acts)), rtol=1e-6)
    np.testing.assert_allclose(float((a / 4)(acts)), float(a(acts)) / 4, rtol=1e-6)
    assert len((a + b + a).terms) == 3  # sums flatten


def test_describe():
    text = (0.7 * layer("block4_conv3") - 0.3 * channel("block5_conv1", [12, 40])).describe()
    assert text == "0.7*layer(block4_conv3) - 0.3*channel(block5_conv1, 12,40)"


def test_reductions(acts):
    a = acts["block3_conv2"]
    np.testing.assert_allclose(float(layer("block3_conv2")(acts)), float(jnp.mean(a**2)), rtol=1e-6)
    np.testing.assert_allclose(float(layer("block3_conv2", "mean")(acts)), float(jnp.mean(a)), rtol=1e-6)
    np.testing.assert_allclose(float(channel("block3_conv2", [1, 5])(acts)), float(jnp.mean(a[..., [1, 5]])),
                               rtol=1e-6)
    n = neuron("block3_conv2", 2)
    np.testing.assert_allclose(float(n(acts)), float(a[0, a.shape[1] // 2, a.shape[2] // 2, 2]), rtol=1e-6)


def test_bind_checks_layers_and_channels(tiny_model):
    with pytest.raises(DreamreelError, match="no layer"):
        layer("block9_conv1").bind(tiny_model.spec)
    with pytest.raises(DreamreelError, match="channels 0..7; got 8"):
        (layer("block3_conv1") + channel("block3_conv1", [1, 8])).bind(tiny_model.spec)
    with pytest.raises(DreamreelError, match="unknown reduction"):
        layer("block3_conv1", "median")


def test_weights_are_leaves_so_changing_them_does_not_retrace(tiny_model, acts):
    traces = []

    @jax.jit
    def value(objective, acts):
        traces.append(1)
        return objective(acts)

    a, b = layer("block3_conv2"), layer("block2_conv1")
    value(0.2 * a + 0.8 * b, acts)
    value(0.9 * a + 0.1 * b, acts)
    assert len(traces) == 1


@pytest.mark.parametrize("objective", [
    layer("block3_conv2"), layer("block2_conv1", "mean"), channel("block3_conv1_pre_relu", [0, 3]),
    neuron("block3_conv2_pre_relu", 1), 0.5 * layer("block3_conv2") + channel("block1_conv1", 2),
    -channel("block3_conv2", 4), total_variation(), layers_sum(["block2_conv1", "block3_conv2"]),
], ids=lambda o: o.describe())
def test_every_objective_rises(tiny_model, objective):
    assert_objective_rises(tiny_model, objective)


def test_parse_objective():
    obj = parse_objective("block4_conv3 + 0.5*block5_conv1:12,40 - 0.2*block3_conv1")
    assert isinstance(obj, Sum)
    assert obj.describe() == "layer(block4_conv3) + 0.5*channel(block5_conv1, 12,40) - 0.2*layer(block3_conv1)"
    for bad in ["", "2x*block4_conv3", "block4_conv3:a,b", "0.5*"]:
        with pytest.raises(DreamreelError):
            parse_objective(bad)
