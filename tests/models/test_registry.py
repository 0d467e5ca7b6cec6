"""The registry: names, layer lookup, and layer tables derived from the modules (checked against the tables that
were written by hand before derivation, kept here as the independent reference)."""

from functools import partial

import jax
import jax.numpy as jnp
import pytest

from dreamreel.errors import DreamreelError
from dreamreel.models import get_spec, model_names, register
from dreamreel.models.inception_v1 import CLASSES, MIXED_WIDTHS, POOL_AFTER, STEM_WIDTHS, scaled_widths, InceptionV1
from dreamreel.models.registry import Layer, ModelSpec, caffe_bgr, derive_layers, parameter_shapes
from dreamreel.models.vgg import VGG, VGG16_BLOCKS, VGG19_BLOCKS, VGG_WIDTHS


def handwritten_vgg_layers(blocks, widths=VGG_WIDTHS, hed_head=False):
    table = []
    for b, (n_convs, width) in enumerate(zip(blocks, widths), start=1):
        stride = 2 ** (b - 1)
        for i in range(1, n_convs + 1):
            table.append(Layer(f"block{b}_conv{i}_pre_relu", width, stride, "pre_relu"))
            table.append(Layer(f"block{b}_conv{i}", width, stride))
        table.append(Layer(f"block{b}_pool", width, stride * 2, "pool"))
    if hed_head:
        table += [Layer(f"hed_side{k}", 1, 1, "head") for k in range(1, 6)]
        table.append(Layer("hed_edges", 1, 1, "head"))
    return tuple(table)


def handwritten_inception_v1_layers(stem=STEM_WIDTHS, mixed=MIXED_WIDTHS, classes=CLASSES):
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
    for block, (w1, w3b, w3, w5b, w5, wp) in mixed:
        conv(f"{block}_1x1", w1, stride)
        conv(f"{block}_3x3_bottleneck", w3b, stride)
        conv(f"{block}_3x3", w3, stride)
        conv(f"{block}_5x5_bottleneck", w5b, stride)
        conv(f"{block}_5x5", w5, stride)
        table.append(Layer(f"{block}_pool", channels, stride, "pool"))
        conv(f"{block}_pool_reduce", wp, stride)
        channels = w1 + w3 + w5 + wp
        table.append(Layer(block, channels, stride))
        if block in POOL_AFTER:
            stride *= 2
            table.append(Layer(POOL_AFTER[block], channels, stride, "pool"))
    table.append(Layer("avgpool0", channels, stride, "head"))
    table.append(Layer("softmax2_pre_activation", classes, stride, "logits"))
    table.append(Layer("softmax2", classes, stride, "probs"))
    return tuple(table)


@pytest.mark.parametrize("name, expected", [
    ("vgg16", handwritten_vgg_layers(VGG16_BLOCKS, hed_head=True)),
    ("vgg16_imagenet", handwritten_vgg_layers(VGG16_BLOCKS)),
    ("vgg19_imagenet", handwritten_vgg_layers(VGG19_BLOCKS)),
    ("inception_v1", handwritten_inception_v1_layers()),
])
def test_derived_layer_tables_equal_the_handwritten_ones(name, expected):
    assert get_spec(name).layers == expected


def test_derivation_follows_the_module_widths():
    stem, mixed = scaled_widths(8)
    derived = derive_layers(partial(InceptionV1, stem=stem, mixed=mixed, classes=10))
    assert derived == handwritten_inception_v1_layers(stem, mixed, 10)
    assert derive_layers(partial(VGG, blocks=(1, 2), widths=(3, 5))) == handwritten_vgg_layers((1, 2), (3, 5))


def test_a_given_table_is_kept_and_a_missing_one_derived():
    module = partial(VGG, blocks=(1,), widths=(2,))
    given = (Layer("block1_conv1", 2, 1),)
    common = dict(name="t", description="", module=module, preprocess=caffe_bgr((0, 0, 0)), weights=None,
                  dream_layers=())
    assert ModelSpec(**common, layers=given).layers == given
    derived = ModelSpec(**common)
    assert derived.layer_names() == ["block1_conv1_pre_relu", "block1_conv1", "block1_pool"]
    assert derived.layer("block1_pool") == Layer("block1_pool", 2, 2, "pool")


def test_parameter_shapes_are_the_modules():
    shapes = parameter_shapes(partial(VGG, blocks=(1, 1), widths=(4, 8), hed_head=True))
    assert shapes == {"block1_conv1/kernel": (3, 3, 3, 4), "block1_conv1/bias": (4,),
                      "block2_conv1/kernel": (3, 3, 4, 8), "block2_conv1/bias": (8,),
                      "hed_dsn1/kernel": (1, 1, 4, 1), "hed_dsn1/bias": (1,),
                      "hed_dsn2/kernel": (1, 1, 8, 1), "hed_dsn2/bias": (1,),
                      "hed_fuse/kernel": (1, 1, 2, 1), "hed_fuse/bias": (1,)}
    assert get_spec("inception_v1").parameter_shapes()["softmax2/kernel"] == (1024, CLASSES)


def test_the_table_matches_activations_at_an_odd_size():
    spec = get_spec("inception_v1")
    x = jax.ShapeDtypeStruct((1, 80, 48, 3), jnp.float32)
    variables = jax.eval_shape(spec.module().init, jax.random.PRNGKey(0), x)
    acts = jax.eval_shape(spec.module().apply, variables, x)
    for layer in spec.layers:
        spatial = (1, 1) if layer.kind in ("head", "logits", "probs") else (-(-80 // layer.stride),
                                                                             -(-48 // layer.stride))
        assert acts[layer.name].shape == (1, *spatial, layer.channels), layer.name


def test_registry_refuses_a_name_twice():
    with pytest.raises(ValueError, match="registered twice"):
        register(get_spec("vgg16"))


def test_unknown_model_names_the_known_ones():
    with pytest.raises(DreamreelError, match="vgg16"):
        get_spec("alexnet")


def test_unknown_layer_suggests_a_close_name():
    with pytest.raises(DreamreelError, match="block4_conv3"):
        get_spec("vgg16").layer("block4_conv")


def test_default_models_are_registered():
    assert {"vgg16", "vgg16_imagenet", "vgg19_imagenet", "inception_v1"} <= set(model_names())
