"""``keras.utils``: data utilities (``pad_sequences``, ``to_categorical``, ``normalize``, the
``*_dataset_from_*`` functions, ``split_dataset``, ``PyDataset``/``Sequence``), ``get_file``, image
helpers (``load_img`` ... with Pillow), the serialization registry, ``Progbar``, ``set_random_seed`` and
small helpers of Keras's API.

>>> from ember import keras
>>> keras.utils.to_categorical([0, 2], 3).tolist()
[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"""
import numpy as np

from .progbar import Progbar
from .py_dataset import PyDataset, Sequence
from .feature_space import FeatureSpace
from .sequence_utils import pad_sequences
from .file_utils import get_file
from .image_utils import array_to_img, img_to_array, load_img, save_img
from .dataset_utils import (audio_dataset_from_directory, image_dataset_from_directory, split_dataset,
                            text_dataset_from_directory, timeseries_dataset_from_array)
from ..saving.serialization_lib import (CustomObjectScope, custom_object_scope, deserialize_keras_object,
                                        get_registered_name, get_registered_object, register_keras_serializable,
                                        serialize_keras_object)
from ..backend import clear_session
from . import bounding_boxes


def to_categorical(x, num_classes=None):
    """One-hot encode integer labels: ``(N,)`` -> ``(N, num_classes)`` (a trailing axis of size 1 is dropped
    first). As Keras: a NumPy array (float64, NumPy's default) for array-likes, a float32 tensor for a tensor."""
    from ...autograd.tensor import Tensor
    if isinstance(x, Tensor):
        from .. import ops
        if x.ndim > 1 and x.shape[-1] == 1:
            x = ops.reshape(x, tuple(x.shape[:-1]))
        return ops.one_hot(x, num_classes)
    x = np.asarray(x, dtype=np.int64)
    shape = x.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if num_classes is None:
        num_classes = int(x.max()) + 1
    out = np.zeros((x.size, num_classes))
    out[np.arange(x.size), x] = 1
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (zero norms left as 1). A NumPy array gives a NumPy
    array; a tensor gives a tensor (with Keras's ``x * min(1 / |x|, 1 / epsilon)`` for the 2-norm)."""
    from ...autograd.tensor import Tensor
    if isinstance(x, Tensor):
        from ..losses import _l2_normalize
        if order != 2:
            from ...autograd import ops
            norm = ops.clamp(ops.norm(x, p=order, dim=axis, keepdim=True), min=1e-7)
            return ops.div(x, norm)
        return _l2_normalize(x, axis)
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis or -1)


def set_random_seed(seed):
    """Seed ember's generator, Python's ``random`` and NumPy's global generator (``keras.utils.set_random_seed``)."""
    import random

    import ember
    if not isinstance(seed, int):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed} (of type {type(seed)})")
    random.seed(seed)
    np.random.seed(seed)
    ember.manual_seed(seed)


