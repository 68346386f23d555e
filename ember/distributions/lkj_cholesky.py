"""``LKJCholesky(dim, concentration=1.0)``: the LKJ prior on correlation matrices (Lewandowski, Kurowicka and
Joe, 2009), over their lower Cholesky factors ``L``: ``p(L) ~ prod_i L_ii^(dim - i + 2 (eta - 1))``
(``i`` from 2).

Sampling is the onion method: row ``i`` is ``sqrt(y_i) u_i`` plus a diagonal entry completing the unit
norm, with ``y_i ~ Beta(i/2, eta + (dim - 2 - i)/2)`` and ``u_i`` uniform on the sphere.

>>> import ember
>>> from ember.distributions import LKJCholesky
>>> tuple(LKJCholesky(3, 0.5).sample().shape)
(3, 3)
"""
import math

import numpy as np

from ..autograd.tensor import Size, make
from ..autograd.grad_mode import no_grad
from ..autograd.ops.pointwise import mvlgamma
from ..creation import arange
from ..autograd.ops.shape import cat as _cat
from . import constraints
from .beta import Beta
from .distribution import Distribution
from .. import random as _random
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """LKJ distribution over Cholesky factors of ``dim x dim`` correlation matrices."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        marginal = self.concentration + 0.5 * (dim - 2)
        offset = arange(dim - 1, dtype=self.concentration.dtype)
        offset = _cat([offset.new_zeros((1,)), offset])
        self._beta = Beta(offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(self.concentration.size(), Size((dim, dim)), validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(*batch_shape)
        new._beta = self._beta.expand(Size((*batch_shape, self.dim)))
        super(LKJCholesky, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=Size()):
        with no_grad():
            y = np.asarray(self._beta.sample(sample_shape)._data)[..., None]
            shape = tuple(self._extended_shape(sample_shape))
            # torch.randn(shape, dtype=y.dtype).tril(-1): the same normals from the global generator, and the
            # rest in y's dtype as torch (1 - sum w^2 cancels: float64 would move the last diagonal entry)
            u = np.tril(_random.randn(*shape, dtype=self.concentration.dtype)._data, -1)
            norm = np.sqrt((u * u).sum(-1, keepdims=True))
            u = np.divide(u, norm, out=np.zeros_like(u), where=norm > 0)  # the first row stays zero
            w = np.sqrt(y) * u
            tiny = np.finfo(self.concentration.dtype.numpy).tiny
            diag = np.sqrt(np.maximum(1 - (w ** 2).sum(-1), tiny))
            w = w + diag[..., None] * np.eye(self.dim, dtype=w.dtype)
            return make(w.astype(self.concentration.dtype.numpy))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diag = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = arange(2, self.dim + 1, dtype=self.concentration.dtype)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * diag.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalize = 0.5 * dm1 * math.log(math.pi) + mvlgamma(alpha - 0.5, dm1) - alpha.lgamma() * dm1
        return unnormalized - normalize
