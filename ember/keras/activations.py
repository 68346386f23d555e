"""Keras's activation functions, looked up by name (``Dense(64, activation='relu')``).

Each takes and returns an ember tensor and is built from ember's functional ops.
``softmax`` and ``sigmoid`` remember their input on the output (``_keras_logits``)
so that crossentropy losses work from the logits, as TensorFlow's Keras does, which
is exact and stable.

>>> import ember
>>> from ember.keras import activations
>>> activations.get("relu")(ember.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""
from .. import functional as F
from ..autograd import ops


def linear(x):
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """``max(x, 0)``; with ``negative_slope``, ``max_value`` and ``threshold`` as in ``keras.activations.relu``."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return F.relu(x)
    y = ops.where(x >= threshold, x, ops.mul(ops.sub(x, threshold), negative_slope))
    if max_value is not None:
        y = ops.clamp(y, max=max_value)
    return y


def relu6(x):
    return F.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(x, negative_slope)


def elu(x, alpha=1.0):
    return F.elu(x, alpha)


def selu(x):
    return F.selu(x)


def gelu(x, approximate=False):
    return F.gelu(x, approximate="tanh" if approximate else "none")


def sigmoid(x):
    y = ops.sigmoid(x)
    y._keras_logits = x
    return y


def hard_sigmoid(x):
    """``relu6(x + 3) / 6`` (Keras 3's definition)."""
    return F.hardsigmoid(x)


def tanh(x):
    return ops.tanh(x)


def softplus(x):
    return F.softplus(x)


def softsign(x):
    return F.softsign(x)


def silu(x):
    return F.silu(x)


swish = silu


def mish(x):
    return F.mish(x)


def exponential(x):
    return ops.exp(x)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    y = ops.softmax(x, axis)
    if axis == -1 or axis == x.ndim - 1:
        y._keras_logits = x
    return y


def log_softmax(x, axis=-1):
    return ops.log_softmax(x, axis)


def _kops():
    from . import ops as kops  # keras.ops is built on top of this package's neighbours; import on use
    return kops


def celu(x, alpha=1.0):
    """``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return _kops().celu(x, alpha)


def glu(x, axis=-1):
    """``a * sigmoid(b)`` for ``a, b`` the two halves of ``x`` along ``axis``."""
    return _kops().glu(x, axis)


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    return _kops().hard_shrink(x, threshold)


def hard_silu(x):
    """``x * relu6(x + 3) / 6``."""
    return _kops().hard_silu(x)


hard_swish = hard_silu


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return _kops().hard_tanh(x)


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``."""
    return _kops().log_sigmoid(x)


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    return _kops().soft_shrink(x, threshold)


def sparse_plus(x):
    """0 for ``x <= -1``, ``x`` for ``x >= 1``, ``(x + 1)**2 / 4`` between."""
    return _kops().sparse_plus(x)


def sparse_sigmoid(x):
    """0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` between."""
    return _kops().sparse_sigmoid(x)


def sparsemax(x, axis=-1):
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis`` (sparse softmax)."""
    return _kops().sparsemax(x, axis)


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``."""
    return _kops().squareplus(x, b)


def tanh_shrink(x):
    """``x - tanh(x)``."""
    return _kops().tanh_shrink(x)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    return _kops().threshold(x, threshold, default_value)


_ACTIVATIONS = {
    "linear": linear, "relu": relu, "relu6": relu6, "leaky_relu": leaky_relu, "elu": elu, "selu": selu,
    "gelu": gelu, "sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid, "tanh": tanh, "softplus": softplus,
    "softsign": softsign, "silu": silu, "swish": swish, "mish": mish, "exponential": exponential,
    "softmax": softmax, "log_softmax": log_softmax, "celu": celu, "glu": glu, "hard_shrink": hard_shrink,
    "hard_silu": hard_silu, "hard_swish": hard_swish, "hard_tanh": hard_tanh, "log_sigmoid": log_sigmoid,
    "soft_shrink": soft_shrink, "sparse_plus": sparse_plus, "sparse_sigmoid": sparse_sigmoid,
    "sparsemax": sparsemax, "squareplus": squareplus, "tanh_shrink": tanh_shrink, "threshold": threshold,
}


def get(identifier):
    """The activation function for a name, a callable, or None (``linear``)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _ACTIVATIONS.get(identifier.lower())
        if fn is None:
            raise ValueError(f"Unknown activation {identifier!r}; expected one of {sorted(_ACTIVATIONS)}")
        return fn
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(activation):
    """The name a saved config uses for a Keras activation; another function's config names it (its registered
    name or ``__name__``), and an object's holds its class and ``get_config()``, as Keras writes them."""
    for name, fn in _ACTIVATIONS.items():
        if fn is activation:
            return name
    name = getattr(activation, "__name__", None)
    if name in _ACTIVATIONS and getattr(activation, "__module__", "").startswith("ember."):
        return name
    from .saving.serialization_lib import serialize_custom
    return serialize_custom(activation)


def deserialize(config, custom_objects=None):
    """The activation a saved config names (``'relu'``, ``{'class_name': 'function', 'config': 'relu'}``, a
    custom function's or object's config, found in ``custom_objects``, the custom object scopes or the registry)."""
    from .saving import serialization_lib
    if isinstance(config, dict):
        inner = config.get("config")
        if config.get("class_name") == "function" or not isinstance(inner, dict) or \
                inner.get("name") not in _ACTIVATIONS:
            return serialization_lib.deserialize_custom(config, _ACTIVATIONS.get, custom_objects)
        name = inner["name"]
    else:
        name = config
    found = serialization_lib.get_registered_object(name, custom_objects)
    if found is not None:
        return found
    fn = _ACTIVATIONS.get(name)
    if fn is None:
        raise ValueError(f"Unknown activation function '{name}'. Please ensure you are using a "
                         "`keras.utils.custom_object_scope` and that this object is included in the scope.")
    return fn
