"""Gatys' style and content losses as objectives, and the statistics they compare.

gram_matrix(features (N, h, w, C)) -> (N, C, C)        F^T F / (h w)
feature_stats(model, image (H, W, 3), layers) -> {layer: (mean (C,), gram (C, C))}
style_loss(model, styles, *, layers=spec.style_layers, layer_weights, blend, loss) -> StyleLoss   targets taken once
content_loss(model, content (H, W, 3), *, layer=spec.content_layer) -> ContentLoss               target taken once
gatys_objective(content, style, *, content_weight, style_weight, tv_weight, extra) -> Objective
loss_terms(model, objective, image (H, W, 3)) -> {"content": .., "style": .., "tv": .., ..., "total": ..}

Sign convention. ContentLoss and StyleLoss evaluate to a *loss*: >= 0, zero at their target. Objectives are
maximised, so losses enter with negative weights and compose with DeepDream terms as they read:

    layer("block4_conv3") - 1e3 * style_loss(model, [starry])      # dream, painted in Van Gogh's statistics

Scale-free losses. Each layer's squared error is divided by its target's mean square (a relative error), so a
layer counts by its weight and not by the size of its activations, the style loss of a fresh noise image is about
1 whatever the network, and content_weight / style_weight read as the ratio alpha / beta of the paper. Style
targets are the blend-weighted averages of the style images' first and second moments (the statistics of the
mixture), so two identical styles with any blend weights are exactly one style.
"""

from __future__ import annotations

from functools import partial
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ...errors import DreamreelError
from ...models.registry import Model, activations
from .base import Objective, Sum, objective_acts, pytree_dataclass, static, weighted_terms
from .smoothness import total_variation

STYLE_LOSSES = ("gram", "mean_cov")
EPS = 1e-8


def gram_matrix(features: jax.Array) -> jax.Array:
    """(N, h, w, C) -> (N, C, C): the uncentred second moment of the features over positions, F^T F / (h w)."""
    n, h, w, c = features.shape
    flat = features.reshape(n, h * w, c)
    return jnp.einsum("npc,npd->ncd", flat, flat) / (h * w)


def moments(features: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(N, h, w, C) -> mean (N, C), Gram matrix (N, C, C)."""
    return jnp.mean(features, axis=(1, 2)), gram_matrix(features)


@partial(jax.jit, static_argnames=("layers",))
def _stats(model: Model, image: jax.Array, layers: tuple[str, ...]):
    acts = activations(model, image[None], model.spec.deepest(layers))
    return tuple(tuple(m[0] for m in moments(acts[name])) for name in layers)


def feature_stats(model: Model, image, layers: Sequence[str]) -> dict[str, tuple[jax.Array, jax.Array]]:
    """The mean (C,) and Gram matrix (C, C) of each layer's activations for one image (H, W, 3)."""
    layers = tuple(layers)
    for name in layers:
        model.spec.layer(name)
    return dict(zip(layers, _stats(model, jnp.asarray(image, jnp.float32), layers)))


def relative_error(value: jax.Array, target: jax.Array) -> jax.Array:
    return jnp.mean(jnp.square(value - target)) / (jnp.mean(jnp.square(target)) + EPS)


@pytree_dataclass
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
            mean, gram = moments(acts[name])
            if self.kind == "gram":
                err = relative_error(gram, gram_t)
            else:
                cov = gram - mean[:, :, None] * mean[:, None, :]
                cov_t = gram_t - mean_t[:, None] * mean_t[None, :]
                err = relative_error(cov, cov_t) + relative_error(mean, mean_t)
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


@pytree_dataclass
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
        return relative_error(features, self.target[None])

    @property
    def layers(self):
        return frozenset([self.name])

    def describe(self):
        return f"content({self.name})"


def normalised(weights: Sequence[float] | None, count: int, what: str) -> tuple[float, ...]:
    """`count` weights (None: equal) scaled to sum to 1; negative, non-finite or all-zero weights are refused."""
    weights = [1.0] * count if weights is None else [float(w) for w in weights]
    if len(weights) != count:
        raise DreamreelError(f"got {len(weights)} {what} for {count} {'item' if count == 1 else 'items'}; "
                             f"give one per item")
    if any(w < 0 or not np.isfinite(w) for w in weights) or sum(weights) <= 0:
        raise DreamreelError(f"{what} must be 0 or more and not all 0 (got {', '.join(f'{w:g}' for w in weights)})")
    total = sum(weights)
    return tuple(w / total for w in weights)


def style_layers_of(model: Model, layers: Sequence[str] | None) -> tuple[str, ...]:
    layers = tuple(layers or model.spec.style_layers)
    if not layers:
        raise DreamreelError(f"model {model.spec.name!r} names no style layers; give the layers to compare")
    for name in layers:
        model.spec.layer(name)
    return layers


def content_layer_of(model: Model, layer: str | None) -> str:
    layer = layer or model.spec.content_layer
    if not layer:
        raise DreamreelError(f"model {model.spec.name!r} names no content layer; give the layer to compare")
    model.spec.layer(layer)
    return layer


def style_loss(model: Model, styles: Sequence, *, layers: Sequence[str] | None = None,
               layer_weights: Sequence[float] | None = None, blend: Sequence[float] | None = None,
               loss: str = "gram") -> StyleLoss:
    """The style loss of one or more style images (H, W, 3), blended by `blend`; their statistics are taken once.
    layers: None takes the model's style layers."""
    if loss not in STYLE_LOSSES:
        raise DreamreelError(f"unknown style loss {loss!r}; choose one of {', '.join(STYLE_LOSSES)}")
    if not len(styles):
        raise DreamreelError("a style loss needs at least one style image")
    layers = style_layers_of(model, layers)
    layer_weights = normalised(layer_weights, len(layers), "style layer weights")
    blend = normalised(blend, len(styles), "style blend weights")
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


def content_loss(model: Model, content, *, layer: str | None = None) -> ContentLoss:
    """The content loss of an image (H, W, 3) at one layer (None: the model's content layer); renders of the same
    size are compared with it."""
    layer = content_layer_of(model, layer)
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
                             "objective; give the content weight or the style weight a positive value")
    return Sum.of(terms)


@jax.jit
def _loss_terms(model, objective, image):
    """Each term's share of the loss (minus its weighted value), from one forward pass."""
    acts = objective_acts(model, objective, image[None])
    return jnp.stack([-weight * term(acts) for weight, term in weighted_terms(objective)])


def loss_terms(model: Model, objective: Objective, image) -> dict[str, float]:
    """{"content": ..., "style": ..., "tv": ..., other terms by description, "total": ...} of one image."""
    values = np.asarray(_loss_terms(model, objective, jnp.asarray(image, jnp.float32)))
    out: dict[str, float] = {}
    for (_, term), value in zip(weighted_terms(objective), values):
        name = getattr(term, "label", None) or term.describe()
        out[name] = out.get(name, 0.0) + float(value)
    out["total"] = float(values.sum())
    return out
