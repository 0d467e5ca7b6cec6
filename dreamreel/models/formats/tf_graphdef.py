"""A minimal reader of TensorFlow GraphDef files (`.pb`), with neither TensorFlow nor the protobuf package.

read_graphdef(data, what="graph") -> GraphDef        raises DreamreelError when `data` is not a GraphDef
GraphDef.nodes: tuple[Node, ...] (file order); graph.node(name) -> Node; name in graph
Node(name, op, inputs, device, attrs)                 inputs as written ("x", "x:1", "^ctrl")
tensor_input_name("x:0") -> "x"                       (None for a control input "^x")

Attribute values are decoded to plain Python: string -> str (bytes when not UTF-8), int -> int, float -> float,
bool -> bool, type -> DataType (an IntEnum), shape -> tuple of ints (-1 unknown; None for unknown rank),
tensor -> np.ndarray, list(...) -> list of those, func -> Func(name, attrs), placeholder -> Placeholder(name).

Field numbers, from tensorflow/core/framework/*.proto (proto3):
  GraphDef         node=1 (NodeDef), library=2, version=3, versions=4
  NodeDef          name=1, op=2, input=3 (repeated), device=4, attr=5 (map<string, AttrValue>: key=1, value=2)
  AttrValue        list=1, s=2, i=3, f=4, b=5, type=6, shape=7, tensor=8, placeholder=9, func=10
  AttrValue.ListValue  s=2, i=3, f=4, b=5, type=6, shape=7, tensor=8, func=9   (numeric ones packed)
  NameAttrList     name=1, attr=2 (map<string, AttrValue>)
  TensorProto      dtype=1, tensor_shape=2, version_number=3, tensor_content=4, float_val=5, double_val=6,
                   int_val=7, string_val=8, scomplex_val=9, int64_val=10, bool_val=11, dcomplex_val=12,
                   half_val=13   (numeric *_val packed by default; unpacked ones are read too)
  TensorShapeProto dim=2 (Dim: size=1, name=2), unknown_rank=3
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from ...errors import DreamreelError

# wire types
VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5


class DataType(enum.IntEnum):
    """tensorflow/core/framework/types.proto (the values this reader knows)."""

    DT_INVALID = 0
    DT_FLOAT = 1
    DT_DOUBLE = 2
    DT_INT32 = 3
    DT_UINT8 = 4
    DT_INT16 = 5
    DT_INT8 = 6
    DT_STRING = 7
    DT_COMPLEX64 = 8
    DT_INT64 = 9
    DT_BOOL = 10
    DT_QINT8 = 11
    DT_QUINT8 = 12
    DT_QINT32 = 13
    DT_BFLOAT16 = 14
    DT_QINT16 = 15
    DT_QUINT16 = 16
    DT_UINT16 = 17
    DT_COMPLEX128 = 18
    DT_HALF = 19


# DataType -> (numpy dtype, the TensorProto field holding its values when tensor_content is empty)
_NUMPY = {
    DataType.DT_FLOAT: (np.dtype("<f4"), 5),
    DataType.DT_DOUBLE: (np.dtype("<f8"), 6),
    DataType.DT_INT32: (np.dtype("<i4"), 7),
    DataType.DT_UINT8: (np.dtype("u1"), 7),
    DataType.DT_INT16: (np.dtype("<i2"), 7),
    DataType.DT_INT8: (np.dtype("i1"), 7),
    DataType.DT_UINT16: (np.dtype("<u2"), 7),
    DataType.DT_INT64: (np.dtype("<i8"), 10),
    DataType.DT_BOOL: (np.dtype("?"), 11),
    DataType.DT_HALF: (np.dtype("<f2"), 13),
    DataType.DT_STRING: (np.dtype(object), 8),
}


@dataclass(frozen=True)
class Func:
    name: str
    attrs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Placeholder:
    name: str


@dataclass(frozen=True)
class Node:
    name: str
    op: str
    inputs: tuple[str, ...] = ()
    device: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)

    def attr(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)

    @property
    def tensor_inputs(self) -> tuple[str, ...]:
        """The data inputs as node names (":0" dropped, control inputs left out)."""
        names = (tensor_input_name(i) for i in self.inputs)
        return tuple(n for n in names if n is not None)


@dataclass(frozen=True)
class GraphDef:
    nodes: tuple[Node, ...]
    version: int = 0
    what: str = "graph"
    _by_name: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self._by_name.update({node.name: node for node in self.nodes})

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self.nodes)

    def node(self, name: str) -> Node:
        if name not in self._by_name:
            raise DreamreelError(f"{self.what} has no node {name!r}: not the expected graph")
        return self._by_name[name]


def tensor_input_name(text: str) -> str | None:
    """"node" and "node:0" -> "node"; "node:1" stays (a second output); "^node" (control) -> None."""
    if text.startswith("^"):
        return None
    return text[:-2] if text.endswith(":0") else text


class _Malformed(Exception):
    pass


# --- wire format ---------------------------------------------------------------------------------------------


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    end = len(buf)
    while True:
        if pos >= end:
            raise _Malformed("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise _Malformed("varint longer than 10 bytes")


def _signed64(value: int) -> int:
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def _fields(buf: memoryview) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value): value is an int (varint), or a memoryview (fixed32/64, length-delimited)."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise _Malformed("field number 0")
        if wire == VARINT:
            value, pos = _varint(buf, pos)
        elif wire == LEN:
            size, pos = _varint(buf, pos)
            if pos + size > end:
                raise _Malformed(f"field {number} runs past the end ({size} bytes at offset {pos} of {end})")
            value = buf[pos:pos + size]
            pos += size
        elif wire == FIXED64 or wire == FIXED32:
            size = 8 if wire == FIXED64 else 4
            if pos + size > end:
                raise _Malformed(f"truncated fixed-size field {number}")
            value = buf[pos:pos + size]
            pos += size
        else:
            raise _Malformed(f"wire type {wire} (groups are not used by GraphDef)")
        yield number, wire, value


def _expect(number: int, wire: int, *allowed: int) -> None:
    if wire not in allowed:
        raise _Malformed(f"field {number} has wire type {wire}, expected {' or '.join(map(str, allowed))}")


def _text(value: memoryview) -> str:
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise _Malformed("a name is not UTF-8") from None


def _varints(payload: memoryview) -> list[int]:
    out, pos = [], 0
    while pos < len(payload):
        value, pos = _varint(payload, pos)
        out.append(value)
    return out


def _repeated_varint(number: int, wire: int, value) -> list[int]:
    """A repeated int/bool/enum field: one unpacked value, or a packed run."""
    _expect(number, wire, VARINT, LEN)
    return [value] if wire == VARINT else _varints(value)


def _repeated_fixed(number: int, wire: int, value, fixed_wire: int, fmt: str) -> list[float]:
    _expect(number, wire, fixed_wire, LEN)
    size = np.dtype(fmt).itemsize
    if len(value) % size:
        raise _Malformed(f"packed field {number} is {len(value)} bytes, not a multiple of {size}")
    return np.frombuffer(value, dtype=np.dtype(fmt)).tolist()


# --- messages -------------------------------------------------------------------------------------------------


def _shape(buf: memoryview) -> tuple[int, ...] | None:
    dims, unknown_rank = [], False
    for number, wire, value in _fields(buf):
        if number == 2:
            _expect(number, wire, LEN)
            size = 0
            for n, w, v in _fields(value):
                if n == 1:
                    _expect(n, w, VARINT)
                    size = _signed64(v)
            dims.append(size)
        elif number == 3:
            _expect(number, wire, VARINT)
            unknown_rank = bool(value)
    return None if unknown_rank else tuple(dims)


def _tensor(buf: memoryview) -> np.ndarray:
    dtype_code, shape, content = 0, (), None
    values: dict[int, list] = {}
    for number, wire, value in _fields(buf):
        if number == 1:
            _expect(number, wire, VARINT)
            dtype_code = value
        elif number == 2:
            _expect(number, wire, LEN)
            shape = _shape(value)
        elif number == 4:
            _expect(number, wire, LEN)
            content = value
        elif number == 5:
            values.setdefault(5, []).extend(_repeated_fixed(number, wire, value, FIXED32, "<f4"))
        elif number == 6:
            values.setdefault(6, []).extend(_repeated_fixed(number, wire, value, FIXED64, "<f8"))
        elif number in (7, 10, 11, 13):
            values.setdefault(number, []).extend(_repeated_varint(number, wire, value))
        elif number == 8:
            _expect(number, wire, LEN)
            values.setdefault(8, []).append(bytes(value))
    code = dtype_code - 100 if dtype_code > 100 else dtype_code  # *_REF types hold the same values
    try:
        dtype, values_field = _NUMPY[DataType(code)]
    except (ValueError, KeyError):
        raise _Malformed(f"a tensor has data type {dtype_code}, which this reader does not support") from None
    if shape is None:
        raise _Malformed("a constant tensor has an unknown rank")
    if any(d < 0 for d in shape):
        raise _Malformed(f"a constant tensor has an unknown dimension: {shape}")
    size = int(np.prod(shape, dtype=np.int64))
    if content is not None and len(content) and dtype != np.dtype(object):
        if len(content) != size * dtype.itemsize:
            raise _Malformed(f"tensor_content holds {len(content)} bytes for shape {shape} of {dtype}")
        return np.frombuffer(content, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
    raw = values.get(values_field, [])
    if values_field in (7, 10):
        raw = [_signed64(v) for v in raw]
    if values_field == 13:  # half_val: the float16 bit patterns, as int32
        array = np.asarray(raw, dtype=np.uint16).view(np.float16)
    elif dtype == np.dtype(object):
        array = np.empty(len(raw), dtype=object)
        array[:] = raw
    else:
        array = np.asarray(raw).astype(dtype)
    if len(array) > size:
        raise _Malformed(f"a tensor of shape {shape} holds {len(array)} values")
    if len(array) < size:  # TensorFlow repeats the last value to fill the shape (zeros when there is none)
        fill = array[-1] if len(array) else (b"" if dtype == np.dtype(object) else 0)
        array = np.concatenate([array, np.full(size - len(array), fill, dtype=array.dtype)])
    return array.reshape(shape)


def _data_type(value: int):
    try:
        return DataType(value)
    except ValueError:
        return value


def _attr_map_entry(buf: memoryview) -> tuple[str, Any]:
    key, value = "", None
    for number, wire, payload in _fields(buf):
        if number == 1:
            _expect(number, wire, LEN)
            key = _text(payload)
        elif number == 2:
            _expect(number, wire, LEN)
            value = _attr_value(payload)
    return key, value


def _string(value: memoryview):
    raw = bytes(value)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def _list_value(buf: memoryview) -> list:
    items: list = []
    for number, wire, value in _fields(buf):
        if number == 2:
            _expect(number, wire, LEN)
            items.append(_string(value))
        elif number == 3:
            items.extend(_signed64(v) for v in _repeated_varint(number, wire, value))
        elif number == 4:
            items.extend(_repeated_fixed(number, wire, value, FIXED32, "<f4"))
        elif number == 5:
            items.extend(bool(v) for v in _repeated_varint(number, wire, value))
        elif number == 6:
            items.extend(_data_type(v) for v in _repeated_varint(number, wire, value))
        elif number == 7:
            _expect(number, wire, LEN)
            items.append(_shape(value))
        elif number == 8:
            _expect(number, wire, LEN)
            items.append(_tensor(value))
        elif number == 9:
            _expect(number, wire, LEN)
            items.append(_func(value))
    return items


def _func(buf: memoryview) -> Func:
    name, attrs = "", {}
    for number, wire, value in _fields(buf):
        if number == 1:
            _expect(number, wire, LEN)
            name = _text(value)
        elif number == 2:
            _expect(number, wire, LEN)
            key, attr = _attr_map_entry(value)
            attrs[key] = attr
    return Func(name, attrs)


def _attr_value(buf: memoryview) -> Any:
    result = None
    for number, wire, value in _fields(buf):
        if number == 1:
            _expect(number, wire, LEN)
            result = _list_value(value)
        elif number == 2:
            _expect(number, wire, LEN)
            result = _string(value)
        elif number == 3:
            _expect(number, wire, VARINT)
            result = _signed64(value)
        elif number == 4:
            _expect(number, wire, FIXED32)
            result = struct.unpack("<f", value)[0]
        elif number == 5:
            _expect(number, wire, VARINT)
            result = bool(value)
        elif number == 6:
            _expect(number, wire, VARINT)
            result = _data_type(value)
        elif number == 7:
            _expect(number, wire, LEN)
            result = _shape(value)
        elif number == 8:
            _expect(number, wire, LEN)
            result = _tensor(value)
        elif number == 9:
            _expect(number, wire, LEN)
            result = Placeholder(_text(value))
        elif number == 10:
            _expect(number, wire, LEN)
            result = _func(value)
    return result


def _node(buf: memoryview) -> Node:
    name, op, device, inputs, attrs = "", "", "", [], {}
    for number, wire, value in _fields(buf):
        if number == 1:
            _expect(number, wire, LEN)
            name = _text(value)
        elif number == 2:
            _expect(number, wire, LEN)
            op = _text(value)
        elif number == 3:
            _expect(number, wire, LEN)
            inputs.append(_text(value))
        elif number == 4:
            _expect(number, wire, LEN)
            device = _text(value)
        elif number == 5:
            _expect(number, wire, LEN)
            key, attr = _attr_map_entry(value)
            attrs[key] = attr
    if not name or not op:
        raise _Malformed("a node without a name or an op")
    return Node(name, op, tuple(inputs), device, attrs)


def read_graphdef(data: bytes | bytearray | memoryview, what: str = "graph") -> GraphDef:
    """Parse a serialized tensorflow.GraphDef; any malformation becomes a DreamreelError naming `what`."""
    buf = memoryview(data).cast("B")
    nodes, version = [], 0
    try:
        for number, wire, value in _fields(buf):
            if number == 1:
                _expect(number, wire, LEN)
                nodes.append(_node(value))
            elif number == 3:
                _expect(number, wire, VARINT)
                version = _signed64(value)
            elif number in (2, 4):  # library (functions), versions: not needed here
                _expect(number, wire, LEN)
    except _Malformed as error:
        raise DreamreelError(f"{what} is not a TensorFlow GraphDef ({error})") from None
    except RecursionError:
        raise DreamreelError(f"{what} is not a TensorFlow GraphDef (nested too deeply)") from None
    if not nodes:
        raise DreamreelError(f"{what} is not a TensorFlow GraphDef (it holds no nodes)")
    names = [node.name for node in nodes]
    if len(set(names)) != len(names):
        raise DreamreelError(f"{what} is not a valid GraphDef (two nodes share a name)")
    return GraphDef(tuple(nodes), version, what)
