"""InceptionV1 (inception5h): the GraphDef reader, the importer and the Flax module, against synthetic graphs.

The graphs are built with the published node names, ops, wiring and attributes (tests/graphdef_builder.py), with
random weights; an independent NumPy interpreter of those graph nodes is the reference for the Flax forward.
"""

from __future__ import annotations

import functools
import io
import zipfile

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from graphdef_builder import (DT_FLOAT, DT_INT32, DType, GraphBuilder, Shape, Tensor, build_inception5h,
                              graph_def, node_def, random_inception5h_weights)

from dreamreel.errors import DreamreelError
from dreamreel.models import activations, get_spec, import_weights, load_model
from dreamreel.models.formats.inception5h import (LABELS_KEY, UNUSED_LABEL, convert_inception5h, decode_labels,
                                                  encode_labels, labels_of, params_from_graph, with_labels)
from dreamreel.models.formats.tf_graphdef import DataType, read_graphdef
from dreamreel.models.inception_v1 import (CLASSES, MIXED_WIDTHS, STEM_WIDTHS, InceptionV1, preprocess,
                                           scaled_widths)
from dreamreel.models.registry import Model, derive_layers
from dreamreel.models.weights import nest

NARROW_STEM, NARROW_MIXED = scaled_widths(8)
LABELS = ["dummy", "kit fox", "English setter", "Siberian husky", "tench"]


def log(message):
    pass


def narrow_layer_names():
    return [layer.name for layer in derive_layers(functools.partial(InceptionV1, stem=NARROW_STEM, mixed=NARROW_MIXED))]


# --- an independent NumPy reference: an interpreter of the graph's nodes --------------------------------------


def _same(size, k, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2, total - total // 2


def _windows(x, kh, kw, stride, padding, fill):
    """(N, H, W, C) -> (kh*kw, N, oh, ow, C): every window tap, TensorFlow's SAME/VALID padding."""
    n, h, w, c = x.shape
    if padding == "SAME":
        (oh, top, bottom), (ow, left, right) = _same(h, kh, stride), _same(w, kw, stride)
    else:
        oh, ow, top, bottom, left, right = (h - kh) // stride + 1, (w - kw) // stride + 1, 0, 0, 0, 0
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill)
    return np.stack([padded[:, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride]
                     for i in range(kh) for j in range(kw)])


def np_conv2d(x, kernel, stride, padding):
    kh, kw, cin, cout = kernel.shape
    taps = _windows(x, kh, kw, stride, padding, 0.0)  # (kh*kw, N, oh, ow, cin)
    columns = np.moveaxis(taps, 0, 3).reshape(*taps.shape[1:4], kh * kw * cin)  # im2col
    return columns @ kernel.reshape(kh * kw * cin, cout)


def np_pool(x, size, stride, padding, op):
    if op == "MaxPool":
        return _windows(x, size, size, stride, padding, -np.inf).max(axis=0)
    assert padding == "VALID"  # TensorFlow's SAME average pool would leave padding out of the count
    return _windows(x, size, size, stride, padding, 0.0).mean(axis=0)


def np_lrn(x, depth_radius, bias, alpha, beta):
    square = x ** 2
    total = np.zeros_like(x)
    for c in range(x.shape[-1]):
        total[..., c] = square[..., max(0, c - depth_radius):c + depth_radius + 1].sum(axis=-1)
    return x / (bias + alpha * total) ** beta


def run_graph(builder: GraphBuilder, feed: np.ndarray, until: str | None = None) -> dict[str, np.ndarray]:
    values = {}
    for node in builder.nodes:
        if until in values:
            break
        a = node.attrs
        ins = [values[name] for name in node.inputs]
        if node.op == "Placeholder":
            out = feed.astype(np.float64)
        elif node.op == "Const":
            out = np.asarray(a["value"].array)
            out = out.astype(np.float64) if out.dtype.kind == "f" else out
        elif node.op == "Conv2D":
            out = np_conv2d(ins[0], ins[1], a["strides"][1], a["padding"])
        elif node.op == "BiasAdd":
            out = ins[0] + ins[1]
        elif node.op == "Relu":
            out = np.maximum(ins[0], 0.0)
        elif node.op in ("MaxPool", "AvgPool"):
            assert a["ksize"][1] == a["ksize"][2] and a["strides"][1] == a["strides"][2]
            out = np_pool(ins[0], a["ksize"][1], a["strides"][1], a["padding"], node.op)
        elif node.op == "LRN":
            out = np_lrn(ins[0], a["depth_radius"], a["bias"], a["alpha"], a["beta"])
        elif node.op == "Concat":
            out = np.concatenate(ins[1:], axis=int(ins[0]))
        elif node.op == "Reshape":
            out = ins[0].reshape(ins[1])
        elif node.op == "MatMul":
            out = ins[0] @ ins[1]
        elif node.op == "Softmax":
            e = np.exp(ins[0] - ins[0].max(axis=-1, keepdims=True))
            out = e / e.sum(axis=-1, keepdims=True)
        elif node.op == "Identity":
            out = ins[0]
        else:
            raise NotImplementedError(node.op)
        values[node.name] = out
    return values


