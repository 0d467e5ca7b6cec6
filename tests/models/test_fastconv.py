"""The per-backend fast convolution and pooling (dreamreel.models.fastconv): same numbers as XLA's, and the HLO it
was built for (the backward convolution keeps the kernel in HWIO inside loops, so XLA:CPU's fast kernel takes it)."""

from __future__ import annotations

from functools import partial

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from dreamreel.errors import DreamreelError
from dreamreel.models import cpu, fastconv
from dreamreel.models.registry import Model, activations
from dreamreel.models.vgg import VGG

from conftest import TINY_BLOCKS, TINY_WIDTHS, init_tiny_model, photo, tiny_spec

DN = ("NHWC", "HWIO", "NHWC")


def reference_conv(x, w, padding="SAME", strides=(1, 1)):
    return lax.conv_general_dilated(x, w, strides, padding, dimension_numbers=DN, precision="highest")


def fast_conv(x, w, padding="SAME", strides=(1, 1)):
    # the dimension numbers flax's nn.Conv passes
    return fastconv.conv_general_dilated(x, w, strides, padding,
                                         dimension_numbers=lax.conv_dimension_numbers(x.shape, w.shape, DN))


def cosine(a, b) -> float:
    a, b = np.ravel(np.asarray(a, np.float64)), np.ravel(np.asarray(b, np.float64))
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(autouse=True)
def fast_mode(monkeypatch):
    monkeypatch.setenv("DREAMREEL_CONV", "fast")


SHAPES = [  # (N, H, W, C_in, C_out, kernel, padding)
    (1, 9, 9, 3, 5, 3, "SAME"),
    (2, 13, 7, 6, 4, 3, "SAME"),
    (1, 8, 11, 4, 4, 3, "VALID"),
    (1, 10, 10, 5, 3, 3, ((2, 0), (1, 2))),
    (1, 12, 12, 4, 6, 1, "SAME"),
    (1, 12, 9, 2, 3, 5, "SAME"),
]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_forward_and_gradients_equal_lax_conv(shape, rng):
    n, h, w, cin, cout, k, padding = shape
    x = jnp.asarray(rng.standard_normal((n, h, w, cin)), jnp.float32)
    kernel = jnp.asarray(rng.standard_normal((k, k, cin, cout)) * 0.3, jnp.float32)
    ct = jnp.asarray(rng.standard_normal(reference_conv(x, kernel, padding).shape), jnp.float32)
    np.testing.assert_allclose(fast_conv(x, kernel, padding), reference_conv(x, kernel, padding), rtol=1e-5, atol=1e-5)

    def grads(conv):
        return jax.grad(lambda x, w: jnp.sum(conv(x, w, padding) * ct), argnums=(0, 1))(x, kernel)

    (dx, dw), (dx_ref, dw_ref) = grads(fast_conv), grads(reference_conv)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dw, dw_ref, rtol=1e-4, atol=1e-4)


def test_jitted_inside_a_loop_and_under_vmap(rng):
    x = jnp.asarray(rng.standard_normal((3, 10, 10, 4)), jnp.float32)
    kernel = jnp.asarray(rng.standard_normal((3, 3, 4, 4)) * 0.3, jnp.float32)

    def through(conv):
        def step(i, img):
            return img + 0.01 * jax.grad(lambda t: jnp.sum(conv(t[None], kernel) ** 2))(img[0])[None]

        return jax.jit(lambda x: jax.vmap(lambda img: lax.fori_loop(0, 2, step, img[None])[0])(x))(x)

    np.testing.assert_allclose(through(fast_conv), through(reference_conv), rtol=1e-4, atol=1e-4)


