"""Neural style transfer (Gatys, Ecker and Bethge) on the objective algebra: style and content losses are Objectives.

gram_matrix(features) -> (N, C, C)                 features (N, h, w, C); F^T F / (h w)
feature_stats(model, image, layers) -> {layer: (mean (C,), gram (C, C))}   one image (H, W, 3)
style_loss(model, styles, *, layers, layer_weights, blend, loss) -> StyleLoss    targets computed once, here
content_loss(model, content, *, layer) -> ContentLoss                             target computed once, here
gatys_objective(content, style, *, content_weight, style_weight, tv_weight) -> Objective
style_steps(model, objective, image, opt_state, first, last, learning_rate, *, optimizer) -> (image, opt_state)
stylize(content, styles, *, model, ...) -> (H, W, 3) float32 RGB in [0, 1]        the Python API of `dreamreel style`
reconstruct_content(content, *, model, ...) -> image       content alone, from noise (what a layer keeps of a photo)
synthesize_texture(styles, *, model, size, ...) -> image   style alone, from noise (texture synthesis)
transfer_luminance(stylized, content) -> image              "original colours": the result's Y, the content's U, V

Sign convention. ContentLoss and StyleLoss evaluate to a *loss*: >= 0, zero at their target. Objectives are
maximised, so losses enter with negative weights, and they compose with DeepDream terms as they read:

    layer("block4_conv3") - 1e3 * style_loss(model, [starry])          # dream, painted in Van Gogh's statistics

The Gatys objective is  -(content_weight * content + style_weight * style) + tv_weight * total_variation()
(total_variation() is already minus the TV: a reward for smoothness). The optimiser here minimises minus any
objective, so it renders DeepDream terms too (`extra_objective`), and `render.dream` renders style losses.

Scale-free losses. Each layer's squared error is divided by its target's mean square (a relative error), so a
layer counts by its weight and not by the size of its activations, the style loss of a fresh noise image is
about 1 whatever the network, and content_weight / style_weight read as the ratio alpha / beta of the paper.
Style targets are the blend-weighted averages of the style images' first and second moments (the statistics of
the mixture), so two identical styles with any blend weights are exactly one style.

Defaults, chosen by looking at renders of the default vgg16 (HED) weights (examples/style_grid.png,
examples/style_starry_night.jpg): content at block4_conv2, style at block1_conv1..block5_conv1 with equal weights,
style_weight / content_weight = 10 (the face stays recognisable at 256-512 px while the strokes and palette are the
painting's; the grid shows 0.1 .. 10), Gram matrices (at equal weights "mean_cov" washed out more of the content
and gave no crisper strokes), no TV (Gatys had none; --tv-weight smooths), Adam at 0.02 per iteration in [0, 1]
pixel units from the content, 3 scales (a quarter, half, full size) of 100 iterations: the small scales lay out the
large swirls cheaply, the last adds the fine strokes. The benchmark (benchmarks/style_step.py) checks the losses
against an independent PyTorch implementation: after the same Adam iterations they agree within 0.3 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..errors import DreamreelError
from ..models.registry import Model, activations
from .objectives import Objective, Sum, TotalVariation, _pytree, static, total_variation
from .dream import Progress, deepest_layer, objective_value, octave_sizes

STYLE_LOSSES = ("gram", "mean_cov")
OPTIMIZERS = ("adam", "lbfgs")
INITS = ("content", "noise")
CONTENT_LAYER = "block4_conv2"
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
MIN_SIDE = 32  # smallest output size: VGG's block5 still sees a 2x2 map
_EPS = 1e-8


# --- statistics ----------------------------------------------------------------------------------------------------

def gram_matrix(features: jax.Array) -> jax.Array:
    """(N, h, w, C) -> (N, C, C): the uncentred second moment of the features over positions, F^T F / (h w)."""
    n, h, w, c = features.shape
    flat = features.reshape(n, h * w, c)
    return jnp.einsum("npc,npd->ncd", flat, flat) / (h * w)


def _moments(features: jax.Array) -> tuple[jax.Array, jax.Array]:
    return jnp.mean(features, axis=(1, 2)), gram_matrix(features)


@partial(jax.jit, static_argnames=("layers",))
def _stats(model: Model, image: jax.Array, layers: tuple[str, ...]):
    acts = activations(model, image[None], model.spec.deepest(layers))
    return tuple(tuple(m[0] for m in _moments(acts[name])) for name in layers)


def feature_stats(model: Model, image: np.ndarray, layers: Sequence[str]) -> dict[str, tuple[jax.Array, jax.Array]]:
    """The mean (C,) and Gram matrix (C, C) of each layer's activations for one image (H, W, 3)."""
    layers = tuple(layers)
    for name in layers:
        model.spec.layer(name)
    return dict(zip(layers, _stats(model, jnp.asarray(image, jnp.float32), layers)))


