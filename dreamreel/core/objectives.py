"""The objective algebra: values to maximise, built from small factories and composed with + - * and unary -.

objective(acts) -> scalar      acts = {"input": (N, H, W, 3) RGB [0, 1], layer name: (N, h, w, C)}
objective.layers -> frozenset  the layers it reads (the forward pass stops at the deepest one)
objective.bind(spec) -> Objective   checks layer names and channel ranges against a model, resolves class labels
objective.describe() -> str

    obj = 0.7 * layer("block4_conv3") - 0.3 * channel("block5_conv1", 12)

Objectives are pytrees: numeric data (weights, targets such as guide features) are leaves, names and indices are
static, so an objective enters jit as an argument and a new weight does not re-trace.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Sequence

import jax
import jax.numpy as jnp

from ..errors import DreamreelError

REDUCTIONS = ("mean_square", "mean", "mean_abs")


def static(**kwargs):
    return field(metadata=dict(static=True), **kwargs)


def _pytree(cls):
    return jax.tree_util.register_dataclass(dataclass(frozen=True)(cls))


class Objective:
    """Base: subclasses are frozen pytree dataclasses with `__call__(acts)`, `layers` and `describe()`."""

    @property
    def layers(self) -> frozenset[str]:
        return frozenset()

    @property
    def spatial(self) -> bool:
        """True when the objective compares positions with a target image: it must see the whole image."""
        return False

    def bind(self, spec) -> "Objective":
        for name in self.layers:
            spec.layer(name)
        return self

    def describe(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"Objective({self.describe()})"

    def __add__(self, other):
        if isinstance(other, (int, float)) and other == 0:
            return self  # lets sum() start from 0
        return Sum.of([(1.0, self), (1.0, _as_objective(other))])

    __radd__ = __add__

    def __sub__(self, other):
        return self + (-1.0) * _as_objective(other)

    def __rsub__(self, other):
        return _as_objective(other) + (-1.0) * self

    def __mul__(self, weight):
        if not isinstance(weight, (int, float)):
            return NotImplemented
        return Sum.of([(float(weight), self)])

    __rmul__ = __mul__

    def __neg__(self):
        return (-1.0) * self

    def __truediv__(self, weight):
        return self * (1.0 / weight)


def _as_objective(value) -> Objective:
    if not isinstance(value, Objective):
        raise TypeError(f"cannot combine an objective with {type(value).__name__}")
    return value


@_pytree
class Sum(Objective):
    """A weighted sum of objectives; weights are leaves so that animations can change them without re-tracing."""

    terms: tuple
    weights: tuple

    @staticmethod
    def of(pairs) -> "Sum":
        terms, weights = [], []
        for weight, term in pairs:
            if isinstance(term, Sum):  # flatten nested sums: a + b + c has three terms
                terms += term.terms
                weights += [weight * w for w in term.weights]
            else:
                terms.append(term)
                weights.append(weight)
        return Sum(tuple(terms), tuple(weights))

    def __call__(self, acts):
        return sum(w * term(acts) for w, term in zip(self.weights, self.terms))

    @property
    def layers(self):
        return frozenset().union(*(term.layers for term in self.terms))

    @property
    def spatial(self):
        return any(term.spatial for term in self.terms)

    def bind(self, spec):
        return Sum(tuple(term.bind(spec) for term in self.terms), self.weights)

    def describe(self):
        parts = []
        for w, term in zip(self.weights, self.terms):
            w = float(w)
            sign = "-" if w < 0 else "+"
            scale = "" if abs(w) == 1.0 else f"{abs(w):g}*"
            parts.append(f"{sign} {scale}{term.describe()}")
        text = " ".join(parts)
        return text[2:] if text.startswith("+ ") else text


def _reduce(values: jax.Array, how: str) -> jax.Array:
    if how == "mean_square":
        return jnp.mean(jnp.square(values))
    if how == "mean":
        return jnp.mean(values)
    return jnp.mean(jnp.abs(values))


def _check_reduce(how: str) -> str:
    if how not in REDUCTIONS:
        raise DreamreelError(f"unknown reduction {how!r}; choose one of {', '.join(REDUCTIONS)}")
    return how


@_pytree
class LayerObjective(Objective):
    """A layer's activations, all channels: mean of squares (DeepDream's L2) or plain mean."""

    name: str = static()
    reduce: str = static(default="mean_square")

    def __call__(self, acts):
        return _reduce(acts[self.name], self.reduce)

    @property
    def layers(self):
        return frozenset([self.name])

    def describe(self):
        suffix = "" if self.reduce == "mean_square" else f", {self.reduce}"
        return f"layer({self.name}{suffix})"


@_pytree
class ChannelObjective(Objective):
    """Chosen channels ("maplist") of a layer."""

    name: str = static()
    channels: tuple[int, ...] = static()
    reduce: str = static(default="mean")

    def __call__(self, acts):
        return _reduce(acts[self.name][..., jnp.asarray(self.channels)], self.reduce)

    @property
    def layers(self):
        return frozenset([self.name])

    def bind(self, spec):
        available = spec.layer(self.name).channels
        bad = [c for c in self.channels if not 0 <= c < available]
        if bad:
            raise DreamreelError(
                f"layer {self.name} of {spec.name} has channels 0..{available - 1}; got {', '.join(map(str, bad))}"
            )
        return self

    def describe(self):
        chans = ",".join(map(str, self.channels))
        return f"channel({self.name}, {chans})"


@_pytree
class NeuronObjective(Objective):
    """One unit: a channel at one position (by default the centre) of a layer."""

    name: str = static()
    channel: int = static()
    x: int | None = static(default=None)
    y: int | None = static(default=None)

    def __call__(self, acts):
        a = acts[self.name]
        y = a.shape[1] // 2 if self.y is None else self.y
        x = a.shape[2] // 2 if self.x is None else self.x
        return jnp.mean(a[:, y, x, self.channel])

    @property
    def layers(self):
        return frozenset([self.name])

    def bind(self, spec):
        ChannelObjective(self.name, (self.channel,)).bind(spec)
        return self

    def describe(self):
        where = "" if self.x is None and self.y is None else f", x={self.x}, y={self.y}"
        return f"neuron({self.name}, {self.channel}{where})"


@_pytree
class TotalVariation(Objective):
    """Minus the mean squared difference of neighbouring pixels: added with a weight, it smooths."""

    def __call__(self, acts):
        x = acts["input"]
        dy = jnp.diff(x, axis=1)
        dx = jnp.diff(x, axis=2)
        return -(jnp.mean(jnp.square(dy)) + jnp.mean(jnp.square(dx)))

    def describe(self):
        return "tv()"


def layer(name: str, reduce: str = "mean_square") -> Objective:
    return LayerObjective(name, _check_reduce(reduce))


def channel(name: str, channels: int | Sequence[int], reduce: str = "mean") -> Objective:
    channels = (channels,) if isinstance(channels, int) else tuple(int(c) for c in channels)
    if not channels:
        raise DreamreelError(f"channel({name}) needs at least one channel index")
    return ChannelObjective(name, channels, _check_reduce(reduce))


def neuron(name: str, channel: int, x: int | None = None, y: int | None = None) -> Objective:
    return NeuronObjective(name, int(channel), x, y)


def total_variation() -> Objective:
    return TotalVariation()


def layers_sum(names: Sequence[str], reduce: str = "mean_square") -> Objective:
    """The classic multi-layer dream: the layers' objectives, summed with equal weights."""
    return sum((layer(name, reduce) for name in names), 0)


