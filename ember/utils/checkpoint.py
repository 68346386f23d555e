"""Activation checkpointing (``torch.utils.checkpoint``): trade compute for memory.

``checkpoint(fn, *args)`` runs ``fn`` and keeps only its outputs, not the activations inside it;
the backward pass runs ``fn`` again (with the random-number state it had the first time, so
dropout draws the same masks) and differentiates that recomputation. Gradients are exactly those
of ``fn(*args)`` without checkpointing.

How ember does it: the first run records the segment's graph only long enough to find the
tensors from outside the segment that it depends on (the inputs, and parameters or other tensors
``fn`` reads), then drops it; one node stands for the whole segment, with those tensors as its
inputs. So at any time only one segment's activations are alive.

As in PyTorch, ``use_reentrant=True`` (the default when it is not given, with PyTorch's warning)
gives no gradients when no tensor argument requires grad (parameters inside ``fn`` then get
none) and takes no keyword arguments for ``fn``; ``use_reentrant=False`` has neither limit.

>>> import ember
>>> from ember.utils.checkpoint import checkpoint
>>> x = ember.tensor([1.0, 2.0], requires_grad=True)
>>> checkpoint(lambda t: (t.sin() * t).sum(), x, use_reentrant=False).backward()
>>> x.grad
tensor([1.3818, 0.0770])
"""
import warnings

import ember
from ..autograd import engine, grad_mode, saved_hooks
from ..autograd.function import Function
from ..autograd.node import Node, _seq
from ..autograd.tensor import Tensor

_DEFAULT_WARNING = ("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in "
                    "PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
                    "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
                    "you can pass use_reentrant=True. Refer to docs for more details on the differences between the "
                    "two variants.")


def _boundary(outputs, start):
    """The tensors from outside the segment (made before node number ``start``) its graph depends on."""
    found, seen = {}, set()
    stack = [o.grad_fn for o in outputs if isinstance(o, Tensor) and o.grad_fn is not None]
    for o in outputs:
        if isinstance(o, Tensor) and o._rg and o.grad_fn is None:
            found[id(o)] = o  # an input returned unchanged
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for t, nxt in zip(node.inputs, node.next):
            if nxt is None:
                continue
            if isinstance(nxt, Node) and nxt.seq >= start:
                stack.append(nxt)
            else:
                found[id(t)] = t
    return list(found.values())


class _Segment(Function):
    """One node for a checkpointed segment; its inputs are the segment's boundary tensors."""

    @staticmethod
    def forward(ctx, segment, *boundary):
        ctx.segment = segment
        # As PyTorch's checkpoint, the segment's tensor arguments are all it saves (through the user's
        # saved_tensors_hooks, if any); the tensors saved inside the segment never reach those hooks.
        ctx.save_for_backward(*(a for a in segment["args"] if isinstance(a, Tensor)))
        return tuple(segment["outputs"])

    @staticmethod
    def backward(ctx, *grads):
        seg = ctx.segment
        # The inner pass stops at the boundary tensors and keeps the graph before them (retain_graph): that
        # graph (another segment's node, say) belongs to the outer pass.
        args, targets = seg["args"], seg["boundary"]
        ctx.saved_tensors  # noqa: B018  (the unpack hooks run, as PyTorch's do; recomputation uses the inputs)
        current = ember.get_rng_state() if seg["rng"] is not None else None
        try:
            if seg["rng"] is not None:
                ember.set_rng_state(seg["rng"])
            with grad_mode.enable_grad(), saved_hooks.shadowed():
                outputs = _as_tuple(seg["fn"](*args, **seg["kwargs"]))
        finally:
            if current is not None:
                ember.set_rng_state(current)
        pairs = [(o, g) for o, g in zip(outputs, grads) if isinstance(o, Tensor) and o._rg and g is not None]
        if not pairs:
            return (None,) * (1 + len(targets))
        gs = engine.grad([o for o, _ in pairs], [t for t in targets if t._rg], [g for _, g in pairs],
                         retain_graph=True, create_graph=grad_mode.state.enabled, allow_unused=True)
        it = iter(gs)
        return (None,) + tuple(next(it) if t._rg else None for t in targets)


def _as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)``, recomputed in the backward pass instead of storing its activations.

    Args:
        function: what to run (a module or any function of tensors).
        *args: its positional arguments.
        use_reentrant (bool): PyTorch's two variants (see the module docstring); not given, it is True with a
            warning, as in PyTorch 2.13.
        preserve_rng_state (bool): replay the random-number state in the recomputation. Default: True.
        context_fn, determinism_check, debug: accepted for compatibility.
        **kwargs: keyword arguments of ``function`` (``use_reentrant=False`` only).
    """
    if use_reentrant is None:
        warnings.warn(_DEFAULT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    if use_reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant and grad_mode.state.enabled and not any(isinstance(a, Tensor) and a._rg for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", UserWarning,
                      stacklevel=2)
        with grad_mode.no_grad():
            return function(*args, **kwargs)
    if not grad_mode.state.enabled:
        return function(*args, **kwargs)
    rng = ember.get_rng_state() if preserve_rng_state else None
    start = next(_seq)
    with saved_hooks.shadowed():
        out = function(*args, **kwargs)
    outputs = _as_tuple(out)
    boundary = _boundary(outputs, start)
    detached = tuple(o.detach() if isinstance(o, Tensor) else o for o in outputs)  # drops the segment's graph
    if not boundary:
        return out
    segment = {"fn": function, "args": args, "kwargs": kwargs, "rng": rng, "boundary": boundary,
               "outputs": detached}
    result = _Segment.apply(segment, *boundary)
    return result if isinstance(out, tuple) else result[0]


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (an ``nn.Sequential`` or a list of modules) in ``segments`` checkpointed chunks; the
    last chunk runs normally, as in PyTorch.

    >>> import ember
    >>> net = ember.nn.Sequential(*[ember.nn.Linear(4, 4) for _ in range(4)])
    >>> checkpoint_sequential(net, 2, ember.ones(1, 4), use_reentrant=False).shape
    ember.Size([1, 4])
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
                      "explicitly. In version 2.9 we will raise an exception if use_reentrant is not passed. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default "
                      "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
                      "differences between the two variants.", UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = len(functions) // segments
    if size == 0:
        raise ValueError(f"checkpoint_sequential: {segments} segments for {len(functions)} functions leaves "
                         "empty segments; use at most as many segments as functions")

    def run(lo, hi):
        def forward(x):
            for f in functions[lo:hi]:
                x = f(x)
            return x
        return forward

    end = 0
    for lo in range(0, size * (segments - 1), size):
        end = lo + size
        input = checkpoint(run(lo, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end, len(functions))(input)
