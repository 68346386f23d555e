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

``context_fn`` (``use_reentrant=False``) returns two context managers: the first is entered around
the forward, the second around the recomputation. ``create_selective_checkpoint_contexts(policy_fn)``
makes the pair for selective activation checkpointing: ``policy_fn(ctx, op, *args)`` is asked once
per op of the forward (``op`` is ``torch.ops.aten.<name>.<overload>``, ``ctx.op_output`` its result)
whether to save or recompute the op's output, as in PyTorch 2.13. Ember has no op dispatcher: the
ops it reports are those its autograd graph records (the ops on tensors that require grad; ``t`` and
``detach`` make no node), with the args the node keeps (its tensor inputs), and the recomputation
runs every op again, the random-number state replayed, so each op gives back the value it gave in the
forward and the gradients are those PyTorch computes from the saved outputs. The bookkeeping is
PyTorch's: the saved outputs are kept until the backward, a second backward through the region
raises, and so does a saved output changed in place (unless ``allow_cache_entry_mutation``).

>>> import ember
>>> from ember.utils.checkpoint import checkpoint
>>> x = ember.tensor([1.0, 2.0], requires_grad=True)
>>> checkpoint(lambda t: (t.sin() * t).sum(), x, use_reentrant=False).backward()
>>> x.grad
tensor([1.3818, 0.0770])
"""
import collections
import contextlib
import enum
import re
import warnings

import ember
from .._ops import ops as _ops
from ..autograd import engine, grad_mode, saved_hooks
from ..autograd import node as _node_module
from ..autograd.function import Function
from ..autograd.node import Node, _seq
from ..autograd.tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction", "check_backward_validity",
           "detach_variable", "get_device_states", "set_device_states", "noop_context_fn", "set_checkpoint_early_stop",
           "DefaultDeviceType", "set_checkpoint_debug_enabled", "CheckpointPolicy", "SelectiveCheckpointContext",
           "create_selective_checkpoint_contexts", "SAC_IGNORED_OPS"]

_DEFAULT_WARNING = ("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in "
                    "PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
                    "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
                    "you can pass use_reentrant=True. Refer to docs for more details on the differences between the "
                    "two variants.")


_early_stop = None     # set_checkpoint_early_stop's setting (None: each checkpoint's own early_stop)
_debug_enabled = None  # set_checkpoint_debug_enabled's setting


class CheckpointError(RuntimeError):
    """Raised when the recomputation does not match the forward (``determinism_check="default"``)."""


def noop_context_fn():
    """The default ``context_fn``: two context managers that do nothing."""
    return contextlib.nullcontext(), contextlib.nullcontext()


@contextlib.contextmanager
def set_checkpoint_early_stop(enable):
    """Whether non-reentrant checkpoints made inside stop their recomputation once the tensors the backward
    needs exist. Recorded for PyTorch's API; ember's recomputation always runs the whole function."""
    global _early_stop
    prev, _early_stop = _early_stop, enable
    try:
        yield
    finally:
        _early_stop = prev


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled):
    """Override every checkpoint's ``debug`` flag inside (``None`` defers to each call's own)."""
    global _debug_enabled
    prev, _debug_enabled = _debug_enabled, enabled
    try:
        yield
    finally:
        _debug_enabled = prev


def detach_variable(inputs):
    """``inputs`` (a tuple) with each tensor detached, keeping its ``requires_grad``."""
    if not isinstance(inputs, tuple):
        raise RuntimeError(f"Only tuple of tensors is supported. Got Unsupported input type: {type(inputs).__name__}")
    out = []
    for inp in inputs:
        if not isinstance(inp, Tensor):
            out.append(inp)
            continue
        x = inp.detach()
        x.requires_grad = inp.requires_grad
        out.append(x)
    return tuple(out)


def check_backward_validity(inputs):
    """Warn, as PyTorch, when no tensor of ``inputs`` requires grad."""
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, Tensor)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)


class DefaultDeviceType:
    """The device type whose random state checkpointing saves besides the CPU's: ``"cpu"`` in ember."""
    _default_device_type = None

    @staticmethod
    def set_device_type(device="cuda"):
        DefaultDeviceType._default_device_type = device

    @staticmethod
    def get_device_type():
        return DefaultDeviceType._default_device_type or "cpu"


