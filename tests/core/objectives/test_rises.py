"""The one check every objective factory passes: three steps of the core's gradient ascent raise its value."""

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest
from conftest import assert_objective_rises, photo

from dreamreel.core import objectives as O
from dreamreel.models import activations
from dreamreel.models.registry import Model

L = "block3_conv1"


def acts_of(model, image):
    return activations(model, jnp.asarray(image)[None])


def guide_image():
    return photo((32, 32))[::-1].copy()


def painting(size=(32, 32)) -> np.ndarray:
    """A stand-in style image with statistics unlike the photo's: stripes plus colour noise."""
    y, x = np.mgrid[: size[0], : size[1]]
    stripes = 0.5 + 0.4 * np.sin((x + 2 * y) / 2.5)
    image = np.stack([stripes, 1 - stripes, 0.5 + 0.2 * np.cos(x / 3.0)], -1)
    noise = 0.1 * np.random.default_rng(1).standard_normal(image.shape)
    return np.clip(image + noise, 0, 1).astype(np.float32)


def classifier(model) -> Model:
    spec = dataclasses.replace(model.spec, class_layer="block3_conv2_pre_relu",
                               labels=tuple(f"class{k}" for k in range(8)))
    return Model(params=model.params, spec=spec)


FACTORIES = {
    "layer": lambda m: O.layer("block3_conv2"),
    "layer_mean": lambda m: O.layer("block2_conv1", "mean"),
    "layers_sum": lambda m: O.layers_sum(["block2_conv1", "block3_conv2"]),
    "channel": lambda m: O.channel("block3_conv1_pre_relu", [0, 3]),
    "neuron": lambda m: O.neuron("block3_conv2_pre_relu", 1),
    "channel_weights": lambda m: O.channel_weights("block3_conv1_pre_relu", np.eye(8)[[1, 4]].sum(0)),
    "batch_channels": lambda m: O.batch_channels(L, acts_of(m, photo((32, 32))), count=3),
    "class_logit": lambda m: O.class_logit("class2"),
    "guide": lambda m: O.guide(L, acts_of(m, guide_image())),
    "guide_match": lambda m: O.guide_match(L, acts_of(m, guide_image())),
    "guide_channel_weights": lambda m: O.guide_channel_weights([L, "block3_conv2"], acts_of(m, guide_image())),
    "pixels": lambda m: O.pixels(guide_image(), "l2"),
    "minus_style_loss": lambda m: -O.style_loss(m, [painting()], layers=("block1_conv1", "block2_conv1")),
    "minus_content_loss": lambda m: -O.content_loss(m, guide_image(), layer="block3_conv2"),
    "gatys_objective": lambda m: O.gatys_objective(
        O.content_loss(m, photo((32, 32)), layer="block3_conv2"),
        O.style_loss(m, [painting()], layers=("block1_conv1",)), content_weight=1.0, style_weight=10.0,
        tv_weight=0.1),
    "temporal": lambda m: O.temporal(guide_image(), np.ones((32, 32), np.float32)),
    "total_variation": lambda m: O.total_variation(),
    "parse_objective": lambda m: O.parse_objective("block3_conv2 - 0.5*block2_conv1:1,2"),
    "combination": lambda m: 0.5 * O.layer("block3_conv2") - O.channel("block1_conv1", 2) + O.total_variation(),
}


@pytest.mark.parametrize("name", FACTORIES)
def test_every_objective_rises_after_three_steps(tiny_model, name):
    model = classifier(tiny_model)
    assert_objective_rises(model, FACTORIES[name](model))


def test_every_public_factory_is_checked():
    factories = {"layer", "layers_sum", "channel", "neuron", "channel_weights", "batch_channels", "class_logit",
                 "guide", "guide_match", "guide_channel_weights", "pixels", "style_loss", "content_loss",
                 "gatys_objective", "temporal", "total_variation", "parse_objective"}
    covered = {name.removeprefix("minus_") for name in FACTORIES}
    assert factories <= covered
