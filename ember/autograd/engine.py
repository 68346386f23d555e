"""The backward engine: ``Tensor.backward`` and ``ember.autograd.grad``.

It is iterative, so a chain of 100,000 ops needs no recursion, and deterministic:
the reachable nodes are visited in descending creation order (a topological order,
see :mod:`ember.autograd.node`), each exactly once, after every gradient flowing
into it has been summed.

With ``create_graph=False`` the gradient rules run with recording off, so they
cost only their arithmetic; with ``create_graph=True`` they record, and the
gradients can be differentiated again.
"""
from sys import getrefcount

import numpy as np

from . import grad_mode
from .tensor import Tensor, make, _TensorHook, _RetainHook
from ..backend.meta import MetaArray
from . import anomaly
from .node import Node
from .index_grad import IndexGrad
from . import saved_hooks as _saved_hooks
from .graph import GradientEdge


def _cast_grad(g, d):
    from .ops.conversion import _cast_grad as cast
    return cast(g, d)


def _ones_like(t):
    a = t._data
    return make(np.ones(a.shape, a.dtype) if type(a) is not MetaArray else np.ones_like(a))  # meta: the seed too


def _check_root(t, g):
    if not t._rg:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if g is None:
        if t._data.dtype.kind == "c":
            raise RuntimeError("grad can be implicitly created only for real scalar outputs")
        if t._data.size != 1:
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs; got a tensor of "
                               f"shape {tuple(t._data.shape)}: pass gradient= of the same shape")
        return _ones_like(t)
    if not isinstance(g, Tensor):
        g = make(np.asarray(g, dtype=t._data.dtype))
    if g._data.shape != t._data.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output has a shape of {tuple(g._data.shape)} and "
                           f"output has a shape of {tuple(t._data.shape)}")
    return g


def _add(a, b):
    return a + b


def _merge_sparse(old, g, owned):
    """Sums with a sparse gradient (``Embedding(sparse=True)``): sparse + sparse stays sparse (the entries
    concatenated), anything + dense is dense, as PyTorch's accumulation."""
    if old is None:
        return g
    if old._sparse and g._sparse:
        return _concat_sparse(old, g)
    owned.discard(id(old))
    owned.discard(id(g))
    if old._sparse:
        old, g = g, old
    a = np.array(old.dense() if old.__class__ is IndexGrad else old._data, copy=True)
    _add_sparse_into(a, g)
    r = make(a)
    owned.add(id(r))
    return r


def _concat_sparse(a, b):
    """``a + b`` of two sparse COO gradients as PyTorch accumulates them: the entries side by side, uncoalesced."""
    values = np.concatenate([a._v._data, b._v._data.astype(a._v._data.dtype, copy=False)])
    return type(a)._make(np.concatenate([a._indices_np, b._indices_np], 1), make(values), a._data.shape)


def _add_sparse_into(a, s):
    """``a += s`` for a dense array ``a`` and a sparse COO tensor ``s`` of its shape."""
    np.add.at(a, tuple(s._indices_np), s._v._data.astype(a.dtype, copy=False))


def _merge(old, g, owned):
    """``old + g`` for gradients flowing into one place (``old`` may be None; ``g`` may be an IndexGrad).

    Sums into ``old`` in place when the engine made it (its id is in ``owned``: no rule or user holds
    it) and ``g`` fits it; a sum made here is owned in turn, unless rules record (``create_graph``).
    So many reads of one tensor (``x[:, t]`` in a loop, ``chunk``) fill one buffer instead of
    adding full-size arrays.
    """
    if g._sparse or (old is not None and old._sparse):
        return _merge_sparse(old, g, owned)
    if g.__class__ is IndexGrad:
        if old is None:
            r = make(g.dense())
        elif id(old) in owned and old._data.dtype == g.dtype and old._data.shape == g.shape:
            g.add_into(old._data)
            return old
        else:
            shape = np.broadcast_shapes(old._data.shape, g.shape)
            a = np.array(np.broadcast_to(old._data, shape), np.result_type(old._data.dtype, g.dtype))
            g.add_into(a)
            r = make(a)
            owned.discard(id(old))
        owned.add(id(r))
        return r
    if old is None:
        return g
    # ``g`` is summed away here: forget its id, or a later tensor given the same id would pass for owned.
    owned.discard(id(g))
    if id(old) in owned:
        if old._data.dtype == g._data.dtype and old._data.shape == g._data.shape:
            np.add(old._data, g._data, out=old._data)
            return old
        owned.discard(id(old))
    r = _add(old, g)
    if not grad_mode.state.enabled:
        owned.add(id(r))
    return r


