"""ImageNet input scaling and label decoding shared by the applications (``keras.applications.imagenet_utils``).

``preprocess_input(x, mode=...)`` maps pixels in [0, 255] to what a network was trained on:

* ``"caffe"``: RGB to BGR, then minus the BGR ImageNet mean ``(103.939, 116.779, 123.68)``, no scaling;
* ``"tf"``: ``x / 127.5 - 1`` (to [-1, 1]);
* ``"torch"``: ``(x / 255 - mean) / std`` with mean ``(0.485, 0.456, 0.406)``, std ``(0.229, 0.224, 0.225)``.

>>> import numpy as np
>>> preprocess_input(np.array([[[255.0, 0.0, 127.5]]]), mode="tf").tolist()
[[[1.0, -1.0, 0.0]]]
"""
import json
import warnings

import numpy as np

from .. import backend

CLASS_INDEX = None
CLASS_INDEX_PATH = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
_CLASS_INDEX_MD5 = "c2c37ea517e94d9795004a39431a14cb"

_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


def preprocess_input(x, data_format=None, mode="caffe"):
    """Scale a batch of images (or one image), channels of values in [0, 255], as ``mode`` says.

    A float NumPy array is written over (as Keras does); pass ``np.copy(x)`` to keep it. Integer arrays are
    converted to ``floatx`` first. Tensors give a new tensor; a symbolic ``keras.Input`` gets a ``Lambda``
    layer doing the same.
    """
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError(f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}")
    if data_format is None:
        data_format = backend.image_data_format()
    elif data_format not in {"channels_first", "channels_last"}:
        raise ValueError("Expected data_format to be one of `channels_first` or `channels_last`. "
                         f"Received: data_format={data_format}")
    if isinstance(x, np.ndarray):
        return _preprocess_numpy(x, data_format, mode)
    from ..utils import is_keras_tensor
    if is_keras_tensor(x):
        from ..layers import Lambda
        return Lambda(lambda t: _preprocess_tensor(t, data_format, mode))(x)
    return _preprocess_tensor(backend.convert_to_tensor(x), data_format, mode)


def _channel_shape(ndim, data_format):
    """The shape that broadcasts a per-channel vector of 3 over an image array of ``ndim`` dimensions."""
    if data_format == "channels_last":
        return (1,) * (ndim - 1) + (3,)
    return (3, 1, 1) if ndim == 3 else (1, 3) + (1,) * (ndim - 2)


def _flip_channels(x, data_format):
    if data_format == "channels_last":
        return x[..., ::-1]
    return x[::-1] if x.ndim == 3 else x[:, ::-1]


def _preprocess_numpy(x, data_format, mode):
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(backend.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        x = _flip_channels(x, data_format)
        mean, std = _CAFFE_MEAN_BGR, None
    shape = _channel_shape(x.ndim, data_format)
    x -= np.asarray(mean, dtype=x.dtype).reshape(shape)
    if std is not None:
        x /= np.asarray(std, dtype=x.dtype).reshape(shape)
    return x


def _preprocess_tensor(x, data_format, mode):
    from .. import ops
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        x = x / 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        axis = -1 if data_format == "channels_last" else (0 if x.ndim == 3 else 1)
        x = ops.flip(x, axis=axis)
        mean, std = _CAFFE_MEAN_BGR, None
    shape = _channel_shape(x.ndim, data_format)
    x = x - ops.reshape(ops.convert_to_tensor(np.asarray(mean), dtype=x.dtype), shape)
    if std is not None:
        x = x / ops.reshape(ops.convert_to_tensor(np.asarray(std), dtype=x.dtype), shape)
    return x


def _class_index():
    global CLASS_INDEX
    if CLASS_INDEX is None:
        from ..utils import get_file
        try:
            path = get_file("imagenet_class_index.json", CLASS_INDEX_PATH, cache_subdir="models",
                            file_hash=_CLASS_INDEX_MD5)
        except ValueError:
            raise
        except Exception as e:
            raise OSError(f"decode_predictions needs the ImageNet class index from {CLASS_INDEX_PATH}, whose "
                          f"download failed ({e}). Without network access, copy that file to "
                          "~/.keras/models/imagenet_class_index.json.") from None
        with open(path, encoding="utf-8") as f:
            CLASS_INDEX = json.load(f)
    return CLASS_INDEX


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row of ``preds`` (shape ``(samples, 1000)``), best first, as
    ``(class_name, class_description, score)`` tuples such as ``("n02123045", "tabby", 0.61)``.

    The class index (``imagenet_class_index.json``) is downloaded once into ``~/.keras/models``.
    """
    from .. import ops
    preds = ops.convert_to_numpy(preds) if not isinstance(preds, np.ndarray) else preds
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
                         f"(samples, 1000)). Received array with shape: {preds.shape}")
    index = _class_index()
    results = []
    for row in preds:
        best = np.argsort(row, kind="stable")[::-1][:top]
        results.append(sorted((tuple(index[str(i)]) + (row[i],) for i in best), key=lambda t: t[2], reverse=True))
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None):
    """The input shape (channels included, batch excluded) a model is built for, checked as Keras does:
    ImageNet weights need 3 channels (and the default size under a flattening top), every side at least
    ``min_size``; with no shape, the default size under a top, else free spatial sides."""
    last = data_format != "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[-1] if last else input_shape[0]
        if channels not in {1, 3}:
            warnings.warn(f"This model usually expects 1 or 3 input channels. However, it was passed an "
                          f"input_shape with {channels} input channels.", stacklevel=3)
        default_shape = (default_size, default_size, channels) if last else (channels, default_size, default_size)
    else:
        default_shape = (default_size, default_size, 3) if last else (3, default_size, default_size)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(f"When setting `include_top=True` and loading `imagenet` weights, `input_shape` "
                             f"should be {default_shape}.  Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        channels, sides = (input_shape[-1], input_shape[:2]) if last else (input_shape[0], input_shape[1:])
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received `input_shape={input_shape}`")
        if any(s is not None and s < min_size for s in sides):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (None, None, 3) if last else (3, None, None)
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static `input_shape`. "
                         f"Received: input_shape={input_shape}")
    return input_shape


def correct_pad(inputs, kernel_size):
    """``((top, bottom), (left, right))`` zero padding that makes a stride-2 'valid' convolution of
    ``kernel_size`` centre its windows as TensorFlow's 'same' does (one less on the top/left of an even side)."""
    axis = 2 if backend.image_data_format() == "channels_first" else 1
    size = inputs.shape[axis:axis + 2]
    k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    return ((k[0] // 2 - adjust[0], k[0] // 2), (k[1] // 2 - adjust[1], k[1] // 2))


def validate_activation(classifier_activation, weights):
    """Pretrained weights allow only a softmax or linear (None) classifier."""
    if weights is None:
        return
    from .. import activations
    act = activations.get(classifier_activation)
    if act not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError("Only `None` and `softmax` activations are allowed for the `classifier_activation` "
                         f"argument when using pretrained weights, with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")
