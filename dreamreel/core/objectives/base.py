"""The objective algebra: values to maximise, composed with + - * / and unary minus.

objective(acts) -> scalar        acts = {"input": (N, H, W, 3) RGB [0, 1], layer name: (N, h, w, C)}
objective.layers -> frozenset    the layers it reads (the forward pass stops at the deepest one)
objective.bind(spec) -> Objective   checks layer names and channels against a model, resolves model defaults
objective.describe() -> str
objective_value(model, objective, images (N, H, W, 3)) -> scalar   runs the model only as deep as needed
deepest_layer(model, objective) -> layer name | None

    obj = 0.7 * layer("block4_conv3") - 0.3 * channel("block5_conv1", 12)

Objectives are pytrees (`pytree_dataclass`): numeric data (weights, targets such as guide features) are leaves,
names and indices are static, so an objective enters jit as an argument and a new weight does not re-trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp

from ...errors import DreamreelError
from ...models.registry import Model, activations

REDUCTIONS = ("mean_square", "mean", "mean_abs")


def static(**kwargs):
    """A dataclass field that is part of the pytree's structure (hashed into the trace), not a leaf."""
    return field(metadata=dict(static=True), **kwargs)


def pytree_dataclass(cls):
    """A frozen dataclass registered as a pytree: fields marked static() are structure, the rest are leaves."""
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
        return Sum.of([(1.0, self), (1.0, as_objective(other))])

    __radd__ = __add__

    def __sub__(self, other):
        return self + (-1.0) * as_objective(other)

    def __rsub__(self, other):
        return as_objective(other) + (-1.0) * self

    def __mul__(self, weight):
        if not isinstance(weight, (int, float)):
            return NotImplemented
        return Sum.of([(float(weight), self)])

    __rmul__ = __mul__

    def __neg__(self):
        return (-1.0) * self

    def __truediv__(self, weight):
        return self * (1.0 / weight)


def as_objective(value) -> Objective:
    if not isinstance(value, Objective):
        raise TypeError(f"cannot combine an objective with {type(value).__name__}")
    return value


@pytree_dataclass
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


def weighted_terms(objective: Objective) -> list[tuple[float, Objective]]:
    """[(weight, term), ...]: a Sum's terms, or the objective alone with weight 1."""
    if isinstance(objective, Sum):
        return list(zip(objective.weights, objective.terms))
    return [(1.0, objective)]


def reduce(values: jax.Array, how: str) -> jax.Array:
    if how == "mean_square":
        return jnp.mean(jnp.square(values))
    if how == "mean":
        return jnp.mean(values)
    return jnp.mean(jnp.abs(values))


def check_reduce(how: str) -> str:
    if how not in REDUCTIONS:
        raise DreamreelError(f"unknown reduction {how!r}; choose one of {', '.join(REDUCTIONS)}")
    return how


def deepest_layer(model: Model, objective: Objective) -> str | None:
    names = objective.layers - {"input"}
    return model.spec.deepest(names) if names else None


def objective_acts(model: Model, objective: Objective, images: jax.Array) -> dict:
    """The activations an objective reads, for a batch (N, H, W, 3): the model runs no deeper than needed."""
    until = deepest_layer(model, objective)
    return activations(model, images, until) if until else {"input": images}


def objective_value(model: Model, objective: Objective, images: jax.Array) -> jax.Array:
    """The objective of a batch of images (N, H, W, 3), running the model only as deep as needed."""
    return objective(objective_acts(model, objective, images))