def _dense(grads):
    return tuple(make(g.dense()) if g.__class__ is IndexGrad else g for g in grads)


def _run(roots, root_grads, retain_graph, create_graph, capture=None, accumulate=True, only=None):
    """Propagate ``root_grads`` from ``roots``; fill ``.grad`` of leaves and/or return captured grads.

    ``capture`` maps ids of tensors whose gradient is wanted (``autograd.grad``) to a slot index.
    ``only`` restricts accumulation into ``.grad`` to those leaves (``backward(inputs=...)``).
    """
    grads = {}        # node -> gradient of its output (a list for multi-output nodes)
    leaf = {}         # id(leaf) -> [leaf, summed gradient]
    captured = {}
    nonleaf_capture = {}   # node -> [(out_idx, slot)]
    owned = set()     # ids of gradient buffers the engine made and alone holds (see _merge)
    if capture:
        for t, slot in capture.values():
            if t.grad_fn is not None:
                nonleaf_capture.setdefault(t.grad_fn, []).append((t._out_idx, slot))

    def give(t, g, fn):
        if fn is not None:
            if fn.nout == 1:
                grads[fn] = _merge(grads.get(fn), g, owned)
            else:
                slots = grads.get(fn)
                if slots is None:
                    slots = grads[fn] = [None] * fn.nout
                i = t._out_idx
                slots[i] = _merge(slots[i], g, owned)
        else:
            entry = leaf.get(id(t))
            if entry is None:
                leaf[id(t)] = [t, _merge(None, g, owned)]
            else:
                entry[1] = _merge(entry[1], g, owned)

    def finish(t, g):
        # The leaf's gradient is complete: its hooks, then capture and/or accumulation into .grad.
        if not accumulate and id(t) not in capture:
            return
        fresh = id(g) in owned
        owned.discard(id(g))
        if t._hooks:
            fresh = False
            for h in t._hooks:
                r = h(g)
                if r is not None:
                    g = r
        if capture and id(t) in capture:
            captured[capture[id(t)][1]] = g
        if accumulate and (only is None or id(t) in only):
            acc = t.__dict__.get("_acc_node")   # its AccumulateGrad, if the user has seen it
            if acc is not None and acc.pre_hooks:
                fresh = False
                for h in acc.pre_hooks:
                    r = h((g,))
                    if r is not None:
                        g = _hook_result(h, r, (g,))[0]
            _accumulate(t, g, create_graph, fresh)
            if t._post_acc_hooks:
                for h in list(t._post_acc_hooks):
                    h(t)
            if acc is not None and acc.hooks:
                for h in acc.hooks:
                    h((), (g,))

    done = pushed = False
    prev = grad_mode.state.enabled
    grad_mode.state.enabled = bool(create_graph)
    try:
        for t, g in zip(roots, root_grads):
            give(t, g, t.grad_fn)
        # Collect every node reachable from the roots, without recursion.
        nodes, seen = [], set()
        stack = [t.grad_fn for t in roots if t.grad_fn is not None]
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            nodes.append(n)
            for e in n.next:
                if e is not None and isinstance(e, Node) and id(e) not in seen:
                    stack.append(e)
        nodes.sort(key=_seq, reverse=True)
        passes.append(_Pass(roots, nodes))
        pushed = True
        run = None
        if capture and not accumulate:
            # autograd.grad: run only the nodes from which a wanted gradient is reachable.
            run = set()
            useful = set(id(n) for n in nonleaf_capture)
            for n in reversed(nodes):  # inputs before their users
                for e in n.next:
                    if e is not None and (id(e) in useful or (e.__class__ is not Node and id(e) in capture)):
                        run.add(id(n))
                        useful.add(id(n))
                        break
            passes[-1].run = run | useful
        detect = anomaly.state.enabled
        ready = {}
        if accumulate:
            # A leaf's gradient is final once the last node feeding it has run: accumulate it then, so
            # its hooks run while backward goes on, as in PyTorch (DistributedDataParallel starts
            # all-reducing a bucket of gradients as soon as the bucket is complete).
            last = {}
            for i, n in enumerate(nodes):
                for e in n.next:
                    if e is not None and e.__class__ is not Node:
                        last[id(e)] = i
            for key, i in last.items():
                ready.setdefault(i + 1, []).append(key)
        for i, n in enumerate(nodes):
            if i in ready:
                for key in ready.pop(i):
                    entry = leaf.pop(key, None)
                    if entry is not None:
                        finish(*entry)
            g = grads.pop(n, None)
            if owned and g is not None:
                # From here on the rule, hooks and other nodes may hold this gradient.
                for gi in (g if n.nout != 1 else (g,)):
                    owned.discard(id(gi))
            if g is None or (run is not None and id(n) not in run):
                if g is not None and n in nonleaf_capture:
                    if n.pre_hooks:
                        g = _run_pre_hooks(n, g)
                    for idx, slot in nonleaf_capture[n]:
                        captured[slot] = g if n.nout == 1 else g[idx]
                if not retain_graph:
                    _release(n)
                continue
            if n.fn is None:
                raise RuntimeError(
                    "Trying to backward through the graph a second time (or directly access saved tensors "
                    "after they have already been freed). Saved intermediate values of the graph are freed "
                    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
                    "backward through the graph a second time.")
            if n.pre_hooks:
                g = _run_pre_hooks(n, g)
            if n in nonleaf_capture:
                for idx, slot in nonleaf_capture[n]:
                    captured[slot] = g if n.nout == 1 else g[idx]
            if n.packed is not None:
                in_grads = _saved_hooks.run_unpacked(n, g)   # the hooks own the saved values: no version check
            else:
                if n.saved:
                    n.check_versions()
                in_grads = n.fn(g)
            if detect or n.hooks:
                in_grads = _dense(in_grads)
            if detect:
                anomaly.check(n, in_grads)
            if n.hooks:
                outs = (g,) if n.nout == 1 else tuple(g)
                for h in n.hooks:
                    r = h(tuple(in_grads), outs)
                    if r is not None:
                        in_grads = _hook_result(h, r, in_grads)
            if not retain_graph:
                _release(n)
            for inp, e, ig in zip(n.inputs, n.next, in_grads):
                if ig is not None and e is not None:
                    if ig._sparse:
                        if isinstance(e, Node):  # rules take dense gradients
                            ig = make(ig.to_dense()._data)
                    elif ig.__class__ is not IndexGrad:
                        if ig._data.dtype != inp._data.dtype:
                            ig = _cast_grad(ig, inp.dtype)
                        if not create_graph and getrefcount(ig) <= _SOLE_REFS and _owns_memory(ig._data):
                            owned.add(id(ig))
                    if isinstance(e, Node):
                        give(inp, ig, e)
                    else:
                        give(e, ig, None)
        for t, g in leaf.values():
            finish(t, g)
        done = True
    finally:
        grad_mode.state.enabled = prev
        if pushed:
            passes.pop()
        callbacks = _callbacks[:] if accumulate else ()
        if accumulate:
            del _callbacks[:]
    if done:
        for fn in callbacks:
            fn()
    return captured


