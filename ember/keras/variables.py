"""``keras.Variable``: a Keras weight that is also an ``ember.nn.Parameter``.

Every weight a layer creates with ``add_weight`` is a :class:`Variable`, so it works wherever a
tensor does (ember ops, arithmetic, ``model.parameters()`` for an ember optimizer) and also has
Keras's variable API:

* ``assign(value)``, ``assign_add(delta)``, ``assign_sub(delta)``: in-place updates (no gradient
  is recorded, as for a TensorFlow/JAX variable); each returns the variable;
* ``value`` (the variable itself, a tensor), ``numpy()`` (a copy, also when trainable);
* ``shape`` (a tuple), ``ndim``, ``dtype`` (an ember dtype, as for every tensor, so that ember's ops
  and type promotion see a tensor; ``v.dtype.name`` is Keras's ``'float32'``);
* ``trainable`` (``requires_grad``), ``name`` (``'kernel'``), ``path`` (the open ``keras.name_scope`` s
  and the name, fixed at creation: ``'sequential/dense/kernel'`` for a weight a layer of a ``Sequential``
  builds), ``regularizer``, ``constraint``.

>>> from ember import keras
>>> v = keras.Variable(initializer="ones", shape=(2,), name="w")
>>> v.assign_add([1.0, 2.0]).numpy().tolist(), v.dtype.name, v.path
([2.0, 3.0], 'float32', 'w')
"""
import numpy as np

from .. import nn
from ..autograd.tensor import Tensor, _new, make
from . import backend
from .scopes import scoped_name

_ARGS = ("initializer", "shape", "dtype", "trainable", "autocast", "aggregation", "synchronization", "name")


def _initial_value(initializer, shape, dtype):
    """The array a variable starts from: a value (array, tensor, number, list) or an initializer called
    with ``shape``."""
    from . import initializers as _init
    if isinstance(initializer, (str, dict)) or (callable(initializer) and not isinstance(initializer, Tensor)):
        if shape is None:
            raise ValueError(f"When creating a Variable from an initializer, the `shape` argument should be "
                             f"specified. Received: initializer={initializer} and shape={shape}")
        init = _init.get(initializer)
        value = init(tuple(int(s) for s in shape), dtype or backend.floatx())
        a = value._data if isinstance(value, Tensor) else np.asarray(value)
        return np.array(a, dtype=np.dtype(dtype or backend.floatx()), copy=True)
    a = initializer._data if isinstance(initializer, Tensor) else np.asarray(initializer)
    # A value keeps its dtype unless one is given, as in Keras.
    a = np.array(a, dtype=np.dtype(dtype) if dtype is not None else None, copy=True)
    if shape is not None and tuple(a.shape) != tuple(int(s) for s in shape):
        raise ValueError(f"Initial value has shape {tuple(a.shape)}, but the Variable was created with "
                         f"shape={tuple(shape)}")
    return a


class Variable(nn.Parameter):
    """A Keras variable (``keras.Variable``), an ``ember.nn.Parameter`` with Keras's API.

    Args:
        initializer: the initial value (array, tensor, number) or an initializer (``'zeros'``,
            ``keras.initializers.GlorotUniform()``, a callable ``(shape, dtype)``) used with ``shape``.
        shape (tuple): needed with an initializer.
        dtype: default ``keras.backend.floatx()`` for initializers and float values; other values
            keep their dtype.
        trainable (bool): whether gradients are computed and optimizers update it (default True).
        name (str): default ``'variable'`` (numbered: ``'variable_1'`` ...); ``path`` is ``'<parent path>/<layer name>/<name>'`` for a layer's
            weight (``'<scope>/<name>'`` inside ``keras.name_scope(scope)``).
    """

    def __new__(cls, *args, **kwargs):
        return _new(cls)

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True, aggregation="none",
                 synchronization="auto", name=None, regularizer=None, constraint=None):
        a = _initial_value(initializer, shape, dtype)
        super().__init__(make(a), requires_grad=False)
        trainable = bool(trainable)
        if trainable and a.dtype.kind != "f":
            trainable = False  # integer variables (counters, step numbers) cannot hold gradients
        if trainable:
            self.requires_grad = True
        d = self.__dict__
        d["_trainable"] = trainable
        # Keras's automatic name: 'variable', then 'variable_1' ... (numbered per session)
        d["_name"] = str(name) if name else backend.unique_name(backend.to_snake_case(type(self).__name__))
        d["_path"] = scoped_name(d["_name"])   # Keras fixes the path when the variable is made
        d["autocast"] = bool(autocast)
        d["aggregation"] = aggregation
        d["synchronization"] = synchronization
        d["regularizer"] = regularizer
        d["constraint"] = constraint

    # -- Keras's attributes ----------------------------------------------------------------------
    @property
    def name(self):
        return self.__dict__.get("_name", "variable")

    @property
    def path(self):
        return self.__dict__.get("_path", self.name)

    @property
    def trainable(self):
        return self.__dict__.get("_trainable", self._rg)

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self.__dict__["_trainable"] = value
        self.requires_grad = value and self._data.dtype.kind == "f"

    @property
    def shape(self):
        return tuple(self._data.shape)

    @property
    def value(self):
        return self

    def numpy(self, force=True):
        return np.array(self._data, copy=True)

    # -- updates ---------------------------------------------------------------------------------
    def _as_array(self, value, what):
        a = value._data if isinstance(value, Tensor) else np.asarray(value)
        if tuple(a.shape) != tuple(self._data.shape):
            raise ValueError(f"The shape of the target variable and the shape of the target value in "
                             f"`variable.{what}(value)` must match. variable.shape={tuple(self._data.shape)}, "
                             f"Received: value.shape={tuple(a.shape)}. Target variable: {self.path}")
        return a.astype(self._data.dtype, copy=False)

    def assign(self, value):
        self._stateless_write()
        """Set the variable to ``value`` (of the same shape) in place; returns the variable."""
        self._data[...] = self._as_array(value, "assign")
        self._bump()
        return self

    def assign_add(self, value):
        self._stateless_write()
        self._data[...] += self._as_array(value, "assign_add")
        self._bump()
        return self

    def assign_sub(self, value):
        self._stateless_write()
        self._data[...] -= self._as_array(value, "assign_sub")
        self._bump()
        return self

    def _stateless_write(self):
        # Inside a keras.StatelessScope an assignment changes the scope's copy, not the variable.
        from .scopes import get_stateless_scope
        scope = get_stateless_scope()
        if scope is not None:
            scope.add_update(self)

    def _set_path(self, path):
        self.__dict__["_path"] = path

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        v = Variable(self._data.copy(), dtype=self._data.dtype, trainable=self.trainable, autocast=self.autocast,
                     name=self.name, regularizer=self.regularizer, constraint=self.constraint)
        v._set_path(self.path)
        memo[id(self)] = v
        return v

    def __reduce_ex__(self, protocol):
        return (_rebuild_variable, (self._data, self.trainable, self.name))

    def __repr__(self):
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype.name}, "
                f"value={np.array2string(self._data, threshold=20)}>")

    __str__ = __repr__


def _rebuild_variable(data, trainable, name):
    return Variable(data, dtype=data.dtype, trainable=trainable, name=name)
