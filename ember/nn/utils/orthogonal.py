r"""``orthogonal``: keep a weight matrix orthogonal (``torch.nn.utils.parametrizations.orthogonal``).

The matrix :math:`Q` (``n x k``, or a batch of them) is a map of an unconstrained tensor
:math:`X` of the same shape, computed on the tall orientation (the transpose when ``n < k``):

* ``"matrix_exp"`` (the default for square matrices): :math:`Q = \exp(A)` with the skew-symmetric
  :math:`A = L - L^T`, :math:`L` the lower triangle of :math:`X` (zero-padded to ``n x n``; the
  first ``k`` columns kept).
* ``"cayley"``: :math:`Q = (I - A/2)^{-1}(I + A/2)` with the same :math:`A`.
* ``"householder"`` (the default for non-square): the product of the Householder reflectors
  stored below the diagonal of :math:`X`, times the signs on its diagonal.

With ``use_trivialization=True`` (the default) a buffer ``base`` (an orthogonal matrix) multiplies
the map, ``Q = base @ map(X)``; registering the parametrization (or assigning ``module.weight``)
sets ``base`` to the orthogonal factor of the QR decomposition of the assigned matrix (with a
non-negative ``diag(R)``; a matrix already orthogonal is kept as is) and ``X`` to ``-I``, where
every map gives the identity: the weight starts as the assigned matrix made orthogonal.

>>> import ember
>>> from ember import nn
>>> layer = orthogonal(nn.Linear(4, 4))
>>> q = layer.weight
>>> bool(ember.allclose(q.T @ q, ember.eye(4), atol=1e-5))
True
"""
from ember.autograd import Tensor, no_grad
from ember.nn.module import Module
from ember.nn.utils import parametrize

_MAPS = ("matrix_exp", "cayley", "householder")


def _eye(k, like):
    import ember
    return ember.eye(k, dtype=like.dtype)


def _is_orthogonal(q):
    import ember
    n, k = q.shape[-2], q.shape[-1]
    eps = 10.0 * n * float(ember.finfo(q.dtype).eps)
    return bool(ember.allclose(q.mH @ q, _eye(k, q), atol=eps))


def _make_orthogonal(a):
    """The Q of ``a = QR`` (``a`` tall) with ``diag(R)`` made non-negative by flipping columns of Q."""
    import ember
    x, tau = ember.geqrf(a)
    q = ember.linalg.householder_product(x, tau)
    return q * x.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == "householder":
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        import ember
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = X.tril()
            if n != k:
                X = ember.cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == "matrix_exp":
                Q = ember.matrix_exp(A)
            else:
                eye = _eye(n, A)
                Q = ember.linalg.solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = ember.linalg.householder_product(A, tau)
            # The signs on X's diagonal (+-1) pick the reflection: not differentiated, not trained.
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if getattr(self, "base", None) is not None:
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        import ember
        with no_grad():
            if tuple(Q.shape) != tuple(self.shape):
                raise ValueError(f"Expected a matrix or batch of matrices of shape {tuple(self.shape)}. "
                                 f"Got a tensor of shape {tuple(Q.shape)}.")
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if "base" not in self._buffers:
                if self.orthogonal_map in ("matrix_exp", "cayley"):
                    raise NotImplementedError("It is not possible to assign to the matrix exponential or the "
                                              "Cayley parametrizations when use_trivialization=False.")
                # X = QR with diag(R) > 0: the reflectors below the diagonal, their signs on it.
                A, tau = ember.geqrf(Q)
                signs = A.diagonal(dim1=-2, dim2=-1).sign()
                signs = ember.where(tau == 0.0, -signs, signs)
                A = ember.diagonal_scatter(A, signs, 0, -2, -1)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                # Complete Q to an n x n orthogonal matrix with random columns.
                N = ember.randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype)
                Q = _make_orthogonal(ember.cat([Q, N], dim=-1))
            self.base = Q
            # -I: every map sends it to the identity (Householder reads the -1s as reflections).
            n0, k0 = Q_init.shape[-2], Q_init.shape[-1]
            return (-ember.eye(n0, k0, dtype=Q_init.dtype)).expand(Q_init.shape).clone()


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Parametrize ``module.<name>`` (a matrix or a batch of matrices) to stay orthogonal (unitary if
    complex); see the module docstring for the maps. ``orthogonal_map`` defaults to ``"matrix_exp"``
    for square or complex matrices and ``"householder"`` otherwise. Returns ``module``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    if orthogonal_map not in _MAPS:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