# --- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def narrow():
    """A narrow inception5h graph (same topology, widths / 8) with random weights, as GraphDef bytes."""
    rng = np.random.default_rng(1)
    # activations of tens, as in the real network, so that LRN's alpha term matters
    weights = random_inception5h_weights(NARROW_STEM, NARROW_MIXED, CLASSES, rng, input_scale=4.0)
    # the biases of a few layers stored as float_val, packed and not, as older writers did
    modes = {"conv2d1": "packed", "mixed4c_3x3": "unpacked", "softmax2": "packed"}
    builder = build_inception5h(weights, NARROW_STEM, NARROW_MIXED, CLASSES, bias_mode=modes)
    return weights, builder, builder.encode()


@pytest.fixture(scope="module")
def narrow_model(narrow):
    _, _, data = narrow
    flat = params_from_graph(read_graphdef(data, "narrow.pb"), NARROW_STEM, NARROW_MIXED, CLASSES)
    module = InceptionV1(stem=NARROW_STEM, mixed=NARROW_MIXED, classes=CLASSES)
    return module, nest({k: jnp.asarray(v) for k, v in flat.items()})


@pytest.fixture(scope="module")
def full_size(tmp_path_factory):
    """The true inception5h shapes with random weights, zipped with a labels file like inception5h.zip."""
    rng = np.random.default_rng(2)
    weights = random_inception5h_weights(STEM_WIDTHS, MIXED_WIDTHS, CLASSES, rng)
    data = build_inception5h(weights, STEM_WIDTHS, MIXED_WIDTHS, CLASSES).encode()
    folder = tmp_path_factory.mktemp("inception5h")
    archive = folder / "inception5h.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("tensorflow_inception_graph.pb", data)
        z.writestr("imagenet_comp_graph_label_strings.txt", "\n".join(LABELS) + "\n")
        z.writestr("LICENSE", "test")
    return weights, data, archive


# --- the reader -----------------------------------------------------------------------------------------------


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