def get_custom_objects():
    """The global registry of custom objects (name -> class), which ``register_keras_serializable`` fills and
    which may be edited directly."""
    from ..saving import serialization_lib
    return serialization_lib._GLOBAL_CUSTOM_OBJECTS


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic tensor of a functional graph (``keras.Input`` and layer calls on it)."""
    from ..graph import KerasTensor
    return isinstance(x, KerasTensor)


def get_source_inputs(tensor):
    """The ``keras.Input`` tensors that ``tensor`` was computed from."""
    from ..graph import topological_nodes
    if not is_keras_tensor(tensor):
        return [tensor]
    out = []
    for node in topological_nodes(tensor):
        if not node.input_tensors:
            for t in node.outputs:
                if t not in out:
                    out.append(t)
    return out


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """``x``, ``(x, y)`` or ``(x, y, sample_weight)``, as ``fit`` reads a batch (a lone tuple ``x`` is wrapped
    in a 1-tuple)."""
    if y is None:
        if not isinstance(x, (tuple, list)):
            return x
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch that is ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sw)``."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) == 1:
        return (data[0], None, None)
    if len(data) == 2:
        return (data[0], data[1], None)
    if len(data) == 3:
        return (data[0], data[1], data[2])
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
                     f"found: {data}")


def standardize_dtype(dtype):
    """Keras's dtype name (``'float32'``, ``'int64'``, ``'bool'`` ...) of a dtype, a NumPy/ember dtype or a
    Python type."""
    if dtype is None:
        from ..backend import floatx
        return floatx()
    if dtype is int or dtype == "int":
        return "int32"
    if dtype is float:
        return "float32"
    if dtype is bool:
        return "bool"
    if isinstance(dtype, type) and issubclass(dtype, np.generic):
        return np.dtype(dtype).name
    name = getattr(dtype, "name", None)
    if isinstance(name, str):
        dtype = name
    s = str(dtype).replace("ember.", "").replace("torch.", "")
    if s == "double":
        s = "float64"
    if s == "float":
        s = "float32"
    if s == "half":
        s = "float16"
    try:
        return np.dtype(s).name
    except TypeError:
        if s in ("bfloat16", "float8_e4m3fn", "float8_e5m2"):
            return s
        raise ValueError(f"Invalid dtype: {dtype}")


_INTERACTIVE = [True]


def enable_interactive_logging():
    _INTERACTIVE[0] = True


def disable_interactive_logging():
    _INTERACTIVE[0] = False


def is_interactive_logging_enabled():
    """Whether progress bars and messages are written (to stdout) rather than logged."""
    return _INTERACTIVE[0]


def _check_pydot():
    try:
        import pydot  # noqa: F401
    except ImportError:
        return False
    return True


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False,
                 show_trainable=False, **kwargs):
    """A ``pydot.Dot`` graph of the model's layers (needs ``pydot``)."""
    if not _check_pydot():
        raise ImportError("You must install pydot (`pip install pydot`) for model_to_dot to work.")
    import pydot
    dot = pydot.Dot(rankdir=rankdir, dpi=dpi)
    layers = list(getattr(model, "layers", []))
    for layer in layers:
        label = layer.name if show_layer_names else type(layer).__name__
        if show_layer_names:
            label = f"{layer.name} ({type(layer).__name__})"
        if show_shapes:
            label += f"\n{getattr(layer, '_output_shape', '?')}"
        dot.add_node(pydot.Node(str(id(layer)), label=label, shape="record"))
    for a, b in zip(layers, layers[1:]):
        dot.add_edge(pydot.Edge(str(id(a)), str(id(b))))
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=False,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False,
               **kwargs):
    """Draw the model's layers to ``to_file`` with Graphviz (needs ``pydot`` and the ``dot`` program);
    without pydot it raises ImportError naming what to install (in IPython it prints that and returns)."""
    import sys
    if not _check_pydot():
        message = "You must install pydot (`pip install pydot`) for `plot_model` to work."
        if "IPython.core.magics.namespace" in sys.modules:
            print(message)
            return None
        raise ImportError(message)
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi)
    ext = to_file.rsplit(".", 1)[-1] if "." in to_file else "png"
    dot.write(to_file, format=ext)
    return None


class Config:
    """A dict with attribute access (``config.learning_rate``) that can be frozen, as Keras's ``Config``.

    >>> c = Config(lr=0.1); c.epochs = 3; c.freeze()
    >>> c.lr, c.as_dict()
    (0.1, {'lr': 0.1, 'epochs': 3})
    """
    __frozen = False

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", dict(kwargs))

    @property
    def frozen(self):
        return self._Config__frozen

    def freeze(self):
        object.__setattr__(self, "_Config__frozen", True)

    def unfreeze(self):
        object.__setattr__(self, "_Config__frozen", False)

    def _check(self):
        if self.frozen:
            raise AttributeError("Cannot mutate attribute(s) because the config is frozen.")

    def __getattr__(self, name):
        try:
            return self.__dict__["_config"][name]
        except KeyError:
            raise AttributeError(f"Unknown attribute: '{name}'") from None

    def __setattr__(self, name, value):
        self._check()
        self._config[name] = value

    def __delattr__(self, name):
        self._check()
        del self._config[name]

    def __getitem__(self, key):
        return self._config[key]

    def __setitem__(self, key, value):
        self._check()
        self._config[key] = value

    def __delitem__(self, key):
        self._check()
        del self._config[key]

    def __contains__(self, key):
        return key in self._config

    def __iter__(self):
        return iter(self._config)

    def __len__(self):
        return len(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def get(self, key, default=None):
        return self._config.get(key, default)

    def update(self, *args, **kwargs):
        self._check()
        self._config.update(*args, **kwargs)

    def pop(self, *args):
        self._check()
        return self._config.pop(*args)

    def as_dict(self):
        return dict(self._config)

    def to_json(self):
        import json
        return json.dumps(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"


__all__ = ["to_categorical", "normalize", "set_random_seed", "Progbar", "PyDataset", "Sequence", "pad_sequences",
           "get_file", "array_to_img", "img_to_array", "load_img", "save_img", "audio_dataset_from_directory",
           "image_dataset_from_directory", "split_dataset", "text_dataset_from_directory",
           "timeseries_dataset_from_array", "CustomObjectScope", "custom_object_scope", "deserialize_keras_object",
           "get_registered_name", "get_registered_object", "register_keras_serializable", "serialize_keras_object",
           "clear_session", "get_custom_objects", "is_keras_tensor", "get_source_inputs", "pack_x_y_sample_weight",
           "unpack_x_y_sample_weight", "standardize_dtype", "enable_interactive_logging",
           "disable_interactive_logging", "is_interactive_logging_enabled", "model_to_dot", "plot_model", "Config"]
