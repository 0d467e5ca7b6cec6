"""Objectives on a network's features: layers, channels, single neurons, weighted channels and classes.

layer(name, reduce) -> Objective                 reduce of a layer's activations (mean square: DeepDream's L2)
layers_sum(names, reduce) -> Objective           the classic multi-layer dream, equal weights
channel(name, channels, reduce) -> Objective     chosen channels of a layer
neuron(name, channel, x=None, y=None) -> Objective   one unit (by default at the centre)
channel_weights(name, weights (C,) or (N, C), reduce, label) -> Objective   sum_c w_c * reduce(a_c)
batch_channels(name, batch_acts, count, most) -> Objective    the channels a batch of images excites most / least
class_logit(label) -> Objective                  a class of the model's classifier head (spec.class_layer)
"""

from __future__ import annotations

from typing import Sequence

import jax.numpy as jnp

from ...errors import DreamreelError
from .base import Objective, check_reduce, pytree_dataclass, reduce, static


@pytree_dataclass
class LayerObjective(Objective):
    """A layer's activations, all channels: mean of squares (DeepDream's L2) or plain mean."""

    name: str = static()
    reduce: str = static(default="mean_square")

    def __call__(self, acts):
        return reduce(acts[self.name], self.reduce)

    @property
    def layers(self):
        return frozenset([self.name])

    def describe(self):
        suffix = "" if self.reduce == "mean_square" else f", {self.reduce}"
        return f"layer({self.name}{suffix})"


def check_channels(spec, name: str, channels) -> None:
    available = spec.layer(name).channels
    bad = [c for c in channels if not 0 <= c < available]
    if bad:
        raise DreamreelError(
            f"layer {name} of {spec.name} has channels 0..{available - 1}; got {', '.join(map(str, bad))}")


@pytree_dataclass
class ChannelObjective(Objective):
    """Chosen channels ("maplist") of a layer."""

    name: str = static()
    channels: tuple[int, ...] = static()
    reduce: str = static(default="mean")

    def __call__(self, acts):
        return reduce(acts[self.name][..., jnp.asarray(self.channels)], self.reduce)

    @property
    def layers(self):
        return frozenset([self.name])

    def bind(self, spec):
        check_channels(spec, self.name, self.channels)
        return self

    def describe(self):
        return f"channel({self.name}, {','.join(map(str, self.channels))})"


@pytree_dataclass
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
        check_channels(spec, self.name, [self.channel])
        return self

    def describe(self):
        where = "" if self.x is None and self.y is None else f", x={self.x}, y={self.y}"
        return f"neuron({self.name}, {self.channel}{where})"


@pytree_dataclass
class WeightedChannels(Objective):
    """A layer's channels weighted one by one (weights are leaves, so new weights do not re-trace):
    sum_c w_c * reduce(a_c). Weights (C,) apply to every image; (N, C) give each image of a batch its own."""

    weights: jnp.ndarray
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


@pytree_dataclass
class ClassObjective(Objective):
    """A class logit of the model's classifier head; the layer and the index are resolved on bind."""

    label: str = static()
    name: str = static(default="")
    index: int = static(default=-1)

    def __call__(self, acts):
        logits = acts[self.name]
        return jnp.mean(logits.reshape(logits.shape[0], -1, logits.shape[-1])[..., self.index])

    @property
    def layers(self):
        return frozenset([self.name]) if self.name else frozenset()

    def bind(self, spec):
        if not spec.class_layer:
            raise DreamreelError(f"model {spec.name!r} has no class head; try inception_v1")
        return ClassObjective(self.label, spec.class_layer, spec.label_index(self.label))

    def describe(self):
        return f"class({self.label})"


def layer(name: str, reduce: str = "mean_square") -> Objective:
    return LayerObjective(name, check_reduce(reduce))


def layers_sum(names: Sequence[str], reduce: str = "mean_square") -> Objective:
    """The classic multi-layer dream: the layers' objectives, summed with equal weights."""
    return sum((layer(name, reduce) for name in names), 0)


def channel(name: str, channels: int | Sequence[int], reduce: str = "mean") -> Objective:
    channels = (int(channels),) if isinstance(channels, int) else tuple(int(c) for c in channels)
    if not channels:
        raise DreamreelError(f"channel({name}) needs at least one channel index")
    return ChannelObjective(name, channels, check_reduce(reduce))


def neuron(name: str, channel: int, x: int | None = None, y: int | None = None) -> Objective:
    return NeuronObjective(name, int(channel), x, y)


def channel_weights(name: str, weights, reduce: str = "mean_square", label: str = "weights") -> Objective:
    return WeightedChannels(jnp.asarray(weights, jnp.float32), name, check_reduce(reduce), label)


def batch_channels(name: str, batch_acts: dict, count: int = 8, most: bool = True) -> Objective:
    """The `count` channels of a layer most (or least) activated, on average, by a batch of images."""
    means = jnp.mean(batch_acts[name], axis=(0, 1, 2))
    order = jnp.argsort(means)
    picked = order[::-1][:count] if most else order[:count]
    return channel(name, [int(c) for c in picked])


def class_logit(label: str | int) -> Objective:
    """A class of the model's classifier head, by label or index (resolved against the model on bind)."""
    return ClassObjective(str(label))