def parse_objective(text: str) -> Objective:
    """The command line's objective spec: terms joined by '+', each `[weight*]layer[:ch,ch,...]`.

    "block4_conv3"  "block4_conv3+0.5*block5_conv1"  "block5_conv1:12,40"  "-0.2*block3_conv1"
    """
    terms = []
    for raw in text.replace("-", "+-").split("+"):
        raw = raw.strip()
        if not raw:
            continue
        weight = 1.0
        if raw.startswith("-"):
            weight, raw = -1.0, raw[1:].strip()
        if "*" in raw:
            factor, raw = raw.split("*", 1)
            try:
                weight *= float(factor)
            except ValueError:
                raise DreamreelError(f"bad weight {factor!r} in objective {text!r}") from None
        name, _, chans = raw.partition(":")
        if not name.strip():
            raise DreamreelError(f"empty layer name in objective {text!r}")
        if chans:
            try:
                term = channel(name.strip(), [int(c) for c in chans.split(",") if c.strip()])
            except ValueError:
                raise DreamreelError(f"bad channel list {chans!r} in objective {text!r}") from None
        else:
            term = layer(name.strip())
        terms.append((weight, term))
    if not terms:
        raise DreamreelError(f"empty objective {text!r}")
    return Sum.of(terms)


# --- guides: steer a dream towards (or, negated, away from) what a guide image shows ------------------------

