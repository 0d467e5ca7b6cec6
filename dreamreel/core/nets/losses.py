"""The losses a network learns a look from: the look's own loss (no slow targets), plus temporal and keyframe terms.

style_look(model, paintings, *, content_layer, style_layers, ...) -> StyleLook   painting statistics taken once
dream_look(model, objective, *, closeness_weight, strength=0.0, objective_weight=1.0) -> DreamLook
look_terms(model, look, outputs (N, H, W, 3), inputs (N, H, W, 3)) -> {term: scalar}   unweighted
look_total(look, terms) -> scalar                                                        the weighted sum
temporal_term(outputs_next, outputs_prev, flow (N, H, W, 2), mask (N, H, W)) -> scalar
keyframe_term(outputs, targets) -> scalar
feature_term(model, look, outputs (K, H, W, 3), targets (K, H, W, 3)) -> scalar   Gram statistics, per image

A style look is Johnson et al.'s perceptual loss with the optimiser's own terms: the Gatys style loss of the output
against the painting's Gram statistics (a StyleLoss: computed once, pytree leaves) and the content loss against the
*input's own* features at the content layer (computed inside the step from the batch, without a gradient), so
every frame or photo is a training example and no optimiser output is needed. Weights are the recipe's.

A dream look: the dream objective's relative gain over the input, -(f(out) - f(in)) / |f(in)| (0 for the identity,
negative as the dream grows; relative, so the weight below does not depend on the layer's activation scale), plus
closeness_weight times the mean squared change of the pixels, which stands in for the optimiser's few small steps;
with a strength (a network that holds it, NetConfig.strength) the change is fixed and the objective alone decides
what the network dreams. Alone, the objective is a trap: the small network finds a far stronger maximiser than the
optimiser's few small steps reach (one stamped motif: issue 16), so a dream is best learned from the optimiser's
own outputs on keyframes (feature_term) with the objective capped at the optimiser's own gain (max_gain): raised
that far, no further, while the feature term decides what the dream looks like.

Feature term: each output's Gatys style loss against *its own target's* statistics (Gram matrices at the model's
style layers down to the look's deepest, and at the look's layers; relative squared error, averaged over layers and
images): bounded below by 0 at the optimiser's output (unlike the objective) and blind to where exactly a dot falls,
which pixels cannot predict (an L1 or plain feature distance to the target only learns a tone shift: issue 16).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ...errors import DreamreelError
from ...models.registry import Model, activations
from ..transforms import follow
from ..objectives import ContentLoss, Objective, StyleLoss, style_loss, total_variation
from ..objectives.base import static
from ..objectives.style import content_layer_of, gram_matrix, relative_error

_EPS = 1e-8


def _pytree(cls):
    return jax.tree_util.register_dataclass(dataclass(frozen=True)(cls))


@_pytree
class StyleLook:
    """Gatys' style transfer as a training loss: content_weight * content + style_weight * style + tv_weight * TV."""

    style: StyleLoss
    content_layer: str = static()
    content_weight: float = 1.0
    style_weight: float = 10.0
    tv_weight: float = 0.0

    @property
    def layers(self) -> tuple[str, ...]:
        return (*self.style.names, self.content_layer)


@_pytree
class DreamLook:
    """A dream as a training loss: minus the objective's relative gain + closeness_weight * mean squared change."""

    objective: Objective
    closeness_weight: float = 1.0
    objective_weight: float = static(default=1.0)  # static: at 0 the objective's VGG passes are not traced at all
    max_gain: float = 0.0  # > 0: the objective's relative gain counts only up to this (the optimiser's own gain)
    strength: float = static(default=0.0)  # the mean |change| a network of this look holds (0: free)

    @property
    def layers(self) -> tuple[str, ...]:
        return tuple(self.objective.layers - {"input"})


def style_look(model: Model, paintings: Sequence[np.ndarray], *, content_layer: str | None = None,
               style_layers: Sequence[str] | None = None, content_weight: float = 1.0, style_weight: float = 10.0,
               tv_weight: float = 0.0, blend: Sequence[float] | None = None, loss: str = "gram") -> StyleLook:
    """The look of painting(s) (each (H, W, 3), already at the scale the network will see them); layers default
    to the model's content and style layers."""
    content_layer = content_layer_of(model, content_layer)
    for name, value in (("content weight", content_weight), ("style weight", style_weight),
                        ("TV weight", tv_weight)):
        if value < 0 or not np.isfinite(value):
            raise DreamreelError(f"{name} must be 0 or more (got {value:g})")
    if style_weight == 0:
        raise DreamreelError("a style look needs a positive style weight")
    style = style_loss(model, paintings, layers=style_layers, blend=blend, loss=loss)
    return StyleLook(style, content_layer, float(content_weight), float(style_weight), float(tv_weight))


