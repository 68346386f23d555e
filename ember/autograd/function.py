"""User-defined differentiable ops: subclass ``ember.autograd.Function``, as in PyTorch.

>>> import ember
>>> class Cube(ember.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, grad):
...         (x,) = ctx.saved_tensors
...         return grad * 3 * x ** 2
>>> x = ember.tensor(2.0, requires_grad=True)
>>> Cube.apply(x).backward()
>>> x.grad
tensor(12.)

The torch 2.x style splits ``forward`` (no ``ctx``) from ``setup_context(ctx, inputs, output)``,
where ``inputs`` holds every argument of ``forward`` with its defaults filled in.
``ctx.mark_dirty(t)`` says ``forward`` changed the input ``t`` in place and returned it: the
same tensor comes back, its history now ending in this Function. ``@once_differentiable`` on
``backward`` runs it without recording; a second differentiation through it raises.
"""
import functools
import inspect

import numpy as np

from . import grad_mode
from .node import Node
from . import forward_ad as _fwad
from . import saved_hooks as _saved_hooks
from .tensor import Tensor, make


class FunctionCtx:
    def __init__(self):
        self._saved = ()
        self._packed = None
        self.needs_input_grad = ()
        self._non_diff = set()
        self._dirty = set()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        self._saved = tuple(tensors)

    @property
    def saved_tensors(self):
        """The tensors given to ``save_for_backward``; under ``saved_tensors_hooks`` what the unpack hook
        makes of each (``None`` stays ``None``)."""
        if self._packed is None:
            return self._saved
        values = iter(_saved_hooks.unpack([p for p in self._packed if p is not None]))
        return tuple(t if p is None else next(values) for t, p in zip(self._saved, self._packed))

    @saved_tensors.setter
    def saved_tensors(self, tensors):
        self._saved = tuple(tensors)

    def _pack(self):
        # As PyTorch, when the node is made: each tensor saved goes through the innermost pack hook.
        if _saved_hooks.stack and any(isinstance(t, Tensor) for t in self._saved):
            packed = _saved_hooks.pack([t for t in self._saved if isinstance(t, Tensor)])
            if packed is not None:
                it = iter(packed)
                self._packed = [next(it) if isinstance(t, Tensor) else None for t in self._saved]

    def mark_non_differentiable(self, *tensors):
        self._non_diff.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        self._dirty.update(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class _FunctionMeta(type):
    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        cls._backward_name = name + "Backward"


class Function(metaclass=_FunctionMeta):
    """Define ``forward(ctx, *args)`` and ``backward(ctx, *grads)`` as static methods; call ``.apply``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement the backward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Save what ``backward`` needs when ``forward`` takes no ``ctx`` (the torch 2.x style)."""
        raise NotImplementedError("setup_context is not implemented.")

    generate_vmap_rule = False  # ember's vmap runs the function per element: any Function maps

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        split = cls.setup_context is not Function.setup_context
        if split:
            bound = inspect.signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        record = grad_mode.state.enabled and any(a._rg for a in tensor_args)
        with grad_mode.no_grad():
            if split:
                result = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, result)
            else:
                result = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(result, tuple)
        outs = (result,) if single else result
        if _fwad._levels and cls.backward is Function.backward and getattr(cls, "jvp", None) is not None:
            # Forward AD through a Function with only a jvp rule (see autograd.forward_ad).
            outs = _fwad.function_jvp(cls, ctx, args, outs)
            return outs[0] if single else outs
        if not record:
            return result
        ctx._pack()
        diff = [o for o in outs if isinstance(o, Tensor) and id(o) not in ctx._non_diff
                and o._data.dtype.kind == "f"]
        inputs = tuple(a if isinstance(a, Tensor) and a._rg else None for a in args)
        n = len(outs)
        shapes = [o._data.shape if isinstance(o, Tensor) else None for o in outs]
        dtypes = [o._data.dtype if isinstance(o, Tensor) else None for o in outs]

        def fn(g):
            gs = [g] if n == 1 else list(g)
            if ctx.materialize_grads:
                gs = [gi if gi is not None or s is None else make(np.zeros(s, d))
                      for gi, s, d in zip(gs, shapes, dtypes)]
            res = cls.backward(ctx, *gs)
            if not isinstance(res, tuple):
                res = (res,)
            if len(res) < len(args):
                if any(r is not None for r in res[len(args):]):
                    pass
                res = tuple(res) + (None,) * (len(args) - len(res))
            if len(res) > len(args):
                if any(r is not None for r in res[len(args):]):
                    raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of "
                                       f"gradients (expected {len(args)}, got {len(res)})")
                res = res[:len(args)]
            checked = []
            for r, a in zip(res, args):
                if r is not None and not isinstance(r, Tensor):
                    r = make(np.asarray(r))
                if r is not None and isinstance(a, Tensor) and r._data.shape != a._data.shape:
                    raise RuntimeError(f"Function {cls.__name__}Backward returned an invalid gradient - got "
                                       f"{list(r._data.shape)} but expected shape compatible with "
                                       f"{list(a._data.shape)}")
                checked.append(r)
            return tuple(checked)

        node = Node(cls._backward_name, fn, inputs, (), nout=n)
        new_outs = []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor) and any(o is d for d in diff):
                if id(o) in ctx._dirty:
                    if o.grad_fn is None and o._rg:
                        raise RuntimeError(f"{cls.__name__}: a leaf Variable that requires grad is being used in "
                                           "an in-place operation (marked dirty).")
                elif o.grad_fn is not None or any(o is a for a in tensor_args):
                    o = make(o._data)  # an input returned as is becomes a fresh output
                o.grad_fn = node
                o._rg = True
                o._out_idx = i
            new_outs.append(o)
        return new_outs[0] if single else tuple(new_outs)


def _delayed_error(out):
    # A stand-in whose gradient rule raises: reached only by differentiating ``backward`` again.
    def fail(grad):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")
    stand_in = make(out._data)
    stand_in._rg = True
    result = make(out._data)
    result.grad_fn = Node("DelayedError", fail, (stand_in,))
    result._rg = True
    return result


def once_differentiable(fn):
    """Decorate a ``backward`` that is not itself differentiable: it runs with recording off, and
    when the gradients it received require grad (``create_graph=True`` with a differentiable
    upstream), its results carry a rule that raises if a higher-order gradient reaches them."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            outputs = fn(ctx, *args)
        if not grad_mode.state.enabled or not any(isinstance(a, Tensor) and a._rg for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        wrapped = tuple(_delayed_error(o) if isinstance(o, Tensor) else o
                        for o in ((outputs,) if single else outputs))
        return wrapped[0] if single else wrapped
    return wrapper
