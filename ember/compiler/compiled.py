"""``CompiledFunction``: when to run eagerly, trace, check and replay.

For each input signature (shapes, dtypes and ``requires_grad`` of the tensor arguments,
the other arguments' values, grad mode and default dtype) a compiled function:

1. runs the first call eagerly (lazy state such as optimizer moments gets made);
2. traces the second call while it runs for real (:mod:`~ember.compiler.tracer`),
   then plans a replay (:mod:`~ember.compiler.program`);
3. checks the first replay: it runs the call eagerly, undoes it, replays, and compares
   every state array, gradient and output (the safety net);
4. replays from then on while the guard holds (same objects, same flags and
   hyperparameters); when it does not, the call runs eagerly and the next one
   traces again.

Whatever cannot be captured makes the function run eagerly from then on, with the
reason in a :class:`CompileWarning` and in ``fallback_reason``. Every decision depends
only on what the calls do, never on how long they took, so the same program compiles
(or falls back, at the same call, for the same reason) on every run and machine. The
warning starts on a line of its own, so a progress bar drawn with carriage returns
(Keras's, tqdm's) does not get it glued to its line.
"""
import functools
import sys
import threading
import warnings

import numpy as np

from ..autograd import grad_mode
from ..autograd.tensor import Tensor
from ..backend import dtypes as _dt
from . import program as _program
from .patches import Patches
from .replay import Program, build, compare, leaves_of, template, template_arrays
from .state import GuardBuilder, Snapshot, Walk, function_roots, is_scalar
from .traced import TracedArray, active
from .tracer import ARG, STATE, GuardFailed, Tracer, root_of

_MAX_TRACES = 8          # traces before the trace rate is checked
_CALLS_PER_TRACE = 10    # fewer calls per trace than this (past _MAX_TRACES): tracing costs more than it gives
_PROGRAMS = 4            # programs kept per input signature (the least recently traced is dropped)
_LINE_BREAKERS = []      # callables that end a progress bar's open line (see _warn)


class CompileWarning(UserWarning):
    """``ember.compile`` runs a function eagerly; the message says why."""


class _Signature:
    """Programs traced for one input signature."""

    def __init__(self):
        self.programs = []
        self.misses = 0


