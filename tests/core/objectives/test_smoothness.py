"""Total variation against NumPy, with its gradient checked by finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
from jax.test_util import check_grads

from dreamreel.core.objectives import total_variation


def test_total_variation_matches_numpy_and_its_gradient(rng):
    x = rng.random((2, 5, 6, 3)).astype(np.float32)
    expected = -(np.mean(np.diff(x, axis=1) ** 2) + np.mean(np.diff(x, axis=2) ** 2))
    tv = total_variation()
    np.testing.assert_allclose(float(tv({"input": jnp.asarray(x)})), expected, rtol=1e-5)
    np.testing.assert_allclose(float(jax.jit(lambda v: tv({"input": v}))(jnp.asarray(x))), expected, rtol=1e-5)
    check_grads(lambda v: tv({"input": v}), (jnp.asarray(x),), order=1, modes=["rev"], eps=1e-2, atol=1e-2, rtol=1e-2)
    assert float(tv({"input": jnp.ones((1, 4, 4, 3))})) == 0.0
