"""Shared fixtures: a tiny VGG-shaped CNN with random weights (fast), and the real default model (integration)."""

from __future__ import annotations

import os
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dreamreel.models.registry import Model, ModelSpec, caffe_bgr
from dreamreel.models.vgg import VGG

os.environ["DREAMREEL_COMPILATION_CACHE"] = "0"  # CLI runs in tests must not write into the user's JAX cache

TINY_BLOCKS = (1, 1, 2)
TINY_WIDTHS = (4, 8, 8)


def tiny_spec(hed_head: bool = False) -> ModelSpec:
    return ModelSpec(
        name="tiny_vgg",
        description="a three-block VGG with random weights, for tests",
        module=partial(VGG, blocks=TINY_BLOCKS, widths=TINY_WIDTHS, hed_head=hed_head),
        preprocess=caffe_bgr((104.0, 117.0, 123.0)),
        weights=None,
        dream_layers=("block3_conv2",),
        style_layers=("block1_conv1", "block2_conv1", "block3_conv1"),
        content_layer="block3_conv2",
    )


def init_tiny_model(seed: int = 0, hed_head: bool = False) -> Model:
    spec = tiny_spec(hed_head)
    # He-scaled random weights so activations neither vanish nor explode on 0-255 inputs
    params = spec.module().init(jax.random.PRNGKey(seed), jnp.zeros((1, 16, 16, 3)))["params"]
    params = jax.tree_util.tree_map_with_path(
        lambda path, p: p / 40.0 if "kernel" in str(path[-1]) and p.shape[2] == 3 else p, params)
    return Model(params=params, spec=spec)


@pytest.fixture(scope="session")
def tiny_model() -> Model:
    return init_tiny_model()


@pytest.fixture(scope="session")
def vgg16():
    """The real default weights: fetched and converted on first use (a marked integration test uses this)."""
    from dreamreel.models import load_model

    return load_model("vgg16")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def photo(size: tuple[int, int] = (64, 96)) -> np.ndarray:
    """A real photo (scikit-image's astronaut), resized, as (H, W, 3) float32 in [0, 1]."""
    from skimage import data

    from dreamreel.io import resize, to_float_rgb

    return resize(to_float_rgb(data.astronaut()), *size)


def assert_objective_rises(model: Model, objective, image: np.ndarray | None = None, steps: int = 3):
    """The shared check for every objective: three steps of the core raise its value."""
    from dreamreel.core.dream import dream_steps, objective_value

    objective = objective.bind(model.spec)
    image = jnp.asarray(photo((32, 32)) if image is None else image)
    before = float(objective_value(model, objective, image[None]))
    after_image = dream_steps(model, objective, image, jax.random.PRNGKey(0), 0, steps, 0.01,
                              tile_size=512, max_shift=0, normalize="mean")
    after = float(objective_value(model, objective, after_image[None]))
    assert after > before, f"{objective.describe()}: {before} -> {after}"
    return before, after
