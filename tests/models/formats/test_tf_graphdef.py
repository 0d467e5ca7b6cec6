"""The GraphDef reader, on graphs written by tests/models/formats/graphdef_builder.py and checked against the
protobuf library when it is installed."""

from __future__ import annotations

import numpy as np
import pytest
from graphdef_builder import DT_FLOAT, DT_INT32, DType, GraphBuilder, Shape, Tensor, graph_def, node_def

from dreamreel.errors import DreamreelError
from dreamreel.models.formats.tf_graphdef import DataType, read_graphdef


def test_reader_decodes_every_attribute_kind():
    content = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    attrs = {
        "padding": "VALID", "data_format": "NHWC", "strides": [1, 2, 2, 1], "ksize": [1, 3, 3, 1],
        "depth_radius": 5, "offset": -3, "alpha": 1e-4, "flag": True, "T": DType(DT_FLOAT),
        "shape": Shape((1, -1, -1, 3)), "anything": Shape(None), "scalar_shape": Shape(()),
        "content": Tensor(content, "content"), "packed": Tensor(content, "packed"),
        "unpacked": Tensor(content, "unpacked"), "filled": Tensor(np.full((2, 3), 7.5, np.float32), "unpacked"),
        "ints": Tensor(np.asarray([[-1, 1024]], np.int32), "unpacked"),
        "ints_packed": Tensor(np.asarray([-5, 0, 3], np.int32), "packed"),
        "int64": Tensor(np.asarray([-(2 ** 40), 2 ** 40], np.int64), "content"),
        "floats": [0.5, -2.0], "names": ["a", "b"], "types": [DType(DT_FLOAT), DType(DT_INT32)],
    }
    data = graph_def([node_def("input", "Placeholder"),
                      node_def("n", "Thing", ["input:0", "other:1", "^ctrl"], attrs, device="/cpu:0")])
    graph = read_graphdef(data)
    node = graph.node("n")
    assert (node.op, node.inputs, node.device) == ("Thing", ("input:0", "other:1", "^ctrl"), "/cpu:0")
    assert node.tensor_inputs == ("input", "other:1")
    a = node.attrs
    assert (a["padding"], a["data_format"], a["strides"], a["ksize"]) == ("VALID", "NHWC", [1, 2, 2, 1], [1, 3, 3, 1])
    assert (a["depth_radius"], a["offset"], a["flag"]) == (5, -3, True)
    assert a["alpha"] == pytest.approx(1e-4, rel=1e-7)
    assert a["T"] is DataType.DT_FLOAT
    assert (a["shape"], a["anything"], a["scalar_shape"]) == ((1, -1, -1, 3), None, ())
    for kind in ("content", "packed", "unpacked"):
        assert a[kind].dtype == np.float32 and np.array_equal(a[kind], content), kind
    np.testing.assert_array_equal(a["filled"], np.full((2, 3), 7.5))  # one value repeated to fill the shape
    assert a["ints"].dtype == np.int32 and a["ints"].tolist() == [[-1, 1024]]
    assert a["ints_packed"].tolist() == [-5, 0, 3]
    assert a["int64"].tolist() == [-(2 ** 40), 2 ** 40]
    assert a["floats"] == [0.5, -2.0] and a["names"] == ["a", "b"]
    assert a["types"] == [DataType.DT_FLOAT, DataType.DT_INT32]


def _protobuf_classes():
    """GraphDef & co. declared to the protobuf library at run time, with the field numbers of TensorFlow's .proto."""
    descriptor_pb2 = pytest.importorskip("google.protobuf.descriptor_pb2")
    from google.protobuf import descriptor_pool, message_factory

    F = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(name="tf_subset.proto", package="tfs", syntax="proto3")

    def message(parent, name):
        return (parent.message_type if parent is file else parent.nested_type).add(name=name)

    def add(msg, name, number, kind, repeated=False, type_name=None, oneof=None):
        f = msg.field.add(name=name, number=number, type=kind,
                          label=F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL)
        if type_name:
            f.type_name = type_name
        if oneof is not None:
            f.oneof_index = oneof

    shape = message(file, "TensorShapeProto")
    dim = message(shape, "Dim")
    add(dim, "size", 1, F.TYPE_INT64)
    add(dim, "name", 2, F.TYPE_STRING)
    add(shape, "dim", 2, F.TYPE_MESSAGE, True, ".tfs.TensorShapeProto.Dim")
    add(shape, "unknown_rank", 3, F.TYPE_BOOL)
    tensor = message(file, "TensorProto")
    add(tensor, "dtype", 1, F.TYPE_INT32)
    add(tensor, "tensor_shape", 2, F.TYPE_MESSAGE, type_name=".tfs.TensorShapeProto")
    add(tensor, "tensor_content", 4, F.TYPE_BYTES)
    add(tensor, "float_val", 5, F.TYPE_FLOAT, True)
    add(tensor, "int_val", 7, F.TYPE_INT32, True)
    add(tensor, "int64_val", 10, F.TYPE_INT64, True)
    attr = message(file, "AttrValue")
    attr.oneof_decl.add(name="value")
    lst = message(attr, "ListValue")
    add(lst, "s", 2, F.TYPE_BYTES, True)
    add(lst, "i", 3, F.TYPE_INT64, True)
    add(lst, "f", 4, F.TYPE_FLOAT, True)
    add(lst, "type", 6, F.TYPE_INT32, True)
    add(attr, "list", 1, F.TYPE_MESSAGE, type_name=".tfs.AttrValue.ListValue", oneof=0)
    add(attr, "s", 2, F.TYPE_BYTES, oneof=0)
    add(attr, "i", 3, F.TYPE_INT64, oneof=0)
    add(attr, "f", 4, F.TYPE_FLOAT, oneof=0)
    add(attr, "b", 5, F.TYPE_BOOL, oneof=0)
    add(attr, "type", 6, F.TYPE_INT32, oneof=0)
    add(attr, "shape", 7, F.TYPE_MESSAGE, type_name=".tfs.TensorShapeProto", oneof=0)
    add(attr, "tensor", 8, F.TYPE_MESSAGE, type_name=".tfs.TensorProto", oneof=0)
    node = message(file, "NodeDef")
    entry = message(node, "AttrEntry")
    entry.options.map_entry = True
    add(entry, "key", 1, F.TYPE_STRING)
    add(entry, "value", 2, F.TYPE_MESSAGE, type_name=".tfs.AttrValue")
    add(node, "name", 1, F.TYPE_STRING)
    add(node, "op", 2, F.TYPE_STRING)
    add(node, "input", 3, F.TYPE_STRING, True)
    add(node, "device", 4, F.TYPE_STRING)
    add(node, "attr", 5, F.TYPE_MESSAGE, True, ".tfs.NodeDef.AttrEntry")
    graph = message(file, "GraphDef")
    add(graph, "node", 1, F.TYPE_MESSAGE, True, ".tfs.NodeDef")
    add(graph, "version", 3, F.TYPE_INT32)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("tfs.GraphDef"))