class CompiledFunction:
    """A function that replays its traced NumPy program (see the module doc); call it as the function."""

    def __init__(self, fn, fullgraph=False, share_memory=True):
        self._fn = fn
        self._fullgraph = fullgraph
        self._share = share_memory
        self.fallback_reason = None
        self.replays = 0          # calls served by a replay
        self._signatures = {}
        self._traces = 0
        self._calls = 0
        self._lock = threading.RLock()
        functools.update_wrapper(self, fn, updated=())

    def __get__(self, obj, objtype=None):
        # Decorating a method: bind per instance (each instance has its own state to capture).
        if obj is None:
            return self
        cache = obj.__dict__.setdefault("_ember_compiled", {})
        bound = cache.get(id(self))
        if bound is None:
            bound = cache[id(self)] = CompiledFunction(self._fn.__get__(obj, objtype), self._fullgraph, self._share)
        return bound

    def __repr__(self):
        state = f"eager: {self.fallback_reason}" if self.fallback_reason else \
            f"{sum(len(s.programs) for s in self._signatures.values())} program(s)"
        return f"<ember.compile of {getattr(self._fn, '__qualname__', self._fn)} ({state})>"

    # -- the call ------------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if self.fallback_reason is not None or active.tracer is not None:
            return self._fn(*args, **kwargs)
        with self._lock:    # a replay writes its own buffers: one call at a time
            return self._call(args, kwargs)

    def _call(self, args, kwargs):
        leaves, key, objects = _signature(args, kwargs)
        if key is None:
            return self._give_up("an argument is neither a tensor nor a hashable value", args, kwargs)
        self._calls += 1
        sig = self._signatures.get(key)
        if sig is None:
            sig = self._signatures[key] = _Signature()
        for prog in sig.programs:
            if prog.guard() < 0:
                return self._replay(sig, prog, leaves, objects, args, kwargs)
        if self._traces >= _MAX_TRACES and self._calls < _CALLS_PER_TRACE * self._traces:
            return self._give_up(f"traced {self._traces} times in {self._calls} calls: the state keeps changing "
                                 f"({self._why_not(sig)})", args, kwargs)
        if sig.misses == 0:
            sig.misses += 1
            return self._fn(*args, **kwargs)
        sig.misses = 0
        return self._trace(sig, leaves, objects, args, kwargs)

    def _why_not(self, sig):
        for prog in reversed(sig.programs):
            i = prog.guard()
            if i >= 0:
                return prog.reasons[i]
        return "new input shapes each time"

    def _give_up(self, reason, args, kwargs, result=None, have_result=False):
        self.fallback_reason = reason
        self._signatures.clear()
        name = getattr(self._fn, "__qualname__", repr(self._fn))
        if self._fullgraph:
            raise RuntimeError(f"ember.compile(fullgraph=True): cannot capture {name}: {reason}")
        _warn(f"ember.compile: {name} runs eagerly: {reason}", stacklevel=4)
        return result if have_result else self._fn(*args, **kwargs)

    def _roots(self, objects):
        return function_roots(self._fn) + [(f"<argument {i}>", o) for i, o in enumerate(objects)]

    # -- replay and the safety net -------------------------------------------------------------------
    def _replay(self, sig, prog, leaves, objects, args, kwargs):
        if prog.state == "new":
            return self._verify(sig, prog, leaves, objects, args, kwargs)
        try:
            out = prog.run(leaves)
        except GuardFailed as e:
            prog.guard_failures += 1
            if prog.guard_failures >= 5 and prog.guard_failures * 4 > prog.replays:
                return self._give_up(f"a value read from array data at {e.args[0]} differed from the trace's in "
                                     f"{prog.guard_failures} of {prog.replays + prog.guard_failures} calls",
                                     args, kwargs)
            return self._fn(*args, **kwargs)
        prog.replays += 1
        self.replays += 1
        return out

    def _verify(self, sig, prog, leaves, objects, args, kwargs):
        """Run eagerly, undo, replay, compare; keep the eager result if they differ."""
        roots = self._roots(objects)
        before = Snapshot(Walk(roots), [t._data for t in leaves] + prog.external)
        eager_out = self._fn(*args, **kwargs)
        eager_walk = Walk(roots)
        eager_state = {p: np.array(a, copy=True) for p, a in eager_walk.paths().items()}
        eager_outs = leaves_of(eager_out)
        eager_ext = [np.array(a, copy=True) for a in prog.external]
        after_eager = Snapshot(eager_walk, [t._data for t in leaves] + prog.external)
        before.restore()
        try:
            out = prog.run(leaves)
        except GuardFailed:
            after_eager.restore()
            return eager_out
        except Exception as e:  # noqa: BLE001 - any failure of the replay means: keep eager
            after_eager.restore()
            return self._give_up(f"the replay raised {type(e).__name__}: {e}", args, kwargs, eager_out, True)
        diff = compare(eager_state, Walk(roots).paths(), eager_outs, leaves_of(out), eager_ext, prog.external)
        if diff is not None:
            after_eager.restore()
            return self._give_up(f"replay diverged from eager at {diff}", args, kwargs, eager_out, True)
        prog.state = "ok"
        self.replays += 1
        return out

    # -- tracing -------------------------------------------------------------------------------------
    def _trace(self, sig, leaves, objects, args, kwargs):
        self._traces += 1
        roots = self._roots(objects)
        walk0 = Walk(roots)
        for t in leaves:
            if id(t) in walk0.tensors:
                return self._give_up(f"the argument tensor {walk0.tensors[id(t)][1]} is also state the function "
                                     "reaches; pass it one way only", args, kwargs)
        versions = {tid: t._version for tid, (t, _) in walk0.tensors.items()}
        undo = Snapshot(walk0, [t._data for t in leaves])
        tracer = Tracer()
        originals = []
        for t, _ in walk0.tensors.values():
            originals.append((t, t._data))
            t._data = tracer.add_input(t._data, STATE)
        for e in walk0.arrays:
            e.set(tracer.add_input(e.value, STATE))
        arg_orig, arg_bufs = [], []
        for t in leaves:
            arg_orig.append(t._data)
            buf = np.array(t._data, copy=True)
            arg_bufs.append(buf)
            t._data = tracer.add_input(buf, ARG)
        from ..random import default_generator
        gens = dict(walk0.generators)
        gens[id(default_generator)] = default_generator
        patches = Patches(tracer, list(gens.values()))
        active.tracer = tracer
        error = None
        try:
            result = self._fn(*args, **kwargs)
        except BaseException as e:  # noqa: BLE001 - re-raised or re-run eagerly below
            error = e
        finally:
            active.tracer = None
            reseeded = patches.undo()
        walk1 = Walk(roots)
        _unwrap(tracer, walk0, walk1, originals, None if error else result)
        for t, a, buf in zip(leaves, arg_orig, arg_bufs):
            t._data = a
        written_args = [i for i, buf in enumerate(arg_bufs) if tracer.roots[id(root_of(buf))][2]]
        for i in written_args:
            np.copyto(arg_orig[i], arg_bufs[i])
        if error is not None:
            if not isinstance(error, Exception):
                raise error
            undo.restore()
            out = self._fn(*args, **kwargs)  # the user's own error raises here as it would eagerly
            return self._give_up(f"tracing failed with {type(error).__name__}: {error}", args, kwargs, out, True)
        if reseeded:
            tracer.fail("the function reseeds ember's random generator (ember.manual_seed inside the call)")
        try:
            prog = self._plan(tracer, walk0, walk1, versions, leaves, arg_bufs, written_args, result)
        except _program.PlanError as e:
            tracer.fail(str(e))
            prog = None
        if tracer.invalid is not None:
            return self._give_up(tracer.invalid, args, kwargs, result, True)
        sig.programs.append(prog)
        if len(sig.programs) > _PROGRAMS:
            del sig.programs[0]
        return build(prog.template, leaves)

    def _plan(self, tracer, walk0, walk1, versions, leaves, arg_bufs, written_args, result):
        guard = GuardBuilder()
        rebinds = []
        read_roots = set()
        for s in tracer.steps:
            read_roots |= s.reads | s.writes
        stable_tensors = set(walk0.tensors) & set(walk1.tensors)
        for e in walk0.entries:
            c = e.container
            if isinstance(c, Tensor):
                if id(c) not in stable_tensors:
                    continue
            elif id(c) in walk0.containers and id(c) not in walk1.containers:
                continue
            now, before = e.get(), e.value
            if now is before or (is_scalar(before) and type(now) is type(before) and _eq(now, before)):
                guard.entry(e, "eq" if is_scalar(before) and before is not None else "is")
                continue
            if e.key != "grad_fn" and (before is None or isinstance(before, Tensor)) \
                    and (now is None or isinstance(now, Tensor)):
                rebinds.append((e, now))
                if before is None:
                    guard.entry(e, "none")
                elif id(root_of(before._data)) in read_roots:
                    guard.entry(e, "is")
                else:
                    guard.entry(e, "notnone")
                continue
            tracer.fail(f"the function changes {e.path} ({_short(before)} -> {_short(now)}), a Python side "
                        "effect a replay would not repeat")
        for cid, (c, path) in walk0.containers.items():
            if cid in walk1.containers and len(c) != walk0.lengths[cid]:
                tracer.fail(f"the function adds or removes entries of {path}, a Python side effect a replay "
                            "would not repeat")
        for tid in stable_tensors:
            t, path = walk1.tensors[tid]
            guard.add("{0}._data is not {1}", [t, t._data], f"{path} holds another array")
        for cid, (c, path) in walk0.containers.items():
            if cid in walk1.containers:
                guard.length(c, path)
        bumps = [(walk1.tensors[tid][0], walk1.tensors[tid][0]._version - versions[tid]) for tid in stable_tensors
                 if walk1.tensors[tid][0]._version != versions[tid]]
        # What must hold its value after the call: state, outputs, arrays the walk can reach, changed arguments.
        external_ids, scratch = _program.classify_external(tracer)
        live = {rid for rid, (kind, _, _) in tracer.roots.items() if kind == STATE} | external_ids
        external = [tracer.roots[rid][1] for rid in external_ids if isinstance(tracer.roots[rid][1], np.ndarray)]
        for t, _ in walk1.tensors.values():
            live.add(id(root_of(t._data)))
        live |= {id(root_of(arg_bufs[i])) for i in written_args}
        outputs = template(result, walk1, leaves, tracer)
        for arr in template_arrays(outputs):
            live.add(id(root_of(arr)))
        calls, summary = _program.plan(tracer, live, external_ids, scratch, share=self._share)
        if tracer.invalid is not None:
            return None
        # A check that fails after a random draw: the replay puts the generator back before running eagerly.
        rng = [g for g in {id(s.extra[0]): s.extra[0] for s in tracer.steps if s.kind == "random"}.values()]
        fn, reasons = guard.build(), guard.reasons
        return Program(fn, reasons, calls, summary, arg_bufs, [(i, arg_bufs[i]) for i in written_args], rebinds,
                       bumps, outputs, external, rng if summary["checks_after_draws"] else [])

    # -- introspection -------------------------------------------------------------------------------
    def explain(self):
        """A short description of the traces (steps, buffers, guards) or of why the function runs eagerly."""
        if self.fallback_reason:
            return f"runs eagerly: {self.fallback_reason}"
        lines = []
        for key, sig in self._signatures.items():
            for prog in sig.programs:
                s = prog.summary
                lines.append(f"{_key_str(key)}: {s['calls']} calls ({s['recorded']} recorded, {s['dropped']} dead, "
                             f"{s['constants']} constant, {s['copies_elided']} copies elided), "
                             f"{s['guards']} data checks, "
                             f"{s['buffer_bytes'] / 1e6:.1f} MB of buffers"
                             + (f" ({s['shared_buffers']} sharing memory)" if s.get("shared_buffers") else "")
                             + f", {prog.state}")
        return "\n".join(lines) or "not traced yet"


