"""A replayable trace (:class:`Program`), the outputs it hands back, and the comparison with eager.

A program's outputs follow a *template* made at trace time: a new tensor over an output
buffer (copied at every call, so that a value the caller keeps never changes under it), a
state tensor or an argument given back as itself, or a constant. ``compare`` is the safety
net's check of a replay against an eager run of the same call.
"""
import numpy as np

from ..autograd.node import Node
from ..autograd.tensor import Tensor, _new
from .tracer import GuardFailed


class Program:
    """One replayable trace: its guard, its calls, and how it hands back outputs and Python state."""

    def __init__(self, guard, reasons, calls, summary, arg_bufs, copy_back, rebinds, bumps, template,
                 external, rng_restore):
        self.guard, self.reasons, self.calls, self.summary = guard, reasons, calls, summary
        self.arg_bufs, self.copy_back, self.rebinds, self.bumps = arg_bufs, copy_back, rebinds, bumps
        self.template, self.external, self.rng_restore = template, external, rng_restore
        self.state = "new"
        self.replays = 0
        self.guard_failures = 0

    def run(self, leaves):
        for buf, t in zip(self.arg_bufs, leaves):
            np.copyto(buf, t._data)
        saved = [(g, g._rng.bit_generator.state) for g in self.rng_restore] if self.rng_restore else None
        try:
            for f in self.calls:
                f()
        except GuardFailed:
            if saved:
                for g, st in saved:
                    g._rng.bit_generator.state = st
            raise
        for entry, value in self.rebinds:
            entry.set(value)
        for t, d in self.bumps:
            vc = t._vc
            if vc is None:
                t._vc = [d]
            else:
                vc[0] += d
        for i, buf in self.copy_back:
            np.copyto(leaves[i]._data, buf)
        return build(self.template, leaves)


def build(node, leaves):
    kind = node[0]
    if kind == "new":
        t = _new(Tensor)
        t._data = node[1].copy()
        if node[2]:
            t._rg = True
            if node[3] is not None:
                t.grad_fn = node[3]
        return t
    if kind == "state":
        return node[1]
    if kind == "arg":
        return leaves[node[1]]
    if kind == "const":
        return node[1]
    if kind == "seq":
        items = [build(n, leaves) for n in node[2]]
        return node[1](items) if node[1] is not tuple else tuple(items)
    return {k: build(n, leaves) for k, n in node[1]}


def template(obj, walk1, leaves, tracer):
    if isinstance(obj, Tensor):
        if id(obj) in walk1.tensors:
            return ("state", obj)
        for i, t in enumerate(leaves):
            if t is obj:
                return ("arg", i)
        fn = obj.grad_fn
        if fn is not None and fn.fn is not None:
            tracer.fail("the function returns a tensor whose autograd graph is still live (a later backward() "
                        "would need it): call backward() inside the compiled function, or run a forward-only "
                        "function under ember.no_grad()")
        node = Node(fn.name, None, ()) if fn is not None else None
        return ("new", obj._data, obj._rg, node)
    if type(obj) in (tuple, list):
        return ("seq", type(obj), [template(o, walk1, leaves, tracer) for o in obj])
    if type(obj) is dict:
        return ("dict", [(k, template(v, walk1, leaves, tracer)) for k, v in obj.items()])
    return ("const", obj)


def template_arrays(node):
    kind = node[0]
    if kind == "new":
        yield node[1]
    elif kind == "seq":
        for n in node[2]:
            yield from template_arrays(n)
    elif kind == "dict":
        for _, n in node[1]:
            yield from template_arrays(n)


def leaves_of(obj):
    if isinstance(obj, Tensor):
        return [obj._data]
    if type(obj) in (tuple, list):
        return [x for o in obj for x in leaves_of(o)]
    if type(obj) is dict:
        return [x for o in obj.values() for x in leaves_of(o)]
    return [obj]


def _eq(a, b):
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - objects that cannot say
        return False


def _close(a, b):
    if not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray):
        return _eq(a, b) or (a is b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind not in "fc":
        return np.array_equal(a, b)
    scale = float(np.max(np.abs(b), initial=0.0)) if b.size else 0.0
    return bool(np.allclose(a, b, rtol=1e-4, atol=1e-6 * max(1.0, scale), equal_nan=True))


def compare(eager_state, replay_state, eager_outs, replay_outs, eager_ext, replay_ext):
    """None when the replay matches eager, else where it first differs."""
    for path in eager_state:
        if path not in replay_state:
            return f"{path} (set by eager, missing after the replay)"
    for path, arr in replay_state.items():
        if path not in eager_state:
            return f"{path} (set by the replay, not by eager)"
        if not _close(arr, eager_state[path]):
            return f"{path}{_maxdiff(arr, eager_state[path])}"
    if len(eager_outs) != len(replay_outs):
        return "the outputs (a different number of values)"
    for i, (a, b) in enumerate(zip(replay_outs, eager_outs)):
        if not _close(a, b):
            return f"output {i}{_maxdiff(a, b)}"
    for i, (a, b) in enumerate(zip(replay_ext, eager_ext)):
        if not _close(a, b):
            return f"an array outside the captured state, of shape {a.shape}{_maxdiff(a, b)}"
    return None


def _maxdiff(a, b):
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype.kind in "fc":
        return f" (max abs difference {float(np.max(np.abs(a.astype(np.float64) - b), initial=0.0)):.3g})"
    return ""
