"""VGG16 (Simonyan & Zisserman 2014): five blocks of 3x3 'same' convolutions + relu, each closed by 2x2 max
pooling, then (with the top) flatten and dense 4096, 4096, ``classes``. Keras's layer names
(``block1_conv1`` ... ``fc1``, ``fc2``, ``predictions``). Inputs through :func:`preprocess_input` (caffe mode).

>>> from ember.keras.applications import VGG16
>>> VGG16(weights=None, include_top=False, input_shape=(32, 32, 3)).output_shape
(None, 1, 1, 512)
"""
from .. import layers
from . import _app
from .imagenet_utils import decode_predictions  # noqa: F401

preprocess_input = _app.preprocess_for("caffe", "VGG")

_HASHES = {"vgg16": ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"),
           "vgg19": ("cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6")}


def vgg(convs_per_block, family, name, include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation):
    """A VGG with ``convs_per_block[i]`` convolutions in block ``i + 1`` (64, 128, 256, 512, 512 filters);
    ``family`` ('vgg16' or 'vgg19') names Keras's ImageNet weight files."""
    _app.check_arguments(name, weights, include_top, classes)
    x, inputs = _app.image_input(input_shape, input_tensor, 224, 32, include_top, weights)
    for block, (filters, n) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block), start=1):
        for i in range(1, n + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = _app.predictions(x, classes, classifier_activation, weights)
    else:
        x = _app.pool(x, pooling)
    fname = f"{family}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return _app.build_model(inputs, x, name, weights, f"{_app.KERAS_WEIGHTS_BASE}{family}/{fname}",
                            _HASHES[family][0 if include_top else 1])


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg16"):
    """VGG16: 2, 2, 3, 3, 3 convolutions per block (138M parameters with the top); default 224x224, at
    least 32x32."""
    return vgg((2, 2, 3, 3, 3), "vgg16", name, include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation)
