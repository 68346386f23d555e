"""Keras's losses, by name (``loss='sparse_categorical_crossentropy'``) or as objects
(``keras.losses.SparseCategoricalCrossentropy(from_logits=True)``).

A loss object computes per-sample losses and reduces them with ``reduction``:
``'sum_over_batch_size'`` (default: the sum of the weighted losses divided by their
number), ``'sum'``, or ``None`` (no reduction). Crossentropies with
``from_logits=False`` clip probabilities to ``[1e-7, 1 - 1e-7]``, except when the
predictions come straight from a ``softmax``/``sigmoid`` activation: then they work
from the logits, as TensorFlow's Keras does.

>>> import ember
>>> from ember import keras
>>> loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
>>> round(float(loss(ember.tensor([0]), ember.tensor([[0.0, 0.0]]))), 4)
0.6931
"""
import numpy as np

from .. import functional as F
from ..autograd import ops
from ..autograd.tensor import Tensor, make
from . import backend


def _t(x, dtype=None):
    return x if isinstance(x, Tensor) else backend.convert_to_tensor(x, dtype)


def _float_target(y_true, y_pred):
    y = _t(y_true)
    if y._data.dtype != y_pred._data.dtype:
        y = make(y._data.astype(y_pred._data.dtype))
    return y


def _logits_of(y_pred, from_logits):
    if from_logits:
        return y_pred, True
    logits = getattr(y_pred, "_keras_logits", None)
    if logits is not None:
        return logits, True
    return y_pred, False


def _match_rank(y_true, y_pred):
    """Keras squeezes or expands a target whose rank differs from the prediction's by one."""
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        return y_true.squeeze(-1)
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        return y_true.unsqueeze(-1)
    return y_true


