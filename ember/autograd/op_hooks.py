"""Observers of the expensive ops: the hook point behind ``torch.utils.flop_counter.FlopCounterMode``.

PyTorch counts FLOPs by intercepting aten ops in a dispatch mode. Ember has no dispatcher, so the
few ops that FLOP counting cares about (matrix products, ``linear``, convolutions) call
:func:`product` / :func:`convolution` here when :data:`observers` is non-empty, naming the aten op
that PyTorch would run for the same call (``F.linear`` with a bias on a 2-D input is
``aten.addmm``; ``matmul`` of a 3-D by a 2-D tensor folds into one ``aten.mm``; two 4-D tensors
are one ``aten.bmm``). Each op's backward is announced too, through a pre-hook on its autograd node
(``aten.mm``/``aten.bmm`` per input that needs a gradient; ``aten.convolution_backward`` with its
output mask); while that node's rule runs, the products it calls are muted, as PyTorch's backward
formulas run as the announced aten ops. With no observer the ops pay one list test.

An observer has ``_op(name, args, where)`` (``args`` are shapes, as PyTorch's flop formulas take
them; ``where`` is what its ``_where()`` returned at the forward, so backward counts are credited
to the modules the forward ran in) and ``_where()``.
"""
__all__ = ["observers", "product", "convolution", "muted"]

observers = []
_mute = [0]
_rename = [None]


def rename(name):
    """The next product is announced as ``name`` ("addmm", "baddbmm": the fused ops built on mm/bmm)."""
    _rename[0] = name


def muted():
    """True inside the backward of an announced op (its inner products are part of it)."""
    return _mute[0] > 0


def _emit(name, args, where=None):
    for i, o in enumerate(observers):
        o._op(name, args, where[i] if where is not None and i < len(where) else None)


def _on_backward(node, grads):
    """Announce ``grads`` (name, args) when ``node``'s rule runs, and mute what the rule calls."""
    where = tuple(o._where() for o in observers)

    def pre(grad_outputs):
        if observers and not _mute[0]:
            for name, args in grads:
                _emit(name, args, where)
        _mute[0] += 1

    def post(grad_inputs, grad_outputs):
        _mute[0] = max(0, _mute[0] - 1)
    node.register_prehook(pre)
    node.register_hook(post)


def _fold(shape):
    """A (..., m, k) shape as the 2-D (prod(...) * m, k) PyTorch folds it into for one ``mm``."""
    rows = 1
    for s in shape[:-1]:
        rows *= s
    return (rows, shape[-1])


def product(op, a_shape, b_shape, out, needs=(False, False)):
    """Announce a matrix product of operands with ``a_shape`` and ``b_shape`` (as ``matmul`` takes them;
    ``op`` is "matmul", or "addmm"/"baddbmm"/"linear" for the fused forms; for "linear" ``b_shape``
    is the weight's transposed shape and ``op`` "linear+bias" has a bias). ``needs``: which operands
    need a gradient (their backward products are announced on ``out``'s node)."""
    fused, _rename[0] = _rename[0], None
    if _mute[0]:
        return
    na, nb = len(a_shape), len(b_shape)
    if op in ("linear", "linear+bias"):
        name = "addmm" if op == "linear+bias" else "mm"
        if na == 1:
            a_shape, na = (1,) + tuple(a_shape), 2
        args = (_fold(a_shape), tuple(b_shape))
    elif na == 1 and nb == 1 or nb == 1 and na >= 2 or na == 1 and nb > 2:
        # aten.dot / aten.mv (and their backward products): not counted by PyTorch's flop counter
        if (needs[0] or needs[1]) and out.grad_fn is not None:
            _on_backward(out.grad_fn, [])
        return
    elif na == 1:
        name, args = "mm", ((1, a_shape[0]), tuple(b_shape))
    elif na <= 2 and nb <= 2:
        name, args = "mm", (tuple(a_shape), tuple(b_shape))
    elif nb <= 2:
        name, args = "mm", (_fold(a_shape), tuple(b_shape))
    elif na <= 2:
        # (m, k) @ (..., k, n): torch folds the transposed product (..., n, k) @ (k, m) into one mm
        lead = 1
        for s in b_shape[:-2]:
            lead *= s
        name, args = "mm", ((lead * b_shape[-1], b_shape[-2]), (a_shape[-1], a_shape[-2]))
    else:
        batch = _broadcast(a_shape[:-2], b_shape[:-2])
        lead = 1
        for s in batch:
            lead *= s
        if _numel(b_shape[:-2]) == 1:
            name, args = "mm", ((lead * a_shape[-2], a_shape[-1]), tuple(b_shape[-2:]))
        else:
            name, args = "bmm", ((lead,) + tuple(a_shape[-2:]), (lead,) + tuple(b_shape[-2:]))
    if fused is not None:
        name = fused
    _emit(name, args)
    grad = "bmm" if name in ("bmm", "baddbmm") else "mm"
    if (needs[0] or needs[1]) and out.grad_fn is not None:
        _on_backward(out.grad_fn, [(grad, args)] * (int(bool(needs[0])) + int(bool(needs[1]))))


def convolution(x_shape, w_shape, out, transposed, needs=(False, False)):
    """Announce a convolution (shapes as PyTorch's ``aten.convolution`` sees them) and its backward."""
    if _mute[0]:
        return
    out_shape = tuple(out._data.shape)
    _emit("convolution", (tuple(x_shape), tuple(w_shape), out_shape, transposed))
    if (needs[0] or needs[1]) and out.grad_fn is not None:
        _on_backward(out.grad_fn, [("convolution_backward", (out_shape, tuple(x_shape), tuple(w_shape), transposed,
                                                             (bool(needs[0]), bool(needs[1]), False)))])


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _broadcast(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    return tuple(max(x, y) for x, y in zip(a, b))
