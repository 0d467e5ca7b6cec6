"""The inception5h graph (TensorFlow's DeepDream GraphDef) -> InceptionV1's parameters, and its class names.

convert_inception5h(path, log) -> flat {"layer/param": array}   reads tensorflow_inception_graph.pb (bare or in
    inception5h.zip), checks every op, input, stride, padding and LRN setting against InceptionV1, and keeps the
    class names of imagenet_comp_graph_label_strings.txt as LABELS_KEY
params_from_graph(graph, ...) -> flat params                    the same, from a parsed GraphDef
labels_of(model) -> tuple[str, ...]     the class names that came with the weights (one per logit)
with_labels(model) -> Model             the model, its spec carrying those labels (so spec.label_index works)
encode_labels(names) -> uint8 array; decode_labels(array) -> tuple[str, ...]   (how the cache stores them)

The graph as published (inception5h.zip: tensorflow_inception_graph.pb): every Conv2D, MaxPool and the 3x3
stride-1 pools of the mixed blocks use padding SAME; LRN has depth_radius 5, bias 2, alpha 1e-4, beta 0.5;
the head is AvgPool 7x7 stride 1 VALID on mixed5b (7x7 at 224x224 input), reshape to (-1, 1024), MatMul
softmax2_w + softmax2_b, Softmax. InceptionV1's avgpool0 is the mean over all positions: the same at 224x224,
and defined for any image size. The auxiliary heads (head0/nn0/softmax0, head1/nn1/softmax1) are left out.
"""

from __future__ import annotations

import dataclasses
import math
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Callable

import numpy as np

from ...errors import DreamreelError
from ..inception_v1 import CLASSES, LRN, MIXED_WIDTHS, POOL_AFTER, STEM_WIDTHS, mixed_output_width
from .archive import member_bytes
from .tf_graphdef import GraphDef, Node, read_graphdef

GRAPH_FILE = "tensorflow_inception_graph.pb"
LABELS_FILE = "imagenet_comp_graph_label_strings.txt"
LABELS_KEY = "labels/names"  # the UTF-8 bytes of the newline-joined class names, as numbers 0..255
UNUSED_LABEL = "(unused)"  # names of the logits the labels file does not name
AVGPOOL_SIZE = 7  # avgpool0's ksize in the graph (VALID, stride 1)


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
