"""Parameterisations: shapes, range, jit equals eager, gradients, and the Fourier spectrum's 1/f scaling."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from dreamreel.core.param import Fourier, Pixels

PARAMS = {"fourier": (Fourier((2, 12, 10)), (2, 3, 12, 6, 2)), "pixels": (Pixels((2, 12, 10)), (2, 12, 10, 3))}


@pytest.mark.parametrize("name", PARAMS)
def test_shapes_range_jit_and_gradients(name):
    param, shape = PARAMS[name]
    params = param.init(jax.random.PRNGKey(0)) * 50  # large enough to use the range
    assert params.shape == shape
    images = param(params)
    assert images.shape == (2, 12, 10, 3) and images.dtype == jnp.float32
    assert 0 < float(images.min()) and float(images.max()) < 1
    np.testing.assert_allclose(np.asarray(jax.jit(param)(params)), np.asarray(images), atol=1e-6)
    check_grads(lambda p: jnp.mean(param(p) ** 2), (params,), order=1, modes=["rev"], eps=1e-2, atol=2e-2,
                rtol=2e-2)
    assert Fourier((2, 12, 10)) == PARAMS["fourier"][0] and hash(param)  # static, by value


def test_fourier_scales_low_frequencies_up():
    scale = Fourier((1, 16, 16)).spectrum_scale()
    assert scale.shape == (16, 9)
    assert scale[0, 0] == pytest.approx(16.0) and scale[0, 1] == pytest.approx(16.0)  # 1 / (1/16)
    assert scale[8, 8] == pytest.approx(1 / np.sqrt(0.5**2 + 0.5**2), rel=1e-5)


def test_a_zero_spectrum_is_mid_grey():
    np.testing.assert_allclose(np.asarray(Fourier((1, 8, 8))(jnp.zeros((1, 3, 8, 5, 2)))), 0.5, atol=1e-6)