def _seq(n):
    return n.seq


def _owns_memory(a):
    """Whether only one tensor holds array ``a`` and nothing else holds its memory, so writing into it is safe."""
    if not a.flags.writeable or getrefcount(a) > _ARRAY_REFS:
        return False
    b = a.base
    # A reshape of a fresh product is a view whose base only the view holds.
    return b is None or (b.__class__ is np.ndarray and b.base is None and getrefcount(b) <= _ARRAY_REFS)


def _sole_refs():
    """References to a rule's fresh result in the engine's loop over the rule's results: the rule's tuple,
    zip's result tuple, the loop variable and getrefcount's argument."""
    for inp, e, ig in zip((None,), (None,), (make(np.zeros(1)),)):
        return getrefcount(ig)


def _array_refs():
    """References to the array of a tensor that alone holds it, as ``_owns_memory`` sees them."""
    t = make(np.zeros(1))
    return (lambda a: getrefcount(a))(t._data)


# A rule's result that only the engine holds may become a leaf's .grad, or take later gradients summed in
# place, without a copy (PyTorch's AccumulateGrad steals such a gradient the same way, by its use count).
# The counts are measured here, not assumed (they depend on the interpreter). A result that a rule also keeps
# (a custom Function's ctx), returns twice, or that is the rule's incoming gradient has more references, and
# is copied as before.
_SOLE_REFS = _sole_refs()
_ARRAY_REFS = _array_refs()


