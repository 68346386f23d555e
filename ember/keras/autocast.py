"""Keras's autocast scope: inside a mixed-precision layer's call, its float variables read in the compute dtype.

A layer whose policy computes in another dtype than its variables are kept in (``'mixed_float16'``:
float16 compute, float32 variables) opens an :class:`AutocastScope` for its call, as Keras's
``Layer.__call__`` does; a sublayer with another compute dtype opens its own, and one with
``autocast=False`` (or a non-float compute dtype) opens a scope that casts nothing. While a scope is
open, reading a layer's float ``keras.Variable`` made with ``autocast=True`` (``self.kernel``) gives a
differentiable cast of it, so the layer computes in float16 and its float32 variable receives a
float32 gradient. Variables made with ``autocast=False`` (BatchNormalization's) are read as they are.
The value read is a tensor whose ``assign`` / ``assign_add`` / ``assign_sub`` write the variable, so a
layer that updates a float state in its call (a running total) works as in Keras.

Each variable is cast once per scope and re-cast only when it was written since (its version
counter), so an RNN cell that reads its kernel at every time step pays for one cast.

>>> import ember
>>> from ember.keras import Variable
>>> from ember.keras.autocast import AutocastScope, maybe_autocast
>>> v = Variable(initializer="ones", shape=(2,))
>>> with AutocastScope("float16"):
...     str(maybe_autocast(v).dtype)
'ember.float16'
>>> str(maybe_autocast(v).dtype)
'ember.float32'
"""
import threading

from ..autograd import grad_mode
from ..autograd.tensor import Tensor

_STATE = threading.local()


def get_autocast_scope():
    """The innermost open :class:`AutocastScope`, or None."""
    return getattr(_STATE, "scope", None)


def _is_float(name):
    return name in ("float16", "bfloat16", "float32", "float64")


def is_float_array(a):
    """Whether NumPy array ``a`` holds floats (ml_dtypes' bfloat16 has NumPy kind 'V', not 'f')."""
    return a.dtype.kind == "f" or a.dtype.name == "bfloat16"


def ember_dtype(name):
    """The ember dtype a policy computes in: ``ember.bfloat16`` for ``'bfloat16'`` when the optional
    ``ml_dtypes`` package provides it (else ember.keras's float32 storage for bfloat16), else the dtype named."""
    if name == "bfloat16":
        try:
            from ..backend.bfloat16 import bfloat16
            return bfloat16()
        except ImportError:
            pass
    from .ops.dtypes import to_ember_dtype
    return to_ember_dtype(name)


class AutocastScope:
    """``AutocastScope(dtype)``: while open, float variables are read as ``dtype`` (None: as they are)."""

    def __init__(self, dtype):
        if dtype is not None:
            dtype = str(getattr(dtype, "name", dtype))
            if not _is_float(dtype):
                raise ValueError("`AutocastScope` can only be used with a floating-point target dtype, such as "
                                 f"'float16'. Received: dtype={dtype}")
        self.dtype = dtype
        self._target = ember_dtype(dtype) if dtype is not None else None
        self.original_scope = None
        self._casts = {}

    def maybe_cast(self, value):
        """``value`` (a variable or tensor) in the scope's dtype when it is a float of another one."""
        key = (id(value), grad_mode.is_grad_enabled())
        hit = self._casts.get(key)
        if hit is not None and hit[0] is value and hit[1] == value._version:
            return hit[2]
        a = value._data
        if self._target is None or a.dtype == self._target.numpy or not is_float_array(a):
            return value
        cast = value.to(self._target)
        if cast is not value:
            cast.__class__ = AutocastValue
            cast.__dict__["_autocast_variable"] = value
        self._casts[key] = (value, value._version, cast)
        return cast

    def __enter__(self):
        self.original_scope = get_autocast_scope()
        _STATE.scope = self
        return self

    def __exit__(self, *exc):
        _STATE.scope = self.original_scope
        self._casts = {}


def maybe_autocast(variable):
    """``variable`` as the open scope reads it: cast when the scope has a dtype and the variable autocasts."""
    scope = getattr(_STATE, "scope", None)
    if scope is None or scope.dtype is None or not variable.__dict__.get("autocast", True):
        return variable
    return scope.maybe_cast(variable)


def scope_for_layer(layer):
    """The scope ``layer``'s call opens (Keras's rules), or None to stay in the current one."""
    current = getattr(_STATE, "scope", None)
    compute = layer.compute_dtype
    if current is not None:
        if not layer.autocast or not _is_float(compute):
            return AutocastScope(None) if current.dtype is not None else None
        if current.dtype != compute:
            return AutocastScope(compute)
        return None
    if compute != layer.variable_dtype and _is_float(compute):
        return AutocastScope(compute)
    return None



class AutocastValue(Tensor):
    """A variable read inside an autocast scope: a tensor of the compute dtype whose ``assign``,
    ``assign_add`` and ``assign_sub`` write the variable itself (as Keras's variable object does)."""
    __slots__ = ()

    @property
    def variable(self):
        return self.__dict__["_autocast_variable"]

    def assign(self, value):
        return self.variable.assign(value)

    def assign_add(self, value):
        return self.variable.assign_add(value)

    def assign_sub(self, value):
        return self.variable.assign_sub(value)

    @property
    def path(self):
        return self.variable.path

    @property
    def trainable(self):
        return self.variable.trainable
