"""The InceptionV1 module: its forward order, `until`, and the registered spec (the forward against the published
graph is tested with the importer, in formats/test_inception5h.py)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from dreamreel.models import get_spec
from dreamreel.models.formats.inception5h import convert_inception5h
from dreamreel.models.inception_v1 import CLASSES, InceptionV1, scaled_widths
from dreamreel.models.registry import Model, derive_layers

NARROW_STEM, NARROW_MIXED = scaled_widths(8)


def narrow_model():
    """The narrow module (same topology, widths / 8) with random parameters."""
    module = InceptionV1(stem=NARROW_STEM, mixed=NARROW_MIXED)
    params = module.init(jax.random.PRNGKey(3), jnp.zeros((1, 64, 64, 3)))["params"]
    return module, params


def test_until_stops_early():
    module, params = narrow_model()
    x = jnp.asarray(np.random.default_rng(5).normal(0, 50, (1, 64, 64, 3)), jnp.float32)
    names = [layer.name for layer in derive_layers(functools.partial(InceptionV1, stem=NARROW_STEM,
                                                                     mixed=NARROW_MIXED))]

    def names_returned(until=None):
        """The dict's own order (a traced function sees it before jit sorts the keys)."""
        order = []

        def forward(p, x):
            acts = module.apply({"params": p}, x, until=until)
            order.extend(acts)
            return acts

        jax.eval_shape(forward, params, x)
        return order

    assert names_returned() == names  # forward order, as the layer table says
    stop = "mixed3b_3x3_bottleneck"
    assert names_returned(stop) == names[: names.index(stop) + 1]
    assert names_returned("conv2d0_pre_relu") == ["conv2d0_pre_relu"]
    run = jax.jit(module.apply, static_argnames="until")
    early, later = run({"params": params}, x, until=stop), run({"params": params}, x, until="mixed3b")
    assert stop in early and "mixed3b_3x3" not in early and "mixed3b" in later
    np.testing.assert_allclose(early[stop], later[stop], rtol=1e-6)
    # nothing past `until` is built: its parameters are not even needed
    built = jax.eval_shape(functools.partial(module.init, until=stop), jax.random.PRNGKey(0), x)["params"]
    assert "mixed3b_3x3_bottleneck" in built and "mixed3b_3x3" not in built and "softmax2" not in built
    few = {name: params[name] for name in built}
    np.testing.assert_array_equal(run({"params": few}, x, until=stop)[stop], early[stop])


def test_the_registered_spec():
    spec = get_spec("inception_v1")
    assert spec.dream_layers == ("mixed4c",)
    assert spec.layer_names()[:4] == ["conv2d0_pre_relu", "conv2d0", "maxpool0", "localresponsenorm0"]
    assert spec.layer_names()[-3:] == ["avgpool0", "softmax2_pre_activation", "softmax2"]
    assert (spec.layer("mixed4d_3x3_bottleneck").channels, spec.layer("mixed4d_3x3_bottleneck").stride) == (144, 16)
    assert (spec.layer("mixed5b").channels, spec.layer("softmax2").channels) == (1024, CLASSES)
    pixels = jnp.asarray([[[[0.0, 0.5, 1.0]]]])
    np.testing.assert_allclose(spec.preprocess(pixels), [[[[-117.0, 10.5, 138.0]]]])  # RGB kept in order
    assert spec.weights.convert is convert_inception5h
    assert isinstance(Model(params={}, spec=spec).spec.module(), InceptionV1)


def test_layer_kinds():
    kinds = {name: InceptionV1.layer_kind(name) for name in
             ("conv2d0_pre_relu", "conv2d0", "maxpool0", "localresponsenorm0", "mixed3a_pool", "mixed3a_pool_reduce",
              "mixed3a", "maxpool10", "avgpool0", "softmax2_pre_activation", "softmax2")}
    assert kinds == {"conv2d0_pre_relu": "pre_relu", "conv2d0": "conv", "maxpool0": "pool",
                     "localresponsenorm0": "conv", "mixed3a_pool": "pool", "mixed3a_pool_reduce": "conv",
                     "mixed3a": "conv", "maxpool10": "pool", "avgpool0": "head",
                     "softmax2_pre_activation": "logits", "softmax2": "probs"}
