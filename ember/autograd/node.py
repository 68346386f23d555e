"""A node of the backward graph: one recorded op, its inputs and its gradient rule.

Every differentiable op that runs while recording and has an input that requires
grad calls :func:`record`, which makes its output a non-leaf whose ``grad_fn`` is a
``Node``. The node keeps the op's inputs (to route gradients to them), the
tensors its rule needs (with their version numbers, to catch in-place changes
before they make a gradient wrong) and ``fn``, the rule itself: given the
gradient of the output it returns one gradient (or ``None``) per input. Rules are
written with ember ops, so running them with recording on gives higher-order
gradients for free.

Nodes get an increasing sequence number when made; an op's inputs always exist
before it does, so descending sequence order is a topological order of the graph.
"""
import itertools

from . import anomaly, grad_mode
from . import saved_hooks as _saved_hooks

_seq = itertools.count()
_anomaly = anomaly.state
# Selective activation checkpointing's modes (ember.utils.checkpoint) while a checkpointed region runs: the
# innermost one sees every node made, as PyTorch's dispatch modes see every op.
sac_modes = []


class _NodeName(str):
    """The rule's name, e.g. ``"MulBackward0"``: a string (``node.name``) that PyTorch code can also
    call, as ``grad_fn.name()``."""
    __slots__ = ()

    def __call__(self):
        return str(self)


_CLASSES = {}


class Node:
    __slots__ = ("name", "fn", "inputs", "next", "seq", "saved", "versions", "nout", "hooks",
                 "pre_hooks", "_metadata", "packed", "__weakref__")

    def __new__(cls, name, *args, **kwargs):
        # Each rule's node is an instance of a subclass named after it, as PyTorch's grad_fn classes
        # are: ``type(y.grad_fn).__name__ == "MulBackward0"`` (torchviz labels its graph with it).
        # record(), the hot path, makes its nodes without this call.
        return object.__new__(_node_class(name) if cls is Node else cls)

    def __init__(self, name, fn, inputs, saved=(), nout=1):
        self.name = _NodeName(name)
        self.fn = fn
        self.inputs = inputs
        # Edges are fixed now: an in-place op may later give an input tensor a new grad_fn,
        # but this node's gradient must still flow to the producer the input had here.
        nxt = []
        for t in inputs:
            if t is None:
                nxt.append(None)
            else:
                fn_ = t.grad_fn
                nxt.append(fn_ if fn_ is not None else (t if t._rg else None))
        self.next = nxt
        self.seq = next(_seq)
        self.saved = saved
        if saved:
            # A tensor's version is 0 until an in-place op gives it a counter (Tensor._vc); a loop, not the
            # _version property in a generator, as this runs for every recorded op.
            versions = []
            for t in saved:
                vc = t._vc
                versions.append(0 if vc is None else vc[0])
            self.versions = versions
            # Under saved_tensors_hooks the node keeps what the pack hook made of each saved tensor.
            self.packed = _saved_hooks.pack(saved) if _saved_hooks.stack else None
        else:
            self.versions = ()
            self.packed = None
        self.nout = nout
        self.hooks = None
        self.pre_hooks = None
        self._metadata = None
        if _anomaly.enabled:
            anomaly.remember_stack(self)
        if sac_modes:
            sac_modes[-1].on_node(self)

    def __repr__(self):
        return f"<{self.name} object at {id(self):#x}>"

    def name_(self):
        return self.name

    @property
    def metadata(self):
        """A dict for the user's notes about this node (PyTorch's ``grad_fn.metadata``); anomaly mode keeps
        the forward call's stack under ``"traceback_"``."""
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    @property
    def next_functions(self):
        out = []
        for t, e in zip(self.inputs, self.next):
            if e is None:
                out.append((None, 0))
            elif isinstance(e, Node):
                out.append((e, t._out_idx))
            else:
                out.append((AccumulateGrad.of(e), 0))
        return tuple(out)

    def register_hook(self, hook):
        """``hook(grad_inputs, grad_outputs) -> tuple or None`` runs after this node's rule (tuples of
        gradients, one per input and one per output); a tuple returned replaces ``grad_inputs``."""
        if self.hooks is None:
            self.hooks = []
        self.hooks.append(hook)
        return _Handle(self.hooks, hook)

    def register_prehook(self, hook):
        """``hook(grad_outputs) -> tuple or None`` runs before this node's rule; a tuple returned replaces
        ``grad_outputs``."""
        if self.pre_hooks is None:
            self.pre_hooks = []
        self.pre_hooks.append(hook)
        return _Handle(self.pre_hooks, hook)

    def check_versions(self):
        for t, v in zip(self.saved, self.versions):
            if t._version != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{t.dtype.name} tensor of shape {tuple(t.shape)}] is at version "
                    f"{t._version}; expected version {v} instead (it is saved by {self.name}). "
                    "Hint: use an out-of-place op (x = x * 2) or .clone() before modifying it.")