# --- the losses, as objectives -------------------------------------------------------------------------------------

def _relative_error(value: jax.Array, target: jax.Array) -> jax.Array:
    return jnp.mean(jnp.square(value - target)) / (jnp.mean(jnp.square(target)) + _EPS)


@_pytree
class StyleLoss(Objective):
    """Gatys' style loss (>= 0): per layer, the relative squared error of the Gram matrix ("gram"), or of the
    mean and the covariance ("mean_cov"), against targets computed once from the style images."""

    names: tuple[str, ...] = static()
    kind: str = static()  # "gram" | "mean_cov"
    weights: tuple  # per layer, summing to 1
    means: tuple  # per layer (C,): the style's mean activation
    grams: tuple  # per layer (C, C): the style's second moment

    label = "style"

    def __call__(self, acts):
        total = 0.0
        for name, weight, mean_t, gram_t in zip(self.names, self.weights, self.means, self.grams):
            mean, gram = _moments(acts[name])
            if self.kind == "gram":
                err = _relative_error(gram, gram_t)
            else:
                cov = gram - mean[:, :, None] * mean[:, None, :]
                cov_t = gram_t - mean_t[:, None] * mean_t[None, :]
                err = _relative_error(cov, cov_t) + _relative_error(mean, mean_t)
            total = total + weight * err
        return total

    @property
    def layers(self):
        return frozenset(self.names)

    def bind(self, spec):
        for name, mean in zip(self.names, self.means):
            if spec.layer(name).channels != mean.shape[-1]:
                raise DreamreelError(f"the style targets of {name} have {mean.shape[-1]} channels but {spec.name}'s "
                                     f"layer has {spec.layer(name).channels}: compute them with the same model")
        return self

    def describe(self):
        return f"style({self.kind}: {', '.join(self.names)})"


@_pytree
class ContentLoss(Objective):
    """Gatys' content loss (>= 0): the relative squared error of a layer's activations against the content's."""

    name: str = static()
    target: jax.Array  # (h, w, C): the content's activations at this size

    label = "content"

    def __call__(self, acts):
        features = acts[self.name]
        if features.shape[1:] != self.target.shape:
            raise DreamreelError(f"content loss at {self.name}: the image gives {features.shape[1:3]} activations "
                                 f"but the target was computed for {self.target.shape[:2]}; use an image of the "
                                 "content's size")
        return _relative_error(features, self.target[None])

    @property
    def layers(self):
        return frozenset([self.name])

    def describe(self):
        return f"content({self.name})"


