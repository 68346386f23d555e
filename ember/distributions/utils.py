"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits, lazy properties,
random draws from ember's generator, and the small matrix utilities the multivariate families need.

>>> import ember
>>> from ember.distributions.utils import broadcast_all, probs_to_logits
>>> loc, scale = broadcast_all(ember.zeros(3), 1.0)
>>> tuple(scale.shape)
(3,)
>>> probs_to_logits(ember.tensor([0.5]), is_binary=True)
tensor([0.])
"""
import math
from functools import update_wrapper
from numbers import Number

import numpy as np

from ..autograd.tensor import Tensor, make
from ..autograd.grad_mode import enable_grad
from ..autograd.ops.shape import broadcast_tensors
from ..backend import dtypes as _dt
from ..autograd.ops.pointwise import logaddexp
from ..creation import as_tensor, tensor as _tensor, zeros_like
from ..random import _get_rng

__all__ = ["broadcast_all", "logits_to_probs", "probs_to_logits", "clamp_probs", "lazy_property",
           "tril_matrix_to_vec", "vec_to_tril_matrix", "euler_constant"]

euler_constant = 0.57721566490153286060  # Euler-Mascheroni


def broadcast_all(*values):
    """Broadcast numbers and tensors to one shape; numbers take the dtype of the first tensor
    (or the default dtype when there is none)."""
    if not all(isinstance(v, (Tensor, Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, torch.Tensor or objects "
                         "implementing __torch_function__.")
    if all(isinstance(v, Tensor) for v in values):
        return broadcast_tensors(*values)
    like = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = like.dtype if like is not None else _dt.get_default_dtype()
    values = [v if isinstance(v, Tensor) else _tensor(float(v) if not isinstance(v, bool) else v, dtype=dtype)
              for v in values]
    return broadcast_tensors(*values)


def _finfo(t):
    return np.finfo(t.dtype.numpy)


def clamp_probs(probs):
    """Keep probabilities in ``[eps, 1 - eps]`` so their logs stay finite."""
    eps = float(_finfo(probs).eps)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary=False):
    """Sigmoid of the logits (binary) or softmax over the last dimension."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def probs_to_logits(probs, is_binary=False):
    """``log p - log(1 - p)`` (binary) or ``log p`` (categorical), after clamping to ``[eps, 1 - eps]``."""
    ps = clamp_probs(probs)
    return ps.log() - (-ps).log1p() if is_binary else ps.log()


