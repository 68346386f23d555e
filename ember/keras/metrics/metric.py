"""The Keras metric base class and the reducing metrics (``Mean``, ``Sum``, ``MeanMetricWrapper``).

A metric holds its state in non-trainable ``keras.Variable`` objects made with ``add_variable`` (or
``add_weight``); ``update_state`` adds a batch to them, ``result`` reads them and ``reset_state``
sets them back to zeros (the default), so that a metric accumulates over batches exactly as Keras's
does. Metrics are not differentiated: they work on NumPy arrays.

>>> import numpy as np
>>> from ember import keras
>>> m = keras.metrics.Mean()
>>> m.update_state([1.0, 2.0, 3.0]); m.update_state([5.0], sample_weight=[3.0])
>>> float(m.result()), [v.name for v in m.variables]
(3.5, ['total', 'count'])
"""
import numpy as np

from ...autograd import grad_mode
from ...autograd.tensor import Tensor, make
from .. import backend


def to_numpy(x, dtype=None):
    if isinstance(x, Tensor):
        a = x._data
    else:
        a = np.asarray(backend.convert_to_numpy(x))
    return a if dtype is None else a.astype(dtype, copy=False)


def same_rank(x1, x2, expand_rank_1=True):
    """Keras's ``squeeze_or_expand_to_same_rank`` on NumPy arrays."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def divide_no_nan(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape, np.result_type(a, b)), where=b != 0)


def tensor_result(value, dtype):
    return make(np.asarray(value, dtype=np.dtype(dtype)))


class Metric:
    """Base class: subclasses create their state with ``add_variable`` in ``__init__`` and define
    ``update_state(*args, **kwargs)`` and ``result()``; ``reset_state()`` zeroes every variable.

    ``metric(y_true, y_pred)`` updates the state and returns ``result()``; ``variables`` lists the state
    (also of metrics held as attributes)."""
    # Updated outside training steps: ember.compile does not treat it as captured state.
    _ember_compile_ignore = True

    def __init__(self, dtype=None, name=None):
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_metrics", [])
        # Keras makes default names unique per session (auc, auc_1, ...); ember keeps the plain name so
        # that log keys do not depend on how many metrics were made before.
        self.name = name or backend.to_snake_case(type(self).__name__)
        self._dtype = str(getattr(dtype, "name", dtype) or backend.floatx())

    def __setattr__(self, name, value):
        if isinstance(value, Metric) and "_metrics" in self.__dict__ and value is not self:
            self._metrics.append(value)
        object.__setattr__(self, name, value)

    def _check_super_called(self):
        if "_variables" not in self.__dict__:
            raise RuntimeError("You forgot to call `super().__init__()` in the `__init__()` method. Go add it!")

    @property
    def dtype(self):
        return self._dtype

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """A non-trainable ``keras.Variable`` of ``shape`` filled by ``initializer``, tracked in ``variables``."""
        self._check_super_called()
        from ..variables import Variable
        from ..scopes import name_scope
        with name_scope(self.name.replace("/", ">"), caller=self):   # Keras's path: '<scopes>/<metric>/<name>'
            v = Variable(initializer=initializer if initializer is not None else "zeros", shape=tuple(shape),
                         dtype=dtype or self.dtype, trainable=False, aggregation=aggregation, name=name)
        self._variables.append(v)
        return v

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        out = list(self.__dict__.get("_variables", []))
        for m in self.__dict__.get("_metrics", []):
            out.extend(m.variables)
        return out

    def reset_state(self):
        for v in self.variables:
            v._data[...] = 0
            v._bump()

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    # -- the stateless API (Keras's, for JAX-style training loops): state in, new state out ------------------
    def _check_state(self, metric_variables):
        if len(metric_variables) != len(self.variables):
            raise ValueError(f"Argument `metric_variables` must be a list of tensors corresponding 1:1 to "
                             f"{type(self).__name__}().variables. Received list with length "
                             f"{len(metric_variables)}, but expected {len(self.variables)} variables.")

    def _stateless(self, metric_variables, fn):
        """Run ``fn()`` with the variables reading ``metric_variables`` (their own values if None) and writing
        to scratch copies: returns ``fn``'s result and the variables' values after it, the metric untouched."""
        from ..scopes import StatelessScope
        variables = self.variables
        mapping = list(zip(variables, metric_variables)) if metric_variables is not None else []
        with StatelessScope(state_mapping=mapping) as scope:
            for v in variables:   # the built-in metrics write the arrays in place: give them copies
                scope.add_update(v)
            out = fn()
        return out, [scope.get_current_value(v) for v in variables]

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """``update_state(*args, **kwargs)`` applied to the state ``metric_variables`` (a list like
        ``variables``); returns the new state and leaves the metric's own variables as they were."""
        self._check_state(metric_variables)
        return self._stateless(metric_variables, lambda: self.update_state(*args, **kwargs))[1]

    def stateless_result(self, metric_variables):
        """``result()`` of the state ``metric_variables``."""
        self._check_state(metric_variables)
        return self._stateless(metric_variables, self.result)[0]

    def stateless_reset_state(self):
        """The state ``reset_state()`` would give, as a list like ``variables`` (the metric is untouched)."""
        return self._stateless(None, self.reset_state)[1]

    def __call__(self, *args, **kwargs):
        self._check_super_called()
        with grad_mode.no_grad():
            self.update_state(*args, **kwargs)
            return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype, mask=None):
    """Keras's reduction of a batch of metric values to one value per sample, weighted."""
    values = np.asarray(values, dtype)
    # As Keras: the values' own mask only refines given weights.
    if mask is not None and sample_weight is not None:
        m, sw = same_rank(np.asarray(mask, dtype), np.asarray(sample_weight, dtype))
        sample_weight = sw * m
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype)
        values, sample_weight = same_rank(values, sample_weight)
        wn, vn = sample_weight.ndim, values.ndim
        if vn > wn:
            values = reduce_fn(values, axis=tuple(range(wn, vn)))
        sample_weight = np.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if wn > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, wn)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of every value given to ``update_state``."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(to_numpy(values), None if sample_weight is None else
                                                to_numpy(sample_weight), np.sum, self.dtype)
        self.total._data[...] += np.sum(values)

    def result(self):
        return tensor_result(self.total._data, self.dtype)


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state``: ``sum(w v) / sum(w)`` over every batch,
    a sample's values averaged first when the weights have fewer axes."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="count")

    def update_state(self, values, sample_weight=None, mask=None):
        values, sample_weight = reduce_to_samplewise_values(
            to_numpy(values), None if sample_weight is None else to_numpy(sample_weight), np.mean, self.dtype,
            mask)
        self.total._data[...] += np.sum(values)
        if sample_weight is not None:
            n = np.sum(sample_weight)
        elif values.ndim >= 1:
            n = values.shape[0]
        else:
            n = 1
        self.count._data[...] += n

    def result(self):
        return tensor_result(divide_no_nan(self.total._data, self.count._data), self.dtype)