def _check_choice(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise DreamreelError(f"unknown {what} {value!r}; choose one of {', '.join(allowed)}")
    return value


def _normalised(weights: Sequence[float] | None, count: int, what: str) -> tuple[float, ...]:
    weights = [1.0] * count if weights is None else [float(w) for w in weights]
    if len(weights) != count:
        raise DreamreelError(f"got {len(weights)} {what} for {count} {'item' if count == 1 else 'items'}; "
                             f"give one per item")
    if any(w < 0 or not np.isfinite(w) for w in weights) or sum(weights) <= 0:
        raise DreamreelError(f"{what} must be 0 or more and not all 0 (got {', '.join(f'{w:g}' for w in weights)})")
    total = sum(weights)
    return tuple(w / total for w in weights)


def style_loss(model: Model, styles: Sequence[np.ndarray], *, layers: Sequence[str] = STYLE_LAYERS,
               layer_weights: Sequence[float] | None = None, blend: Sequence[float] | None = None,
               loss: str = "gram") -> StyleLoss:
    """The style loss of one or more style images (H, W, 3), blended by `blend`; their statistics are taken once."""
    _check_choice(loss, STYLE_LOSSES, "style loss")
    if not len(styles):
        raise DreamreelError("a style loss needs at least one style image")
    layers = tuple(layers)
    if not layers:
        raise DreamreelError("a style loss needs at least one layer")
    layer_weights = _normalised(layer_weights, len(layers), "style layer weights")
    blend = _normalised(blend, len(styles), "style blend weights")
    means = [0.0] * len(layers)
    grams = [0.0] * len(layers)
    for weight, image in zip(blend, styles):
        stats = feature_stats(model, image, layers)
        for k, name in enumerate(layers):
            means[k] = means[k] + weight * stats[name][0]
            grams[k] = grams[k] + weight * stats[name][1]
    return StyleLoss(layers, loss, layer_weights, tuple(means), tuple(grams))


@partial(jax.jit, static_argnames=("name",))
def _features(model: Model, image: jax.Array, name: str) -> jax.Array:
    return activations(model, image[None], name)[name][0]


def content_loss(model: Model, content: np.ndarray, *, layer: str = CONTENT_LAYER) -> ContentLoss:
    """The content loss of an image (H, W, 3) at one layer: renders of the same size are compared with it."""
    model.spec.layer(layer)
    return ContentLoss(layer, _features(model, jnp.asarray(content, jnp.float32), layer))


def gatys_objective(content: Objective | None, style: Objective | None, *, content_weight: float,
                    style_weight: float, tv_weight: float, extra: Objective | None = None) -> Objective:
    """-(alpha * content + beta * style) + tv_weight * total_variation() [+ extra]: the value the optimiser raises."""
    terms = []
    if content is not None and content_weight:
        terms.append((-content_weight, content))
    if style is not None and style_weight:
        terms.append((-style_weight, style))
    if tv_weight:
        terms.append((tv_weight, total_variation()))
    if extra is not None:
        terms.append((1.0, extra))
    if not terms:
        raise DreamreelError("nothing to optimise: content, style and TV weights are all 0 and there is no other "
                             "objective; give --content-weight or --style-weight a positive value")
    return Sum.of(terms)


# --- the jitted optimiser ------------------------------------------------------------------------------------------

def _optimizer(name: str, learning_rate) -> optax.GradientTransformation:
    if name == "adam":
        return optax.adam(learning_rate)
    # L-BFGS steps are chosen by its (zoom, strong Wolfe) line search; learning_rate is unused
    return optax.lbfgs(memory_size=20, linesearch=optax.scale_by_zoom_linesearch(
        max_linesearch_steps=12, initial_guess_strategy="one"))


def init_optimizer(optimizer: str, image: jax.Array, learning_rate: float = 0.02):
    return _optimizer(optimizer, learning_rate).init(image)


def _minus(model: Model, objective: Objective):
    return lambda image: -objective_value(model, objective, image[None])


@partial(jax.jit, static_argnames=("optimizer",))
def style_steps(model, objective, image, opt_state, first, last, learning_rate, *, optimizer: str):
    """Iterations `first`..`last` of the optimiser minimising -objective, in one fori_loop.

    Adam steps are clipped to [0, 1] (projected gradient); L-BFGS runs free (clipping would corrupt its curvature
    pairs) and the caller clips between scales and at the end.
    """
    opt = _optimizer(optimizer, learning_rate)
    loss = _minus(model, objective)
    if optimizer == "adam":
        def step(i, carry):
            x, state = carry
            updates, state = opt.update(jax.grad(loss)(x), state, x)
            return jnp.clip(optax.apply_updates(x, updates), 0.0, 1.0), state
    else:
        value_and_grad = optax.value_and_grad_from_state(loss)

        def step(i, carry):
            x, state = carry
            value, grad = value_and_grad(x, state=state)
            updates, state = opt.update(grad, state, x, value=value, grad=grad, value_fn=loss)
            return optax.apply_updates(x, updates), state

    return jax.lax.fori_loop(first, last, step, (image, opt_state))


def _terms(objective: Objective) -> list[tuple[float, Objective]]:
    if isinstance(objective, Sum):
        return list(zip(objective.weights, objective.terms))
    return [(1.0, objective)]


@jax.jit
def _loss_terms(model, objective, image):
    """Each term's share of the loss (minus its weighted value), from one forward pass."""
    until = deepest_layer(model, objective)
    acts = activations(model, image[None], until) if until else {"input": image[None]}
    return jnp.stack([-weight * term(acts) for weight, term in _terms(objective)])


def _label(term: Objective) -> str:
    if isinstance(term, TotalVariation):
        return "tv"
    return getattr(term, "label", None) or term.describe()


def loss_terms(model: Model, objective: Objective, image) -> dict[str, float]:
    """{"content": ..., "style": ..., "tv": ..., other terms by description, "total": ...} of one image."""
    values = np.asarray(_loss_terms(model, objective, jnp.asarray(image, jnp.float32)))
    out: dict[str, float] = {}
    for (_, term), value in zip(_terms(objective), values):
        out[_label(term)] = out.get(_label(term), 0.0) + float(value)
    out["total"] = float(values.sum())
    return out


@dataclass(frozen=True)
class StyleProgress(Progress):
    """Progress of a style run; `octave` counts scales, and `losses` holds the loss terms of the current image."""

    losses: tuple[tuple[str, float], ...] = ()


# --- sizes, images, colours ----------------------------------------------------------------------------------------

def scale_sizes(height: int, width: int, scales: int, ratio: float, min_side: int = MIN_SIDE) -> list[tuple[int, int]]:
    """From the smallest scale to (height, width), each `ratio` times the previous; too small ones are dropped."""
    return octave_sizes(height, width, scales, ratio, min_side)


def fit_size(shape: tuple[int, ...], longer_side: int | None) -> tuple[int, int]:
    h, w = shape[:2]
    if not longer_side:
        return h, w
    factor = longer_side / max(h, w)
    return max(1, round(h * factor)), max(1, round(w * factor))


def _resized(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from ..io import resize

    image = np.asarray(image, np.float32)
    return image if image.shape[:2] == tuple(size) else resize(image, *size)


_YUV = np.array([[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]], np.float32)


def rgb_to_yuv(image: np.ndarray) -> np.ndarray:
    return np.asarray(image, np.float32) @ _YUV.T


def yuv_to_rgb(image: np.ndarray) -> np.ndarray:
    return np.asarray(image, np.float32) @ np.linalg.inv(_YUV).T.astype(np.float32)


def transfer_luminance(stylized: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Keep the content's colours: the stylized image's luminance Y with the content's chroma U, V (BT.601)."""
    content = _resized(content, stylized.shape[:2])
    yuv = rgb_to_yuv(content)
    yuv[..., 0] = rgb_to_yuv(stylized)[..., 0]
    return np.clip(yuv_to_rgb(yuv), 0.0, 1.0)


def _as_image(image, what: str) -> np.ndarray:
    image = np.asarray(image, np.float32)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise DreamreelError(f"expected the {what} as an (H, W, 3) RGB image, got shape {image.shape}")
    return image


# --- settings ------------------------------------------------------------------------------------------------------

def check_style_settings(*, content_weight: float, style_weight: float, tv_weight: float, size: int | None,
                         scales: int, scale_ratio: float, iterations: int, optimizer: str, learning_rate: float,
                         init, style_scale: float, loss: str, n_styles: int, style_blend=None,
                         has_extra: bool = False) -> None:
    """Every check that needs no weights: the CLI calls it before loading the model."""
    problems = []
    for name, value in (("content weight", content_weight), ("style weight", style_weight),
                        ("TV weight", tv_weight)):
        if value < 0 or not np.isfinite(value):
            problems.append(f"{name} must be 0 or more (got {value:g})")
    if content_weight == 0 and style_weight == 0 and not has_extra:
        problems.append("content weight and style weight are both 0: nothing to transfer "
                        "(give one of them a positive value)")
    if size is not None and size < MIN_SIDE:
        problems.append(f"size must be at least {MIN_SIDE} px (got {size})")
    if scales < 1:
        problems.append(f"scales must be at least 1 (got {scales})")
    if scale_ratio <= 1.0:
        problems.append(f"scale ratio must be greater than 1 (got {scale_ratio:g})")
    if iterations < 0:
        problems.append(f"iterations must be 0 or more (got {iterations})")
    if optimizer not in OPTIMIZERS:
        problems.append(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    if learning_rate <= 0:
        problems.append(f"learning rate must be positive (got {learning_rate:g})")
    if style_scale <= 0:
        problems.append(f"style scale must be positive (got {style_scale:g})")
    if loss not in STYLE_LOSSES:
        problems.append(f"unknown style loss {loss!r}; choose one of {', '.join(STYLE_LOSSES)}")
    if isinstance(init, (str, Path)) and str(init) not in INITS and not Path(init).is_file():
        problems.append(f"init must be {' or '.join(INITS)} or an image file; {str(init)!r} is neither")
    if style_weight > 0 and n_styles == 0:
        problems.append("the style weight is positive but no style image was given")
    if problems:
        raise DreamreelError("; ".join(problems))
    if style_weight > 0 and n_styles:
        _normalised(style_blend, n_styles, "style blend weights")


# --- the API -------------------------------------------------------------------------------------------------------

def stylize(
    content: np.ndarray | None,
    styles: Sequence[np.ndarray],
    *,
    model: Model,
    style_blend: Sequence[float] | None = None,
    content_weight: float = 1.0,
    style_weight: float = 10.0,
    tv_weight: float = 0.0,
    size: int | None = 512,
    scales: int = 3,
    scale_ratio: float = 2.0,
    iterations: int = 100,
    optimizer: str = "adam",
    learning_rate: float = 0.02,
    init: str | np.ndarray = "content",
    original_colors: bool = False,
    style_scale: float = 1.0,
    loss: str = "gram",
    content_layer: str = CONTENT_LAYER,
    style_layers: Sequence[str] = STYLE_LAYERS,
    style_layer_weights: Sequence[float] | None = None,
    extra_objective: Objective | None = None,
    output_size: tuple[int, int] | None = None,
    seed: int = 0,
    progress: Callable[[StyleProgress], None] | None = None,
) -> np.ndarray:
    """Paint `content` (H, W, 3) in the style of `styles` (each (h, w, 3), any size): Gatys et al., multi-scale.

    size: the output's longer side (None: the content's own size); scales: renders from size / scale_ratio**(scales-1)
    up to size, each initialised with the previous one upsampled; iterations: per scale; style_scale: the style
    images are resized so that their longer side is style_scale times the output's; init: "content", "noise", a file
    path or an array; extra_objective: any Objective added to the Gatys objective (e.g. a DeepDream layer);
    output_size: (H, W) to render when there is no content image (texture synthesis).
    Returns (H, W, 3) float32 RGB in [0, 1].
    """
    styles = [_as_image(s, "style image") for s in styles]
    check_style_settings(content_weight=content_weight, style_weight=style_weight, tv_weight=tv_weight, size=size,
                         scales=scales, scale_ratio=scale_ratio, iterations=iterations, optimizer=optimizer,
                         learning_rate=learning_rate, init=init if isinstance(init, (str, Path)) else "content",
                         style_scale=style_scale, loss=loss, n_styles=len(styles), style_blend=style_blend,
                         has_extra=extra_objective is not None)
    if content is None:
        if content_weight > 0:
            raise DreamreelError("the content weight is positive but no content image was given")
        if output_size is None:
            raise DreamreelError("without a content image, give output_size=(H, W)")
        if isinstance(init, str) and init == "content":
            init = "noise"
        full = tuple(output_size)
    else:
        content = _as_image(content, "content image")
        full = fit_size(content.shape, size)
    for name in (*style_layers, content_layer):
        model.spec.layer(name)
    if extra_objective is not None:
        extra_objective = extra_objective.bind(model.spec)
    deepest = model.spec.deepest([*style_layers, content_layer])
    sizes = scale_sizes(*full, scales, scale_ratio, max(16, 2 * model.spec.layer(deepest).stride))
    key = jax.random.PRNGKey(seed)
    use_style = style_weight > 0

    image = None
    for index, (h, w) in enumerate(sizes, start=1):
        scaled_content = _resized(content, (h, w)) if content is not None else None
        if image is None:
            image = _initial_image(init, scaled_content, (h, w), key)
        else:
            image = _resized(np.clip(image, 0.0, 1.0), (h, w))
        c_loss = content_loss(model, scaled_content, layer=content_layer) \
            if content_weight > 0 and content is not None else None
        s_loss = None
        if use_style:
            side = max(1, round(style_scale * max(h, w)))
            scaled_styles = [_resized(s, fit_size(s.shape, max(side, MIN_SIDE))) for s in styles]
            s_loss = style_loss(model, scaled_styles, layers=style_layers, layer_weights=style_layer_weights,
                                blend=style_blend, loss=loss)
        objective = gatys_objective(c_loss, s_loss, content_weight=content_weight, style_weight=style_weight,
                                    tv_weight=tv_weight, extra=extra_objective)
        image = _run_scale(model, objective, jnp.asarray(image, jnp.float32), optimizer=optimizer,
                           learning_rate=learning_rate, iterations=iterations, progress=progress,
                           scale=index, scales=len(sizes))
    result = np.clip(np.asarray(image), 0.0, 1.0)
    if original_colors and content is not None:
        result = transfer_luminance(result, content)
    return result


def _initial_image(init, content: np.ndarray | None, size: tuple[int, int], key) -> np.ndarray:
    if isinstance(init, np.ndarray) or (not isinstance(init, (str, Path)) and init is not None):
        return _resized(_as_image(init, "init image"), size)
    if str(init) == "content":
        return content
    if str(init) == "noise":
        noise = 0.5 + 0.1 * jax.random.normal(key, (*size, 3))
        return np.clip(np.asarray(noise, np.float32), 0.0, 1.0)
    from ..io import read_image

    return _resized(read_image(init), size)


def _run_scale(model, objective, image, *, optimizer, learning_rate, iterations, progress, scale, scales):
    state = init_optimizer(optimizer, image, learning_rate)
    chunk = max(1, min(10, iterations)) if progress else max(iterations, 1)
    size = tuple(image.shape[:2])
    report = partial(StyleProgress, stage="style", octave=scale, octaves=scales, steps=iterations, size=size)
    if progress:
        progress(report(step=0, image=image, losses=tuple(loss_terms(model, objective, image).items())))
    for first in range(0, iterations, chunk):
        last = min(first + chunk, iterations)
        image, state = style_steps(model, objective, image, state, first, last, learning_rate, optimizer=optimizer)
        if progress:
            shown = jnp.clip(image, 0.0, 1.0)
            progress(report(step=last, image=shown, losses=tuple(loss_terms(model, objective, shown).items())))
    return jnp.clip(image, 0.0, 1.0)


def reconstruct_content(content: np.ndarray, *, model: Model, layer: str = CONTENT_LAYER, **kwargs) -> np.ndarray:
    """What one layer keeps of a photo: the content loss alone, optimised from noise (Gatys et al., fig. 1)."""
    kwargs.setdefault("init", "noise")
    return stylize(content, [], model=model, content_layer=layer, content_weight=1.0, style_weight=0.0, **kwargs)


def synthesize_texture(styles: Sequence[np.ndarray], *, model: Model, size: int = 512,
                       **kwargs) -> np.ndarray:
    """Texture synthesis: the style loss alone, from noise, at the first style's aspect ratio (longer side `size`)."""
    if not len(styles):
        raise DreamreelError("texture synthesis needs at least one style image")
    first = _as_image(styles[0], "style image")
    kwargs.setdefault("init", "noise")
    return stylize(None, styles, model=model, content_weight=0.0, style_weight=kwargs.pop("style_weight", 1.0),
                   size=size, output_size=fit_size(first.shape, size), **kwargs)
