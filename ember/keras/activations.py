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
        return get(identifier.get("config", {}).get("name", identifier.get("class_name")))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(activation):
    """The name a saved config uses for ``activation``; refuses functions that are not Keras's."""
    for name, fn in _ACTIVATIONS.items():
        if fn is activation:
            return name
    name = getattr(activation, "__name__", None)
    if name in _ACTIVATIONS:
        return name
    raise ValueError(f"Cannot serialize the activation {activation!r}: only Keras's named activations "
                     f"({', '.join(sorted(_ACTIVATIONS))}) can be saved in a model config")


def deserialize(config, custom_objects=None):
    """The activation a saved config names (``'relu'`` or ``{'class_name': 'function', 'config': 'relu'}``)."""
    if isinstance(config, dict):
        name = config.get("config")
        name = name.get("name") if isinstance(name, dict) else name
        if name is None:
            name = config.get("class_name")
    else:
        name = config
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    fn = _ACTIVATIONS.get(name)
    if fn is None:
        raise ValueError(f"Unknown activation function '{name}'. Please ensure you are using a "
                         "`keras.utils.custom_object_scope` and that this object is included in the scope.")
    return fn
