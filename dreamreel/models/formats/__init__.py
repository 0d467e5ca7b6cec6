"""Converters of published weight files, one module per file format; each turns a file into flat
{"layer/param": array} for a model's module (the keys and shapes are checked against the module in weights.py).

archive.member_bytes(path, suffix) -> bytes         a file, or its member inside a zip/wheel
tf_graphdef.read_graphdef(data) -> GraphDef         TensorFlow GraphDef (.pb), without TensorFlow
inception5h.convert_inception5h(path, log) -> flat  the DeepDream graph -> InceptionV1 (+ class names)
keras_h5.keras_applications(path, log) -> flat      Keras 2 applications .h5 (vgg16/vgg19 ImageNet)
keras_h5.hed_keras3(blocks) -> converter            the HED edge detector's Keras 3 .weights.h5 -> VGG16

A new model whose weights come in a known format needs only its module file and its entry in zoo.py.
"""
