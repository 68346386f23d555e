"""Matrix-product combinations: addr, addbmm, chain_matmul.

``beta * input + alpha * (product)``; with ``beta = 0`` the input is ignored (NaN in it does
not propagate), as PyTorch does.

>>> import ember
>>> ember.addr(ember.zeros(2, 2), ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0]))
tensor([[3., 4.],
        [6., 8.]])
"""
__all__ = ["addr", "addbmm", "chain_matmul"]

from .elementwise import add, mul


def _combine(input, p, beta, alpha):
    p = p if alpha == 1 else mul(p, alpha)
    if beta == 0:
        # The input is ignored (its NaN/inf do not propagate) but still gets a zero gradient, as in PyTorch.
        from .elementwise import where, isfinite
        return add(p, mul(where(isfinite(input), input, 0.0), 0.0))
    return add(input if beta == 1 else mul(input, beta), p)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)``."""
    from .linalg import outer
    if vec1._data.ndim != 1 or vec2._data.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1 and vec2, but got {vec1._data.ndim}-D and "
                           f"{vec2._data.ndim}-D")
    return _combine(input, outer(vec1, vec2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``."""
    from .linalg import bmm
    from .reduce import sum as _sum
    return _combine(input, _sum(bmm(batch1, batch2), 0), beta, alpha)


def chain_matmul(*matrices, out=None):
    """The product of 2-D matrices left to right (``linalg.multi_dot`` for 2-D inputs)."""
    from .linalg import mm
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for k, m in enumerate(matrices):
        if m._data.ndim != 2:
            raise RuntimeError(f"chain_matmul(): Tensor {k} must be 2D, got {m._data.ndim}D")
    r = matrices[0]
    for m in matrices[1:]:
        r = mm(r, m)
    return r if len(matrices) > 1 else r.clone()
