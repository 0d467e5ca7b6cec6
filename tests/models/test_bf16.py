"""The bfloat16 path (fastconv, DREAMREEL_CONV=bf16): chosen from the CPU's flags, bf16 Winograd products that
match XLA's float32 convolution within bf16 tolerance (forward, d/dinput, d/dkernel), and a real-model gradient
within cosine 0.99 of the float32 one."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from dreamreel.models import cpu, fastconv
from dreamreel.models.registry import Model, activations
from dreamreel.models.vgg import VGG

from conftest import photo, tiny_spec

DN = ("NHWC", "HWIO", "NHWC")
WIDE = fastconv.BF16_MIN_CHANNELS  # the narrowest convolution the bf16 path runs as bf16 products


def cosine(a, b) -> float:
    a, b = np.ravel(np.asarray(a, np.float64)), np.ravel(np.asarray(b, np.float64))
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def relative_error(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.abs(a - b).max() / np.abs(b).max())


# --- choosing the path ---------------------------------------------------------------------------------------------

ZEN3 = frozenset("fpu sse2 avx avx2 fma f16c".split())
ZEN4 = ZEN3 | {"avx512f", "avx512bw", "avx512_bf16"}
SAPPHIRE_RAPIDS = ZEN3 | {"avx512f", "amx_tile", "amx_bf16", "amx_int8"}


@pytest.mark.parametrize("flags, native", [(ZEN3, False), (ZEN3 | {"avx512f"}, False), (ZEN4, True),
                                           (SAPPHIRE_RAPIDS, True), (frozenset(), False)])
def test_native_bf16_from_flags(flags, native):
    assert cpu.native_bf16(flags) is native


def test_auto_picks_bf16_only_on_a_cpu_with_bf16():
    assert fastconv.auto_mode("cpu", True) == "bf16"
    assert fastconv.auto_mode("cpu", False) == "fast"
    assert fastconv.auto_mode("gpu", True) == "xla"
    assert fastconv.auto_mode("tpu", False) == "xla"


def test_cpu_flags_read_at_run_time(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx2 avx512f avx512_bf16\n\n"
                    "processor\t: 1\nflags\t\t: fpu avx2 avx512f avx512_bf16\n")
    assert cpu.cpu_flags(str(info)) == {"fpu", "avx2", "avx512f", "avx512_bf16"}
    assert cpu.cpu_flags(str(tmp_path / "missing")) == frozenset()
    info.write_bytes(b"processor : 0\n\xff\xfe garbage\n")
    assert cpu.cpu_flags(str(info)) == frozenset()


@pytest.mark.parametrize("flags, expected", [(ZEN4, "bf16"), (SAPPHIRE_RAPIDS, "bf16"), (ZEN3, "fast"),
                                             (frozenset(), "fast")])
def test_conv_mode_auto_follows_the_flags_and_the_variable_overrides(monkeypatch, flags, expected):
    monkeypatch.setattr(cpu, "cpu_flags", lambda path="/proc/cpuinfo": flags)
    monkeypatch.setattr(jax, "default_backend", lambda: "cpu")
    monkeypatch.setenv("DREAMREEL_CONV", "auto")
    assert fastconv.conv_mode() == expected
    monkeypatch.delenv("DREAMREEL_CONV")
    assert fastconv.conv_mode() == expected
    for forced in ("xla", "fast", "bf16"):
        monkeypatch.setenv("DREAMREEL_CONV", forced)
        assert fastconv.conv_mode() == forced
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    monkeypatch.setenv("DREAMREEL_CONV", "auto")
    assert fastconv.conv_mode() == "xla"


# --- the bf16 convolution ------------------------------------------------------------------------------------------

def reference_conv(x, w, padding="SAME"):
    return lax.conv_general_dilated(x, w, (1, 1), padding, dimension_numbers=DN, precision="highest")


def bf16_conv(x, w, padding="SAME"):
    return fastconv.conv_general_dilated(x, w, (1, 1), padding,
                                         dimension_numbers=lax.conv_dimension_numbers(x.shape, w.shape, DN))


@pytest.fixture
def bf16_mode(monkeypatch):
    monkeypatch.setenv("DREAMREEL_CONV", "bf16")


SHAPES = [  # (N, H, W, C_in, C_out, padding): even, odd and tiny sizes, SAME/VALID/explicit, batch 2
    (1, 8, 8, WIDE, WIDE, "SAME"),
    (2, 7, 5, WIDE, WIDE + 32, "SAME"),
    (1, 6, 9, WIDE + 32, WIDE, "VALID"),
    (1, 5, 6, WIDE, WIDE, ((2, 0), (1, 2))),
    (1, 3, 3, WIDE, WIDE, ((0, 1), (2, 2))),
]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_forward_and_gradients_match_lax_within_bf16(bf16_mode, rng, shape):
    n, h, w, cin, cout, padding = shape
    x = jnp.asarray(rng.standard_normal((n, h, w, cin)), jnp.float32)
    kernel = jnp.asarray(rng.standard_normal((3, 3, cin, cout)) / np.sqrt(9 * cin), jnp.float32)
    assert fastconv.uses_bf16(kernel.shape) and fastconv.uses_bf16(kernel.shape[:2] + kernel.shape[2:][::-1])
    expected = reference_conv(x, kernel, padding)
    ct = jnp.asarray(rng.standard_normal(expected.shape), jnp.float32)

    def value_and_grads(conv):
        return jax.jit(jax.value_and_grad(lambda x, w: jnp.vdot(conv(x, w, padding), ct), argnums=(0, 1)))(x, kernel)

    y = jax.jit(bf16_conv, static_argnums=2)(x, kernel, padding)
    assert y.dtype == jnp.float32 and y.shape == expected.shape
    assert relative_error(y, expected) < 2e-2  # bf16 keeps 8 significant bits: ~0.4 % per operand
    (_, (dx, dw)), (_, (dx_ref, dw_ref)) = value_and_grads(bf16_conv), value_and_grads(reference_conv)
    assert dx.dtype == jnp.float32 and dw.dtype == jnp.float32
    assert relative_error(dx, dx_ref) < 2e-2 and cosine(dx, dx_ref) > 0.9999
    assert relative_error(dw, dw_ref) < 2e-2 and cosine(dw, dw_ref) > 0.9999
    # it is really the bf16 path: far from float32 exactness, yet close
    assert relative_error(y, expected) > 1e-4


def test_jit_equals_eager(bf16_mode, rng):
    x = jnp.asarray(rng.standard_normal((1, 6, 7, WIDE)), jnp.float32)
    kernel = jnp.asarray(rng.standard_normal((3, 3, WIDE, WIDE)) / 30, jnp.float32)
    grad = jax.grad(lambda x, w: jnp.sum(bf16_conv(x, w) ** 2), argnums=(0, 1))
    np.testing.assert_allclose(jax.jit(bf16_conv)(x, kernel), bf16_conv(x, kernel), rtol=1e-5, atol=1e-5)
    for jitted, eager in zip(jax.jit(grad)(x, kernel), grad(x, kernel)):
        np.testing.assert_allclose(jitted, eager, rtol=1e-4, atol=1e-4 * float(jnp.abs(eager).max()))


def test_products_take_bf16_operands_with_no_cast_inside(bf16_mode):
    """The point of the path: XLA:CPU's dot runs at bf16 speed only on bf16 operands made beforehand."""
    x = jnp.zeros((1, 8, 8, WIDE), jnp.bfloat16)
    kernel = jnp.zeros((3, 3, WIDE, WIDE), jnp.float32)
    step = jax.jit(jax.grad(lambda x, w: jnp.sum(bf16_conv(x, w) ** 2)))
    hlo = step.lower(x, kernel).compile().as_text()
    computations = hlo.split("\n\n")
    products = [c for c in computations if " dot(" in c]
    bf16_products = [c for c in products if c.count("bf16[") >= 2 and "-> f32[" in c]
    assert len(bf16_products) >= 32, "expected 16 bf16 products forward and 16 backward"
    assert not [c for c in products if "convert(" in c], "a cast inside a product"
    assert " convolution(" not in hlo