def dream_look(model: Model, objective: Objective, *, closeness_weight: float = 1.0, strength: float = 0.0,
               objective_weight: float = 1.0) -> DreamLook:
    for name, value in (("closeness weight", closeness_weight), ("objective weight", objective_weight)):
        if value < 0 or not np.isfinite(value):
            raise DreamreelError(f"{name} must be 0 or more (got {value:g})")
    if not 0.0 <= strength < 1.0:
        raise DreamreelError(f"a dream's strength must be in [0, 1) (got {strength:g})")
    objective = objective.bind(model.spec)
    if not objective.layers - {"input"}:
        raise DreamreelError(f"the dream objective {objective.describe()} reads no layer: nothing to learn")
    return DreamLook(objective, closeness_weight=float(closeness_weight), objective_weight=float(objective_weight),
                     strength=float(strength))


def _content(name: str, outputs_features: jax.Array, inputs_features: jax.Array) -> jax.Array:
    """The mean over the batch of each image's Gatys content loss against its own input's features."""
    per_image = jax.vmap(lambda f, t: ContentLoss(name, t)({name: f[None]}))(outputs_features, inputs_features)
    return jnp.mean(per_image)


def look_terms(model: Model, look, outputs: jax.Array, inputs: jax.Array) -> dict[str, jax.Array]:
    """The look's loss terms (unweighted) for network outputs and their inputs, both (N, H, W, 3) in [0, 1]."""
    if isinstance(look, StyleLook):
        acts = activations(model, outputs, model.spec.deepest(look.layers))
        target = jax.lax.stop_gradient(activations(model, inputs, look.content_layer)[look.content_layer])
        return {"content": _content(look.content_layer, acts[look.content_layer], target),
                "style": look.style(acts),
                "tv": -total_variation()({"input": outputs})}
    if isinstance(look, DreamLook):
        terms = {"closeness": jnp.mean(jnp.square(outputs - inputs))}
        if not look.objective_weight:
            return terms
        until = model.spec.deepest(look.layers)
        gained = look.objective(activations(model, outputs, until))
        before = jax.lax.stop_gradient(look.objective(activations(model, inputs, until)))
        gain = (gained - before) / (jnp.abs(before) + _EPS)
        return {"dream": -jnp.where(look.max_gain > 0, jnp.minimum(gain, look.max_gain), gain), **terms}
    raise DreamreelError(f"unknown look {type(look).__name__}; expected a StyleLook or a DreamLook")


def look_total(look, terms: dict[str, jax.Array]) -> jax.Array:
    if isinstance(look, StyleLook):
        return look.content_weight * terms["content"] + look.style_weight * terms["style"] + look.tv_weight * terms["tv"]
    dream = look.objective_weight * terms["dream"] if look.objective_weight else 0.0
    return dream + look.closeness_weight * terms["closeness"]


def temporal_term(outputs_next: jax.Array, outputs_prev: jax.Array, flow: jax.Array, mask: jax.Array) -> jax.Array:
    """Mean squared difference of o_next and warp(o_prev, flow) over reliable pixels (mask (N, H, W) in {0, 1})."""
    warped = follow(outputs_prev, flow)
    squared = jnp.mean(jnp.square(outputs_next - warped), axis=-1)
    return jnp.sum(mask * squared) / (jnp.sum(mask) + _EPS)


def keyframe_term(outputs: jax.Array, targets: jax.Array) -> jax.Array:
    """Mean absolute distance to the optimiser's own output on keyframes (L1: blurs strokes less than L2)."""
    return jnp.mean(jnp.abs(outputs - targets))


def feature_term(model: Model, look, outputs: jax.Array, targets: jax.Array) -> jax.Array:
    """The Gatys style loss of each output against its own target's statistics (Gram matrices at the model's style
    layers no deeper than the look's, and at the look's own layers), mean over the batch."""
    spec = model.spec
    deepest = spec.deepest(look.layers)
    names = tuple(dict.fromkeys([*(n for n in spec.style_layers if spec.deepest((n, deepest)) == deepest),
                                 *look.layers]))
    ours = activations(model, outputs, deepest)
    theirs = activations(model, jax.lax.stop_gradient(targets), deepest)
    per_layer = [jax.vmap(relative_error)(gram_matrix(ours[n]), jax.lax.stop_gradient(gram_matrix(theirs[n])))
                 for n in names]
    return jnp.mean(jnp.stack(per_layer))