def _node_class(name):
    """The subclass of Node named ``name`` (made once per rule name)."""
    cls = _CLASSES.get(name)
    if cls is None:
        cls = _CLASSES[name] = type(str(name), (Node,), {"__slots__": (), "__module__": "ember.autograd"})
    return cls


_new = object.__new__
_init = Node.__init__


class AccumulateGrad:
    """The node that accumulates a leaf's gradient into its ``.grad``, as PyTorch shows it in
    ``next_functions``: one per leaf (``AccumulateGrad.of(leaf)``), with ``register_prehook(hook(grad_outputs))``
    before the accumulation and ``register_hook(hook((), grad_outputs))`` after it."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()
        self.hooks = None
        self.pre_hooks = None
        self._metadata = None

    @staticmethod
    def of(variable):
        """The leaf's own node, made on first use and kept on the leaf."""
        acc = variable.__dict__.get("_acc_node")
        if acc is None:
            acc = variable.__dict__["_acc_node"] = AccumulateGrad(variable)
        return acc

    name = _NodeName("torch::autograd::AccumulateGrad")

    @property
    def metadata(self):
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    register_hook = Node.register_hook
    register_prehook = Node.register_prehook

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


class _Handle:
    def __init__(self, container, item):
        self._container, self._item = container, item

    def remove(self):
        if self._item in self._container:
            self._container.remove(self._item)


def record(out, name, fn, inputs, saved=(), holomorphic=True):
    """Make ``out`` (already computed) the output of a new node running ``fn(g) -> grads of inputs``.

    Callers check first that recording is on and an input requires grad (``needs_grad``).

    Rules are written for real numbers, as ``g * f'(x)``. For a complex output PyTorch's convention
    wants ``g * conj(f'(z))`` for a holomorphic ``f`` (the conjugate Wirtinger derivative of a real
    loss), which is ``conj(rule(conj(g)))``; so a complex output runs its rule between two conjugations.
    Non-holomorphic ops (``conj``, ``complex`` ...) pass ``holomorphic=False`` and write the rule in full.
    """
    if holomorphic and out._data.dtype.kind == "c":
        fn = _conjugated(fn)
    node = _new(_CLASSES.get(name) or _node_class(name))   # Node(name, ...) without the __new__ call
    _init(node, name, fn, inputs, saved)
    out.grad_fn = node
    out._rg = True
    if sac_modes:
        sac_modes[-1].on_output(node, out)
    return out


def needs_grad(*tensors):
    """True when the current op must be recorded for these tensor inputs."""
    if not grad_mode.state.enabled:
        return False
    for t in tensors:
        if t is not None and t._rg:
            return True
    return False


def _conjugated(fn):
    from .ops.complex_numbers import conj

    def rule(g):
        return tuple(None if r is None else conj(r) for r in fn(conj(g)))
    return rule