def test_other_modes_and_narrow_layers_stay_float32(monkeypatch):
    monkeypatch.setenv("DREAMREEL_CONV", "bf16")
    assert not fastconv.uses_bf16((3, 3, 3, 64))  # the first layer: images stay float32
    assert not fastconv.uses_bf16((3, 3, 64, 64))  # too thin to gain
    assert not fastconv.uses_bf16((1, 1, WIDE, WIDE))
    for mode in ("fast", "xla"):
        monkeypatch.setenv("DREAMREEL_CONV", mode)
        assert not fastconv.uses_bf16((3, 3, 512, 512))


# --- in a model ----------------------------------------------------------------------------------------------------

WIDE_BLOCKS, WIDE_WIDTHS = (1, 1, 2), (16, WIDE, WIDE)


def wide_tiny_model(fast: bool) -> Model:
    """A small VGG whose later layers are wide enough for the bf16 products (random He-scaled weights)."""
    spec = tiny_spec()
    extra = dict(conv_general_dilated=fastconv.conv_general_dilated, max_pool=fastconv.max_pool_2x2) if fast else {}
    module = partial(VGG, blocks=WIDE_BLOCKS, widths=WIDE_WIDTHS, **extra)
    spec = type(spec)(name="wide_tiny_vgg", description=spec.description, module=module,
                      preprocess=spec.preprocess, weights=None,
                      dream_layers=("block3_conv2",))
    params = module().init(jax.random.PRNGKey(0), jnp.zeros((1, 16, 16, 3)))["params"]
    params = jax.tree_util.tree_map_with_path(
        lambda path, p: p / 40.0 if "kernel" in str(path[-1]) and p.shape[2] == 3 else p, params)
    return Model(params=params, spec=spec)