def _warn(message, stacklevel):
    """Warn on a line of its own: end any progress bar's open line first (Keras's through
    ``_LINE_BREAKERS``, tqdm's through its ``external_write_mode``)."""
    for end_line in list(_LINE_BREAKERS):
        end_line()
    tqdm = sys.modules.get("tqdm")
    mode = getattr(getattr(tqdm, "tqdm", None), "external_write_mode", None)
    if mode is None:
        warnings.warn(message, CompileWarning, stacklevel=stacklevel)
        return
    with mode():
        warnings.warn(message, CompileWarning, stacklevel=stacklevel)


def _eq(a, b):
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001
        return False


def _short(v):
    if isinstance(v, Tensor):
        return f"tensor{tuple(v._data.shape)}"
    r = repr(v) if is_scalar(v) else type(v).__name__
    return r if len(r) < 40 else r[:37] + "..."


def _key_str(key):
    return str(key[0]) if key else "()"


def _unwrap(tracer, walk0, walk1, originals, result):
    """Give every tensor the trace touched a plain array again (state tensors their original one)."""
    for t, a in originals:
        t._data = a
    for e in walk0.arrays:
        e.set(e.value)
    for t, _ in walk1.tensors.values():
        if isinstance(t._data, TracedArray):
            t._data = tracer.plain(t._data)
    for e in walk1.arrays:
        v = e.get()
        if isinstance(v, TracedArray):
            e.set(tracer.plain(v))
    for t in _tensors_in(result):
        if isinstance(t._data, TracedArray):
            t._data = tracer.plain(t._data)


