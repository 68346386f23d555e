"""``Wishart(df, covariance_matrix=None, precision_matrix=None, scale_tril=None)``: the law of ``X X^T`` for
``df`` Gaussian columns with covariance ``S``,
``p(W) = det(W)^((df-p-1)/2) exp(-tr(S^-1 W) / 2) / (2^(df p/2) det(S)^(df/2) Gamma_p(df/2))``.

``rsample`` uses the Bartlett decomposition ``W = L A A^T L^T`` (``A`` lower triangular, chi-distributed
diagonal, normal below it), so it is differentiable in ``S`` and, through the implicit Gamma gradient, in
``df``.

>>> import ember
>>> from ember.distributions import Wishart
>>> Wishart(ember.tensor(3.0), covariance_matrix=ember.eye(2)).mean
tensor([[3., 0.],
        [0., 3.]])
"""
import math
import warnings
from numbers import Number

import numpy as np

from ..autograd.tensor import Size, make
from ..autograd.ops.pointwise import mvlgamma
from ..autograd.ops.elementwise import where as _where
from ..creation import arange, full_like, tensor as _tensor
from ..linalg import cholesky, inv, slogdet
from . import constraints
from .chi2 import Chi2
from .exp_family import ExponentialFamily
from .multivariate_normal import precision_to_scale_tril, _broadcast_batch
from .. import random as _random
from .utils import lazy_property

__all__ = ["Wishart"]

_LOG_2 = math.log(2)


def _mvdigamma(x, p):
    """``sum_{i<p} digamma(x - i/2)``, the derivative of the multivariate log-gamma."""
    return (x.unsqueeze(-1) - arange(p, dtype=x.dtype) / 2).digamma().sum(-1)


class Wishart(ExponentialFamily):
    """Wishart distribution over ``p x p`` positive-definite matrices with ``df`` degrees of freedom."""

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self):
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        given = [(n, m) for n, m in (("covariance_matrix", covariance_matrix), ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        name, param = given[0]
        if param.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch dimensions")
        if isinstance(df, Number):
            batch_shape = Size(param.shape[:-2])
            self.df = _tensor(float(df), dtype=param.dtype)
        else:
            batch_shape = _broadcast_batch(param.shape[:-2], df.shape)
            self.df = df.expand(*batch_shape)
        event_shape = param.shape[-2:]
        p = event_shape[-1]
        if bool((self.df <= p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        setattr(self, name, param.expand(*batch_shape, -1, -1))
        if bool((self.df < p).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur for ndim - 1 < df "
                          "< ndim.", stacklevel=2)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        self._batch_dims = [-(x + 1) for x in range(len(self._batch_shape))]
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = param
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = cholesky(param)
        else:
            self._unbroadcasted_scale_tril = precision_to_scale_tril(param)
        self._dist_chi2 = self._bartlett_chi2(batch_shape)

    def _bartlett_chi2(self, batch_shape):
        p = self._event_shape[-1]
        dfs = self.df.unsqueeze(-1) - arange(p, dtype=self._unbroadcasted_scale_tril.dtype).expand(*batch_shape, p)
        return Chi2(df=dfs)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = Size(batch_shape)
        cov_shape = (*batch_shape, *self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(*cov_shape)
        new.df = self.df.expand(*batch_shape)
        new._batch_dims = [-(x + 1) for x in range(len(batch_shape))]
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(*cov_shape))
        super(Wishart, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._dist_chi2 = new._bartlett_chi2(batch_shape)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self):
        return (*self._batch_shape, *self._event_shape)

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(*self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        lower = self._unbroadcasted_scale_tril
        return (lower @ lower.mT).expand(*self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        return self._precision().expand(*self._matrix_shape())

    def _precision(self):
        lower = self._unbroadcasted_scale_tril
        return inv(lower @ lower.mT)

    def _df_matrix(self):
        return self.df.reshape(*self._batch_shape, 1, 1)

    @property
    def mean(self):
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = _where(factor <= 0, full_like(factor, math.nan), factor)
        return factor.reshape(*self._batch_shape, 1, 1) * self.covariance_matrix

    @property
    def variance(self):
        v = self.covariance_matrix
        d = v.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix() * (v.pow(2) + d.unsqueeze(-1) * d.unsqueeze(-2))

    def _bartlett_sampling(self, sample_shape):
        p = self._event_shape[-1]
        eps = float(np.finfo(self.df.dtype.numpy).eps)
        diag = self._dist_chi2.rsample(sample_shape).sqrt().clamp(min=eps).diag_embed()
        rows, cols = np.tril_indices(p, -1)
        below = np.zeros((*sample_shape, *self._batch_shape, p, p))
        # torch.randn(sample_shape + batch_shape + (p(p-1)/2,)) in the noise's dtype, on the global generator
        below[..., rows, cols] = _random.randn(*sample_shape, *self._batch_shape, len(rows), dtype=self.df.dtype)._data
        chol = self._unbroadcasted_scale_tril @ (diag + make(below.astype(self.df.dtype.numpy)))
        return chol @ chol.mT

    def rsample(self, sample_shape=Size(), max_try_correction=None):
        """A Bartlett draw, then torch 2.13's "singular sample" correction as it runs: its first check flags
        the samples that pass it (with the "Singular sample detected." warning), so each of those is drawn
        once more, and redraws that come out singular are drawn again, up to ``max_try_correction`` (10)
        times. Kept as it is so that the draws follow torch's random stream; each kept draw is a Wishart
        draw either way."""
        max_try_correction = 10 if max_try_correction is None else max_try_correction
        sample_shape = Size(sample_shape)
        sample = self._bartlett_sampling(sample_shape)
        flagged = self._over_batch(self.support.check(sample))
        if bool(flagged.any()):
            warnings.warn("Singular sample detected.", stacklevel=2)
            for _ in range(max_try_correction):
                fresh = self._bartlett_sampling(Size((int(flagged.sum()),)))
                sample[flagged.clone()] = fresh   # a mask of its own: rsample stays differentiable
                flagged[flagged.clone()] = self._over_batch(~self.support.check(fresh))
                if not bool(flagged.any()):
                    break
        return sample

    def _over_batch(self, flags):
        # per sample: any of its batch entries (torch's amax over the batch dimensions)
        for dim in sorted(self._batch_dims):
            flags = flags.any(dim)
        return flags

    def _log_det_scale(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        # tr(S^-1 W) = sum(S^-1 * W^T), with S^-1 = (L L^T)^-1 so that the gradient reaches all of L as
        # PyTorch's does
        trace = (self._precision() * value.mT).sum(-1).sum(-1)
        return (-nu * (p * _LOG_2 / 2 + self._log_det_scale()) - mvlgamma(nu / 2, p)
                + (nu - p - 1) / 2 * slogdet(value)[1] - trace / 2)

    def entropy(self):
        nu, p = self.df, self._event_shape[-1]
        return ((p + 1) * (p * _LOG_2 / 2 + self._log_det_scale()) + mvlgamma(nu / 2, p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p) + nu * p / 2)

    @property
    def _natural_params(self):
        nu, p = self.df, self._event_shape[-1]
        return -self.precision_matrix / 2, (nu - p - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return (y + (p + 1) / 2) * (-slogdet(-2 * x)[1] + _LOG_2 * p) + mvlgamma(y + (p + 1) / 2, p)