def _release(n):
    n.fn = None
    n.saved = ()
    n.packed = None


def _hook_result(hook, result, expected):
    """A node hook's replacement gradients, checked as PyTorch checks them."""
    result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    if len(result) != len(expected):
        raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has returned an incorrect number of values "
                           f"(got {len(result)}, but expected {len(expected)})")
    return result


def _run_pre_hooks(n, g):
    # PyTorch's order, whatever the registration order: the tensors' own hooks (register_hook), then
    # retain_grad (so .grad holds the gradient the hooks made), then the node's register_prehook hooks.
    hooks = n.pre_hooks
    for h in hooks:
        if isinstance(h, _TensorHook) and not isinstance(h, _RetainHook):
            gi = g if n.nout == 1 else g[h.idx]
            if gi is None:
                continue
            r = h.fn(gi)
            if r is not None:
                if n.nout == 1:
                    g = r
                else:
                    g = list(g)
                    g[h.idx] = r
    for h in hooks:
        if isinstance(h, _RetainHook):
            gi = g if n.nout == 1 else g[h.idx]
            if gi is not None:
                h.fn(gi.detach() if not grad_mode.state.enabled else gi)
    for h in hooks:
        if not isinstance(h, _TensorHook):
            outs = tuple(g) if n.nout != 1 else (g,)
            r = h(outs)
            if r is not None:
                r = _hook_result(h, r, outs)
                g = r[0] if n.nout == 1 else list(r)
    return g


passes = []   # the backward passes running (a hook may start another), innermost last


class _Pass:
    """A running backward pass, as ``register_multi_grad_hook`` asks about it: will a tensor get a gradient?"""

    def __init__(self, roots, nodes):
        self.roots, self.nodes, self.run = roots, nodes, None
        self._nodes = self._leaves = None

    def will_get_grad(self, t):
        if self._nodes is None:
            ran = [n for n in self.nodes if self.run is None or id(n) in self.run]
            self._nodes = {id(n) for n in ran}
            self._leaves = {id(e) for n in ran for e in n.next if e is not None and e.__class__ is not Node}
            self._leaves.update(id(r) for r in self.roots if r.grad_fn is None)
        fn = t.grad_fn
        return id(fn) in self._nodes if fn is not None else id(t) in self._leaves


_callbacks = []   # queued during a backward pass by queue_callback; run when it has finished


def queue_callback(callback):
    """Run ``callback()`` once the backward pass now running has finished (PyTorch's
    ``Variable._execution_engine.queue_callback``): DistributedDataParallel waits there for the
    gradient all-reduces its hooks started. Callbacks of a backward that raises are dropped."""
    _callbacks.append(callback)


sparse_grads_seen = False   # set once a sparse gradient reached a leaf's .grad (optimizers check only then)


def _accumulate(t, g, create_graph, fresh=False):
    """Add ``g`` into ``t.grad``; ``fresh``: the engine made ``g`` and nothing else holds it (no copy needed)."""
    old = t._grad
    if g._sparse or (old is not None and old._sparse):
        global sparse_grads_seen
        sparse_grads_seen = True
        if old is None or (old._sparse and g._sparse):
            t._grad = g if old is None else _concat_sparse(old, g)
        elif g._sparse and not create_graph and not old._rg and old._data.flags.writeable:
            _add_sparse_into(old._data, g)
            old._bump()
        else:
            dense, sp = (old, g) if g._sparse else (g, old)
            a = np.array(dense._data, copy=True)
            _add_sparse_into(a, sp)
            t._grad = make(a)
        return
    if g._data.dtype != t._data.dtype:
        g = _cast_grad(g, t.dtype)
    if g._data.shape != t._data.shape:
        g = make(np.broadcast_to(g._data, t._data.shape))
    old = t._grad
    if old is None:
        if create_graph or (fresh and g._data.flags.writeable):
            t._grad = g
        else:
            # Own the buffer: a gradient may be a broadcast view or shared with another leaf.
            d = g._data
            # a meta gradient stays meta (its own copy); np.array also makes a NumPy scalar a 0-d array
            t._grad = make(d.copy("K") if type(d) is MetaArray else np.array(d, copy=True))
    elif create_graph or old._rg:
        t._grad = old + g
    else:
        arr = old._data
        if arr.flags.writeable:
            np.add(arr, g._data, out=arr)
            old._bump()
        else:
            t._grad = make(arr + g._data)


