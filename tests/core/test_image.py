"""Image maths, each op through one checklist: shape and dtype, exact values where known, a gradient check, jit
equals eager; plus the size rules."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from dreamreel.core.image import (fit_size, laplacian_merge, laplacian_normalize, laplacian_split, octave_sizes,
                                  resize, rgb_to_yuv, transfer_luminance, yuv_to_rgb)


@pytest.fixture
def x(rng):
    return jnp.asarray(rng.random((13, 18, 3)).astype(np.float32))


OPS = {
    "resize_down": lambda v: resize(v, (7, 9)),
    "resize_up": lambda v: resize(v, (20, 31)),
    "laplacian_normalize": lambda v: laplacian_normalize(v, 3),
    "laplacian_roundtrip": lambda v: laplacian_merge(laplacian_split(v, 3)),
    "rgb_to_yuv": rgb_to_yuv,
    "yuv_to_rgb": yuv_to_rgb,
    "transfer_luminance": lambda v: transfer_luminance(v, v[::-1]),
}
SHAPES = {"resize_down": (7, 9, 3), "resize_up": (20, 31, 3)}


@pytest.mark.parametrize("name", OPS)
def test_shape_dtype_and_jit_equals_eager(x, name):
    eager = OPS[name](x)
    assert eager.shape == SHAPES.get(name, x.shape) and eager.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(jax.jit(OPS[name])(x)), np.asarray(eager), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", [n for n in OPS if n != "transfer_luminance"])
def test_gradients_match_finite_differences(x, name):
    check_grads(OPS[name], (x,), order=1, modes=["rev"], eps=1e-2, atol=2e-2, rtol=2e-2)


def test_resize_of_a_constant_is_the_constant_and_same_size_is_identity(x):
    np.testing.assert_allclose(np.asarray(resize(jnp.full((9, 9, 2), 0.3), (4, 5))), 0.3, atol=1e-6)
    assert resize(x, x.shape[:2]) is x


def test_laplacian_pyramid_is_exact_and_normalises():
    g = jax.random.normal(jax.random.PRNGKey(0), (37, 50, 3))
    bands = laplacian_split(g, 4)
    assert len(bands) == 4 and bands[0].shape[0] < bands[-1].shape[0]
    np.testing.assert_allclose(laplacian_merge(bands), g, atol=1e-5)
    # a gradient dominated by a low frequency gets its fine detail boosted
    smooth = jnp.linspace(0, 1, 50)[None, :, None] * jnp.ones((37, 1, 3)) * 100 + g
    normalized = laplacian_normalize(smooth)
    assert np.isfinite(np.asarray(normalized)).all()
    fine_before = laplacian_split(smooth, 4)[-1].std() / smooth.std()
    fine_after = laplacian_split(normalized, 4)[-1].std() / normalized.std()
    assert fine_after > 5 * fine_before


def test_yuv_round_trip_and_known_values(x):
    np.testing.assert_allclose(np.asarray(yuv_to_rgb(rgb_to_yuv(x))), np.asarray(x), atol=1e-5)
    np.testing.assert_allclose(np.asarray(rgb_to_yuv(jnp.ones(3))), [1.0, 0.0, 0.0], atol=1e-4)  # white: Y=1
    batch = jnp.stack([x, x[::-1]])  # any leading axes
    np.testing.assert_allclose(np.asarray(rgb_to_yuv(batch)[1]), np.asarray(rgb_to_yuv(x[::-1])), atol=1e-6)


def test_transfer_luminance_keeps_the_contents_chroma_and_the_stylized_luminance(rng):
    stylized = jnp.asarray(0.25 + 0.5 * rng.random((6, 7, 3)).astype(np.float32))
    content = jnp.asarray(0.25 + 0.5 * rng.random((6, 7, 3)).astype(np.float32))
    out = rgb_to_yuv(transfer_luminance(stylized, content))
    np.testing.assert_allclose(np.asarray(out[..., 0]), np.asarray(rgb_to_yuv(stylized)[..., 0]), atol=1e-5)
    np.testing.assert_allclose(np.asarray(out[..., 1:]), np.asarray(rgb_to_yuv(content)[..., 1:]), atol=1e-5)


def test_fit_size():
    assert fit_size((575, 1024, 3), 512) == (288, 512)
    assert fit_size((100, 50), 400) == (400, 200)  # grows too
    assert fit_size((575, 1024), None) == (575, 1024) and fit_size((575, 1024), 0) == (575, 1024)
    assert fit_size((1, 5000), 100) == (1, 100)  # never 0


def test_octave_sizes():
    assert octave_sizes(575, 1024, 4, 1.4, 16) == [(210, 373), (293, 522), (411, 731), (575, 1024)]
    assert octave_sizes(40, 40, 6, 2.0, 16) == [(20, 20), (40, 40)]
    assert octave_sizes(10, 10, 3, 2.0, 16) == [(10, 10)]  # the full size is always kept
