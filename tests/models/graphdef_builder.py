"""Test helper: a small protobuf encoder for TensorFlow GraphDefs, and a builder of inception5h-shaped graphs.

Field numbers as in tensorflow/core/framework/{graph,node_def,attr_value,tensor,tensor_shape,types}.proto.

GraphBuilder().add(name, op, inputs, **attrs) / .const(name, array, mode) / .encode() -> bytes
    attrs are Python values: str -> s, bool -> b, int -> i, float -> f, np.ndarray -> tensor, list[int] -> list(int),
    list[str] -> list(string), DType(code) -> type, Shape(dims) -> shape, Tensor(array, mode) -> tensor
    tensor modes: "content" (tensor_content bytes), "packed" / "unpacked" (float_val or int_val)
build_inception5h(weights, stem, mixed, classes, lrn) -> GraphBuilder   the published node names and wiring
random_inception5h_weights(stem, mixed, classes, rng) -> {"conv2d0_w": ..., "conv2d0_b": ..., ...}
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_STRING, DT_INT64, DT_BOOL, DT_HALF = 1, 2, 3, 4, 7, 9, 10, 19
_CODES = {np.dtype(np.float32): DT_FLOAT, np.dtype(np.float64): DT_DOUBLE, np.dtype(np.int32): DT_INT32,
          np.dtype(np.uint8): DT_UINT8, np.dtype(np.int64): DT_INT64, np.dtype(np.bool_): DT_BOOL,
          np.dtype(np.float16): DT_HALF}


# --- wire format ---------------------------------------------------------------------------------------------


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative ints: ten-byte two's complement, as protobuf writes int32/int64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def key(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def f_varint(number: int, value: int) -> bytes:
    return key(number, 0) + varint(int(value))


def f_bytes(number: int, payload: bytes) -> bytes:
    return key(number, 2) + varint(len(payload)) + payload


def f_str(number: int, text: str | bytes) -> bytes:
    return f_bytes(number, text.encode("utf-8") if isinstance(text, str) else text)


def f_float(number: int, value: float) -> bytes:
    return key(number, 5) + struct.pack("<f", value)


def f_double(number: int, value: float) -> bytes:
    return key(number, 1) + struct.pack("<d", value)


def packed_varints(number: int, values) -> bytes:
    return f_bytes(number, b"".join(varint(int(v)) for v in values))


# --- messages -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DType:
    code: int


@dataclass(frozen=True)
class Shape:
    dims: tuple[int, ...] | None  # None: unknown rank


@dataclass(frozen=True)
class Tensor:
    array: np.ndarray
    mode: str = "content"  # content | packed | unpacked


def shape_proto(dims) -> bytes:
    if dims is None:
        return f_varint(3, 1)
    return b"".join(f_bytes(2, f_varint(1, d) if d else b"") for d in dims)


def tensor_proto(array: np.ndarray, mode: str = "content") -> bytes:
    array = np.asarray(array)
    if array.dtype.kind in "SO":
        code = DT_STRING
    else:
        code = _CODES[array.dtype]
    out = f_varint(1, code) + f_bytes(2, shape_proto(array.shape))
    flat = array.reshape(-1)
    if code == DT_STRING:
        return out + b"".join(f_str(8, bytes(v)) for v in flat)
    if mode == "content":
        return out + f_bytes(4, flat.astype(array.dtype.newbyteorder("<")).tobytes())
    if code == DT_FLOAT:
        if mode == "packed":
            return out + f_bytes(5, flat.astype("<f4").tobytes())
        return out + b"".join(f_float(5, v) for v in flat)
    if code == DT_DOUBLE:
        if mode == "packed":
            return out + f_bytes(6, flat.astype("<f8").tobytes())
        return out + b"".join(f_double(6, v) for v in flat)
    number = {DT_INT32: 7, DT_UINT8: 7, DT_INT64: 10, DT_BOOL: 11, DT_HALF: 13}[code]
    values = flat.view(np.uint16) if code == DT_HALF else flat
    if mode == "packed":
        return out + packed_varints(number, values)
    return out + b"".join(f_varint(number, int(v)) for v in values)


def attr_value(value) -> bytes:
    if isinstance(value, DType):
        return f_varint(6, value.code)
    if isinstance(value, Shape):
        return f_bytes(7, shape_proto(value.dims))
    if isinstance(value, Tensor):
        return f_bytes(8, tensor_proto(value.array, value.mode))
    if isinstance(value, np.ndarray):
        return f_bytes(8, tensor_proto(value))
    if isinstance(value, bool):
        return f_varint(5, value)
    if isinstance(value, int):
        return f_varint(3, value)
    if isinstance(value, float):
        return f_float(4, value)
    if isinstance(value, (str, bytes)):
        return f_str(2, value)
    if isinstance(value, list):
        return f_bytes(1, list_value(value))
    raise TypeError(f"cannot encode attr {value!r}")


def list_value(items: list) -> bytes:
    if not items:
        return b""
    first = items[0]
    if isinstance(first, (str, bytes)):
        return b"".join(f_str(2, v) for v in items)
    if isinstance(first, bool):
        return packed_varints(5, items)
    if isinstance(first, int):
        return packed_varints(3, items)
    if isinstance(first, float):
        return f_bytes(4, np.asarray(items, "<f4").tobytes())
    if isinstance(first, DType):
        return packed_varints(6, [v.code for v in items])
    if isinstance(first, Shape):
        return b"".join(f_bytes(7, shape_proto(v.dims)) for v in items)
    if isinstance(first, (Tensor, np.ndarray)):
        return b"".join(f_bytes(8, _tensor_payload(v)) for v in items)
    raise TypeError(f"cannot encode list attr {items!r}")


def _tensor_payload(value) -> bytes:
    return tensor_proto(value.array, value.mode) if isinstance(value, Tensor) else tensor_proto(value)


def node_def(name: str, op: str, inputs=(), attrs: dict | None = None, device: str = "") -> bytes:
    out = f_str(1, name) + f_str(2, op) + b"".join(f_str(3, i) for i in inputs)
    if device:
        out += f_str(4, device)
    for attr_name, value in (attrs or {}).items():
        out += f_bytes(5, f_str(1, attr_name) + f_bytes(2, attr_value(value)))
    return out


def graph_def(nodes: list[bytes], version: int | None = None) -> bytes:
    out = b"".join(f_bytes(1, n) for n in nodes)
    if version is not None:
        out += f_varint(3, version)
    return out


# --- a graph builder ------------------------------------------------------------------------------------------


@dataclass
class NodeSpec:
    name: str
    op: str
    inputs: tuple[str, ...]
    attrs: dict


class GraphBuilder:
    def __init__(self):
        self.nodes: list[NodeSpec] = []

    def add(self, name: str, op: str, inputs=(), **attrs) -> str:
        self.nodes.append(NodeSpec(name, op, tuple(inputs), attrs))
        return name

    def const(self, name: str, array, mode: str = "content") -> str:
        array = np.asarray(array)
        return self.add(name, "Const", (), dtype=DType(_CODES[array.dtype]), value=Tensor(array, mode))

    def node(self, name: str) -> NodeSpec:
        return next(n for n in self.nodes if n.name == name)

    def encode(self, version: int | None = 9) -> bytes:
        return graph_def([node_def(n.name, n.op, n.inputs, n.attrs) for n in self.nodes], version)


# --- inception5h ----------------------------------------------------------------------------------------------

F32 = DType(DT_FLOAT)


def random_inception5h_weights(stem, mixed, classes, rng: np.random.Generator, input_scale: float = 100.0):
    """He-scaled random weights under the graph's Const names (the first layer divided by `input_scale`, since
    the graph sees 0-255 minus 117)."""
    weights = {}

    def conv(name, size, cin, cout, scale=1.0):
        std = np.sqrt(2.0 / (size * size * cin)) / scale
        weights[f"{name}_w"] = (rng.standard_normal((size, size, cin, cout), np.float32) * std).astype(np.float32)
        weights[f"{name}_b"] = (rng.standard_normal(cout, np.float32) * 0.1).astype(np.float32)

    conv("conv2d0", 7, 3, stem[0], input_scale)
    conv("conv2d1", 1, stem[0], stem[1])
    conv("conv2d2", 3, stem[1], stem[2])
    channels = stem[2]
    for block, (w1, w3b, w3, w5b, w5, wp) in mixed:
        conv(f"{block}_1x1", 1, channels, w1)
        conv(f"{block}_3x3_bottleneck", 1, channels, w3b)
        conv(f"{block}_3x3", 3, w3b, w3)
        conv(f"{block}_5x5_bottleneck", 1, channels, w5b)
        conv(f"{block}_5x5", 5, w5b, w5)
        conv(f"{block}_pool_reduce", 1, channels, wp)
        channels = w1 + w3 + w5 + wp
    weights["softmax2_w"] = (rng.standard_normal((channels, classes), np.float32) / np.sqrt(channels)).astype(
        np.float32)
    weights["softmax2_b"] = (rng.standard_normal(classes, np.float32) * 0.1).astype(np.float32)
    return weights


def build_inception5h(weights: dict, stem, mixed, classes: int, lrn=(5, 2.0, 1e-4, 0.5),
                      bias_mode: dict | None = None) -> GraphBuilder:
    """The inception5h GraphDef as published (node names, ops, wiring, attrs), with the given weights.
    `bias_mode` maps a layer to how its bias constant is stored ("packed"/"unpacked" float_val; default content)."""
    g = GraphBuilder()
    bias_mode = bias_mode or {}
    g.add("input", "Placeholder", dtype=F32)
    for name, value in weights.items():  # the published graph lists its weights first
        layer = name[:-2]
        g.const(name, value, bias_mode.get(layer, "content") if name.endswith("_b") else "content")

    def conv(name, source, stride=1):
        g.add(f"{name}_pre_relu/conv", "Conv2D", (source, f"{name}_w"), T=F32, strides=[1, stride, stride, 1],
              padding="SAME", use_cudnn_on_gpu=True)
        g.add(f"{name}_pre_relu", "BiasAdd", (f"{name}_pre_relu/conv", f"{name}_b"), T=F32)
        return g.add(name, "Relu", (f"{name}_pre_relu",), T=F32)

    def pool(name, source, op, size, stride, padding):
        return g.add(name, op, (source,), T=F32, ksize=[1, size, size, 1], strides=[1, stride, stride, 1],
                     padding=padding)

    def norm(name, source):
        depth_radius, bias, alpha, beta = lrn
        return g.add(name, "LRN", (source,), T=F32, depth_radius=depth_radius, bias=float(bias),
                     alpha=float(alpha), beta=float(beta))

    x = conv("conv2d0", "input", 2)
    x = pool("maxpool0", x, "MaxPool", 3, 2, "SAME")
    x = norm("localresponsenorm0", x)
    x = conv("conv2d1", x)
    x = conv("conv2d2", x)
    x = norm("localresponsenorm1", x)
    x = pool("maxpool1", x, "MaxPool", 3, 2, "SAME")
    for block, _ in mixed:
        b1 = conv(f"{block}_1x1", x)
        b3 = conv(f"{block}_3x3", conv(f"{block}_3x3_bottleneck", x))
        b5 = conv(f"{block}_5x5", conv(f"{block}_5x5_bottleneck", x))
        bp = conv(f"{block}_pool_reduce", pool(f"{block}_pool", x, "MaxPool", 3, 1, "SAME"))
        g.const(f"{block}/concat_dim", np.asarray(3, np.int32))
        x = g.add(block, "Concat", (f"{block}/concat_dim", b1, b3, b5, bp), T=F32, N=4)
        if block == "mixed3b":
            x = pool("maxpool4", x, "MaxPool", 3, 2, "SAME")
        if block == "mixed4e":
            x = pool("maxpool10", x, "MaxPool", 3, 2, "SAME")
    x = pool("avgpool0", x, "AvgPool", 7, 1, "VALID")
    width = weights["softmax2_w"].shape[0]
    g.const("avgpool0/reshape/shape", np.asarray([-1, width], np.int32), mode="packed")
    x = g.add("avgpool0/reshape", "Reshape", (x, "avgpool0/reshape/shape"), T=F32)
    x = g.add("softmax2_pre_activation/matmul", "MatMul", (x, "softmax2_w"), T=F32, transpose_a=False,
              transpose_b=False)
    x = g.add("softmax2_pre_activation", "BiasAdd", (x, "softmax2_b"), T=F32)
    g.add("softmax2", "Softmax", (x,), T=F32)
    g.add("output2", "Identity", ("softmax2",), T=F32)
    return g
