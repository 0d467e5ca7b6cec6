"""The temporal term: minus the masked mean squared difference to the warped previous output."""

import jax.numpy as jnp
import numpy as np
import pytest

from dreamreel.core.objectives import temporal
from dreamreel.errors import DreamreelError


def test_value_is_the_masked_mean_square_and_its_gradient_pulls_to_the_target(rng):
    target = rng.random((6, 5, 3)).astype(np.float32)
    image = rng.random((6, 5, 3)).astype(np.float32)
    mask = (rng.random((6, 5)) > 0.5).astype(np.float32)
    objective = temporal(target, mask)
    expected = -(mask[..., None] * (image - target) ** 2).sum() / (3 * mask.size)
    np.testing.assert_allclose(float(objective({"input": jnp.asarray(image)[None]})), expected, rtol=1e-5)
    import jax

    grad = jax.grad(lambda x: objective({"input": x[None]}))(jnp.asarray(image))
    np.testing.assert_allclose(np.asarray(grad), -2 * mask[..., None] * (image - target) / (3 * mask.size),
                               rtol=1e-5, atol=1e-7)
    assert objective.spatial and objective.describe() == "temporal()"


def test_mismatched_mask_is_refused():
    with pytest.raises(DreamreelError, match="one size"):
        temporal(np.zeros((4, 4, 3)), np.ones((4, 5)))