def test_reader_and_builder_agree_with_the_protobuf_library():
    GraphDefPB = _protobuf_classes()
    weights = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 5
    g = GraphDefPB(version=9)
    node = g.node.add(name="w", op="Const")
    node.attr["dtype"].type = DT_FLOAT
    value = node.attr["value"].tensor
    value.dtype = DT_FLOAT
    for d in weights.shape:
        value.tensor_shape.dim.add(size=d)
    value.tensor_content = weights.tobytes()
    node = g.node.add(name="conv", op="Conv2D", input=["x", "w"])
    node.attr["strides"].list.i.extend([1, 2, 2, 1])
    node.attr["padding"].s = b"SAME"
    node.attr["alpha"].f = 1e-4
    node.attr["depth_radius"].i = 0  # a set oneof member is written even when it is zero
    node.attr["flag"].b = False
    node.attr["shape"].shape.unknown_rank = True
    node.attr["b"].tensor.dtype = DT_FLOAT
    node.attr["b"].tensor.tensor_shape.dim.add(size=3)
    node.attr["b"].tensor.float_val.extend([0.25, -1.0, 3.0])
    node.attr["shape_const"].tensor.dtype = DT_INT32
    node.attr["shape_const"].tensor.tensor_shape.dim.add(size=2)
    node.attr["shape_const"].tensor.int_val.extend([-1, 1024])
    ours = read_graphdef(g.SerializeToString()).node
    np.testing.assert_array_equal(ours("w").attrs["value"], weights)
    c = ours("conv").attrs
    assert c["strides"] == [1, 2, 2, 1] and c["padding"] == "SAME" and c["depth_radius"] == 0
    assert c["alpha"] == pytest.approx(1e-4) and c["flag"] is False and c["shape"] is None
    assert c["b"].tolist() == [0.25, -1.0, 3.0] and c["shape_const"].tolist() == [-1, 1024]

    # and the library reads what the test builder writes, unpacked float_val included
    builder = GraphBuilder()
    builder.const("k", weights)
    builder.const("v", np.asarray([1.5, 2.5], np.float32), mode="unpacked")
    builder.add("p", "MaxPool", ("k:0",), ksize=[1, 3, 3, 1], padding="VALID", T=DType(DT_FLOAT))
    parsed = GraphDefPB.FromString(builder.encode())
    assert [n.name for n in parsed.node] == ["k", "v", "p"] and parsed.version == 9
    k = parsed.node[0].attr["value"].tensor
    assert [d.size for d in k.tensor_shape.dim] == [2, 3, 4] and k.tensor_content == weights.tobytes()
    assert list(parsed.node[1].attr["value"].tensor.float_val) == [1.5, 2.5]
    p = parsed.node[2]
    assert list(p.input) == ["k:0"] and list(p.attr["ksize"].list.i) == [1, 3, 3, 1]
    assert p.attr["padding"].s == b"VALID" and p.attr["T"].type == DT_FLOAT


@pytest.mark.parametrize("data", [
    b"",
    b"hello, I am a text file\n",
    bytes(np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8)),
    b"PK\x03\x04 not really a zip",
    b"\x0a\xff\xff\xff\x0f\x0a",  # a node said to run 4 GB past the end
    b"\x08\x01",  # valid protobuf, but no nodes
])
def test_a_file_that_is_not_a_graphdef_is_a_dreamreel_error(data):
    with pytest.raises(DreamreelError, match="not a TensorFlow GraphDef"):
        read_graphdef(data, "bad.pb")
