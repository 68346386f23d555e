"""Module hooks: handles, hooks run for every module, and the identity nodes behind backward hooks.

A backward hook needs the gradients flowing into a module's outputs and out of its
inputs. ``_BackwardHooks`` wraps one call's tensor inputs and outputs in identity
nodes (one multi-output node each) whose rules capture those gradients and run the
hooks, as PyTorch's ``BackwardHookFunction`` does.
"""
import itertools
from collections import OrderedDict

from ..autograd.node import Node
from ..autograd.tensor import Tensor, _new

_hook_ids = itertools.count()

# Hooks registered for every module (``register_module_forward_hook`` ...). As in PyTorch, the hook
# dicts map handle ids to the hook functions themselves; with_kwargs / always_call are the ids in
# the side dicts.
_global_forward_pre_hooks = OrderedDict()
_global_forward_hooks = OrderedDict()
_global_forward_hooks_with_kwargs = OrderedDict()
_global_forward_hooks_always_called = OrderedDict()
_global_backward_hooks = OrderedDict()
_global_backward_pre_hooks = OrderedDict()
_global = [False]  # any global hook registered: one list read on the fast path


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` unregisters the hook."""

    def __init__(self, *dicts):
        self.id = next(_hook_ids)
        self._dicts = dicts

    def remove(self):
        for d in self._dicts:
            d.pop(self.id, None)
        _global[0] = bool(_global_forward_pre_hooks or _global_forward_hooks or _global_backward_hooks
                          or _global_backward_pre_hooks)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_module_forward_pre_hook(hook):
    """Run ``hook(module, args)`` before the forward of every module."""
    h = RemovableHandle(_global_forward_pre_hooks)
    _global_forward_pre_hooks[h.id] = hook
    _global[0] = True
    return h


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """Run ``hook(module, args, output)`` after the forward of every module."""
    h = RemovableHandle(_global_forward_hooks, _global_forward_hooks_with_kwargs, _global_forward_hooks_always_called)
    _global_forward_hooks[h.id] = hook
    if with_kwargs:
        _global_forward_hooks_with_kwargs[h.id] = True
    if always_call:
        _global_forward_hooks_always_called[h.id] = True
    _global[0] = True
    return h


def register_module_full_backward_hook(hook):
    """Run ``hook(module, grad_input, grad_output)`` in the backward pass of every module."""
    h = RemovableHandle(_global_backward_hooks)
    _global_backward_hooks[h.id] = hook
    _global[0] = True
    return h


def _add_hook(d, entry, prepend, flags=()):
    """Register ``entry`` in ``d``; ``flags`` are (side dict, bool) pairs: the id goes in each side dict whose
    bool is true (``_forward_hooks_with_kwargs`` ...), and the handle removes it from all of them."""
    h = RemovableHandle(d, *(side for side, _ in flags))
    d[h.id] = entry
    if prepend:
        d.move_to_end(h.id, last=False)
    for side, on in flags:
        if on:
            side[h.id] = True
    return h



class _BackwardHooks:
    """Identity nodes around one call's inputs and outputs that run the module's backward hooks."""

    def __init__(self, module):
        self.module = module
        self.n_in = 0
        self.grad_output = None
        self.inputs_need_grad = False

    def wrap_inputs(self, args):
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_in = len(idx)
        need = [i for i in idx if args[i]._rg]
        if not need:
            return args
        self.inputs_need_grad = True
        pos = {i: k for k, i in enumerate(idx)}
        new = list(args)
        node_inputs = tuple(args[i] for i in need)

        def fn(g):
            gs = [g] if len(need) == 1 else list(g)
            grad_input = [None] * self.n_in
            for k, i in enumerate(need):
                grad_input[pos[i]] = gs[k]
            grad_input = tuple(grad_input)
            for hook in itertools.chain(_global_backward_hooks.values(), self.module._backward_hooks.values()):
                r = hook(self.module, grad_input, self.grad_output)
                if r is not None:
                    grad_input = tuple(r)
            out = tuple(grad_input[pos[i]] for i in need)
            return out
        node = Node("BackwardHookFunctionBackward", fn, node_inputs, (), nout=len(need))
        for k, i in enumerate(need):
            new[i] = _alias_out(args[i], node, k)
        return tuple(new)

    def wrap_outputs(self, result):
        single = isinstance(result, Tensor)
        outs = (result,) if single else result
        if not isinstance(outs, tuple):
            return result
        need = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o._rg]
        if not need:
            return result

        def fn(g):
            gs = [g] if len(need) == 1 else list(g)
            grad_output = tuple(gs)
            for hook in self.module._backward_pre_hooks.values():
                r = hook(self.module, grad_output)
                if r is not None:
                    grad_output = tuple(r)
            self.grad_output = grad_output
            if not self.inputs_need_grad:
                for hook in itertools.chain(_global_backward_hooks.values(), self.module._backward_hooks.values()):
                    hook(self.module, (None,) * self.n_in, grad_output)
            return grad_output
        node = Node("BackwardHookFunctionBackward", fn, tuple(outs[i] for i in need), (), nout=len(need))
        new = list(outs)
        for k, i in enumerate(need):
            new[i] = _alias_out(outs[i], node, k)
        return new[0] if single else tuple(new)


def _alias_out(x, node, k):
    t = _new(Tensor)
    t._data = x._data
    t._vc = x._share_vc()
    t.grad_fn = node
    t._rg = True
    t._out_idx = k
    return t
