"""The model registry: a name -> ModelSpec table, and Model = spec + loaded parameters.

register(spec) -> spec            refuses a name registered twice
get_spec(name) -> ModelSpec       raises DreamreelError naming the known models
activations(model, images, until) -> {layer name: array}   images are RGB in [0, 1], (N, H, W, 3)

A ModelSpec is data: its layer table, its preprocessing (colour order, range) and where its weights come from
live here, never in `if model_name == ...` branches elsewhere.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable

import jax
import jax.numpy as jnp

from ..errors import DreamreelError


@dataclass(frozen=True)
class Layer:
    """A named tensor of a model: its channel count and its stride relative to the input image."""

    name: str
    channels: int
    stride: int
    kind: str = "conv"  # conv | pool | pre_relu | logits | probs | head


@dataclass(frozen=True, eq=False)
class ModelSpec:
    name: str
    description: str
    module: Callable[[], Any]  # () -> flax module whose __call__(x, until) returns {layer: activation}
    layers: tuple[Layer, ...]  # in forward order: `until` may stop at any of them
    preprocess: Callable[[jax.Array], jax.Array]  # RGB [0, 1] -> what the network expects
    weights: Any  # a weights.WeightSource: how to fetch, import and cache the parameters
    dream_layers: tuple[str, ...]  # a good default objective for `dreamreel dream`
    labels: tuple[str, ...] | None = None  # class names of a classifier head, if any
    style_layers: tuple[str, ...] = ()  # Gatys style statistics (empty: the model does no style transfer)
    content_layer: str | None = None  # Gatys content loss
    class_layer: str | None = None  # the logits a class objective raises
    notes: str = ""
    on_load: Callable[["Model"], "Model"] | None = None  # e.g. attach class names that ship with the weights
    _index: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self._index.update({layer.name: i for i, layer in enumerate(self.layers)})

    def layer(self, name: str) -> Layer:
        if name not in self._index:
            import difflib

            close = difflib.get_close_matches(name, self.layer_names(), n=3)
            hint = f"did you mean {' or '.join(close)}? " if close else ""
            raise DreamreelError(f"model {self.name!r} has no layer {name!r}; {hint}"
                                 f"`dreamreel models` lists its layers")
        return self.layers[self._index[name]]

    def layer_names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    def deepest(self, names) -> str:
        """The layer, of `names`, that comes last in the forward pass: the forward may stop there."""
        return max(names, key=lambda n: self._index[self.layer(n).name])

    def label_index(self, label: str | int) -> int:
        if self.labels is None:
            raise DreamreelError(f"model {self.name!r} has no class head; try inception_v1")
        if isinstance(label, int) or str(label).isdigit():
            index = int(label)
            if not 0 <= index < len(self.labels):
                raise DreamreelError(f"class index {index} is out of range 0..{len(self.labels) - 1}")
            return index
        wanted = str(label).strip().lower()
        for i, name in enumerate(self.labels):
            if name.lower() == wanted:
                return i
        close = [name for name in self.labels if wanted in name.lower()][:8]
        hint = f"; did you mean: {', '.join(close)}" if close else ""
        raise DreamreelError(f"model {self.name!r} has no class {label!r}{hint}")


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class Model:
    """A spec with its parameters; a pytree (params are leaves, the spec is static), so it can enter jit."""

    params: Any
    spec: ModelSpec = dataclasses.field(metadata=dict(static=True))

    @property
    def name(self) -> str:
        return self.spec.name


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"model {spec.name!r} is registered twice")
    _REGISTRY[spec.name] = spec
    return spec


def get_spec(name: str) -> ModelSpec:
    if name not in _REGISTRY:
        raise DreamreelError(f"unknown model {name!r}; known models: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def model_names() -> list[str]:
    return list(_REGISTRY)


def activations(model: Model, images: jax.Array, until: str | None = None) -> dict[str, jax.Array]:
    """Named activations of RGB images in [0, 1] (N, H, W, 3), computed no further than layer `until`.

    The result also holds "input": the images as given, so pixel objectives share the same dict.
    """
    spec = model.spec
    if until is not None:
        spec.layer(until)
    x = spec.preprocess(images)
    acts = spec.module().apply({"params": model.params}, x, until=until)
    return {"input": images, **acts}


def caffe_bgr(mean_bgr: tuple[float, float, float]) -> Callable[[jax.Array], jax.Array]:
    """Preprocessing of Caffe-trained nets: RGB [0, 1] -> BGR 0-255 minus the per-channel mean."""
    mean = jnp.asarray(mean_bgr, jnp.float32)

    def preprocess(images):
        return images[..., ::-1] * 255.0 - mean

    return preprocess