GUIDE_LOSSES = ("dot", "l1", "l2")


def _resize_to(target: jax.Array, like: jax.Array) -> jax.Array:
    """Guide features (or pixels) of shape (h, w, C) resized to the spatial size of `like` (N, h', w', C)."""
    if target.shape[:2] == like.shape[1:3]:
        return target[None]
    return jax.image.resize(target, (*like.shape[1:3], target.shape[-1]), "linear")[None]


def _similarity(x: jax.Array, target: jax.Array, loss: str) -> jax.Array:
    """Larger is closer: dot product, or minus the mean L1 / L2 distance."""
    if loss == "dot":
        return jnp.mean(x * target)
    if loss == "l1":
        d = x - target
        return -jnp.mean(jnp.where(d == 0, 0.0, jnp.abs(d)))  # a zero subgradient where they already agree
    return -jnp.mean(jnp.square(x - target))


@_pytree
class GuideObjective(Objective):
    """Similarity of a layer's activations to the guide's, position by position (the guide's features are
    resized to the dream's size): dot product, or minus the L1 or L2 distance. Negate it to dream away."""

    target: jax.Array  # the guide's activations at this layer, (h, w, C)
    name: str = static()
    loss: str = static(default="dot")

    def __call__(self, acts):
        x = acts[self.name]
        return _similarity(x, _resize_to(self.target, x), self.loss)

    @property
    def layers(self):
        return frozenset([self.name])

    def bind(self, spec):
        channels = spec.layer(self.name).channels
        if self.target.shape[-1] != channels:
            raise DreamreelError(f"guide features have {self.target.shape[-1]} channels; {self.name} has {channels}")
        return self

    @property
    def spatial(self):
        return True

    def describe(self):
        return f"guide({self.name}, {self.loss})"


@_pytree
class PixelObjective(Objective):
    """Similarity of the dream's pixels to a target image (minus mean L1 or L2 difference; or dot)."""

    target: jax.Array  # (H, W, 3) RGB in [0, 1]
    loss: str = static(default="l2")

    def __call__(self, acts):
        x = acts["input"]
        return _similarity(x, _resize_to(self.target, x), self.loss)

    @property
    def spatial(self):
        return True

    def describe(self):
        return f"pixels({self.loss})"


@_pytree
class GuideMatchObjective(Objective):
    """The original DeepDream notebook's guide: every position of the dream is pulled towards the guide feature
    vector it already matches best (max over the guide's positions of the dot product). Size-independent."""

    target: jax.Array  # the guide's activations flattened to (positions, C)
    name: str = static()

    def __call__(self, acts):
        x = acts[self.name]
        scores = x.reshape(-1, x.shape[-1]) @ self.target.T  # (dream positions, guide positions)
        return jnp.mean(jnp.max(scores, axis=1))

    @property
    def layers(self):
        return frozenset([self.name])

    def describe(self):
        return f"guide_match({self.name})"


@_pytree
class WeightedChannels(Objective):
    """A layer's channels weighted one by one (weights are leaves, so new weights do not re-trace):
    sum_c w_c * reduce(a_c). Weights (C,) apply to every image; (N, C) give each image of a batch its own."""

    weights: jax.Array
    name: str = static()
    reduce: str = static(default="mean_square")
    label: str = static(default="weights")

    def __call__(self, acts):
        a = acts[self.name]
        values = jnp.square(a) if self.reduce == "mean_square" else a
        per_channel = jnp.mean(values, axis=(1, 2))  # (N, C)
        if self.weights.ndim == 1:
            per_channel = jnp.mean(per_channel, axis=0)
        return jnp.sum(self.weights * per_channel)

    @property
    def layers(self):
        return frozenset([self.name])

    def bind(self, spec):
        channels = spec.layer(self.name).channels
        if self.weights.shape[-1] != channels:
            raise DreamreelError(f"{self.name} has {channels} channels; got {self.weights.shape[-1]} weights")
        return self

    def describe(self):
        return f"channels({self.name}, {self.label})"


