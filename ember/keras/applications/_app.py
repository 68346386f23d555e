"""What every application constructor shares: argument checks, the image input, the classifier head and
the weights (``None``, ``"imagenet"`` from Keras's storage, or a local file).

Weights load by layer name, so a file written by Keras (``model.save_weights("m.weights.h5")`` or the
legacy ``.h5`` files Keras publishes for ``weights="imagenet"``) fills the same layers here.
"""
import os

import numpy as np

from .. import backend, layers
from ..models.functional import Functional
from ..utils import get_source_inputs, is_keras_tensor
from . import imagenet_utils

KERAS_WEIGHTS_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"


def check_arguments(app, weights, include_top, classes, file_weights_ok=True):
    """Raise Keras's errors for a ``weights`` that is neither None, 'imagenet' nor an existing file, and for
    ImageNet weights with a top of other than 1000 classes."""
    if not (weights in {"imagenet", None} or (file_weights_ok and isinstance(weights, (str, os.PathLike))
                                              and os.path.exists(weights))):
        raise ValueError(f"{app}: the `weights` argument should be either `None` (random initialization), "
                         "'imagenet' (pre-training on ImageNet), or the path to the weights file to be loaded.  "
                         f"Received: weights={weights}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(f"{app}: if using `weights='imagenet'` with `include_top=True`, `classes` should be "
                         f"1000.  Received classes={classes}")


def image_input_shape(input_shape, default_size, min_size, include_top, weights):
    return imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=min_size,
                                             data_format=backend.image_data_format(),
                                             require_flatten=include_top, weights=weights)


def image_input(input_shape, input_tensor, default_size, min_size, include_top, weights):
    """``(x, inputs)``: the tensor the network starts from and the model's inputs (``input_tensor``'s
    sources when it is given, else a new ``keras.Input`` of the checked ``input_shape``)."""
    return make_input(image_input_shape(input_shape, default_size, min_size, include_top, weights), input_tensor)


def make_input(shape, input_tensor):
    if input_tensor is None:
        x = layers.Input(shape=shape)
        return x, x
    if not is_keras_tensor(input_tensor):
        raise ValueError("`input_tensor` must be a symbolic tensor (keras.Input or the output of a layer call), "
                         f"got {type(input_tensor).__name__}")
    sources = get_source_inputs(input_tensor)
    return input_tensor, sources[0] if len(sources) == 1 else sources


def channel_axis():
    return 3 if backend.image_data_format() == "channels_last" else 1


def pool(x, pooling, avg_name=None, max_name=None):
    """Keras's ``pooling`` argument of a headless model: 'avg', 'max' or None (the 4D feature map)."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def predictions(x, classes, classifier_activation, weights, name="predictions"):
    imagenet_utils.validate_activation(classifier_activation, weights)
    return layers.Dense(classes, activation=classifier_activation, name=name)(x)


def build_model(inputs, outputs, name, weights, origin=None, file_hash=None):
    """The ``Functional`` model with its weights: random for ``weights=None``, downloaded from ``origin``
    (Keras's URL, cached in ``~/.keras/models``) for 'imagenet', else read from the file ``weights``."""
    model = Functional(inputs, outputs, name=name)
    if weights == "imagenet":
        if origin is None:
            raise ValueError(f"{name}: no ImageNet weights exist for this configuration; use weights=None")
        from ..utils import get_file
        try:
            path = get_file(os.path.basename(origin), origin, cache_subdir="models", file_hash=file_hash)
        except ValueError:
            raise
        except Exception as e:
            raise OSError(f"{name}(weights='imagenet') downloads Keras's weights from {origin}, which failed "
                          f"({e}). Without network access, download that file elsewhere and pass its local path "
                          "as `weights=`.") from None
        load_weights(model, path)
    elif weights is not None:
        load_weights(model, weights)
    return model


def load_weights(model, filepath):
    """Fill ``model`` from a Keras HDF5 weights file (by layer name) or an ember weights file."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".h5"):
        model.load_weights(filepath)
        return
    by_layer = read_h5_weights(filepath)
    for layer in model.layers:
        own = layer.weights
        if not own:
            continue
        if layer.name not in by_layer:
            raise ValueError(f"{filepath}: no weights for layer '{layer.name}' (the file has "
                             f"{sorted(by_layer)[:5]}...)")
        values = by_layer[layer.name]
        shapes = [tuple(w.shape) for w in own]
        if [tuple(v.shape) for v in values] != shapes:
            raise ValueError(f"{filepath}: layer '{layer.name}' holds weights of shapes "
                             f"{[tuple(v.shape) for v in values]} in the file but {shapes} in the model")
        layer.set_weights(values)


def read_h5_weights(filepath):
    """``{layer name: [arrays]}`` from Keras 3's ``.weights.h5`` (``layers/<key>/vars/<i>``, the layer name
    in the ``vars`` group's ``name`` attribute) or the legacy HDF5 layout (``layer_names`` and each layer's
    ``weight_names``), which Keras's published ImageNet weights use."""
    try:
        import h5py
    except ImportError:
        raise ImportError("Reading Keras .h5 weights needs h5py: pip install ember[h5]") from None
    out = {}
    with h5py.File(filepath, "r") as f:
        root = f["model_weights"] if "model_weights" in f else f
        if "layer_names" in root.attrs:
            for name in root.attrs["layer_names"]:
                name = name.decode() if isinstance(name, bytes) else str(name)
                group = root[name]
                names = [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs["weight_names"]]
                out[name] = [np.asarray(group[n]) for n in names]
        elif "layers" in root:
            for group in root["layers"].values():
                if "vars" not in group:
                    continue
                v = group["vars"]
                name = v.attrs.get("name", None)
                name = name.decode() if isinstance(name, bytes) else name
                out[name] = [np.asarray(v[str(i)]) for i in range(len(v))]
        else:
            raise ValueError(f"{filepath} is not a Keras weights file (no 'layer_names' attribute and no 'layers' "
                             "group)")
    return out


