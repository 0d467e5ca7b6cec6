"""InceptionV1 (GoogLeNet) as published in TensorFlow's inception5h graph, the network of the DeepDream notebook.

InceptionV1(stem, mixed, classes, lrn)(x, until) -> {name: (N, h, w, C)}
    x is preprocessed: RGB, 0-255 minus 117 (`preprocess`). Names are the graph's own: conv2d0 (after ReLU) and
    conv2d0_pre_relu, maxpool0, localresponsenorm0, ..., mixed4d_3x3_bottleneck(_pre_relu), mixed4d_pool,
    mixed4d (the concatenation), maxpool10, ..., avgpool0, softmax2_pre_activation (logits) and softmax2
    (class probabilities); the last three are (N, 1, 1, C).
inception_v1_layers(stem, mixed, classes) -> the layer table in forward order
convert_inception5h(path, log) -> flat {"layer/param": array}   reads tensorflow_inception_graph.pb (bare or in
    inception5h.zip), checks every op, input, stride, padding and LRN setting against this module, and keeps the
    class names of imagenet_comp_graph_label_strings.txt as LABELS_KEY
params_from_graph(graph, ...) -> flat params                    the same, from a parsed GraphDef
labels_of(model) -> tuple[str, ...]     the class names that came with the weights (one per logit)
with_labels(model) -> Model             the model, its spec carrying those labels (so spec.label_index works)

The graph as published (inception5h.zip: tensorflow_inception_graph.pb): every Conv2D, MaxPool and the 3x3
stride-1 pools of the mixed blocks use padding SAME; LRN has depth_radius 5, bias 2, alpha 1e-4, beta 0.5;
the head is AvgPool 7x7 stride 1 VALID on mixed5b (7x7 at 224x224 input), reshape to (-1, 1024), MatMul
softmax2_w + softmax2_b, Softmax. Here avgpool0 is the mean over all positions: the same at 224x224, and
defined for any image size (a 7x7 VALID pool would refuse small images and split large ones into many rows).
The auxiliary heads (head0/nn0/softmax0, head1/nn1/softmax1) are training-only and left out.
"""

from __future__ import annotations

import dataclasses
import math
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from ..errors import DreamreelError
from .registry import Layer
from .tf_graphdef import GraphDef, Node, read_graphdef

IMAGENET_MEAN = 117.0  # the DeepDream notebook's imagenet_mean, subtracted from 0-255 RGB
GRAPH_FILE = "tensorflow_inception_graph.pb"
LABELS_FILE = "imagenet_comp_graph_label_strings.txt"
LABELS_KEY = "labels/names"  # the UTF-8 bytes of the newline-joined class names, as numbers 0..255
UNUSED_LABEL = "(unused)"  # names of the logits the labels file does not name

STEM_WIDTHS = (64, 64, 192)  # conv2d0 (7x7/2), conv2d1 (1x1), conv2d2 (3x3)
BRANCHES = ("1x1", "3x3_bottleneck", "3x3", "5x5_bottleneck", "5x5", "pool_reduce")
# per mixed block, the widths of BRANCHES; the block's output concatenates 1x1, 3x3, 5x5 and pool_reduce
MIXED_WIDTHS = (
    ("mixed3a", (64, 96, 128, 16, 32, 32)),
    ("mixed3b", (128, 128, 192, 32, 96, 64)),
    ("mixed4a", (192, 96, 204, 16, 48, 64)),
    ("mixed4b", (160, 112, 224, 24, 64, 64)),
    ("mixed4c", (128, 128, 256, 24, 64, 64)),
    ("mixed4d", (112, 144, 288, 32, 64, 64)),
    ("mixed4e", (256, 160, 320, 32, 128, 128)),
    ("mixed5a", (256, 160, 320, 48, 128, 128)),
    ("mixed5b", (384, 192, 384, 48, 128, 128)),
)
POOL_AFTER = {"mixed3b": "maxpool4", "mixed4e": "maxpool10"}  # 3x3 stride-2 pools between the stages
CLASSES = 1008
LRN = (5, 2.0, 1e-4, 0.5)  # depth_radius, bias, alpha, beta of localresponsenorm0 and localresponsenorm1
AVGPOOL_SIZE = 7  # avgpool0's ksize in the graph (VALID, stride 1)


