"""Keras's global settings and helpers shared by every part of ``ember.keras``.

* ``floatx()`` is ``'float32'`` and ``image_data_format()`` is ``'channels_last'``, as in Keras.
* Layer names are made unique per session, as Keras does (``dense``, ``dense_1``, ...);
  ``clear_session()`` starts the counters again.
* The *training* flag of a call (``Dropout`` drops, ``BatchNormalization`` uses batch
  statistics) is resolved as in Keras: an explicit ``training=`` argument, else the
  flag of the enclosing call (``fit`` passes ``training=True`` down), else the
  module's own ``training`` attribute, which ``ember.keras`` layers start as False
  (Keras's inference default) and which ``module.train()`` switches on.

>>> from ember.keras import backend
>>> backend.clear_session()
>>> backend.unique_name("dense"), backend.unique_name("dense")
('dense', 'dense_1')
"""
import re
import threading

import numpy as np

from ..autograd.tensor import Tensor, make

_FLOATX = ["float32"]
_EPSILON = [1e-7]
_IMAGE_DATA_FORMAT = ["channels_last"]
_names = {}
_context = threading.local()


def floatx():
    return _FLOATX[0]


def set_floatx(value):
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"Unknown floatx type: {value!r}; expected 'float16', 'float32' or 'float64'")
    _FLOATX[0] = value


def epsilon():
    """The fuzz factor Keras uses in losses and metrics (1e-7)."""
    return _EPSILON[0]


def set_epsilon(value):
    _EPSILON[0] = float(value)


def image_data_format():
    return _IMAGE_DATA_FORMAT[0]


def set_image_data_format(data_format):
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    _IMAGE_DATA_FORMAT[0] = data_format


def standardize_data_format(data_format):
    if data_format is None:
        return image_data_format()
    data_format = str(data_format).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return data_format


def to_snake_case(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return s


def unique_name(base):
    """``base`` the first time, then ``base_1``, ``base_2`` ... (Keras's automatic layer names)."""
    n = _names.get(base, 0)
    _names[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


_uids = {}


def get_uid(prefix=""):
    """1, 2, 3 ... on successive calls with the same ``prefix`` (``keras.backend.get_uid``)."""
    _uids[prefix] = _uids.get(prefix, 0) + 1
    return _uids[prefix]


def clear_session(free_memory=True):
    """Reset the automatic layer names and uids (``keras.backend.clear_session``); ``free_memory`` runs Python's
    garbage collector, as Keras."""
    _names.clear()
    _uids.clear()
    if free_memory:
        import gc
        gc.collect()


def backend():
    """The backend whose idioms ember.keras follows: ``'torch'`` (as ``keras.config.backend``)."""
    return "torch"


def standardize_dtype(dtype):
    """Keras's dtype name: ``'float32'`` for None, ``'int32'`` for Python ``int`` ..."""
    from .ops.dtypes import standardize_dtype as standardize
    return standardize(dtype)


def result_type(*dtypes):
    """The dtype Keras's promotion rules give an op over ``dtypes`` (``floatx()`` for none)."""
    from .ops.dtypes import result_type as promote
    return promote(*dtypes)


def is_float_dtype(dtype):
    return "float" in standardize_dtype(dtype)


def is_int_dtype(dtype):
    return standardize_dtype(dtype).startswith(("int", "uint"))


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic tensor of a functional graph."""
    from .graph import KerasTensor
    return isinstance(x, KerasTensor)


def learning_phase_stack():
    stack = getattr(_context, "training", None)
    if stack is None:
        stack = _context.training = []
    return stack


class training_scope:
    """Within this block, layers called with ``training=None`` use ``training`` (None: no change)."""

    def __init__(self, training):
        self.training = training

    def __enter__(self):
        learning_phase_stack().append(self.training)

    def __exit__(self, *exc):
        learning_phase_stack().pop()


def resolve_training(training, module, default=None):
    """Keras's order: the ``training`` passed, else the enclosing call's (fit, predict, an outer layer), else
    the default in the layer's ``call`` signature, else the module's mode."""
    if training is not None:
        return bool(training)
    for value in reversed(learning_phase_stack()):
        if value is not None:
            return bool(value)
    if default is not None:
        return bool(default)
    return bool(module.training)


def convert_to_tensor(x, dtype=None):
    """An ember tensor over ``x`` (a tensor, a NumPy array or an array-like); floats become ``floatx``."""
    if isinstance(x, Tensor):
        if dtype is not None and x._data.dtype != np.dtype(dtype):
            return make(x._data.astype(dtype))
        return x
    a = np.asarray(x)
    if dtype is not None:
        a = a.astype(dtype, copy=False)
    elif a.dtype.kind == "f" and a.dtype != np.dtype(floatx()):
        a = a.astype(floatx())
    return make(np.ascontiguousarray(a))


def cast_input(x, dtype):
    """``x`` cast to a model input's ``dtype`` as Keras's models do (uint8 images into a float32 model);
    strings and other non-numeric data pass through. The cast keeps the autograd graph."""
    if not isinstance(x, Tensor) or dtype is None or x._data.dtype.kind not in "biuf":
        return x
    target = np.dtype(dtype) if str(dtype) != "bfloat16" else None
    if target is None or target.kind not in "biuf" or x._data.dtype == target:
        return x
    from .ops.dtypes import to_ember_dtype
    return x.to(to_ember_dtype(str(dtype)))


def convert_to_numpy(x):
    if isinstance(x, Tensor):
        return x._data
    return np.asarray(x)


def count_params(x):
    return int(np.prod(x.shape))
