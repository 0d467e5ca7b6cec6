"""Neural style transfer: statistics against NumPy, losses at their targets, optimisers, colours, blending, CLI."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import assert_objective_rises, photo

from dreamreel.core import stylize as S
from dreamreel.cli import main
from dreamreel.errors import DreamreelError
from dreamreel.io import read_image, write_image
from dreamreel.core.objectives import layer
from dreamreel.core.dream import objective_value

TINY_STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1")
TINY_CONTENT_LAYER = "block3_conv2"
TINY = dict(content_layer=TINY_CONTENT_LAYER, style_layers=TINY_STYLE_LAYERS)


def painting(size=(32, 32), seed=1) -> np.ndarray:
    """A stand-in style image: stripes plus colour noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: size[0], : size[1]]
    stripes = 0.5 + 0.4 * np.sin((x + 2 * y) / 2.5)
    image = np.stack([stripes, 1 - stripes, 0.5 + 0.2 * np.cos(x / 3.0)], -1)
    return np.clip(image + 0.1 * rng.standard_normal(image.shape), 0, 1).astype(np.float32)


def value(model, objective, image):
    return float(objective_value(model, objective, jnp.asarray(image)[None]))


def test_gram_matrix_matches_numpy(rng):
    features = rng.standard_normal((2, 5, 7, 4)).astype(np.float32)
    expected = np.stack([f.reshape(-1, 4).T @ f.reshape(-1, 4) / 35 for f in features])
    np.testing.assert_allclose(np.asarray(S.gram_matrix(jnp.asarray(features))), expected, rtol=1e-5, atol=1e-5)


def test_content_loss_is_zero_with_zero_gradient_at_the_content(tiny_model):
    content = photo((32, 32))
    loss = S.content_loss(tiny_model, content, layer=TINY_CONTENT_LAYER)
    assert value(tiny_model, loss, content) == pytest.approx(0.0, abs=1e-10)
    grad = jax.grad(lambda x: objective_value(tiny_model, loss, x[None]))(jnp.asarray(content))
    assert float(jnp.max(jnp.abs(grad))) < 1e-8
    assert value(tiny_model, loss, painting()) > 0.01


@pytest.mark.parametrize("kind", S.STYLE_LOSSES)
def test_style_loss_of_an_image_against_itself_is_zero(tiny_model, kind):
    image = painting()
    loss = S.style_loss(tiny_model, [image], layers=TINY_STYLE_LAYERS, loss=kind)
    assert value(tiny_model, loss, image) == pytest.approx(0.0, abs=1e-7)
    assert value(tiny_model, loss, photo((32, 32))) > 0.01
    assert loss.layers == frozenset(TINY_STYLE_LAYERS) and kind in loss.describe()


def test_style_loss_is_a_pytree_whose_targets_are_leaves(tiny_model):
    loss = S.style_loss(tiny_model, [painting()], layers=TINY_STYLE_LAYERS)
    leaves = jax.tree_util.tree_leaves(loss)
    assert any(getattr(leaf, "shape", None) == (8, 8) for leaf in leaves)  # block3's Gram target
    doubled = jax.tree_util.tree_map(lambda x: 2 * x, loss)
    assert doubled.names == loss.names and doubled.kind == loss.kind


