"""Rematerialization (gradient checkpointing) in Keras's words: ``keras.remat(f)`` and ``keras.RematScope``.

``remat(f)`` returns a function that computes ``f`` without keeping its intermediate results for the
backward pass and recomputes them there (``ember.utils.checkpoint.checkpoint``): same values and
gradients, less memory. Layers created inside ``RematScope(mode=...)`` run their ``call`` through
``remat`` when the mode selects them:

* ``'full'``: every layer; ``'list_of_layers'``: layers named in ``layer_names``;
* ``'larger_than'``: layers whose output has more than ``output_size_threshold`` elements per sample;
* ``'activations'``: only the layer's activation function; ``None``: no rematerialization.

>>> import ember
>>> from ember import keras
>>> x = ember.ones(3, requires_grad=True)
>>> keras.remat(lambda t: (t * t).sum())(x).backward()
>>> x.grad.tolist()
[2.0, 2.0, 2.0]
"""
import functools
import threading

_state = threading.local()
_MODES = ("full", "activations", "larger_than", "list_of_layers", None)


def remat(f):
    """``f`` recomputed in the backward pass instead of stored (same values and gradients)."""
    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        from ..utils.checkpoint import checkpoint
        return checkpoint(f, *args, use_reentrant=False, **kwargs)
    return wrapped


class RematScope:
    """``with keras.RematScope(mode='full'):`` layers created inside are rematerialized when called."""

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _MODES:
            raise ValueError(f"Invalid mode '{mode}'. Supported modes are: {list(_MODES)}")
        self.mode, self.output_size_threshold = mode, output_size_threshold
        self.layer_names = list(layer_names or [])

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        _stack().pop()
        return False


def _stack():
    if not hasattr(_state, "scopes"):
        _state.scopes = []
    return _state.scopes


def get_current_remat_mode():
    """The innermost open ``RematScope`` (None when there is none or its mode is None)."""
    stack = _stack()
    return stack[-1] if stack and stack[-1].mode is not None else None


def selects(scope, layer, output_shape=None):
    """Whether ``scope`` rematerializes the whole ``call`` of ``layer``."""
    if scope is None:
        return False
    if scope.mode == "full":
        return True
    if scope.mode == "list_of_layers":
        return layer.name in scope.layer_names
    if scope.mode == "larger_than" and output_shape is not None:
        size = 1
        for d in tuple(output_shape)[1:]:
            if d is None:
                return False
            size *= int(d)
        return size > scope.output_size_threshold
    return False
