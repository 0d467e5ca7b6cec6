"""Style transfer: scales, progress, resizing, colours, reconstructions, settings and bad input."""

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest
from conftest import assert_objective_rises, photo
from synthetic import painting

from dreamreel.core.image import rgb_to_yuv
from dreamreel.core.objectives import content_loss, layer, objective_value, style_loss
from dreamreel.core.stylize import StyleSettings, stylize
from dreamreel.errors import DreamreelError

STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1")
CONTENT_LAYER = "block3_conv2"
TINY = dict(content_layer=CONTENT_LAYER, style_layers=STYLE_LAYERS)


def value(model, objective, image):
    return float(objective_value(model, objective, jnp.asarray(image)[None]))


def test_stylize_renders_scales_and_reports_every_iteration_with_loss_terms(tiny_model):
    events = []
    out = stylize(photo((48, 48)), [painting()], model=tiny_model, size=32, scales=2, iterations=6,
                  progress=events.append, **TINY)
    assert out.shape == (32, 32, 3) and out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
    assert [e.done for e in events] == [0, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10, 11, 12]
    assert {e.total for e in events} == {12} and {e.stage for e in events} == {"style"}
    assert events[0].detail == "scale 1/2 16x16" and events[-1].detail == "scale 2/2 32x32"
    assert events[-1].image.shape == (32, 32, 3)
    first, last = dict(events[0].losses), dict(events[-1].losses)
    assert {"content", "style", "total"} <= set(last)
    assert last["total"] < first["total"] or last["style"] < first["style"]


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_both_optimizers_lower_the_loss(tiny_model, optimizer):
    content, style = photo((32, 32)), painting()
    objective_parts = (content_loss(tiny_model, content, layer=CONTENT_LAYER),
                       style_loss(tiny_model, [style], layers=STYLE_LAYERS))
    out = stylize(content, [style], model=tiny_model, size=None, scales=1, iterations=8, optimizer=optimizer,
                  **TINY)
    before = value(tiny_model, objective_parts[0], content) + 10 * value(tiny_model, objective_parts[1], content)
    after = value(tiny_model, objective_parts[0], out) + 10 * value(tiny_model, objective_parts[1], out)
    assert after < 0.8 * before


def test_mismatched_sizes_are_resized(tiny_model):
    tall_style, content = painting((90, 30)), photo((72, 72))
    out = stylize(content, [tall_style, painting((20, 20), seed=3)], model=tiny_model, size=32,
                  scales=1, iterations=2, style_scale=0.5, init=photo((10, 16)), **TINY)
    assert out.shape == (32, 32, 3)  # the content at the asked size; the styles and the init resized to fit
    wide = stylize(photo((40, 72)), [tall_style], model=tiny_model, size=32, scales=1, iterations=0, **TINY)
    assert wide.shape == (18, 32, 3)  # the content's aspect is kept


def test_original_colors_keep_the_content_chroma(tiny_model):
    content = photo((32, 32))
    kwargs = dict(model=tiny_model, size=None, scales=1, iterations=4, learning_rate=0.05, **TINY)
    out = stylize(content, [painting()], original_colors=True, **kwargs)
    inside = np.all((out > 0.01) & (out < 0.99), axis=-1)  # pixels that clipping did not touch
    assert inside.mean() > 0.5
    yuv = np.asarray(rgb_to_yuv(out))
    np.testing.assert_allclose(yuv[inside][:, 1:], np.asarray(rgb_to_yuv(content))[inside][:, 1:], atol=2e-3)
    plain = stylize(content, [painting()], **kwargs)
    np.testing.assert_allclose(yuv[..., 0][inside], np.asarray(rgb_to_yuv(plain))[..., 0][inside], atol=2e-3)


def test_reconstructions_from_noise(tiny_model):
    content = photo((32, 32))
    loss = content_loss(tiny_model, content, layer=CONTENT_LAYER)
    kwargs = dict(model=tiny_model, size=None, scales=1, **TINY)
    start = stylize(content, [], reconstruct="content", iterations=0, **kwargs)
    assert np.abs(start - content).mean() > 0.1  # the noise start, not the content
    rebuilt = stylize(content, [], reconstruct="content", iterations=15, **kwargs)
    assert value(tiny_model, loss, rebuilt) < 0.7 * value(tiny_model, loss, start)
    texture = stylize(painting((64, 48)), [], model=tiny_model, reconstruct="style", size=32, scales=1,
                      iterations=4, **TINY)
    assert texture.shape == (32, 24, 3)  # every image is a style; the first one's aspect
    with pytest.raises(DreamreelError, match="drop the style images"):
        stylize(content, [painting()], reconstruct="content", **kwargs)


def test_dream_plus_style_runs_through_both_cores(tiny_model):
    starry = painting()
    fused = layer("block3_conv2") - 10.0 * style_loss(tiny_model, [starry], layers=STYLE_LAYERS)
    assert "style(gram" in fused.describe()
    assert_objective_rises(tiny_model, fused)  # dream's core: gradient ascent
    out = stylize(photo((32, 32)), [starry], model=tiny_model, size=None, scales=1, iterations=4,
                  extra_objective=0.01 * layer("block3_conv2"), **TINY)
    assert out.shape == (32, 32, 3)


def test_settings_defaults():
    s = StyleSettings()
    assert (s.content_weight, s.style_weight, s.tv_weight, s.size, s.scales, s.scale_ratio, s.iterations,
            s.optimizer, s.learning_rate, s.init, s.original_colors, s.style_scale, s.loss, s.seed) == \
        (1.0, 10.0, 0.0, 512, 3, 2.0, 100, "adam", 0.02, "content", False, 1.0, "gram", 0)
    assert dataclasses.replace(s, style_layers="a, b").style_layers == ("a", "b")


@pytest.mark.parametrize("kwargs,message", [
    (dict(content_weight=0.0, style_weight=0.0), "nothing to transfer"),
    (dict(style_blend=[1.0, 2.0]), "blend weights"),
    (dict(style_blend=[0.0]), "^style_blend must be"),
    (dict(loss="wasserstein"), "^loss must be one of gram, mean_cov"),
    (dict(optimizer="sgd"), "^optimizer must be one of adam, lbfgs"),
    (dict(init="no_such_file.png"), "^init must be one of content, noise"),
    (dict(scales=0), "^scales must be"),
    (dict(style_weight=-1.0), "^style_weight must be"),
    (dict(learning_rate=float("nan")), "^learning_rate must be"),
    (dict(tv_weight=float("inf")), "^tv_weight must be"),
    (dict(size=8), "^size must be"),
    (dict(style_layers=("block9_conv1",)), "no layer"),
    (dict(reconstruct="content", content_weight=0.0), "positive content_weight"),
    (dict(colour=True), "unknown option colour"),
])
def test_bad_settings_raise_one_line(tiny_model, kwargs, message):
    with pytest.raises(DreamreelError, match=message) as error:
        stylize(photo((32, 32)), [painting()], model=tiny_model, iterations=1, **{**TINY, **kwargs})
    assert "\n" not in str(error.value)


def test_missing_images_raise(tiny_model):
    with pytest.raises(DreamreelError, match="no style image"):
        stylize(photo((32, 32)), [], model=tiny_model, **TINY)
    with pytest.raises(DreamreelError, match="no content image"):
        stylize(None, [painting()], model=tiny_model, **TINY)
    with pytest.raises(DreamreelError, match="RGB"):
        stylize(np.zeros((8, 8)), [painting()], model=tiny_model, **TINY)