def mean_squared_error(y_true, y_pred):
    """``mean((y_true - y_pred)^2, axis=-1)``."""
    y_pred = _t(y_pred)
    y_true = _match_rank(_float_target(y_true, y_pred), y_pred)
    d = ops.sub(y_pred, y_true)
    return ops.mul(d, d).mean(-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(|y_true - y_pred|, axis=-1)``."""
    y_pred = _t(y_pred)
    y_true = _match_rank(_float_target(y_true, y_pred), y_pred)
    return ops.abs(ops.sub(y_pred, y_true)).mean(-1)


def mean_absolute_percentage_error(y_true, y_pred):
    y_pred = _t(y_pred)
    y_true = _match_rank(_float_target(y_true, y_pred), y_pred)
    diff = ops.abs(ops.div(ops.sub(y_true, y_pred), ops.clamp(ops.abs(y_true), min=backend.epsilon())))
    return ops.mul(diff.mean(-1), 100.0)


def huber(y_true, y_pred, delta=1.0):
    """``mean(0.5 e^2 if |e| <= delta else delta |e| - 0.5 delta^2, axis=-1)``, ``e = y_pred - y_true``."""
    y_pred = _t(y_pred)
    y_true = _match_rank(_float_target(y_true, y_pred), y_pred)
    e = ops.abs(ops.sub(y_pred, y_true))
    quad = ops.mul(ops.mul(e, e), 0.5)
    lin = ops.sub(ops.mul(e, delta), 0.5 * delta * delta)
    return ops.where(e <= delta, quad, lin).mean(-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Mean over ``axis`` of ``-(y log p + (1 - y) log(1 - p))``."""
    y_pred = _t(y_pred)
    y_true = _match_rank(_float_target(y_true, y_pred), y_pred)
    if label_smoothing:
        y_true = ops.add(ops.mul(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    logits, is_logits = _logits_of(y_pred, from_logits)
    if is_logits:
        # max(x, 0) - x y + log(1 + exp(-|x|)): stable for any logit.
        bce = ops.add(ops.sub(F.relu(logits), ops.mul(logits, y_true)), ops.log1p(ops.exp(ops.neg(ops.abs(logits)))))
    else:
        eps = backend.epsilon()
        p = ops.clamp(y_pred, eps, 1.0 - eps)
        bce = ops.neg(ops.add(ops.mul(y_true, ops.log(ops.add(p, eps))),
                              ops.mul(ops.rsub(y_true, 1.0), ops.log(ops.add(ops.rsub(p, 1.0), eps)))))
    return bce.mean(axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """``-sum(y_true * log(y_pred), axis)`` for one-hot (or soft) targets."""
    y_pred = _t(y_pred)
    y_true = _float_target(y_true, y_pred)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)} (for integer "
                         "labels use sparse_categorical_crossentropy)")
    if label_smoothing:
        k = y_pred.shape[axis]
        y_true = ops.add(ops.mul(y_true, 1.0 - label_smoothing), label_smoothing / k)
    logits, is_logits = _logits_of(y_pred, from_logits)
    if is_logits:
        logp = ops.log_softmax(logits, axis)
    else:
        eps = backend.epsilon()
        p = ops.div(y_pred, y_pred.sum(axis, keepdim=True))
        logp = ops.log(ops.clamp(p, eps, 1.0 - eps))
    return ops.neg(ops.mul(y_true, logp).sum(axis))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """``-log(y_pred[label])`` for integer labels (shape ``(N,)`` or ``(N, 1)``)."""
    y_pred = _t(y_pred)
    labels = _t(y_true)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels.squeeze(-1)
    lab = labels._data
    if lab.dtype.kind == "f":
        lab = lab.astype(np.int64)
    k = y_pred.shape[axis]
    valid = None
    if ignore_class is not None:
        valid = lab != ignore_class
        lab = np.where(valid, lab, 0)
    if lab.size and (lab.min() < 0 or lab.max() >= k):
        raise ValueError(f"sparse_categorical_crossentropy: labels must be in [0, {k}) for predictions with {k} "
                         f"classes; got labels in [{int(lab.min())}, {int(lab.max())}]")
    logits, is_logits = _logits_of(y_pred, from_logits)
    if is_logits:
        logp = ops.log_softmax(logits, axis)
    else:
        eps = backend.epsilon()
        p = ops.div(y_pred, y_pred.sum(axis, keepdim=True))
        logp = ops.log(ops.clamp(p, eps, 1.0 - eps))
    idx = make(np.expand_dims(lab.astype(np.int64), axis))
    out = ops.neg(ops.take_along_dim(logp, idx, axis).squeeze(axis))
    if valid is not None:
        out = ops.mul(out, make(valid.astype(out._data.dtype)))
    return out


def kl_divergence(y_true, y_pred):
    y_pred = _t(y_pred)
    y_true = _float_target(y_true, y_pred)
    eps = backend.epsilon()
    t = ops.clamp(y_true, eps, 1.0)
    p = ops.clamp(y_pred, eps, 1.0)
    return ops.mul(y_true, ops.log(ops.div(t, p))).sum(-1)


def hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``; 0/1 labels are mapped to -1/1."""
    y_pred = _t(y_pred)
    y_true = _match_rank(_float_target(y_true, y_pred), y_pred)
    a = y_true._data
    if np.all((a == 0) | (a == 1)):
        y_true = ops.sub(ops.mul(y_true, 2.0), 1.0)
    return F.relu(ops.rsub(ops.mul(y_true, y_pred), 1.0)).mean(-1)


def reduce_weighted(losses, sample_weight, reduction):
    """Apply ``sample_weight`` (broadcast over the loss) and the ``reduction``."""
    if sample_weight is not None:
        sw = _t(sample_weight)
        sw = make(sw._data.astype(losses._data.dtype))
        while sw.ndim > losses.ndim and sw.shape[-1] == 1:
            sw = sw.squeeze(-1)
        while sw.ndim < losses.ndim:
            sw = sw.unsqueeze(-1)
        losses = ops.mul(losses, sw)
    if reduction in (None, "none"):
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    if reduction in ("sum_over_batch_size", "auto", "mean"):
        n = max(1, losses.numel())
        return ops.div(total, float(n))
    raise ValueError(f"Invalid value for argument `reduction`: {reduction!r}; expected 'sum_over_batch_size', "
                     "'sum' or None")


class Loss:
    """Base class: ``__call__(y_true, y_pred, sample_weight=None)`` returns the reduced loss tensor."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or backend.to_snake_case(type(self).__name__)
        self.reduction = reduction

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _t(y_pred)
        return reduce_weighted(self.call(y_true, y_pred), sample_weight, self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    fn = None

    def __init__(self, fn=None, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(name=name, reduction=reduction)
        self._fn = fn if fn is not None else type(self).fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self._fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config


def _wrapper(class_name, fn, default_name, params=()):
    def __init__(self, *args, reduction="sum_over_batch_size", name=default_name, dtype=None, **kwargs):
        given = dict(zip(params, args))
        given.update(kwargs)
        LossFunctionWrapper.__init__(self, None, reduction=reduction, name=name, **given)
    cls = type(class_name, (LossFunctionWrapper,), {"fn": staticmethod(fn), "__init__": __init__,
                                                    "__doc__": fn.__doc__, "__module__": __name__})
    return cls


MeanSquaredError = _wrapper("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _wrapper("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _wrapper("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                       "mean_absolute_percentage_error")
Huber = _wrapper("Huber", huber, "huber_loss", ("delta",))
BinaryCrossentropy = _wrapper("BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
                              ("from_logits", "label_smoothing", "axis"))
CategoricalCrossentropy = _wrapper("CategoricalCrossentropy", categorical_crossentropy, "categorical_crossentropy",
                                   ("from_logits", "label_smoothing", "axis"))
SparseCategoricalCrossentropy = _wrapper("SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
                                         "sparse_categorical_crossentropy", ("from_logits", "ignore_class", "axis"))
KLDivergence = _wrapper("KLDivergence", kl_divergence, "kl_divergence")
Hinge = _wrapper("Hinge", hinge, "hinge")

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
kld = KLD = kl_divergence

_BY_NAME = {
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError, "mape": MeanAbsolutePercentageError,
    "huber": Huber, "huber_loss": Huber,
    "binary_crossentropy": BinaryCrossentropy, "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "kl_divergence": KLDivergence, "kld": KLDivergence, "kullback_leibler_divergence": KLDivergence,
    "hinge": Hinge,
}
_CLASSES = {c.__name__: c for c in set(_BY_NAME.values())}


def get(identifier):
    """A loss object from a name, a config dict, a ``Loss`` or a function ``fn(y_true, y_pred)``."""
    if identifier is None:
        return None
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"Unknown loss {identifier!r}; expected one of {sorted(_BY_NAME)}")
        return cls(name=identifier) if identifier in _BY_NAME else cls()
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown loss class {identifier.get('class_name')!r}")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        for name, cls in _BY_NAME.items():
            if cls.fn is identifier:
                return cls()
        return LossFunctionWrapper(identifier, name=getattr(identifier, "__name__", "loss"))
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def serialize(loss):
    if isinstance(loss, str) or loss is None:
        return loss
    if type(loss).__name__ in _CLASSES:
        return {"module": "keras.losses", "class_name": type(loss).__name__, "config": loss.get_config()}
    raise ValueError(f"Cannot serialize the loss {loss!r}")