def preprocess(images: jax.Array) -> jax.Array:
    """RGB [0, 1] -> RGB 0-255 minus 117, what the inception5h graph's `input` expects."""
    return images * 255.0 - IMAGENET_MEAN


def mixed_output_width(widths: tuple[int, ...]) -> int:
    w1, _, w3, _, w5, wp = widths
    return w1 + w3 + w5 + wp


def scaled_widths(divisor: int) -> tuple[tuple[int, ...], tuple]:
    """(stem, mixed) widths divided by `divisor` (at least 1): the same topology, narrower, for tests."""
    stem = tuple(max(1, w // divisor) for w in STEM_WIDTHS)
    mixed = tuple((name, tuple(max(1, w // divisor) for w in widths)) for name, widths in MIXED_WIDTHS)
    return stem, mixed


def local_response_norm(x: jax.Array, depth_radius: int, bias: float, alpha: float, beta: float) -> jax.Array:
    """TensorFlow's LRN over the last axis: x / (bias + alpha * sum of x^2 over channels c-r..c+r) ** beta."""
    channels = x.shape[-1]
    index = np.arange(channels)
    band = (np.abs(index[:, None] - index[None, :]) <= depth_radius).astype(np.float32)
    square_sum = jnp.matmul(jnp.square(x), jnp.asarray(band, x.dtype), precision=jax.lax.Precision.HIGHEST)
    return x * jnp.power(bias + alpha * square_sum, -beta)


class _Stop(Exception):
    """Raised inside __call__ once `until` is computed; caught there."""


class InceptionV1(nn.Module):
    stem: tuple[int, ...] = STEM_WIDTHS
    mixed: tuple = MIXED_WIDTHS
    classes: int = CLASSES
    lrn: tuple = LRN
    conv_general_dilated: Any = None  # a faster convolution for this backend, or None for XLA's

    @nn.compact
    def __call__(self, x: jax.Array, until: str | None = None) -> dict[str, jax.Array]:
        acts: dict[str, jax.Array] = {}

        def keep(name, value):
            acts[name] = value
            if name == until:
                raise _Stop

        def conv(name, value, width, size, stride=1):
            pre = nn.Conv(width, (size, size), strides=(stride, stride), padding="SAME", name=name,
                          conv_general_dilated=self.conv_general_dilated)(value)
            keep(f"{name}_pre_relu", pre)
            out = nn.relu(pre)
            keep(name, out)
            return out

        def max_pool(name, value, stride):
            out = nn.max_pool(value, (3, 3), strides=(stride, stride), padding="SAME")
            keep(name, out)
            return out

        try:
            x = conv("conv2d0", x, self.stem[0], 7, stride=2)
            x = max_pool("maxpool0", x, 2)
            x = local_response_norm(x, *self.lrn)
            keep("localresponsenorm0", x)
            x = conv("conv2d1", x, self.stem[1], 1)
            x = conv("conv2d2", x, self.stem[2], 3)
            x = local_response_norm(x, *self.lrn)
            keep("localresponsenorm1", x)
            x = max_pool("maxpool1", x, 2)
            for block, widths in self.mixed:
                w1, w3b, w3, w5b, w5, wp = widths
                b1 = conv(f"{block}_1x1", x, w1, 1)
                b3 = conv(f"{block}_3x3", conv(f"{block}_3x3_bottleneck", x, w3b, 1), w3, 3)
                b5 = conv(f"{block}_5x5", conv(f"{block}_5x5_bottleneck", x, w5b, 1), w5, 5)
                bp = conv(f"{block}_pool_reduce", max_pool(f"{block}_pool", x, 1), wp, 1)
                x = jnp.concatenate([b1, b3, b5, bp], axis=-1)
                keep(block, x)
                if block in POOL_AFTER:
                    x = max_pool(POOL_AFTER[block], x, 2)
            x = jnp.mean(x, axis=(1, 2), keepdims=True)
            keep("avgpool0", x)
            logits = nn.Dense(self.classes, name="softmax2")(x)
            keep("softmax2_pre_activation", logits)
            keep("softmax2", jax.nn.softmax(logits, axis=-1))
        except _Stop:
            pass
        return acts


def inception_v1_layers(stem=STEM_WIDTHS, mixed=MIXED_WIDTHS, classes: int = CLASSES) -> tuple[Layer, ...]:
    """The layer table in forward order (what `until` may name), with channels and strides."""
    table = []

    def conv(name, width, stride):
        table.append(Layer(f"{name}_pre_relu", width, stride, "pre_relu"))
        table.append(Layer(name, width, stride))

    conv("conv2d0", stem[0], 2)
    table.append(Layer("maxpool0", stem[0], 4, "pool"))
    table.append(Layer("localresponsenorm0", stem[0], 4, "conv"))
    conv("conv2d1", stem[1], 4)
    conv("conv2d2", stem[2], 4)
    table.append(Layer("localresponsenorm1", stem[2], 4, "conv"))
    table.append(Layer("maxpool1", stem[2], 8, "pool"))
    channels, stride = stem[2], 8
    for block, widths in mixed:
        w1, w3b, w3, w5b, w5, wp = widths
        conv(f"{block}_1x1", w1, stride)
        conv(f"{block}_3x3_bottleneck", w3b, stride)
        conv(f"{block}_3x3", w3, stride)
        conv(f"{block}_5x5_bottleneck", w5b, stride)
        conv(f"{block}_5x5", w5, stride)
        table.append(Layer(f"{block}_pool", channels, stride, "pool"))
        conv(f"{block}_pool_reduce", wp, stride)
        channels = mixed_output_width(widths)
        table.append(Layer(block, channels, stride))
        if block in POOL_AFTER:
            stride *= 2
            table.append(Layer(POOL_AFTER[block], channels, stride, "pool"))
    # global: one position whatever the image size; the stride is mixed5b's, the scale the head sees
    table.append(Layer("avgpool0", channels, stride, "head"))
    table.append(Layer("softmax2_pre_activation", classes, stride, "logits"))
    table.append(Layer("softmax2", classes, stride, "probs"))
    return tuple(table)


# --- the importer ---------------------------------------------------------------------------------------------


class _GraphCheck:
    """Walks the published graph along this module's forward pass, checking each node and collecting weights."""

    def __init__(self, graph: GraphDef, what: str):
        self.graph, self.what = graph, what
        self.flat: dict[str, np.ndarray] = {}

    def fail(self, node: str, message: str):
        raise DreamreelError(f"{self.what}: node {node!r} {message}; is this the inception5h graph?")

    def node(self, name: str, *ops: str) -> Node:
        if name not in self.graph:
            raise DreamreelError(f"{self.what} has no node {name!r}; is this the inception5h graph "
                                 f"({GRAPH_FILE})?")
        node = self.graph.node(name)
        if node.op not in ops:
            self.fail(name, f"is a {node.op}, expected {' or '.join(ops)}")
        return node

    def inputs(self, node: Node, *expected: str) -> None:
        found = tuple(self.resolve(name) for name in node.tensor_inputs)
        if found != expected:
            self.fail(node.name, f"reads {', '.join(found) or 'nothing'}, expected {', '.join(expected)}")

    def resolve(self, name: str) -> str:
        """Follow Identity nodes (e.g. "w/read") back to their source."""
        seen = 0
        while name in self.graph and self.graph.node(name).op == "Identity" and seen < 16:
            name = self.graph.node(name).tensor_inputs[0]
            seen += 1
        return name

    def attr(self, node: Node, key: str, expected, default=None) -> None:
        value = node.attr(key, default)
        if isinstance(expected, float):
            ok = isinstance(value, (int, float)) and math.isclose(value, expected, rel_tol=1e-5)
        else:
            ok = value == expected
        if not ok:
            self.fail(node.name, f"has {key}={value!r}, expected {expected!r}")

    def nhwc(self, node: Node) -> None:
        self.attr(node, "data_format", "NHWC", default="NHWC")

    def const(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        node = self.node(self.resolve(name), "Const")
        value = node.attr("value")
        if not isinstance(value, np.ndarray):
            self.fail(node.name, "holds no tensor")
        if tuple(value.shape) != tuple(shape):
            self.fail(node.name, f"has shape {tuple(value.shape)}, expected {tuple(shape)}")
        if value.dtype.kind != "f":
            self.fail(node.name, f"holds {value.dtype}, expected floats")
        return np.asarray(value, np.float32)

    def conv(self, name: str, source: str, size: int, stride: int, cin: int, cout: int) -> str:
        op = self.node(f"{name}_pre_relu/conv", "Conv2D")
        self.inputs(op, source, f"{name}_w")
        self.attr(op, "strides", [1, stride, stride, 1])
        self.attr(op, "padding", "SAME")
        self.attr(op, "dilations", [1, 1, 1, 1], default=[1, 1, 1, 1])
        self.nhwc(op)
        self.flat[f"{name}/kernel"] = self.const(f"{name}_w", (size, size, cin, cout))
        self.bias(f"{name}_pre_relu", op.name, f"{name}_b", cout, f"{name}/bias")
        self.inputs(self.node(name, "Relu"), f"{name}_pre_relu")
        return name

    def bias(self, name: str, source: str, bias: str, width: int, key: str) -> None:
        node = self.node(name, "BiasAdd", "Add")
        self.inputs(node, source, bias)
        if node.op == "BiasAdd":
            self.nhwc(node)
        self.flat[key] = self.const(bias, (width,))

    def pool(self, name: str, source: str, op: str, size: int, stride: int, padding: str) -> str:
        node = self.node(name, op)
        self.inputs(node, source)
        self.attr(node, "ksize", [1, size, size, 1])
        self.attr(node, "strides", [1, stride, stride, 1])
        self.attr(node, "padding", padding)
        self.nhwc(node)
        return name

    def lrn(self, name: str, source: str, depth_radius: int, bias: float, alpha: float, beta: float) -> str:
        node = self.node(name, "LRN")
        self.inputs(node, source)
        self.attr(node, "depth_radius", depth_radius)
        self.attr(node, "bias", float(bias))
        self.attr(node, "alpha", float(alpha))
        self.attr(node, "beta", float(beta))
        return name

    def concat(self, name: str, sources: tuple[str, ...]) -> str:
        node = self.node(name, "Concat", "ConcatV2")
        names = node.tensor_inputs
        axis, data = (names[0], names[1:]) if node.op == "Concat" else (names[-1], names[:-1])
        found = tuple(self.resolve(n) for n in data)
        if found != tuple(sources):
            self.fail(name, f"concatenates {', '.join(found)}, expected {', '.join(sources)}")
        axis_node = self.graph.node(self.resolve(axis)) if self.resolve(axis) in self.graph else None
        if axis_node is None or axis_node.op != "Const" or int(np.asarray(axis_node.attr("value"))) not in (3, -1):
            self.fail(name, "does not concatenate along the channel axis")
        return name


def params_from_graph(graph: GraphDef, stem=STEM_WIDTHS, mixed=MIXED_WIDTHS, classes: int = CLASSES,
                      lrn=LRN, what: str | None = None) -> dict[str, np.ndarray]:
    """Flat {"conv2d0/kernel": (7, 7, 3, 64), ..., "softmax2/kernel": (1024, 1008), ...} from the inception5h
    GraphDef, after checking that the graph computes exactly what InceptionV1(stem, mixed, classes, lrn) does."""
    g = _GraphCheck(graph, what or graph.what)
    g.node("input", "Placeholder", "PlaceholderV2", "Identity")
    x = g.conv("conv2d0", "input", 7, 2, 3, stem[0])
    x = g.pool("maxpool0", x, "MaxPool", 3, 2, "SAME")
    x = g.lrn("localresponsenorm0", x, *lrn)
    x = g.conv("conv2d1", x, 1, 1, stem[0], stem[1])
    x = g.conv("conv2d2", x, 3, 1, stem[1], stem[2])
    x = g.lrn("localresponsenorm1", x, *lrn)
    x = g.pool("maxpool1", x, "MaxPool", 3, 2, "SAME")
    channels = stem[2]
    for block, widths in mixed:
        w1, w3b, w3, w5b, w5, wp = widths
        b1 = g.conv(f"{block}_1x1", x, 1, 1, channels, w1)
        b3 = g.conv(f"{block}_3x3", g.conv(f"{block}_3x3_bottleneck", x, 1, 1, channels, w3b), 3, 1, w3b, w3)
        b5 = g.conv(f"{block}_5x5", g.conv(f"{block}_5x5_bottleneck", x, 1, 1, channels, w5b), 5, 1, w5b, w5)
        pool = g.pool(f"{block}_pool", x, "MaxPool", 3, 1, "SAME")
        bp = g.conv(f"{block}_pool_reduce", pool, 1, 1, channels, wp)
        x = g.concat(block, (b1, b3, b5, bp))
        channels = mixed_output_width(widths)
        if block in POOL_AFTER:
            x = g.pool(POOL_AFTER[block], x, "MaxPool", 3, 2, "SAME")
    x = g.pool("avgpool0", x, "AvgPool", AVGPOOL_SIZE, 1, "VALID")
    reshape = g.node("avgpool0/reshape", "Reshape")
    if g.resolve(reshape.tensor_inputs[0]) != x:
        g.fail(reshape.name, f"does not read {x}")
    matmul = g.node("softmax2_pre_activation/matmul", "MatMul")
    g.inputs(matmul, reshape.name, "softmax2_w")
    g.attr(matmul, "transpose_a", False, default=False)
    g.attr(matmul, "transpose_b", False, default=False)
    g.flat["softmax2/kernel"] = g.const("softmax2_w", (channels, classes))
    g.bias("softmax2_pre_activation", matmul.name, "softmax2_b", classes, "softmax2/bias")
    g.inputs(g.node("softmax2", "Softmax"), "softmax2_pre_activation")
    return g.flat


def encode_labels(names) -> np.ndarray:
    return np.frombuffer("\n".join(names).encode("utf-8"), dtype=np.uint8).copy()


def decode_labels(array) -> tuple[str, ...]:
    data = np.asarray(array)
    if data.size == 0:
        return ()
    return tuple(bytes(np.rint(data).astype(np.uint8)).decode("utf-8").split("\n"))


def _read_labels(path: Path) -> list[str] | None:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(LABELS_FILE)]
            text = archive.read(names[0]).decode("utf-8", "replace") if names else None
    else:
        beside = path.with_name(LABELS_FILE)
        text = beside.read_text("utf-8", "replace") if beside.is_file() else None
    if text is None:
        return None
    lines = [line.strip() for line in text.splitlines()]
    while lines and not lines[-1]:  # line i names logit i: only trailing blank lines go
        lines.pop()
    return lines


def convert_inception5h(path: Path, log: Callable[[str], None]) -> dict[str, np.ndarray]:
    """inception5h.zip (or a bare tensorflow_inception_graph.pb, its labels file beside it if any) -> flat params,
    with the class names under LABELS_KEY."""
    from .weights import member_bytes

    path = Path(path)
    data = member_bytes(path, GRAPH_FILE)
    graph = read_graphdef(data, what=path.name)
    flat = params_from_graph(graph, what=path.name)
    labels = _read_labels(path)
    if labels is None:
        log(f"dreamreel: {path.name} has no {LABELS_FILE}; class names will be unknown")
    else:
        flat[LABELS_KEY] = encode_labels(labels)
    log(f"dreamreel: read {sum(1 for k in flat if k.endswith('/kernel'))} layers of {len(graph)} graph nodes"
        + (f" and {len(labels)} class names" if labels is not None else ""))
    return flat


# --- labels ---------------------------------------------------------------------------------------------------


def labels_of(model) -> tuple[str, ...]:
    """The class names that came with the weights, one per logit of softmax2 (padded with UNUSED_LABEL where the
    labels file is shorter than the 1008 logits). `model` is a Model or its params."""
    params = getattr(model, "params", model)
    names = params.get("labels", {}).get("names") if isinstance(params, Mapping) else None
    if names is None:
        raise DreamreelError(f"these weights carry no class names ({LABELS_FILE} was not beside the graph "
                             "when they were imported)")
    labels = decode_labels(names)
    classes = None
    head = params.get("softmax2")
    if head is not None and "bias" in head:
        classes = int(np.shape(head["bias"])[0])
    if classes is not None and len(labels) < classes:
        labels = labels + (UNUSED_LABEL,) * (classes - len(labels))
    return labels


def with_labels(model):
    """The same model, its spec carrying the class names, so spec.label_index (class objectives) can find them."""
    spec = dataclasses.replace(model.spec, labels=labels_of(model))
    return dataclasses.replace(model, spec=spec)