def test_unsupported_convolutions_fall_back_to_lax(rng):
    x = jnp.asarray(rng.standard_normal((1, 9, 9, 4)), jnp.float32)
    kernel = jnp.asarray(rng.standard_normal((3, 3, 4, 2)), jnp.float32)
    np.testing.assert_allclose(fast_conv(x, kernel, strides=(2, 2)), reference_conv(x, kernel, strides=(2, 2)),
                               rtol=1e-5, atol=1e-5)
    big_pad = ((3, 0), (0, 0))  # more padding than kernel - 1: no fast path
    np.testing.assert_allclose(fast_conv(x, kernel, big_pad), reference_conv(x, kernel, big_pad), rtol=1e-5, atol=1e-5)
    nchw = fastconv.conv_general_dilated(x.transpose(0, 3, 1, 2), kernel.transpose(3, 2, 0, 1), (1, 1), "SAME",
                                         dimension_numbers=("NCHW", "OIHW", "NCHW"))
    np.testing.assert_allclose(nchw.transpose(0, 2, 3, 1), reference_conv(x, kernel), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("size", [(8, 8), (7, 9), (5, 4)])
def test_max_pool_equals_flax(size, rng):
    x = jnp.asarray(rng.standard_normal((2, *size, 3)), jnp.float32)
    reference = partial(nn.max_pool, window_shape=(2, 2), strides=(2, 2), padding="SAME")
    np.testing.assert_array_equal(fastconv.max_pool_2x2(x), reference(x))
    ct = jnp.asarray(rng.standard_normal(reference(x).shape), jnp.float32)
    grad = jax.grad(lambda x: jnp.sum(fastconv.max_pool_2x2(x) * ct))(x)
    np.testing.assert_allclose(grad, jax.grad(lambda x: jnp.sum(reference(x) * ct))(x), atol=1e-6)


def test_max_pool_gradient_goes_to_the_first_of_tied_maxima_like_flax(rng):
    """Ties are common after a ReLU (zeros) and in flat images; flax's select-and-scatter picks the first one."""
    x = jnp.asarray(rng.integers(0, 3, (1, 6, 7, 5)), jnp.float32)  # many ties
    reference = partial(nn.max_pool, window_shape=(2, 2), strides=(2, 2), padding="SAME")
    ct = jnp.asarray(rng.standard_normal(reference(x).shape), jnp.float32)
    grad = jax.jit(jax.grad(lambda x: jnp.sum(fastconv.max_pool_2x2(x) * ct)))(x)
    np.testing.assert_allclose(grad, jax.grad(lambda x: jnp.sum(reference(x) * ct))(x), atol=1e-6)


def test_conv_mode(monkeypatch):
    monkeypatch.setenv("DREAMREEL_CONV", "auto")
    assert fastconv.conv_mode() == fastconv.auto_mode(jax.default_backend(), cpu.native_bf16())
    monkeypatch.delenv("DREAMREEL_CONV")
    assert fastconv.conv_mode() in ("fast", "bf16", "xla")
    monkeypatch.setenv("DREAMREEL_CONV", "XLA")
    assert fastconv.conv_mode() == "xla"
    monkeypatch.setenv("DREAMREEL_CONV", "winograd")
    with pytest.raises(DreamreelError, match="DREAMREEL_CONV"):
        fastconv.conv_mode()


def test_xla_mode_is_plain_lax(monkeypatch, rng):
    monkeypatch.setenv("DREAMREEL_CONV", "xla")
    x = jnp.asarray(rng.standard_normal((1, 6, 6, 2)), jnp.float32)
    kernel = jnp.asarray(rng.standard_normal((3, 3, 2, 2)), jnp.float32)
    jaxpr = str(jax.make_jaxpr(jax.grad(lambda x: jnp.sum(fast_conv(x, kernel))))(x))
    assert "custom_vjp" not in jaxpr and "conv_general_dilated" in jaxpr
    pooled = str(jax.make_jaxpr(fastconv.max_pool_2x2)(x))
    assert "reduce_window_max" in pooled or "reduce_window" in pooled


def fast_tiny_model(seed: int = 0) -> Model:
    model = init_tiny_model(seed)
    spec = tiny_spec()
    fast_spec = type(spec)(**{**{f: getattr(spec, f) for f in ("name", "description", "layers", "preprocess",
                                                                   "weights", "dream_layers")},
                              "module": partial(VGG, blocks=TINY_BLOCKS, widths=TINY_WIDTHS,
                                                conv_general_dilated=fastconv.conv_general_dilated,
                                                max_pool=fastconv.max_pool_2x2)})
    return Model(params=model.params, spec=fast_spec)


def test_vgg_with_fast_paths_matches_plain_vgg(tiny_model):
    fast = fast_tiny_model()
    images = jnp.asarray(photo((21, 30)))[None]
    for name in ("block2_pool", "block3_conv2"):
        np.testing.assert_allclose(activations(fast, images, name)[name], activations(tiny_model, images, name)[name],
                                   rtol=1e-4, atol=1e-3)

    def grad(model):
        return jax.grad(lambda x: jnp.mean(activations(model, x, "block3_conv2")["block3_conv2"] ** 2))(images)

    g_fast, g_ref = grad(fast), grad(tiny_model)
    assert cosine(g_fast, g_ref) > 0.9999
    np.testing.assert_allclose(g_fast, g_ref, rtol=1e-3, atol=1e-3 * float(jnp.abs(g_ref).max()))


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the layout problem is XLA:CPU's")
def test_backward_convolutions_keep_hwio_kernels_inside_loops():
    """The reason this module exists: in a loop, XLA's own conv transpose gives the backward convolution a kernel
    in 01oi order, which XLA:CPU's fast (YNNPACK) convolution declines. Ours must always be HWIO (01io)."""
    fast = fast_tiny_model()
    image = jnp.asarray(photo((16, 16)))

    def dream(model, image, n):
        def step(i, img):
            return img + 0.01 * jax.grad(
                lambda t: jnp.mean(activations(model, t[None], "block3_conv2")["block3_conv2"] ** 2))(img)

        return lax.fori_loop(0, n, step, image)

    hlo = jax.jit(dream).lower(fast, image, 2).compile().as_text()
    labels = [line.split("dim_labels=")[1].split(",")[0] for line in hlo.splitlines() if "dim_labels=" in line]
    assert labels, "no convolution in the compiled program"
    assert all("_01io->" in label for label in labels), labels


@pytest.mark.integration
def test_real_model_gradient_matches_float32_xla(vgg16, monkeypatch):
    """On a real photo with the real weights, the fast path's gradient is the float32 XLA gradient (cos >= 0.99);
    bf16 inputs with float32 accumulation too. And a short dream looks alike either way."""
    from dreamreel.core.objectives import layers_sum
    from dreamreel.core.dream import dream, objective_value

    objective = layers_sum(vgg16.spec.dream_layers).bind(vgg16.spec)
    image = jnp.asarray(photo((160, 224)))[None]

    def gradient(mode):
        monkeypatch.setenv("DREAMREEL_CONV", mode)
        return np.asarray(jax.jit(jax.grad(lambda x: objective_value(vgg16, objective, x)))(image))

    reference = gradient("xla")
    for mode in ("fast", "bf16"):
        similarity = cosine(gradient(mode), reference)
        assert similarity >= 0.99, f"{mode}: cosine {similarity:.4f}"

    def short_dream(mode):
        monkeypatch.setenv("DREAMREEL_CONV", mode)
        jax.clear_caches()  # dream_steps is traced once per shape: trace it again in this mode
        return dream(np.asarray(image[0]), model=vgg16, octaves=2, steps=3, jitter=8, seed=1)

    base = np.asarray(image[0])
    change_xla, change_fast = short_dream("xla") - base, short_dream("fast") - base
    assert cosine(change_fast, change_xla) > 0.98