def test_vgg_on_the_bf16_path_is_close_to_float32_and_returns_float32(bf16_mode):
    fast, plain = wide_tiny_model(True), wide_tiny_model(False)
    images = jnp.asarray(photo((20, 26)))[None]
    acts = jax.jit(activations, static_argnums=2)(fast, images, "block3_conv2")
    assert all(a.dtype == jnp.float32 for a in acts.values())
    reference = jax.jit(activations, static_argnums=2)(plain, images, "block3_conv2")["block3_conv2"]
    assert cosine(acts["block3_conv2"], reference) > 0.999

    def grad(model):
        return jax.jit(jax.grad(lambda x: jnp.mean(activations(model, x, "block3_conv2")["block3_conv2"] ** 2)))(
            images)

    assert cosine(grad(fast), grad(plain)) > 0.995


@pytest.mark.integration
def test_real_model_gradient_cosine_with_float32(vgg16, monkeypatch):
    """Real weights, a real photo, the default objective and a shallow one: bf16 vs float32, cosine >= 0.99."""
    from dreamreel.core.objectives import layer, layers_sum, objective_value

    image = jnp.asarray(photo((224, 288)))[None]

    def gradient(mode, objective):
        monkeypatch.setenv("DREAMREEL_CONV", mode)
        objective = objective.bind(vgg16.spec)
        return np.asarray(jax.jit(jax.grad(lambda x: objective_value(vgg16, objective, x)))(image))

    for objective in (layers_sum(vgg16.spec.dream_layers), layer("block3_conv3")):
        similarity = cosine(gradient("bf16", objective), gradient("fast", objective))
        assert similarity >= 0.99, f"{objective.describe()}: cosine {similarity:.4f}"

    from dreamreel.core.dream import dream

    def short_dream(mode):
        monkeypatch.setenv("DREAMREEL_CONV", mode)
        jax.clear_caches()  # dream_steps is traced once per shape: trace it again on this path
        return dream(np.asarray(image[0]), model=vgg16, octaves=2, steps=3, jitter=8, seed=1) - np.asarray(image[0])

    assert cosine(short_dream("bf16"), short_dream("fast")) > 0.95  # the dreams look alike