def test_blend_of_two_identical_styles_equals_one_style(tiny_model):
    image, other = painting(), photo((32, 32))
    one = S.style_loss(tiny_model, [image], layers=TINY_STYLE_LAYERS)
    two = S.style_loss(tiny_model, [image, image], layers=TINY_STYLE_LAYERS, blend=[3, 1])
    for a, b in zip(jax.tree_util.tree_leaves(one), jax.tree_util.tree_leaves(two)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    assert value(tiny_model, two, other) == pytest.approx(value(tiny_model, one, other), rel=1e-5)


def test_blend_weights_move_the_target_between_styles(tiny_model):
    a, b = painting(seed=1), photo((32, 32))
    mostly_a = S.style_loss(tiny_model, [a, b], layers=TINY_STYLE_LAYERS, blend=[9, 1])
    mostly_b = S.style_loss(tiny_model, [a, b], layers=TINY_STYLE_LAYERS, blend=[1, 9])
    assert value(tiny_model, mostly_a, a) < value(tiny_model, mostly_b, a)


@pytest.mark.parametrize("optimizer", S.OPTIMIZERS)
def test_total_loss_falls(tiny_model, optimizer):
    content, style = photo((32, 32)), painting((32, 32))
    objective = S.gatys_objective(S.content_loss(tiny_model, content, layer=TINY_CONTENT_LAYER),
                                  S.style_loss(tiny_model, [style], layers=TINY_STYLE_LAYERS),
                                  content_weight=1.0, style_weight=10.0, tv_weight=0.0)  # as stylize's
    image = jnp.asarray(content)
    before = S.loss_terms(tiny_model, objective, image)
    state = S.init_optimizer(optimizer, image, 0.02)
    after_image, _ = S.style_steps(tiny_model, objective, image, state, 0, 8, 0.02, optimizer=optimizer)
    after = S.loss_terms(tiny_model, objective, jnp.clip(after_image, 0, 1))
    assert set(before) == {"content", "style", "total"}
    assert after["total"] < 0.8 * before["total"], (before, after)


def test_stylize_renders_scales_and_reports_loss_terms(tiny_model):
    events = []
    out = S.stylize(photo((48, 48)), [painting()], model=tiny_model, size=32, scales=2, iterations=6,
                    progress=events.append, **TINY)
    assert out.shape == (32, 32, 3) and out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
    assert [e.size for e in events if e.step == 0] == [(16, 16), (32, 32)]
    assert events[-1].image.shape == (32, 32, 3)
    assert events[-1].done == events[-1].total == 12
    first, last = dict(events[0].losses), dict(events[-1].losses)
    assert {"content", "style", "total"} <= set(last)
    assert last["style"] < dict(events[len(events) // 2].losses)["style"] or last["total"] < first["total"]


def test_mismatched_sizes_are_resized(tiny_model):
    tall_style, content = painting((90, 30)), photo((72, 72))
    out = S.stylize(content, [tall_style, painting((20, 20), seed=3)], model=tiny_model, size=32,
                    scales=1, iterations=2, style_scale=0.5, init=photo((10, 16)), **TINY)
    assert out.shape == (32, 32, 3)  # the content at the asked size; the styles and the init resized to fit
    wide = S.stylize(photo((40, 72)), [tall_style], model=tiny_model, size=32, scales=1, iterations=0, **TINY)
    assert wide.shape == (18, 32, 3)  # the content's aspect is kept


def test_original_colors_keep_the_content_chroma(tiny_model):
    content = photo((32, 32))
    out = S.stylize(content, [painting()], model=tiny_model, size=None, scales=1, iterations=4,
                    original_colors=True, learning_rate=0.05, **TINY)
    inside = np.all((out > 0.01) & (out < 0.99), axis=-1)  # pixels that clipping did not touch
    assert inside.mean() > 0.5
    np.testing.assert_allclose(S.rgb_to_yuv(out)[inside][:, 1:], S.rgb_to_yuv(content)[inside][:, 1:], atol=2e-3)
    plain = S.stylize(content, [painting()], model=tiny_model, size=None, scales=1, iterations=4,
                      learning_rate=0.05, **TINY)
    np.testing.assert_allclose(S.rgb_to_yuv(out)[..., 0][inside], S.rgb_to_yuv(plain)[..., 0][inside], atol=2e-3)


def test_yuv_round_trip(rng):
    image = rng.random((5, 6, 3)).astype(np.float32)
    np.testing.assert_allclose(S.yuv_to_rgb(S.rgb_to_yuv(image)), image, atol=1e-5)


def test_reconstructions_from_noise(tiny_model):
    content = photo((32, 32))
    noise_loss = value(tiny_model, S.content_loss(tiny_model, content, layer=TINY_CONTENT_LAYER),
                       S._initial_image("noise", None, (32, 32), jax.random.PRNGKey(0)))
    rebuilt = S.reconstruct_content(content, model=tiny_model, layer=TINY_CONTENT_LAYER, size=None, scales=1,
                                    iterations=15, style_layers=TINY_STYLE_LAYERS)
    loss = S.content_loss(tiny_model, content, layer=TINY_CONTENT_LAYER)
    assert value(tiny_model, loss, rebuilt) < 0.7 * noise_loss
    texture = S.synthesize_texture([painting((64, 64))], model=tiny_model, size=32, scales=1, iterations=4,
                                   **TINY)
    assert texture.shape == (32, 32, 3)


def test_dream_plus_style_runs_through_both_cores(tiny_model):
    starry = painting()
    fused = layer("block3_conv2") - 10.0 * S.style_loss(tiny_model, [starry], layers=TINY_STYLE_LAYERS)
    assert "style(gram" in fused.describe()
    assert_objective_rises(tiny_model, fused)  # render.dream's core: dream_steps, gradient ascent
    out = S.stylize(photo((32, 32)), [starry], model=tiny_model, size=None, scales=1, iterations=4,
                    extra_objective=0.01 * layer("block3_conv2"), **TINY)
    assert out.shape == (32, 32, 3)


@pytest.mark.parametrize("kwargs,message", [
    (dict(content_weight=0.0, style_weight=0.0), "nothing to transfer"),
    (dict(style_blend=[1.0, 2.0]), "blend weights"),
    (dict(style_blend=[0.0]), "not all 0"),
    (dict(loss="wasserstein"), "gram, mean_cov"),
    (dict(optimizer="sgd"), "adam, lbfgs"),
    (dict(init="no_such_file.png"), "init must be"),
    (dict(scales=0), "scales"),
    (dict(style_weight=-1.0), "0 or more"),
    (dict(style_layers=("block9_conv1",)), "no layer"),
])
def test_bad_settings_raise_clear_errors(tiny_model, kwargs, message):
    with pytest.raises(DreamreelError, match=message):
        S.stylize(photo((32, 32)), [painting()], model=tiny_model, iterations=1, **{**TINY, **kwargs})


def test_all_weights_zero_in_the_objective_is_an_error():
    with pytest.raises(DreamreelError, match="nothing to optimise"):
        S.gatys_objective(None, None, content_weight=0.0, style_weight=0.0, tv_weight=0.0)


@pytest.mark.parametrize("extra,message", [
    (["missing.jpg"], "no such image"),
    ([], "at least one STYLE"),
    (["style.png", "--content-weight", "0", "--style-weight", "0"], "nothing to transfer"),
    (["style.png", "--style-weights", "1", "2"], "blend weights"),
    (["style.png", "--style-layers", "block1_conv1,block9_conv1"], "no layer"),
])
def test_cli_user_mistakes_give_one_line_and_exit_2(capsys, tmp_path, extra, message):
    write_image(tmp_path / "content.png", photo((32, 32)))
    write_image(tmp_path / "style.png", painting())
    argv = ["style", str(tmp_path / "content.png"), *[str(tmp_path / a) if a.endswith((".jpg", ".png")) else a
                                                        for a in extra], "-o", str(tmp_path / "out.png")]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("dreamreel: error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out.png").exists()


def test_cli_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["style", "--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "--original-colors" in out and "--reconstruct" in out


@pytest.mark.integration
def test_cli_style_with_real_weights(tmp_path):
    import subprocess
    import sys

    write_image(tmp_path / "content.png", photo((48, 64)))
    write_image(tmp_path / "style.png", painting((64, 64)))
    result = subprocess.run([sys.executable, "-m", "dreamreel", "style", str(tmp_path / "content.png"),
                             str(tmp_path / "style.png"), "-o", str(tmp_path / "out.jpg"), "--size", "64",
                             "--scales", "1", "--iterations", "5", "--original-colors"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "style" in result.stderr and "wrote" in result.stderr
    out = read_image(tmp_path / "out.jpg")
    assert out.shape == (48, 64, 3)
    assert np.abs(out - photo((48, 64))).mean() > 0.005  # the style changed something