def channel_weights(name: str, weights, reduce: str = "mean_square", label: str = "weights") -> Objective:
    return WeightedChannels(jnp.asarray(weights, jnp.float32), name, _check_reduce(reduce), label)


def _check_guide_loss(loss: str) -> str:
    if loss not in GUIDE_LOSSES:
        raise DreamreelError(f"unknown guide loss {loss!r}; choose one of {', '.join(GUIDE_LOSSES)}")
    return loss


def guide(name: str, guide_acts: dict, loss: str = "dot") -> Objective:
    """Towards the guide's features at layer `name`; `guide_acts` = activations(model, guide[None], name)."""
    return GuideObjective(jnp.asarray(guide_acts[name][0]), name, _check_guide_loss(loss))


def guide_match(name: str, guide_acts: dict) -> Objective:
    a = jnp.asarray(guide_acts[name][0])
    return GuideMatchObjective(a.reshape(-1, a.shape[-1]), name)


def pixels(target, loss: str = "l2") -> Objective:
    target = jnp.asarray(target, jnp.float32)
    if target.ndim != 3 or target.shape[-1] != 3:
        raise DreamreelError(f"a pixel target must be an (H, W, 3) image, got shape {target.shape}")
    return PixelObjective(target, _check_guide_loss(loss))


def guide_channel_weights(names: Sequence[str], guide_acts: dict) -> Objective:
    """Guided dream by channel weights: each layer's channels weighted by the guide's share of activation,
    normalised to sum to one per layer, so the dream grows the patterns the guide shows."""
    terms = []
    for name in names:
        sums = jnp.sum(guide_acts[name][0], axis=(0, 1))
        terms.append(channel_weights(name, sums / (jnp.sum(sums) + 1e-12), label="guide"))
    return sum(terms, 0)


def batch_channels(name: str, batch_acts: dict, count: int = 8, most: bool = True) -> Objective:
    """The `count` channels of a layer most (or least) activated, on average, by a batch of images."""
    means = jnp.mean(batch_acts[name], axis=(0, 1, 2))
    order = jnp.argsort(means)
    picked = order[::-1][:count] if most else order[:count]
    return channel(name, [int(c) for c in picked])


def class_logit(label: str | int, layer_name: str = "softmax2_pre_activation") -> Objective:
    """A class of a classifier head, by label or index (resolved against the model's labels on bind)."""
    return ClassObjective(str(label), layer_name)


@_pytree
class ClassObjective(Objective):
    label: str = static()
    name: str = static(default="softmax2_pre_activation")
    index: int = static(default=-1)

    def __call__(self, acts):
        logits = acts[self.name]
        return jnp.mean(logits.reshape(logits.shape[0], -1, logits.shape[-1])[..., self.index])

    @property
    def layers(self):
        return frozenset([self.name])

    def bind(self, spec):
        spec.layer(self.name)
        return ClassObjective(self.label, self.name, spec.label_index(self.label))

    def describe(self):
        return f"class({self.label})"


@_pytree
class TemporalObjective(Objective):
    """Minus the mask-weighted mean squared difference to a target image (the previous output warped into this
    frame): holds pixels whose motion is reliable to where they were. Mask and target are leaves."""

    target: jax.Array  # (H, W, 3)
    mask: jax.Array  # (H, W), 1 where the target can be trusted

    def __call__(self, acts):
        x = acts["input"]
        weights = self.mask[None, ..., None]
        return -jnp.sum(weights * jnp.square(x - self.target[None])) / (3.0 * x.shape[0] * self.mask.size)

    @property
    def spatial(self):
        return True

    def describe(self):
        return "temporal()"


def temporal(target, mask) -> Objective:
    target, mask = jnp.asarray(target, jnp.float32), jnp.asarray(mask, jnp.float32)
    if target.shape[:2] != mask.shape:
        raise DreamreelError(f"a temporal target {target.shape[:2]} and its mask {mask.shape} must have one size")
    return TemporalObjective(target, mask)
