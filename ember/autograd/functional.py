"""Jacobian, Hessian and vector products built on ``autograd.grad`` (``torch.autograd.functional``).

With ``f: inputs -> outputs`` and ``J`` its Jacobian:

* ``vjp(f, x, v)``  = ``(f(x), v^T J)``   (one reverse pass);
* ``jvp(f, x, v)``  = ``(f(x), J v)``     (the double-vjp trick: ``J v = d/du (u^T J) v``);
* ``jacobian(f, x)`` = ``J``              (one reverse pass per output element);
* ``hessian(f, x)``  = ``d^2 f / dx^2``   (the Jacobian of the gradient);
* ``vhp(f, x, v)`` = ``(f(x), v^T H)`` and ``hvp(f, x, v)`` = ``(f(x), H v)``.

As PyTorch's: ``inputs`` is a Tensor or a tuple of Tensors and each result mirrors it (a tuple
for a tuple, even of one); outputs and results are detached unless ``create_graph``; an input
the output does not depend on gets zeros. ``jacobian`` of a tuple of outputs (or inputs) is a
tuple (of tuples, for both), with ``out.shape + in.shape`` blocks.

>>> import ember
>>> from ember.autograd.functional import jvp, hessian
>>> f = lambda x: x ** 3
>>> jvp(f, ember.tensor([1.0, 2.0]), ember.tensor([1.0, 1.0]))[1]
tensor([ 3., 12.])
>>> hessian(lambda x: (x ** 3).sum(), ember.tensor([1.0, 2.0]))
tensor([[ 6.,  0.],
        [ 0., 12.]])
"""
import numpy as np

from .tensor import Tensor, make
from .engine import grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(x, what, fn):
    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            raise TypeError(f"torch.autograd.functional.{fn}: the {what} must be Tensors or a tuple of "
                            f"Tensors, got {type(t).__name__} at index {i}")
    return is_tuple, xs


def _like(is_tuple, xs):
    return tuple(xs) if is_tuple else xs[0]


def _prepare(inputs, fn, create_graph=False):
    # With create_graph the results stay connected to inputs that require grad (as PyTorch's
    # view_as); otherwise the function runs on detached copies.
    is_tuple, xs = _as_tuple(inputs, "inputs", fn)
    return is_tuple, tuple(x.view_as(x) if create_graph and x.requires_grad else x.detach().requires_grad_()
                           for x in xs)


def _post(xs, create_graph):
    return tuple(x if create_graph else x.detach() for x in xs)


def _fill_v(v, refs, fn, what):
    """``v`` as a tuple matching ``refs`` (None allowed for a single one-element tensor)."""
    if v is None:
        if len(refs) != 1 or refs[0].numel() != 1:
            raise RuntimeError(f"torch.autograd.functional.{fn}: the vector v can only be None if the {what} "
                               f"is a single Tensor with one element; got shapes {[tuple(r.shape) for r in refs]}")
        return (make(np.ones(refs[0].shape, refs[0]._data.dtype)),)
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(refs) or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(vs, refs)):
        raise RuntimeError(f"torch.autograd.functional.{fn}: v has shapes {[tuple(a.shape) for a in vs]}, expected "
                           f"the {what} shapes {[tuple(b.shape) for b in refs]}")
    return vs