_MODE_DOC = {
    "caffe": "RGB to BGR, then each channel minus its ImageNet mean (BGR 103.939, 116.779, 123.68), no scaling",
    "tf": "scaled to [-1, 1] (x / 127.5 - 1)",
    "torch": "scaled to [0, 1], then each channel normalised by the ImageNet mean (0.485, 0.456, 0.406) and "
             "std (0.229, 0.224, 0.225)",
    None: "returned unchanged: the model rescales its input itself (a Rescaling/Normalization layer)",
}


def preprocess_for(mode, family):
    """The ``preprocess_input(x, data_format=None)`` of ``family``: ``imagenet_utils.preprocess_input`` in
    ``mode``, or the identity for models that take raw [0, 255] pixels (``mode=None``)."""
    if mode is None:
        def preprocess_input(x, data_format=None):
            return x
    else:
        def preprocess_input(x, data_format=None):
            return imagenet_utils.preprocess_input(x, data_format=data_format, mode=mode)
    preprocess_input.__doc__ = (f"Prepare a batch of [0, 255] images for {family}: {_MODE_DOC[mode]}.\n\n"
                                f"``x``: a float array or tensor, 3D or 4D with 3 channels. "
                                f"``data_format``: 'channels_last' (default) or 'channels_first'.")
    return preprocess_input


def rows_cols(input_shape):
    """The spatial sides of an input shape without batch (None when unknown)."""
    if input_shape is None:
        return None, None
    return tuple(input_shape[:2]) if backend.image_data_format() == "channels_last" else tuple(input_shape[1:3])


def default_size_for(input_shape, sizes, fallback=224):
    """A square input side that has ImageNet weights (one of ``sizes``) when ``input_shape`` has it, else
    ``fallback`` (MobileNet V1/V2 ship weights per input resolution)."""
    rows, cols = rows_cols(input_shape)
    return rows if rows == cols and rows in sizes else fallback


def make_divisible(v, divisor=8, min_value=None):
    """``v`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``), never more than 10%
    below ``v``: the channel rounding of MobileNet V2/V3."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def pooled_classifier(x, include_top, pooling, classes, classifier_activation, weights, top_pool="avg_pool",
                      named_pools=False):
    """The usual end of a network: with the top, global average pooling (named ``top_pool``) and the dense
    'predictions'; without it, ``pooling`` (the pools named 'avg_pool'/'max_pool' when ``named_pools``)."""
    if include_top:
        x = layers.GlobalAveragePooling2D(name=top_pool)(x)
        return predictions(x, classes, classifier_activation, weights)
    return pool(x, pooling, *(("avg_pool", "max_pool") if named_pools else ()))


def weights_resolution(rows, cols, sizes):
    """The input side whose ImageNet weights load: ``rows`` when square and one of ``sizes``, else 224 (with
    Keras's warning)."""
    if rows != cols or rows not in sizes:
        import warnings
        warnings.warn(f"`input_shape` is undefined or non-square, or `rows` is not in {list(sizes)}. Weights for "
                      "input shape (224, 224) will be loaded as the default.", stacklevel=3)
        return 224
    return rows