def check_probs_or_logits(probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


class lazy_property:
    """A property computed on first access and then stored on the instance (so ``expand`` can copy it)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """What the class attribute looks like, so documentation tools see a property."""

    def __init__(self, wrapped):
        property.__init__(self, wrapped)


def tril_matrix_to_vec(mat, diag=0):
    """The lower-triangular part (offset ``diag``) of the last two dimensions, row by row."""
    n = mat.shape[-1]
    rows, cols = np.tril_indices(n, k=diag)
    return mat[..., rows, cols]


def vec_to_tril_matrix(vec, diag=0):
    """Inverse of :func:`tril_matrix_to_vec`: a square lower-triangular matrix from its entries."""
    m = vec.shape[-1]
    n = int(round((-(1 + 2 * diag) + math.sqrt((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1))) / 2))
    rows, cols = np.tril_indices(n, k=diag)
    if len(rows) != m:
        raise ValueError(f"vec_to_tril_matrix: {m} entries do not fill a triangular matrix (diag={diag})")
    # Scatter through a 0/1 selection matrix so the gradient flows back to ``vec``.
    select = np.zeros((m, n * n), dtype=vec.dtype.numpy)
    select[np.arange(m), rows * n + cols] = 1.0
    return (vec @ make(select)).reshape(*vec.shape[:-1], n, n)


def softplus(x):
    """``log(1 + e^x)``, stable for large ``|x|`` and with derivative ``sigmoid(x)`` everywhere (also at 0,
    where the ``max(x, 0) + log1p(exp(-|x|))`` form gives a one-sided derivative)."""
    return logaddexp(x, zeros_like(x))


def sum_rightmost(value, dim):
    """Sum out the ``dim`` rightmost dimensions (a number passes through)."""
    if dim == 0 or not isinstance(value, Tensor):
        return value
    return value.reshape(*value.shape[:value.dim() - dim], -1).sum(-1)


_sum_rightmost = sum_rightmost  # PyTorch's private name, which some code imports


def batch_mv(matrix, vec):
    """Matrix-vector product over broadcast batch dimensions."""
    return (matrix @ vec.unsqueeze(-1)).squeeze(-1)


class _TorchDraws:
    """What ``draw``'s samplers call: ``random``, ``uniform``, ``standard_normal``, ``standard_exponential``,
    ``standard_cauchy`` and ``poisson`` draw as torch's distributions do (``rand``, ``uniform_``, ``normal_``,
    ``exponential_``, ``cauchy_``, ``poisson`` in the parameter's dtype on the global generator, so a seeded program
    samples torch's values); anything else is NumPy's Generator on the same stream."""

    def __init__(self, dtype):
        self._dtype = dtype

    def _fill(self, shape, method, *args):
        from .. import random as _random
        t = make(np.empty(tuple(shape), self._dtype))
        getattr(_random, method)(t, *args)
        return t._data

    def random(self, shape):
        return self._fill(shape, "uniform_", 0.0, 1.0)

    def uniform(self, low, high, shape):
        return self._fill(shape, "uniform_", low, high)

    def standard_normal(self, shape):
        return self._fill(shape, "normal_", 0.0, 1.0)

    def standard_exponential(self, shape):
        return self._fill(shape, "exponential_", 1.0)

    def standard_cauchy(self, shape):
        from ..autograd.pointwise_api import cauchy_
        t = make(np.empty(tuple(shape), self._dtype))
        return cauchy_(t)._data

    def poisson(self, lam):
        from .. import random as _random
        return _random._poisson_values(_random.default_generator, lam)

    def __getattr__(self, name):
        return getattr(_get_rng(), name)


def draw(shape, like, sampler):
    """A tensor of ``shape`` with the dtype of ``like`` from ``sampler(rng, shape)``, ``rng`` drawing torch's
    values for the basic distributions (see ``_TorchDraws``) from ember's global generator."""
    dtype = like.dtype.numpy if like.dtype.is_floating_point else np.float32
    arr = np.asarray(sampler(_TorchDraws(dtype), tuple(shape)))
    return make(arr.astype(like.dtype.numpy if like.dtype.is_floating_point else np.float64))


def param_array(t, shape):
    """A parameter as a float64 NumPy array broadcast to ``shape`` (for the samplers)."""
    return np.broadcast_to(np.asarray(t._data if isinstance(t, Tensor) else t, dtype=np.float64), tuple(shape))


def to_tensor_like(value, like):
    return value if isinstance(value, Tensor) else as_tensor(value, dtype=like.dtype)


class BinaryProbs:
    """Mixin for families parameterised by the probability of one binary outcome, given as ``probs`` or
    ``logits``; the other one is derived on first use (and stored, so ``expand`` can carry it)."""

    def _set_probs_or_logits(self, probs, logits, *others):
        """Store the given one of ``probs`` / ``logits`` (as ``_param`` too), broadcast with ``others``, which
        are returned."""
        check_probs_or_logits(probs, logits)
        name, value = ("probs", probs) if probs is not None else ("logits", logits)
        values = broadcast_all(*others, value)
        setattr(self, name, values[-1])
        self._param = values[-1]
        return values[:-1]

    def _expand_binary(self, cls, batch_shape, names, _instance):
        new = self._expand_params(cls, batch_shape, (*names, "probs", "logits"), _instance)
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        return new

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()
