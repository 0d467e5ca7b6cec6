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

from .errors import DreamreelError

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
