"""Keras's weight constraints (``Dense(8, kernel_constraint=keras.constraints.MaxNorm(2))``).

A constraint is a projection ``w -> constraint(w)`` applied to a weight after every optimizer update
(Keras's optimizers do it once the gradients are applied). With ``n = sqrt(sum(w ** 2, axis, keepdims))``
and ``eps = keras.backend.epsilon()``:

* ``MaxNorm(max_value=2, axis=0)``: ``w * clip(n, 0, max_value) / (eps + n)``;
* ``MinMaxNorm(min_value=0, max_value=1, rate=1, axis=0)``:
  ``w * (rate * clip(n, min_value, max_value) + (1 - rate) * n) / (eps + n)``;
* ``NonNeg()``: ``max(w, 0)``;
* ``UnitNorm(axis=0)``: ``w / (eps + n)``.

>>> import ember
>>> from ember.keras import constraints
>>> constraints.NonNeg()(ember.tensor([-1.0, 2.0])).tolist()
[0.0, 2.0]
"""
import inspect

from ..autograd import ops
from . import backend


def _norms(w, axis):
    return ops.sqrt(ops.sum(ops.mul(w, w), dim=axis, keepdim=True))


class Constraint:
    """Base class: ``__call__(w)`` returns the projected weight (the base returns ``w`` unchanged)."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    """Scales each slice along ``axis`` down to a norm of at most ``max_value``."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        w = backend.convert_to_tensor(w)
        n = _norms(w, self.axis)
        return ops.mul(w, ops.div(ops.clamp(n, 0, self.max_value), ops.add(n, backend.epsilon())))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        return ops.clamp(backend.convert_to_tensor(w), min=0)


class UnitNorm(Constraint):
    """Scales each slice along ``axis`` to unit norm."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = backend.convert_to_tensor(w)
        return ops.div(w, ops.add(_norms(w, self.axis), backend.epsilon()))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each slice's norm toward ``[min_value, max_value]`` at ``rate`` (1: straight into it)."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        w = backend.convert_to_tensor(w)
        n = _norms(w, self.axis)
        desired = ops.add(ops.mul(ops.clamp(n, self.min_value, self.max_value), self.rate),
                          ops.mul(n, 1.0 - self.rate))
        return ops.mul(w, ops.div(desired, ops.add(n, backend.epsilon())))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

_ALL = {c.__name__: c for c in (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)}
_ALL.update({backend.to_snake_case(k): v for k, v in list(_ALL.items())})


def serialize(constraint):
    """``{'module', 'class_name', 'config', 'registered_name'}`` for ``constraint`` (None stays None)."""
    if constraint is None:
        return None
    if _ALL.get(type(constraint).__name__) is not type(constraint):
        from .saving.serialization_lib import serialize_custom
        return serialize_custom(constraint)    # a custom Constraint subclass or function, as Keras writes it
    return {"module": "keras.constraints", "class_name": type(constraint).__name__,
            "config": constraint.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """The constraint a ``serialize`` dict (or a name) describes."""
    if isinstance(config, str):
        return get(config)
    from .saving.serialization_lib import deserialize_custom
    try:
        return deserialize_custom(config, _ALL.get, custom_objects)
    except TypeError:
        if config.get("class_name") == "function":
            raise
        raise ValueError(f"Unknown constraint: '{config.get('class_name')}'. Please ensure you are using a "
                         "`keras.utils.custom_object_scope` and that this object is included in the scope.") from None


def get(identifier):
    """A constraint from None, a name (``'max_norm'``), a config dict, a class or a callable."""
    if identifier is None:
        return None
    obj = deserialize(identifier) if isinstance(identifier, dict) else \
        _ALL.get(identifier) if isinstance(identifier, str) else identifier
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret constraint identifier: {identifier}")
