"""The VGG module: its table, its forward against a NumPy reference, the real HED weights (integration)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import TINY_BLOCKS, init_tiny_model, photo
from numpy_reference import vgg_forward

from dreamreel.models import activations
from dreamreel.models.vgg import HED_MEAN_BGR, VGG16_BLOCKS


def test_layer_table_matches_what_the_module_returns(tiny_model):
    acts = activations(tiny_model, jnp.zeros((1, 32, 32, 3)))
    assert [k for k in acts if k != "input"] == tiny_model.spec.layer_names()
    for layer in tiny_model.spec.layers:
        a = acts[layer.name]
        assert a.shape == (1, -(-32 // layer.stride), -(-32 // layer.stride), layer.channels)


def test_forward_stops_at_until(tiny_model):
    acts = activations(tiny_model, jnp.zeros((1, 32, 32, 3)), until="block2_conv1")
    assert "block2_conv1" in acts and "block2_pool" not in acts and "block3_conv1" not in acts


def test_preprocessing_is_caffe_bgr(tiny_model):
    rgb = jnp.asarray([[[[1.0, 0.5, 0.0]]]])
    bgr = tiny_model.spec.preprocess(rgb)
    np.testing.assert_allclose(np.asarray(bgr)[0, 0, 0], [0 - 104.0, 127.5 - 117.0, 255 - 123.0])


@pytest.mark.parametrize("size", [(32, 48), (29, 37)])
def test_tiny_vgg_matches_numpy_reference(size):
    model = init_tiny_model(hed_head=True)
    image = photo(size)
    ours = activations(model, jnp.asarray(image)[None])
    ref = vgg_forward(model.params, image, TINY_BLOCKS, (104.0, 117.0, 123.0), hed_head=True)
    for name, expected in ref.items():
        np.testing.assert_allclose(np.asarray(ours[name][0]), expected, rtol=1e-4, atol=1e-3, err_msg=name)


@pytest.mark.integration
def test_vgg16_real_weights_match_numpy_reference(vgg16, monkeypatch):
    monkeypatch.setenv("DREAMREEL_CONV", "fast")  # the float32 path (bf16 is checked against it in test_bf16.py)
    jax.clear_caches()
    image = photo((48, 66))  # an odd size at block4: exercises Keras' 'same' pooling
    ours = activations(vgg16, jnp.asarray(image)[None])
    ref = vgg_forward(vgg16.params, image, VGG16_BLOCKS, HED_MEAN_BGR, hed_head=True)
    for name, expected in ref.items():
        got = np.asarray(ours[name][0])
        scale = np.abs(expected).max() + 1e-6
        assert np.abs(got - expected).max() / scale < 1e-4, name


@pytest.mark.integration
def test_hed_edges_land_on_image_edges(vgg16):
    import cv2

    image = photo((192, 192))
    edges = np.asarray(activations(vgg16, jnp.asarray(image)[None], "hed_edges")["hed_edges"][0, ..., 0])
    grey = (cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) * 255).astype(np.uint8)
    canny = cv2.Canny(cv2.GaussianBlur(grey, (5, 5), 1.0), 50, 150) > 0
    near_edge = cv2.dilate(canny.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    far_from_edge = cv2.dilate(canny.astype(np.uint8), np.ones((15, 15), np.uint8)) == 0
    assert edges.min() >= 0.0 and edges.max() <= 1.0
    # HED's confident edges lie where Canny finds edges; flat areas stay dark
    confident = edges > 0.5
    assert confident.mean() > 0.01
    assert (confident & near_edge).sum() / confident.sum() > 0.8
    assert edges[far_from_edge].mean() < 0.1 < edges[canny].mean()


def test_model_is_a_pytree_that_enters_jit(tiny_model):
    f = jax.jit(lambda m, x: activations(m, x, "block1_conv1")["block1_conv1"].sum())
    assert np.isfinite(float(f(tiny_model, jnp.ones((1, 8, 8, 3)))))
