"""Random transforms, each through one checklist: shapes and dtype, batch, jit equals eager, a gradient check;
plus their exact effect where it is known."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from dreamreel.core.transforms import (Compose, Identity, Jitter, Pad, RandomRotate, RandomScale, affine,
                                       standard_robustness)

KEY = jax.random.PRNGKey(0)
TRANSFORMS = {
    "identity": (Identity(), (2, 16, 16, 3)),
    "pad": (Pad(3), (2, 22, 22, 3)),
    "jitter": (Jitter(4), (2, 12, 12, 3)),
    "scale": (RandomScale((0.8, 1.2)), (2, 16, 16, 3)),
    "rotate": (RandomRotate(15.0), (2, 16, 16, 3)),
    "standard": (standard_robustness(), (2, 16 + 24 - 12, 16 + 24 - 12, 3)),
}


@pytest.fixture
def images(rng):
    return jnp.asarray(rng.random((2, 16, 16, 3)).astype(np.float32))


@pytest.mark.parametrize("name", TRANSFORMS)
def test_shape_dtype_batch_and_jit(images, name):
    transform, shape = TRANSFORMS[name]
    out = transform(KEY, images)
    assert out.shape == shape and out.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(jax.jit(transform)(KEY, images)), np.asarray(out), atol=1e-5)
    hash(transform)  # static arguments of the step runner


@pytest.mark.parametrize("name", TRANSFORMS)
def test_gradients_match_finite_differences(images, name):
    transform, _ = TRANSFORMS[name]
    check_grads(lambda v: transform(KEY, v), (images,), order=1, modes=["rev"], eps=1e-2, atol=2e-2, rtol=2e-2)


def test_exact_effects(images):
    padded = Pad(2, value=0.25)(KEY, images)
    assert float(padded[0, 0, 0, 0]) == 0.25 and np.array_equal(padded[:, 2:-2, 2:-2], images)
    crop = Jitter(3)(KEY, images)
    offsets = [(y, x) for y in range(4) for x in range(4) if np.array_equal(images[:, y:y + 13, x:x + 13], crop)]
    assert len(offsets) == 1
    np.testing.assert_allclose(np.asarray(affine(images, jnp.eye(2))), np.asarray(images), atol=1e-5)
    np.testing.assert_allclose(np.asarray(RandomScale((1.0, 1.0))(KEY, images)), np.asarray(images), atol=1e-5)
    quarter = affine(images, jnp.array([[0.0, -1.0], [1.0, 0.0]]))  # a 90 degree turn of a square image
    np.testing.assert_allclose(np.asarray(quarter), np.asarray(jnp.rot90(images, k=-1, axes=(1, 2))), atol=1e-4)


def test_compose_uses_a_fresh_key_for_each_transform(images):
    twice = Compose((Jitter(4), Jitter(4)))
    keys = jax.random.split(KEY, 2)
    expected = Jitter(4)(keys[1], Jitter(4)(keys[0], images))
    np.testing.assert_array_equal(np.asarray(twice(KEY, images)), np.asarray(expected))