def test_a_truncated_graph_and_a_foreign_graph_are_refused(narrow, tmp_path):
    _, _, data = narrow
    with pytest.raises(DreamreelError, match="truncated.pb is not a TensorFlow GraphDef"):
        read_graphdef(data[: len(data) // 2], "truncated.pb")
    foreign = tmp_path / "foreign.pb"
    foreign.write_bytes(graph_def([node_def("input", "Placeholder"), node_def("dense", "MatMul", ["input"])]))
    with pytest.raises(DreamreelError, match="no node 'conv2d0_pre_relu/conv'"):
        convert_inception5h(foreign, log)
    empty_zip = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty_zip, "w") as z:
        z.writestr("readme.txt", "nothing here")
    with pytest.raises(DreamreelError, match="no file ending in tensorflow_inception_graph.pb"):
        convert_inception5h(empty_zip, log)


@pytest.mark.parametrize("node, change, message", [
    ("mixed4d_3x3_pre_relu/conv", {"padding": "VALID"}, "padding='VALID', expected 'SAME'"),
    ("conv2d0_pre_relu/conv", {"strides": [1, 1, 1, 1]}, "strides"),
    ("localresponsenorm1", {"bias": 1.0}, "bias=1.0, expected 2.0"),
    ("localresponsenorm0", {"depth_radius": 4}, "depth_radius=4"),
    ("maxpool4", {"ksize": [1, 2, 2, 1]}, "ksize"),
    ("avgpool0", {"padding": "SAME"}, "padding='SAME'"),
])
def test_the_importer_checks_the_graph_attributes(narrow, node, change, message):
    weights, _, _ = narrow
    builder = build_inception5h(weights, NARROW_STEM, NARROW_MIXED, CLASSES)
    builder.node(node).attrs.update(change)
    graph = read_graphdef(builder.encode(), "changed.pb")
    with pytest.raises(DreamreelError, match=message):
        params_from_graph(graph, NARROW_STEM, NARROW_MIXED, CLASSES)


def test_the_importer_checks_the_wiring(narrow):
    weights, _, _ = narrow
    builder = build_inception5h(weights, NARROW_STEM, NARROW_MIXED, CLASSES)
    concat = builder.node("mixed4b")
    concat.inputs = (concat.inputs[0], concat.inputs[2], concat.inputs[1], *concat.inputs[3:])
    with pytest.raises(DreamreelError, match="mixed4b.*concatenates mixed4b_3x3, mixed4b_1x1"):
        params_from_graph(read_graphdef(builder.encode()), NARROW_STEM, NARROW_MIXED, CLASSES)


# --- the module against the reference -------------------------------------------------------------------------


def test_forward_matches_the_numpy_graph_interpreter(narrow, narrow_model):
    """At 224x224 (where avgpool0 is the graph's 7x7 VALID pool), batch of 2, every named tensor."""
    _, builder, _ = narrow
    module, params = narrow_model
    images = np.random.default_rng(4).uniform(0, 1, (2, 224, 224, 3)).astype(np.float32)
    ours = jax.jit(lambda p, x: module.apply({"params": p}, preprocess(x)))(params, jnp.asarray(images))
    reference = run_graph(builder, images.astype(np.float64) * 255.0 - 117.0)
    names = narrow_layer_names()
    assert sorted(ours) == sorted(names)  # (jit returns the dict sorted; the order is checked without jit below)
    for name in names:
        expected = reference[name]
        got = np.asarray(ours[name]).reshape(expected.shape)  # the head is (N, 1, 1, C) here, (N, C) there
        scale = np.abs(expected).max() + 1e-12
        np.testing.assert_allclose(got, expected, rtol=2e-3, atol=2e-4 * scale, err_msg=name)
    assert reference["softmax2"].shape == (2, CLASSES)
    stem = reference["localresponsenorm0"] / reference["maxpool0"].clip(1e-6)
    assert stem[reference["maxpool0"] > 1].min() < 0.5  # LRN's alpha term is not negligible here
    assert 1 < np.abs(reference["mixed5b"]).mean() < 1000  # the random weights keep activations in range


def test_forward_matches_on_odd_sizes(narrow, narrow_model):
    """Odd sides, where TensorFlow's SAME padding is uneven (the extra row/column at the end), to mixed5b."""
    _, builder, _ = narrow
    module, params = narrow_model
    images = np.random.default_rng(6).uniform(0, 1, (1, 83, 61, 3)).astype(np.float32)
    ours = jax.jit(lambda p, x: module.apply({"params": p}, preprocess(x), until="mixed5b"))(params, images)
    reference = run_graph(builder, images.astype(np.float64) * 255.0 - 117.0, until="mixed5b")
    for name, got in ours.items():
        expected = reference[name]
        assert got.shape == expected.shape, name
        np.testing.assert_allclose(got, expected, rtol=2e-3, atol=2e-4 * np.abs(expected).max(), err_msg=name)


def test_until_stops_early(narrow_model):
    module, params = narrow_model
    x = jnp.asarray(np.random.default_rng(5).normal(0, 50, (1, 64, 64, 3)), jnp.float32)
    names = narrow_layer_names()

    def names_returned(until=None):
        """The dict's own order (a traced function sees it before jit sorts the keys)."""
        order = []

        def forward(p, x):
            acts = module.apply({"params": p}, x, until=until)
            order.extend(acts)
            return acts

        jax.eval_shape(forward, params, x)
        return order

    assert names_returned() == names  # forward order, as the layer table says
    stop = "mixed3b_3x3_bottleneck"
    assert names_returned(stop) == names[: names.index(stop) + 1]
    assert names_returned("conv2d0_pre_relu") == ["conv2d0_pre_relu"]
    run = jax.jit(module.apply, static_argnames="until")
    early, later = run({"params": params}, x, until=stop), run({"params": params}, x, until="mixed3b")
    assert stop in early and "mixed3b_3x3" not in early and "mixed3b" in later
    np.testing.assert_allclose(early[stop], later[stop], rtol=1e-6)
    # nothing past `until` is built: its parameters are not even needed
    built = jax.eval_shape(functools.partial(module.init, until=stop), jax.random.PRNGKey(0), x)["params"]
    assert "mixed3b_3x3_bottleneck" in built and "mixed3b_3x3" not in built and "softmax2" not in built
    few = {name: params[name] for name in built}
    np.testing.assert_array_equal(run({"params": few}, x, until=stop)[stop], early[stop])


# --- the importer with the true shapes, and the registered model ----------------------------------------------


def test_import_the_true_shapes_with_labels(full_size, tmp_path):
    weights, _, archive = full_size
    spec = get_spec("inception_v1")
    import_weights(spec, archive, home=tmp_path, log=log)
    model = load_model("inception_v1", home=tmp_path, fetch=False)
    expected = jax.eval_shape(spec.module().init, jax.random.PRNGKey(0),
                              jax.ShapeDtypeStruct((1, 64, 64, 3), jnp.float32))["params"]
    got = {k: v for k, v in model.params.items() if k != "labels"}
    assert jax.tree_util.tree_map(lambda a: a.shape, got) == jax.tree_util.tree_map(lambda a: a.shape, expected)
    np.testing.assert_array_equal(model.params["mixed4d_3x3_bottleneck"]["kernel"],
                                  weights["mixed4d_3x3_bottleneck_w"])
    np.testing.assert_array_equal(model.params["softmax2"]["bias"], weights["softmax2_b"])
    labels = labels_of(model)
    assert len(labels) == CLASSES and labels[:5] == tuple(LABELS) and labels[5] == UNUSED_LABEL
    assert model.spec.label_index("Siberian husky") == 3  # load_model attaches the labels itself
    labelled = with_labels(model)
    assert labelled.spec.label_index("Siberian husky") == 3 and labelled.spec.layer("mixed4c").channels == 512
    acts = activations(labelled, jnp.full((1, 32, 32, 3), 0.5), until="conv2d0")
    np.testing.assert_allclose(
        acts["conv2d0_pre_relu"][0, 5, 5],
        np.asarray(np.einsum("ijc,ijco->o", np.full((7, 7, 3), 0.5 * 255 - 117), weights["conv2d0_w"])
                   + weights["conv2d0_b"]), rtol=1e-4, atol=1e-4)


def test_a_bare_graph_file_takes_its_labels_from_beside_it(full_size, tmp_path):
    _, data, _ = full_size
    bare = tmp_path / "tensorflow_inception_graph.pb"
    bare.write_bytes(data)
    flat = convert_inception5h(bare, log)
    assert LABELS_KEY not in flat
    with pytest.raises(DreamreelError, match="no class names"):
        labels_of(nest(flat))
    (tmp_path / "imagenet_comp_graph_label_strings.txt").write_text("\n".join(LABELS) + "\n")
    assert labels_of(nest(convert_inception5h(bare, log)))[:5] == tuple(LABELS)


def test_the_registered_spec():
    spec = get_spec("inception_v1")
    assert spec.dream_layers == ("mixed4c",)
    assert spec.layer_names()[:4] == ["conv2d0_pre_relu", "conv2d0", "maxpool0", "localresponsenorm0"]
    assert spec.layer_names()[-3:] == ["avgpool0", "softmax2_pre_activation", "softmax2"]
    assert (spec.layer("mixed4d_3x3_bottleneck").channels, spec.layer("mixed4d_3x3_bottleneck").stride) == (144, 16)
    assert (spec.layer("mixed5b").channels, spec.layer("softmax2").channels) == (1024, CLASSES)
    pixels = jnp.asarray([[[[0.0, 0.5, 1.0]]]])
    np.testing.assert_allclose(spec.preprocess(pixels), [[[[-117.0, 10.5, 138.0]]]])  # RGB kept in order
    assert spec.weights.convert is convert_inception5h
    assert isinstance(Model(params={}, spec=spec).spec.module(), InceptionV1)


def test_labels_survive_the_cache_encoding():
    names = ["dummy", "café", "great white shark"]
    cached = encode_labels(names).astype(np.float32)  # the cache stores every array as float32
    assert decode_labels(cached) == tuple(names)
    buffer = io.BytesIO()
    np.savez(buffer, names=cached)
    buffer.seek(0)
    assert decode_labels(np.load(buffer)["names"]) == tuple(names)