def backward(tensor, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    if retain_graph is None:
        retain_graph = create_graph
    g = _check_root(tensor, gradient)
    only = None
    if inputs is not None:
        if isinstance(inputs, Tensor):
            inputs = [inputs]
        only = {id(t) for t in inputs}
    _run([tensor], [g], retain_graph, create_graph, only=only)


def run_backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``ember.autograd.backward``: several roots at once."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    if retain_graph is None:
        retain_graph = create_graph
    gs = [_check_root(t, g) for t, g in zip(tensors, grad_tensors)]
    only = None if inputs is None else {id(t) for t in ([inputs] if isinstance(inputs, Tensor) else inputs)}
    _run(tensors, gs, retain_graph, create_graph, only=only)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return d(outputs)/d(inputs) without touching ``.grad``.

    >>> import ember
    >>> x = ember.tensor(3.0, requires_grad=True)
    >>> (dx,) = ember.autograd.grad(x ** 3, x, create_graph=True)
    >>> (d2x,) = ember.autograd.grad(dx, x)
    >>> float(dx), float(d2x)
    (27.0, 18.0)
    """
    single = isinstance(inputs, (Tensor, GradientEdge))
    if single:
        inputs = (inputs,)
    inputs = tuple(_EdgeInput.of(t) if isinstance(t, GradientEdge) else t for t in inputs)
    if isinstance(outputs, Tensor):
        outputs = (outputs,)
    outputs = tuple(outputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    if retain_graph is None:
        retain_graph = create_graph
    for t in inputs:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if is_grads_batched:
        return _batched_grad(outputs, inputs, tuple(grad_outputs), retain_graph, create_graph, allow_unused,
                             materialize_grads)
    gs = [_check_root(o, g) for o, g in zip(outputs, grad_outputs)]
    capture = {}   # one slot per distinct input: an input given twice gets its gradient twice
    for t in inputs:
        capture.setdefault(id(t), (t, len(capture)))
    got = _run(list(outputs), gs, retain_graph, create_graph, capture=capture, accumulate=False)
    result = []
    for t in inputs:
        g = got.get(capture[id(t)][1])
        if g is None:
            if materialize_grads:
                g = make(np.zeros_like(t._data))
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
        result.append(g)
    return tuple(result)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads):
    """``is_grads_batched=True``: each grad_output has a leading batch dim; the result stacks one vector-Jacobian
    product per batch entry (torch vmaps the backward; the values are the same)."""
    from .ops.shape import stack
    sizes = {int(g.shape[0]) for g in grad_outputs if g is not None}
    if len(sizes) != 1:
        raise RuntimeError(f"autograd.grad(is_grads_batched=True): every grad_output needs the same leading batch "
                           f"dimension, got sizes {sorted(sizes)}")
    n = sizes.pop()
    rows = [grad(outputs, inputs, tuple(None if g is None else g[i] for g in grad_outputs),
                 retain_graph=True if i < n - 1 else retain_graph, create_graph=create_graph,
                 allow_unused=True, materialize_grads=materialize_grads) for i in range(n)]
    result = []
    for k, t in enumerate(inputs):
        col = [r[k] for r in rows]
        if any(c is None for c in col):
            if not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
            result.append(None)
        else:
            result.append(stack(col, 0))
    return tuple(result)


class _EdgeInput:
    """A ``GradientEdge`` given to ``grad(inputs=...)``: the gradient flowing into output ``output_nr`` of its
    node (a leaf's AccumulateGrad edge stands for the leaf itself)."""
    _rg = True
    _hooks = None

    def __init__(self, node, output_nr):
        self.grad_fn, self._out_idx = node, output_nr

    @staticmethod
    def of(edge):
        if hasattr(edge.node, "variable"):
            return edge.node.variable
        return _EdgeInput(edge.node, edge.output_nr)