def _grads(outs, xs, gos, create_graph, retain_graph=None):
    pairs = [(o, g) for o, g in zip(outs, gos) if o.requires_grad]
    if not pairs:
        return tuple(make(np.zeros(x.shape, x._data.dtype)) for x in xs)
    return grad([o for o, _ in pairs], xs, [g for _, g in pairs], create_graph=create_graph,
                retain_graph=retain_graph, allow_unused=True, materialize_grads=True)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``; ``v`` matches the outputs (None for a one-element output)."""
    in_tuple, xs = _prepare(inputs, "vjp", create_graph)
    out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "vjp")
    vs = _fill_v(v, outs, "vjp", "output")
    gs = _grads(outs, xs, vs, create_graph)
    return _like(out_tuple, _post(outs, create_graph)), _like(in_tuple, _post(gs, create_graph))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``; ``v`` matches the inputs (None for a one-element input)."""
    in_tuple, xs = _prepare(inputs, "jvp", create_graph)
    vs = _fill_v(v, xs, "jvp", "input")
    out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "jvp")
    # u^T J is linear in the dummy cotangents u; its derivative along v is J v.
    us = tuple(make(np.zeros(o.shape, o._data.dtype)).requires_grad_() for o in outs)
    gs = _grads(outs, xs, us, create_graph=True)
    live = [(g, vv) for g, vv in zip(gs, vs) if g.requires_grad]
    if live:
        jv = grad([g for g, _ in live], us, [vv for _, vv in live], create_graph=create_graph, allow_unused=True,
                  materialize_grads=True)
    else:
        jv = tuple(make(np.zeros(o.shape, o._data.dtype)) for o in outs)
    return _like(out_tuple, _post(outs, create_graph)), _like(out_tuple, _post(jv, create_graph))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian blocks ``d out_i / d in_j`` of shape ``out_i.shape + in_j.shape``."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"torch.autograd.functional.jacobian: expected strategy to be either \"forward-mode\" "
                         f"or \"reverse-mode\", got {strategy!r}")
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("torch.autograd.functional.jacobian: computing the Jacobian with forward-mode AD "
                                  "is only implemented for vectorize=True")
    in_tuple, xs = _prepare(inputs, "jacobian", create_graph)
    out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "jacobian")
    blocks = []
    for out in outs:
        flat = out.reshape(-1)
        rows = []
        for k in range(flat.numel()):
            if out.requires_grad:
                rows.append(grad(flat[k], xs, retain_graph=True, create_graph=create_graph, allow_unused=True,
                                 materialize_grads=True))
            else:
                rows.append(tuple(make(np.zeros(x.shape, x._data.dtype)) for x in xs))
        per_input = []
        for j, x in enumerate(xs):
            if rows and create_graph:
                from .ops import stack
                block = stack([r[j] for r in rows]).reshape(tuple(out.shape) + tuple(x.shape))
            elif rows:
                block = make(np.stack([r[j]._data for r in rows]).reshape(tuple(out.shape) + tuple(x.shape)))
            else:
                block = make(np.zeros(tuple(out.shape) + tuple(x.shape), x._data.dtype))
            per_input.append(block)
        blocks.append(_like(in_tuple, per_input))
    return _like(out_tuple, blocks)


def _check_scalar(out, fn):
    if isinstance(out, (tuple, list)) or not isinstance(out, Tensor) or out.numel() != 1:
        shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
        raise RuntimeError(f"torch.autograd.functional.{fn}: the function given to {fn} should return a single "
                           f"Tensor with a single element, got {shape}")
    return out


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar ``func``: blocks ``d^2 f / d in_i d in_j`` of shape ``in_i.shape + in_j.shape``."""
    in_tuple, _ = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out = _check_scalar(func(*xs), "hessian")
        gs = grad(out, xs, create_graph=True, allow_unused=True, materialize_grads=True)
        return _like(in_tuple, gs)
    return jacobian(gradient, inputs, create_graph=create_graph, vectorize=vectorize,
                    strategy=outer_jacobian_strategy)


def _hessian_product(func, inputs, v, create_graph, fn):
    in_tuple, xs = _prepare(inputs, fn, create_graph)
    out = _check_scalar(func(*xs), fn)
    vs = _fill_v(v, xs, fn, "input")
    gs = grad(out, xs, create_graph=True, allow_unused=True, materialize_grads=True)
    live = [(g, vv) for g, vv in zip(gs, vs) if g.requires_grad]
    if live:
        hv = grad([g for g, _ in live], xs, [vv for _, vv in live], create_graph=create_graph, allow_unused=True,
                  materialize_grads=True)
    else:
        hv = tuple(make(np.zeros(x.shape, x._data.dtype)) for x in xs)
    return _post((out,), create_graph)[0], _like(in_tuple, _post(hv, create_graph))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar ``func``."""
    return _hessian_product(func, inputs, v, create_graph, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar ``func`` (H is symmetric for twice-differentiable ``func``,
    so this is ``v^T H`` transposed)."""
    return _hessian_product(func, inputs, v, create_graph, "hvp")