class MeanMetricWrapper(Mean):
    """The mean over samples of ``fn(y_true, y_pred, **kwargs)`` (a metric or loss function)."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)   # Keras: unnamed, "mean_metric_wrapper" (compile names it)
        self._fn, self._fn_kwargs = fn, kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        in_mask = getattr(y_pred, "_keras_mask", None)
        with grad_mode.no_grad():
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        out_mask = getattr(values, "_keras_mask", None)
        if in_mask is not None:
            m = to_numpy(in_mask).astype(self.dtype)
            if sample_weight is None:
                sample_weight = m
            else:
                m, sw = same_rank(m, to_numpy(sample_weight).astype(self.dtype))
                sample_weight = sw * m
        super().update_state(to_numpy(values), sample_weight,
                             None if out_mask is None else to_numpy(out_mask).astype(bool))

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config


def wrapper_class(class_name, fn, default_name, params=(), lead=(), doc=None, **defaults):
    """A ``MeanMetricWrapper`` class over ``fn`` with Keras's constructor order: ``lead`` arguments, then
    ``name`` and ``dtype``, then ``params`` (``BinaryAccuracy(name, dtype, threshold)``,
    ``TopKCategoricalAccuracy(k, name, dtype)``)."""
    import inspect
    fn_defaults = {k: v.default for k, v in inspect.signature(fn).parameters.items()
                   if k in params + lead and v.default is not inspect.Parameter.empty}
    fn_defaults.update(defaults)
    order = tuple(lead) + ("name", "dtype") + tuple(params)

    def __init__(self, *args, **kwargs):
        if len(args) > len(order):
            raise TypeError(f"{class_name}() takes at most {len(order)} positional arguments ({len(args)} given)")
        for k, v in zip(order, args):
            if k in kwargs:
                raise TypeError(f"{class_name}() got multiple values for argument {k!r}")
            kwargs[k] = v
        name = kwargs.pop("name", default_name)
        dtype = kwargs.pop("dtype", None)
        unknown = set(kwargs) - set(order)
        if unknown:
            raise TypeError(f"{class_name}() got unexpected keyword argument(s) {sorted(unknown)}")
        given = dict(fn_defaults)
        given.update(kwargs)
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **given)
        for k, v in given.items():
            object.__setattr__(self, k, v)
    return type(class_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc or fn.__doc__,
                                                   "__module__": "ember.keras.metrics"})