def get_device_states(*args):
    """``(device ids, random states)`` of the accelerators ``args`` live on: none, on the CPU."""
    return [], []


def set_device_states(devices, states, *, device_type=None):
    """Restore accelerator random states saved by :func:`get_device_states`: there are none on the CPU."""
    if list(devices):
        raise RuntimeError(f"set_device_states: ember runs on the CPU only; got device ids {list(devices)}")


class CheckpointFunction(Function):
    """The reentrant checkpoint as an autograd Function (``CheckpointFunction.apply(fn, preserve_rng_state,
    *args)``): the forward runs ``fn`` without recording; the backward runs it again and backpropagates
    through that run with a nested ``backward``, as PyTorch's."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            ctx.fwd_cpu_state = ember.get_rng_state()
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*(a for a in args if isinstance(a, Tensor)))
        with grad_mode.no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *args):
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t
        current = ember.get_rng_state() if ctx.preserve_rng_state else None
        try:
            if ctx.preserve_rng_state:
                ember.set_rng_state(ctx.fwd_cpu_state)
            detached = detach_variable(tuple(inputs))
            with grad_mode.enable_grad():
                outputs = ctx.run_function(*detached)
        finally:
            if current is not None:
                ember.set_rng_state(current)
        outputs = _as_tuple(outputs)
        pairs = [(o, g) for o, g in zip(outputs, args) if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        engine.run_backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(t.grad if isinstance(t, Tensor) else None for t in detached)


# -- selective activation checkpointing ---------------------------------------------------------------------

class CheckpointPolicy(enum.Enum):
    """What to do with an op's output: save it in the forward, or recompute it in the backward (``MUST_*``
    over ``PREFER_*`` only matters to a compiler)."""
    MUST_SAVE = 0
    PREFER_SAVE = 1
    MUST_RECOMPUTE = 2
    PREFER_RECOMPUTE = 3
    MUST_CPU_OFFLOAD = 4
    PREFER_CPU_OFFLOAD = 5


_SAVE = (CheckpointPolicy.MUST_SAVE, CheckpointPolicy.PREFER_SAVE, CheckpointPolicy.MUST_CPU_OFFLOAD,
         CheckpointPolicy.PREFER_CPU_OFFLOAD)


class SelectiveCheckpointContext:
    """What a policy function is told about the op: ``op_output``, and ``is_recompute`` (always False in
    PyTorch 2.13: the policy is asked in the forward only)."""

    def __init__(self, *, is_recompute, op_output=None):
        self.is_recompute = is_recompute
        self.op_output = op_output


SAC_IGNORED_OPS = {_ops.aten.detach.default}

_NODE_NAME = re.compile(r"^([A-Z][A-Za-z0-9]*?)Backward\d+$")
# ember's node names whose aten op is not the name in snake case
_ATEN_OF = {"ScaledDotProductAttention": "_scaled_dot_product_flash_attention_for_cpu", "Softmax": "_softmax",
            "LogSoftmax": "_log_softmax", "ToCopy": "_to_copy", "UnsafeView": "_unsafe_view", "T": "t"}
_TENSOR_OVERLOAD = {"add", "sub", "mul", "div", "rsub", "eq", "ne", "lt", "le", "gt", "ge", "remainder", "fmod",
                    "masked_fill", "where", "clamp", "atan2", "maximum", "minimum", "copy"}
_aten_names = {}


def _aten_op(node):
    """The aten op PyTorch runs for the op that made ``node`` (``MmBackward0`` -> ``aten.mm.default``), or None
    for nodes that are no aten op (custom Functions, hooks)."""
    name = node.name
    op = _aten_names.get(name)
    if op is None:
        m = _NODE_NAME.match(name)
        stem = m.group(1) if m else None
        if stem is None:
            op = False
        elif stem == "Matmul":   # ember's node for a product of two batched tensors: torch's mm or bmm
            op = "matmul"
        else:
            base = _ATEN_OF.get(stem) or re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_",
                                                re.sub(r"(\d)D", r"\1d", stem)).lower()
            op = getattr(getattr(_ops.aten, base), "Tensor" if base in _TENSOR_OVERLOAD else "default") \
                if _has_aten(base) else False
        _aten_names[name] = op
    if op == "matmul":
        nd = [t.ndim for t in node.inputs if t is not None]
        return _ops.aten.mm.default if nd and max(nd) <= 2 else _ops.aten.bmm.default
    return op or None


def _has_aten(base):
    try:
        getattr(_ops.aten, base)
        return True
    except AttributeError:
        return False


class _VersionWrapper:
    """A saved output and its version then: a later in-place change is an error at the backward."""

    def __init__(self, val, version=None):
        self.val = val.detach() if isinstance(val, Tensor) else val
        self.version = (val._version if version is None else version) if isinstance(val, Tensor) else None

    def get_val(self, allow_cache_entry_mutation):
        if self.version is not None and not allow_cache_entry_mutation and self.val._version != self.version:
            raise RuntimeError("Tensor cached during selective activation checkpoint has been mutated")
        return self.val


_RECOMPUTE = object()
_CONSUMED = object()
_SAC_MISMATCH_MSG = ("This can happen if the operations in the checkpointed region are nondeterministic or depend "
                     "on global state that changed between forward and backward.")


def _count_op(func_counter, node):
    """``(op, its invocation index)`` for a node the policy sees (counted in ``func_counter``), or None."""
    op = _aten_op(node)
    if op is None or op in SAC_IGNORED_OPS:
        return None
    idx = func_counter[op]
    func_counter[op] += 1
    return op, idx


class _CachingMode:
    """The forward's context: every node made is one op; at the end each op's policy is asked (in order) and the
    outputs to save are kept in ``storage[op][index]``."""

    def __init__(self, policy_fn, storage):
        self.policy_fn, self.storage = policy_fn, storage
        self.func_counter = collections.defaultdict(int)
        self._ops, self._outputs, self._region_outputs = [], {}, ()

    def on_node(self, node):
        got = _count_op(self.func_counter, node)
        if got is not None:
            self._ops.append((node,) + got)

    def on_output(self, node, out):
        self._outputs[id(node)] = (out, out._version)   # the version now: a later in-place change is caught

    def __enter__(self):
        _node_module.sac_modes.append(self)
        return self

    def __exit__(self, kind, value, tb):
        _node_module.sac_modes.remove(self)
        try:
            if kind is None:
                self._settle()
        finally:
            self._ops, self._outputs, self._region_outputs = [], {}, ()
        return False

    def _settle(self):
        ours = {id(n) for n, _, _ in self._ops}
        found = {}   # id(node) -> {output index: tensor}, for the nodes not made through node.record
        for t in [t for n, _, _ in self._ops for t in n.inputs] + list(self._region_outputs):
            if isinstance(t, Tensor) and t.grad_fn is not None and id(t.grad_fn) in ours:
                found.setdefault(id(t.grad_fn), {})[t._out_idx] = t
        for node, op, idx in self._ops:
            out, version = self._outputs.get(id(node), (None, None))
            if out is None and id(node) in found:
                got = found[id(node)]
                out = got.get(0) if node.nout == 1 else tuple(got.get(i) for i in range(node.nout))
            policy = self.policy_fn(SelectiveCheckpointContext(is_recompute=False, op_output=out), op,
                                    *node.inputs)
            if isinstance(policy, bool):
                policy = CheckpointPolicy.MUST_SAVE if policy else CheckpointPolicy.PREFER_RECOMPUTE
            if policy in _SAVE:
                self.storage[op][idx] = (tuple(_VersionWrapper(o) for o in out) if isinstance(out, tuple)
                                         else _VersionWrapper(out, version))
            else:
                self.storage[op][idx] = _RECOMPUTE


class _CachedMode:
    """The recomputation's context: each op takes its entry of ``storage`` back by index, as PyTorch's does."""

    def __init__(self, storage, allow_cache_entry_mutation=False):
        self.storage, self.allow_cache_entry_mutation = storage, allow_cache_entry_mutation
        self.func_counter = collections.defaultdict(int)

    def on_node(self, node):
        got = _count_op(self.func_counter, node)
        if got is None:
            return
        op, idx = got
        func_storage = self.storage.get(op)
        if func_storage is None:
            raise RuntimeError(f"{op} encountered during backward but not found in storage. {_SAC_MISMATCH_MSG}")
        entry = func_storage.get(idx)
        if entry is None:
            raise RuntimeError(f"{op} invocation index {idx} encountered during backward but not found in storage. "
                               f"{_SAC_MISMATCH_MSG}")
        if entry is _CONSUMED:
            raise RuntimeError("Trying to backward an extra time. You are only allowed to backward once on any "
                               "region computed under selective activation checkpoint.")
        if entry is _RECOMPUTE:
            return
        for e in entry if isinstance(entry, tuple) else (entry,):
            e.get_val(self.allow_cache_entry_mutation)
        func_storage[idx] = _CONSUMED

    def on_output(self, node, out):
        pass

    def __enter__(self):
        self.func_counter.clear()
        _node_module.sac_modes.append(self)
        return self

    def __exit__(self, kind, value, tb):
        _node_module.sac_modes.remove(self)
        return False


def create_selective_checkpoint_contexts(policy_fn_or_list, allow_cache_entry_mutation=False):
    """The ``(forward, recompute)`` context pair of selective activation checkpointing, for ``context_fn``.

    Args:
        policy_fn_or_list: ``policy_fn(ctx, op, *args, **kwargs) -> CheckpointPolicy`` (or a bool: True is
            ``MUST_SAVE``), or a list of ops (``torch.ops.aten.mm.default``) to save, every other op being
            recomputed.
        allow_cache_entry_mutation (bool): allow a saved output to be changed in place before the backward.

    Example::

        policy = lambda ctx, op, *args, **kwargs: (CheckpointPolicy.MUST_SAVE if op == torch.ops.aten.mm.default
                                                   else CheckpointPolicy.PREFER_RECOMPUTE)
        out = checkpoint(fn, x, use_reentrant=False,
                         context_fn=functools.partial(create_selective_checkpoint_contexts, policy))
    """
    if isinstance(policy_fn_or_list, list):
        from .._ops import _AtenOverload, _AtenPacket, OpOverload, OpOverloadPacket
        for op in policy_fn_or_list:
            if not isinstance(op, (_AtenOverload, OpOverload)):
                extra = ("Please update the OpOverloadPacket to a specific OpOverload.For example, if you have "
                         "`torch.ops.aten.mm`, change it to `torch.ops.aten.mm.default`."
                         if isinstance(op, (_AtenPacket, OpOverloadPacket)) else "")
                raise ValueError(f"Expected op in `op_list` to be an OpOverload but got: {op} of type "
                                 f"{_torch_type_name(op)}. {extra}")
        ops_to_save = list(policy_fn_or_list)

        def policy_fn(ctx, op, *args, **kwargs):
            return CheckpointPolicy.MUST_SAVE if op in ops_to_save else CheckpointPolicy.PREFER_RECOMPUTE
    elif callable(policy_fn_or_list):
        policy_fn = policy_fn_or_list
    else:
        raise TypeError("policy_fn_or_list must be either a function or a list of ops.")
    storage = collections.defaultdict(dict)
    return _CachingMode(policy_fn, storage), _CachedMode(storage, allow_cache_entry_mutation)


def _torch_type_name(op):
    from .._ops import _AtenPacket, OpOverloadPacket
    if isinstance(op, (_AtenPacket, OpOverloadPacket)):
        return "<class 'torch._ops.OpOverloadPacket'>"
    return str(type(op))


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
            with grad_mode.enable_grad(), saved_hooks.shadowed(), seg["recompute_context"]:
                outputs = _as_tuple(seg["fn"](*args, **seg["kwargs"]))
        finally:
            if current is not None:
                ember.set_rng_state(current)
        if seg["determinism_check"] == "default":
            _check_metadata(seg["outputs"], outputs)
        pairs = [(o, g) for o, g in zip(outputs, grads) if isinstance(o, Tensor) and o._rg and g is not None]
        if not pairs:
            return (None,) * (1 + len(targets))
        gs = engine.grad([o for o, _ in pairs], [t for t in targets if t._rg], [g for _, g in pairs],
                         retain_graph=True, create_graph=grad_mode.state.enabled, allow_unused=True)
        it = iter(gs)
        return (None,) + tuple(next(it) if t._rg else None for t in targets)


def _as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def _meta(t):
    return {"shape": t.shape, "dtype": t.dtype, "device": t.device}


def _check_metadata(forward, recomputed):
    """The recomputed outputs must have the forward's shapes and dtypes (PyTorch checks the saved tensors)."""
    bad = [(i, _meta(a), _meta(b)) for i, (a, b) in enumerate(zip(forward, recomputed))
           if isinstance(a, Tensor) and isinstance(b, Tensor) and (a.shape != b.shape or a.dtype != b.dtype)]
    if bad:
        lines = "".join(f"tensor at position {i}:\nsaved metadata: {a}\nrecomputed metadata: {b}\n" for i, a, b in bad)
        raise CheckpointError("torch.utils.checkpoint: Recomputed values for the following tensors have different "
                              "metadata than during the forward pass.\n" + lines)


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn, determinism_check="default",
               debug=False, early_stop=True, **kwargs):
    """``function(*args, **kwargs)``, recomputed in the backward pass instead of storing its activations.

    Args:
        function: what to run (a module or any function of tensors).
        *args: its positional arguments.
        use_reentrant (bool): PyTorch's two variants (see the module docstring); not given, it is True with a
            warning, as in PyTorch 2.13.
        preserve_rng_state (bool, keyword): replay the random-number state in the recomputation. Default: True.
        context_fn: returns the two context managers to run the forward and the recomputation in
            (``use_reentrant=False`` only); :func:`create_selective_checkpoint_contexts` makes them.
        determinism_check (str): ``"default"`` raises :class:`CheckpointError` when the recomputed outputs'
            shapes or dtypes differ from the forward's; ``"none"`` skips the check.
        debug, early_stop: accepted for PyTorch's API (ember's recomputation runs the whole function).
        **kwargs: keyword arguments of ``function`` (``use_reentrant=False`` only).
    """
    if use_reentrant is None:
        warnings.warn(_DEFAULT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    preserve_rng_state = kwargs.pop("preserve_rng_state", True)
    if use_reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if context_fn is None:
        context_fn = noop_context_fn
    if use_reentrant and (context_fn is not noop_context_fn or debug is not False):
        raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check}")
    if use_reentrant and grad_mode.state.enabled and not any(isinstance(a, Tensor) and a._rg for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", UserWarning,
                      stacklevel=2)
        with grad_mode.no_grad():
            return function(*args, **kwargs)
    if not grad_mode.state.enabled:
        return function(*args, **kwargs)
    rng = ember.get_rng_state() if preserve_rng_state else None
    forward_context, recompute_context = context_fn() if not use_reentrant else noop_context_fn()
    start = next(_seq)
    with saved_hooks.shadowed(), forward_context:
        out = function(*args, **kwargs)
        outputs = _as_tuple(out)
        if isinstance(forward_context, _CachingMode):
            forward_context._region_outputs = outputs
    boundary = _boundary(outputs, start)
    detached = tuple(o.detach() if isinstance(o, Tensor) else o for o in outputs)  # drops the segment's graph
    if not boundary:
        return out
    segment = {"fn": function, "args": args, "kwargs": kwargs, "rng": rng, "boundary": boundary,
               "outputs": detached, "recompute_context": recompute_context,
               "determinism_check": "none" if use_reentrant else determinism_check}
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