def _tensors_in(obj):
    if isinstance(obj, Tensor):
        yield obj
    elif type(obj) in (tuple, list):
        for o in obj:
            yield from _tensors_in(o)
    elif type(obj) is dict:
        for o in obj.values():
            yield from _tensors_in(o)


def _signature(args, kwargs):
    """``(tensor leaves, hashable key, other objects)`` of a call's arguments; key None if unhashable."""
    leaves, objects = [], []
    if not kwargs and all(type(a) is Tensor for a in args):
        spec = tuple((a._data.shape, a._data.dtype, a._rg) for a in args)
        leaves = list(args)
    else:
        spec = (_spec(args, leaves, objects), _spec(kwargs, leaves, objects))
    key = (spec, grad_mode.state.enabled, _dt.get_default_dtype())
    try:
        hash(key)
    except TypeError:
        return leaves, None, objects
    return leaves, key, objects


def _spec(obj, leaves, objects):
    if isinstance(obj, Tensor):
        leaves.append(obj)
        return ("T", obj._data.shape, obj._data.dtype, obj._rg)
    tp = type(obj)
    if tp is tuple or tp is list:
        return (tp.__name__,) + tuple(_spec(o, leaves, objects) for o in obj)
    if tp is dict:
        return ("dict",) + tuple((k, _spec(v, leaves, objects)) for k, v in obj.items())
    if is_scalar(obj):
        return ("v", tp, obj)
    objects.append(obj)
    return ("o", id(obj))
