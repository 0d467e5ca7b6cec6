"""Neural style transfer (Gatys, Ecker and Bethge), multi-scale, on the objective algebra and the step runner.

stylize(content, styles, *, model, settings=None, extra_objective=None, progress=None, **options) -> image
    content (H, W, 3) and styles [(h, w, 3), ...] RGB in [0, 1], any sizes; returns (h', w', 3) float32 in [0, 1]
    whose longer side is `size`. options override the fields of `settings or StyleSettings()`; `init` may also be
    an (h, w, 3) array. progress receives steps.Progress(stage="style") after every iteration.
    reconstruct="content": the content loss alone from noise (what a layer keeps of a photo, Gatys et al. fig. 1)
    reconstruct="style": the style loss alone from noise (texture synthesis); every image given is a style
StyleSettings     the settings, with their defaults, checks and help texts

The losses (style_loss, content_loss, gatys_objective) live in core/objectives/style.py; this module does no file
I/O: callers read images and pass arrays.

The objective is  -(content_weight * content + style_weight * style) + tv_weight * total_variation()
[+ extra_objective], raised by Adam (clipped to [0, 1]) or L-BFGS (clipped between scales and at the end).

Defaults, chosen by looking at renders of the default vgg16 (HED) weights (examples/style_grid.png,
examples/style_starry_night.jpg): content at the model's content layer (block4_conv2), style at its style layers
(block1_conv1..block5_conv1) with equal weights, style_weight / content_weight = 10 (the face stays recognisable
at 256-512 px while the strokes and palette are the painting's; the grid shows 0.1 .. 10), Gram matrices (at equal
weights "mean_cov" washed out more of the content and gave no crisper strokes), no TV (Gatys had none), Adam at
0.02 per iteration in [0, 1] pixel units from the content, 3 scales (a quarter, half, full size) of 100
iterations: the small scales lay out the large swirls cheaply, the last adds the fine strokes. The benchmark
(benchmarks/style_step.py) checks the losses against an independent PyTorch implementation.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import DreamreelError
from ..models.registry import Model
from .dream import as_image
from .fields import (SEED_MAX, boolean, choice, configure, integer, names, number, optional, setting, takes_options,
                     text, validate, weight_list)
from .image import fit_size, octave_sizes, transfer_luminance
from .objectives import Objective, content_loss, gatys_objective, loss_terms, style_loss
from .objectives.style import STYLE_LOSSES, content_layer_of, normalised, style_layers_of
from .steps import LBFGS, Adam, Progress, Whole, run

OPTIMIZERS = ("adam", "lbfgs")
INITS = ("content", "noise")
RECONSTRUCTIONS = ("", "content", "style")
MIN_SIDE = 32  # smallest output size: VGG's block5 still sees a 2x2 map
LOSS_EVERY = 10  # loss terms are computed for progress every this many iterations (a forward pass each)


@dataclasses.dataclass(frozen=True)
class StyleSettings:
    content_weight: float = setting(1.0, number(0.0), "alpha: weight of the content loss (0 = texture synthesis)")
    style_weight: float = setting(10.0, number(0.0), "beta: weight of the style loss (0 = content reconstruction)")
    tv_weight: float = setting(0.0, number(0.0), "total-variation smoothing")
    size: int | None = setting(512, optional(integer(MIN_SIDE, 16384)),
                               "longer side of the output in px (none: the content's own size)")
    scales: int = setting(3, integer(1, 10), "render small to full size over this many scales")
    scale_ratio: float = setting(2.0, number(1.0, 8.0, low_open=True), "size ratio between scales")
    iterations: int = setting(100, integer(0, 100_000), "optimiser iterations per scale")
    optimizer: str = setting("adam", choice(OPTIMIZERS), "adam (robust) or lbfgs (line-searched, no learning rate)")
    learning_rate: float = setting(0.02, number(0.0, 1.0, low_open=True),
                                   "Adam's learning rate in [0, 1] pixel units (L-BFGS line-searches)")
    init: str = setting("content", choice(INITS),
                        "starting image: the content or noise (reconstructions start from noise)")
    original_colors: bool = setting(False, boolean, "keep the content's colours (transfer luminance only, YUV)")
    style_scale: float = setting(1.0, number(0.0, 16.0, low_open=True),
                                 "style images' size relative to the output: smaller = finer brush strokes")
    loss: str = setting("gram", choice(STYLE_LOSSES), "style statistics: Gram matrices or mean and covariance")
    content_layer: str = setting("", text, "layer whose features the result keeps (empty: the model's content layer)")
    style_layers: tuple = setting((), names, "layers whose statistics carry the style (empty: the model's)")
    style_layer_weights: tuple | None = setting(None, weight_list, "weight of each style layer (default equal)")
    style_blend: tuple | None = setting(None, weight_list,
                                        "blend weights of the style images, one each (default equal)")
    reconstruct: str = setting("", choice(RECONSTRUCTIONS),
                               "content: the content alone from noise; style: texture synthesis from the style "
                               "images alone")
    seed: int = setting(0, integer(0, SEED_MAX), "random seed of the noise start")

    def __post_init__(self):
        validate(self)
        if self.content_weight == 0 and self.style_weight == 0:
            raise DreamreelError("content_weight and style_weight are both 0: nothing to transfer "
                                 "(give one of them a positive value)")
        for mode, weight in (("content", self.content_weight), ("style", self.style_weight)):
            if self.reconstruct == mode and weight == 0:
                raise DreamreelError(f"reconstruct={mode} needs a positive {mode}_weight")


@takes_options(StyleSettings)
def stylize(content, styles: Sequence = (), *, model: Model, settings: StyleSettings | None = None,
            extra_objective: Objective | None = None, progress: Callable[[Progress], None] | None = None,
            **options) -> np.ndarray:
    """Paint `content` (H, W, 3) in the style of `styles` (each (h, w, 3), any size): Gatys et al., multi-scale.

    Scales run from size / scale_ratio**(scales-1) up to size, each starting from the previous one upsampled;
    the style images are resized so that their longer side is style_scale times the output's; extra_objective is
    any Objective added to the Gatys objective (e.g. a DeepDream layer).
    """
    init_image = options.pop("init") if not isinstance(options.get("init", ""), str) else None
    s = configure(StyleSettings, settings, options)
    content, styles, init_image = _inputs(s, content, styles, init_image)
    weights = _weights(s, content, styles)
    content_layer = content_layer_of(model, s.content_layer or None)
    style_layers = style_layers_of(model, s.style_layers or None)
    extra = extra_objective.bind(model.spec) if extra_objective is not None else None
    full = fit_size(content.shape if content is not None else styles[0].shape, s.size)
    deepest = model.spec.deepest([*style_layers, content_layer])
    sizes = octave_sizes(*full, s.scales, s.scale_ratio, max(16, 2 * model.spec.layer(deepest).stride))
    key = jax.random.PRNGKey(s.seed)
    image = None
    for index, size in enumerate(sizes):
        scaled = _fitted(content, size) if content is not None else None
        image = _start(s, scaled, init_image, size, key) if image is None else _fitted(image, size)
        c_loss = content_loss(model, scaled, layer=content_layer) if weights[0] and scaled is not None else None
        s_loss = None
        if weights[1]:
            side = max(MIN_SIDE, round(s.style_scale * max(size)))
            s_loss = style_loss(model, [_fitted(x, fit_size(x.shape, side)) for x in styles], layers=style_layers,
                                layer_weights=s.style_layer_weights, blend=s.style_blend, loss=s.loss)
        objective = gatys_objective(c_loss, s_loss, content_weight=weights[0], style_weight=weights[1],
                                    tv_weight=s.tv_weight, extra=extra)
        report = _reporter(progress, model, objective, index, len(sizes), s.iterations, size)
        image = _run_scale(s, model, objective, jnp.asarray(image, jnp.float32), key, report)
    result = np.asarray(image)
    if s.original_colors and content is not None:
        result = np.asarray(transfer_luminance(result, _fitted(content, result.shape[:2])))
    return result


def _inputs(s: StyleSettings, content, styles, init_image):
    """(content or None, styles, init image or None), checked; reconstruct="style" makes every image a style."""
    styles = [as_image(x, "style image") for x in styles]
    content = None if content is None else as_image(content, "content image")
    init_image = None if init_image is None else as_image(init_image, "init image")
    if s.reconstruct == "style" and content is not None:
        content, styles = None, [content, *styles]
    if s.reconstruct == "content" and styles:
        raise DreamreelError("reconstruct=content takes only the content image; drop the style images")
    if content is None and s.reconstruct != "style":
        raise DreamreelError("no content image: give one, or use reconstruct=style for texture synthesis")
    if s.reconstruct != "content" and s.style_weight > 0 and not styles:
        raise DreamreelError("the style weight is positive but no style image was given")
    if s.style_blend is not None and styles:
        normalised(s.style_blend, len(styles), "style blend weights")
    return content, styles, init_image


def _weights(s: StyleSettings, content, styles) -> tuple[float, float]:
    """(content weight, style weight) in effect: a reconstruction keeps only its own loss."""
    content_weight = 0.0 if content is None or s.reconstruct == "style" else s.content_weight
    style_weight = 0.0 if not styles or s.reconstruct == "content" else s.style_weight
    return content_weight, style_weight


def _fitted(image, size: tuple[int, int]) -> np.ndarray:
    """A host image (NumPy) at `size` (OpenCV area / bicubic, via io.resize)."""
    from ..io import resize

    image = np.asarray(image, np.float32)
    return image if image.shape[:2] == tuple(size) else resize(image, *size)


def _start(s: StyleSettings, content, init_image, size, key) -> np.ndarray:
    """The first scale's starting image: the init image, the content, or noise (always for reconstructions)."""
    if init_image is not None:
        return _fitted(init_image, size)
    if s.init == "content" and content is not None and not s.reconstruct:
        return content
    noise = 0.5 + 0.1 * jax.random.normal(key, (*size, 3))
    return np.clip(np.asarray(noise, np.float32), 0.0, 1.0)


def _run_scale(s: StyleSettings, model, objective, image, key, report):
    method = Adam(clip=True) if s.optimizer == "adam" else LBFGS()
    if report:
        report(0, image, None)
    image, _ = run(method, Whole(), model, objective, image, key, s.iterations, rate=s.learning_rate,
                   on_step=report)
    return jnp.clip(image, 0.0, 1.0)


def _reporter(progress, model, objective, index: int, count: int, iterations: int, size):
    """on_step for one scale: a Progress after every iteration; the loss terms every LOSS_EVERY iterations."""
    if progress is None:
        return None
    detail = f"scale {index + 1}/{count} {size[1]}x{size[0]}"
    losses = ()

    def report(done, image, state):
        nonlocal losses
        shown = jnp.clip(image, 0.0, 1.0)
        if done % LOSS_EVERY == 0 or done == iterations:
            losses = tuple(loss_terms(model, objective, shown).items())
        progress(Progress("style", index * iterations + done, count * iterations, detail=detail, image=shown,
                          losses=losses))

    return report
