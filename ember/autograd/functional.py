"""Jacobian, Hessian and vector products built on ``autograd.grad`` (``ember.autograd.functional``)."""
import numpy as np

from .tensor import Tensor, make
from .engine import grad


def _tuple(x):
    return x if isinstance(x, tuple) else (x,)


def vjp(func, inputs, v=None, create_graph=False):
    inputs = tuple(i.detach().requires_grad_() for i in _tuple(inputs))
    out = func(*inputs)
    gs = grad(out, inputs, v, create_graph=create_graph, allow_unused=True, materialize_grads=True)
    return out.detach(), gs if len(gs) > 1 else gs[0]


def jacobian(func, inputs, create_graph=False):
    single = isinstance(inputs, Tensor)
    inputs = tuple(i.detach().requires_grad_() for i in _tuple(inputs))
    out = func(*inputs)
    rows = []
    flat = out.reshape(-1)
    for k in range(flat.numel()):
        gs = grad(flat[k], inputs, retain_graph=True, create_graph=create_graph, allow_unused=True,
                  materialize_grads=True)
        rows.append(gs)
    res = []
    for j, x in enumerate(inputs):
        arr = np.stack([r[j]._data for r in rows]).reshape(out.shape + x.shape)
        res.append(make(arr))
    return res[0] if single else tuple(res)


def hessian(func, inputs, create_graph=False):
    single = isinstance(inputs, Tensor)

    def g(*xs):
        (gx,) = grad(func(*xs), xs[:1], create_graph=True)
        return gx
    if not single:
        raise NotImplementedError("hessian with several inputs is not supported yet")
    return jacobian(g, inputs, create_graph)


def hvp(func, inputs, v):
    x = inputs.detach().requires_grad_()
    (gx,) = grad(func(x), x, create_graph=True)
    (hv,) = grad(gx, x, v)
    return func(x).detach(), hv
