"""The model registry: a name -> ModelSpec table, and Model = spec + loaded parameters.

register(spec) -> spec            refuses a name registered twice
get_spec(name) -> ModelSpec       raises DreamreelError naming the known models
activations(model, images, until) -> {layer name: array}   images are RGB in [0, 1], (N, H, W, 3)
derive_layers(module) -> tuple[Layer, ...]          the layer table, read off the module's named activations
parameter_shapes(module) -> {"layer/param": shape}  what the module's weights must hold

A ModelSpec is data: its layer table, its preprocessing (colour order, range) and where its weights come from
live here, never in `if model_name == ...` branches elsewhere. The layer table is derived from the module itself
(jax.eval_shape: shapes only, nothing computed), so a model's layers are written once, in its forward pass.
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


class _DerivedLayers:
    """ModelSpec.layers: the table given to the constructor, else derived from the module on first use. Lazily,
    because tracing a module costs 0.03-0.25 s (2-core CPU) and importing dreamreel should not pay it per model."""

    def __get__(self, spec, owner=None):
        if spec is None:
            return None  # the dataclass field's default: derive
        if spec._derived.get("layers") is None:
            spec._derived["layers"] = derive_layers(spec.module)
        return spec._derived["layers"]

    def __set__(self, spec, table):  # called once, by the frozen dataclass's __init__ (table: itself by default)
        spec._derived["layers"] = None if table is None or table is self else tuple(table)


@dataclass(frozen=True, eq=False)
class ModelSpec:
    name: str
    description: str
    module: Callable[[], Any]  # () -> flax module: __call__(x, until) -> {layer: activation}, layer_kind(name)
    preprocess: Callable[[jax.Array], jax.Array]  # RGB [0, 1] -> what the network expects
    weights: Any  # a weights.WeightSource: how to fetch, import and cache the parameters
    dream_layers: tuple[str, ...]  # a good default objective for `dreamreel dream`
    labels: tuple[str, ...] | None = None  # class names of a classifier head, if any
    style_layers: tuple[str, ...] = ()  # Gatys style statistics (empty: the model does no style transfer)
    content_layer: str | None = None  # Gatys content loss
    class_layer: str | None = None  # the logits a class objective raises
    notes: str = ""
    on_load: Callable[["Model"], "Model"] | None = None  # e.g. attach class names that ship with the weights
    _derived: dict = field(default_factory=dict, init=False, repr=False)  # layers, their index, parameter shapes
    # in forward order (`until` may stop at any of them); left out, it is derived from the module
    layers: tuple[Layer, ...] = field(default=_DerivedLayers(), repr=False)

    @property
    def _index(self) -> dict[str, int]:
        if "index" not in self._derived:
            self._derived["index"] = {layer.name: i for i, layer in enumerate(self.layers)}
        return self._derived["index"]

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """{"block1_conv1/kernel": (3, 3, 3, 64), ...}: what this model's weights must hold."""
        if "parameters" not in self._derived:
            self._derived["parameters"] = parameter_shapes(self.module)
        return self._derived["parameters"]

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


# abstract shapes only (jax.eval_shape computes nothing), so large probes cost nothing; strides read exactly up to
# the smaller probe's size
PROBE_SIZES = (256, 512)
_KEY = jax.random.PRNGKey(0)


def _probe(size: int) -> jax.ShapeDtypeStruct:
    return jax.ShapeDtypeStruct((1, size, size, 3), jnp.float32)


def derive_layers(module: Callable[[], Any]) -> tuple[Layer, ...]:
    """The layer table of `module()` in forward order, read off the shapes of its named activations at two input
    sizes: channels are the last axis, the stride is input size / activation size; a layer whose size does not
    follow the input (a global pool, the logits) has the stride of the layer before it, the scale it summarises.
    The kind of each layer comes from the module's `layer_kind(name)`."""
    net = module()
    order: list[str] = []  # eval_shape returns dicts with sorted keys: the forward order is read while tracing

    def forward(x):
        acts, variables = net.init_with_output(_KEY, x)
        order[:] = acts
        return acts, variables

    small, variables = jax.eval_shape(forward, _probe(PROBE_SIZES[0]))
    large = jax.eval_shape(net.apply, variables, _probe(PROBE_SIZES[1]))
    table, stride = [], 1
    for name in order:
        value = small[name]
        heights = (value.shape[1], large[name].shape[1])
        if heights[0] != heights[1]:  # follows the input size
            stride = PROBE_SIZES[0] // heights[0]
            if PROBE_SIZES[0] % heights[0] or PROBE_SIZES[1] != stride * heights[1]:
                raise ValueError(f"{name}: heights {heights} at inputs {PROBE_SIZES} give no whole stride")
        table.append(Layer(name, int(value.shape[-1]), stride, net.layer_kind(name)))
    return tuple(table)


def parameter_shapes(module: Callable[[], Any]) -> dict[str, tuple[int, ...]]:
    """{"layer/param": shape} of `module()`'s parameters: the flat keys of the weights cache."""
    variables = jax.eval_shape(module().init, _KEY, _probe(PROBE_SIZES[0]))
    leaves = jax.tree_util.tree_flatten_with_path(variables["params"])[0]
    return {"/".join(str(key.key) for key in path): tuple(leaf.shape) for path, leaf in leaves}


def caffe_bgr(mean_bgr: tuple[float, float, float]) -> Callable[[jax.Array], jax.Array]:
    """Preprocessing of Caffe-trained nets: RGB [0, 1] -> BGR 0-255 minus the per-channel mean."""
    mean = jnp.asarray(mean_bgr, jnp.float32)

    def preprocess(images):
        return images[..., ::-1] * 255.0 - mean

    return preprocess
