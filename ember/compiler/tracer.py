"""The tape: every NumPy call a traced function makes, as a list of :class:`Step`.

The tracer sees each call through :class:`~ember.compiler.traced.TracedArray` (and
through the NumPy functions that :mod:`ember.compiler.patches` wraps during a trace),
runs it for real on plain arrays, and records it with its arguments as they are:
arrays by reference. Every array a step reads or writes belongs to a *root* (the
array that owns its memory), of one of these kinds:

``state``
    memory of the captured tensors (parameters, buffers, gradients, optimizer state).
``arg``
    the private copy of a tensor argument; a replay copies the new argument in.
``buffer``
    the fresh result of a step: the replay writes it again, in place.
``created``
    an array made by a NumPy creation function (``zeros``, ``arange``, ``asarray`` ...);
    a constant unless a later step writes into it.
``const``
    any other array (made before the trace, outside the captured state).

Views need no step: they are views of persistent memory, valid at every replay.

Anything a replay could not repeat does not stop the call (it runs to the end, for
real); it sets :attr:`Tracer.invalid`, the reason the trace is not used. Python
values read from array data become *guards*: a replay re-checks them and, when one
differs, the call runs eagerly instead.
"""
import operator
import os
import sys
import threading

import numpy as np

from .traced import TracedArray

STATE, ARG, BUFFER, CREATED, CONST = "state", "arg", "buffer", "created", "const"

_view = np.ndarray.view
_ndarray = np.ndarray
# The originals: a trace replaces these on the numpy module (see patches.py).
_asarray = np.asarray
_empty_like = np.empty_like
_NUMPY_DIR = os.path.dirname(np.__file__)
_HERE = os.path.dirname(os.path.abspath(__file__))
_EMBER_ROOT = os.path.dirname(os.path.dirname(_HERE))

# Functions of array metadata only: their Python results are not data.
_META = {np.shape, np.ndim, np.size, np.result_type, np.can_cast, np.min_scalar_type, np.may_share_memory,
         np.shares_memory, np.iscomplexobj, np.isrealobj, np.isfortran, np.isscalar, np.iterable}
# Functions whose output shape depends on the values.
_DATA_SHAPE = {np.unique, np.nonzero, np.flatnonzero, np.argwhere, np.extract, np.compress, np.trim_zeros,
               np.setdiff1d, np.union1d, np.intersect1d, np.setxor1d}
for _name in ("unique_values", "unique_counts", "unique_inverse", "unique_all"):
    if hasattr(np, _name):
        _DATA_SHAPE.add(getattr(np, _name))
# Functions that write into their first argument (and return None).
_WRITERS = {np.copyto, np.put, np.place, np.putmask, np.fill_diagonal, np.put_along_axis}
# Functions and methods that take ``out=``; used when the trace shows the same result with it.
_OUT_FUNCS = {np.dot, np.einsum, np.concatenate, np.stack, np.take, np.sum, np.prod, np.mean, np.max, np.min,
              np.amax, np.amin, np.clip, np.round, np.around, np.argmax, np.argmin, np.cumsum, np.cumprod,
              np.outer, np.trace}
_OUT_METHODS = {"argmax", "argmin", "take", "dot", "trace", "choose"}
_GUARDED_READS = ("bool()", "int()", "use as an index", "`in`")


class Step:
    """One recorded call. ``reads``/``writes``/``fresh`` hold root ids; ``results`` the arrays it makes."""

    __slots__ = ("kind", "fn", "args", "kwargs", "results", "reads", "writes", "fresh", "extra", "where",
                 "after_write", "outs")

    def __init__(self, kind, fn, args, kwargs, results, reads, writes, fresh=(), extra=None, where=None,
                 outs=()):
        self.kind = kind
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.results = results
        self.reads = reads
        self.writes = writes
        self.fresh = fresh
        self.extra = extra
        self.where = where
        self.after_write = False
        self.outs = outs      # the arrays an in-place step writes into

    def __repr__(self):
        name = getattr(self.fn, "__name__", None) or type(self.fn).__name__
        return f"<Step {self.kind} {name}>"


class GuardFailed(Exception):
    """A replay's guard saw a different Python value than the trace did."""


def where():
    """``file:line (function)`` of the innermost frame outside NumPy and this package."""
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if not (fn.startswith(_NUMPY_DIR) or fn.startswith(_HERE)):
            rel = os.path.relpath(fn, _EMBER_ROOT) if fn.startswith(_EMBER_ROOT) else fn
            return f"{rel}:{f.f_lineno} ({f.f_code.co_name})"
        f = f.f_back
    return "<unknown>"


def root_of(a):
    """The object that owns ``a``'s memory (following ``.base``)."""
    b = a.base
    while b is not None:
        a = b
        b = getattr(a, "base", None)
    return a


def _has_bool_index(idx):
    for i in (idx if type(idx) is tuple else (idx,)):
        if isinstance(i, np.ndarray) and i.dtype == np.bool_:
            return True
        if type(i) is list and i and all(type(v) is bool for v in i):
            return True
    return False


def _basic_index(idx):
    for i in (idx if type(idx) is tuple else (idx,)):
        if not (i is None or i is Ellipsis or type(i) in (int, slice) or isinstance(i, np.integer)):
            return False
    return True


class _ThreadState:
    """What a tracer keeps per recording thread: the step list it appends to, and whether it is inside a call."""

    __slots__ = ("busy", "steps", "in_piece")

    def __init__(self, in_piece=False):
        self.busy = 0
        self.steps = []
        self.in_piece = in_piece


class Tracer:
    """Records the NumPy calls of one traced call (see the module doc).

    It records on the thread that made it and, inside ``_parallel.run``, on the worker threads
    running the pieces (each piece's steps go to a list of their own).
    """

    def __init__(self):
        self.threads = {threading.get_ident(): _ThreadState()}
        self.roots = {}        # id(root) -> [kind, root, written]
        self.plain_of = {}     # id(TracedArray) -> its plain ndarray view
        self.traced_of = {}    # id(plain) -> the TracedArray it stands for
        self._keep = []        # keeps every object whose id is a key above alive
        self.invalid = None

    @property
    def steps(self):
        return self.threads[threading.get_ident()].steps

    @steps.setter
    def steps(self, value):
        self.threads[threading.get_ident()].steps = value

    def _state(self):
        return self.threads[threading.get_ident()]

    # -- bookkeeping -------------------------------------------------------------------------------
    def fail(self, reason):
        if self.invalid is None:
            self.invalid = reason

    def _register(self, root, kind):
        rid = id(root)
        if rid not in self.roots:
            self.roots[rid] = [kind, root, False]
            self._keep.append(root)
        return rid

    def add_input(self, arr, kind):
        """Register ``arr`` (state memory or an argument copy) and return its TracedArray view."""
        t = self.traced_of.get(id(arr))
        if t is not None:
            return t
        self._register(root_of(arr), kind)
        t = _view(arr, TracedArray)
        self._link(t, arr)
        return t

    def _link(self, traced, plain):
        self.plain_of[id(traced)] = plain
        self.traced_of[id(plain)] = traced
        self._keep.append(traced)
        self._keep.append(plain)

    def plain(self, t):
        p = self.plain_of.get(id(t))
        if p is None:
            p = _view(t, _ndarray)
            self._link(t, p)
        return p

    def traced(self, p):
        """The TracedArray standing for the plain array ``p`` (a new view of it if there is none)."""
        t = self.traced_of.get(id(p))
        if t is None:
            t = _view(p, TracedArray)
            self._link(t, p)
        return t

    def _rid(self, p, traced=False):
        root = root_of(p)
        rid = id(root)
        if rid not in self.roots:
            if traced:
                self.fail(f"NumPy made an array of shape {p.shape} that ember.compile could not follow, at "
                          f"{where()}")
            self._register(root, CONST)
        return rid

    def _unwrap(self, obj, reads):
        if isinstance(obj, TracedArray):
            p = self.plain(obj)
            reads.add(self._rid(p, True))
            return p
        if isinstance(obj, np.ndarray):
            reads.add(self._rid(obj))
            return obj
        tp = type(obj)
        if tp is tuple or tp is list:
            return tp(self._unwrap(o, reads) for o in obj)
        if tp is dict:
            return {k: self._unwrap(v, reads) for k, v in obj.items()}
        return obj

    def _call(self, fn, args, kwargs):
        st = self.threads[threading.get_ident()]
        st.busy += 1
        try:
            return fn(*args, **kwargs)
        finally:
            st.busy -= 1

    def _fresh(self, r, kind=BUFFER):
        """Register a new result (a NumPy scalar becomes a 0-d array) and return it as an array."""
        if not isinstance(r, np.ndarray):
            r = _asarray(r)
        self._register(root_of(r), kind)
        return r

    def record(self, step):
        if step.where is None and step.kind in ("guard", "random"):
            step.where = where()
        for rid in step.writes:
            self.roots[rid][2] = True
        self.threads[threading.get_ident()].steps.append(step)

    def _is_known_view(self, r):
        return isinstance(r, np.ndarray) and id(root_of(r)) in self.roots

    # -- results -----------------------------------------------------------------------------------
    def _results(self, r, fn, args, kwargs, reads, out_ok=False):
        """Turn the result of a call into traced arrays, recording a step for new data."""
        if isinstance(r, (np.ndarray, np.generic)):
            if self._is_known_view(r):
                return self.traced(r)
            buf = self._fresh(r)
            mode = "out" if out_ok and self._same_with_out(fn, args, kwargs, buf) else "copy"
            rid = id(root_of(buf))
            self.record(Step("call", fn, args, kwargs, [buf], reads, {rid}, (rid,), extra=mode))
            return self.traced(buf)
        if type(r) in (tuple, list) and any(isinstance(x, (np.ndarray, np.generic)) for x in r):
            items, new = [], []
            for i, x in enumerate(r):
                if isinstance(x, (np.ndarray, np.generic)) and not self._is_known_view(x):
                    x = self._fresh(x)
                    new.append((i, x))
                items.append(self.traced(x) if isinstance(x, np.ndarray) else x)
            if new:
                rids = {id(root_of(x)) for _, x in new}
                self.record(Step("call", fn, args, kwargs, [x for _, x in new], reads, rids, tuple(rids),
                                 extra=("multi", tuple(i for i, _ in new))))
            return type(r)(items) if type(r) is list else tuple(items)
        if isinstance(r, (bool, int, float, complex)):
            return self._python_value(fn, args, kwargs, r, reads, f"{getattr(fn, '__name__', 'a NumPy call')}()")
        return r

    def _same_with_out(self, fn, args, kwargs, buf):
        try:
            trial = _empty_like(buf)
            kw = dict(kwargs)
            kw["out"] = trial
            got = self._call(fn, args, kw)
            return got is trial and np.array_equal(trial, buf, equal_nan=buf.dtype.kind in "fc")
        except Exception:  # noqa: BLE001 - any failure means: replay without out=
            return False

    def _python_value(self, fn, args, kwargs, value, reads, what):
        """A Python value computed from array data: a guard when it is a bool or an int, else a refusal."""
        if isinstance(value, (bool, int, np.bool_, np.integer)) or (
                isinstance(value, list) and all(isinstance(v, (bool, int)) for v in _flat(value))):
            self.record(Step("guard", fn, args, kwargs, (), reads, set(), extra=value))
        else:
            self.fail(f"{what} reads a value from array data at {where()}: the number would be baked into "
                      "the replay")
        return value

    # -- the hooks TracedArray and the patches call --------------------------------------------------
    def ufunc(self, uf, method, inputs, kwargs):
        reads = set()
        args = self._unwrap(inputs, reads)
        out = kwargs.get("out")
        if kwargs:
            # Writing into ``out`` is not reading it, unless ``where=`` keeps some of its old values.
            kw = {k: self._unwrap(v, reads if (k != "out" or "where" in kwargs) else set())
                  for k, v in kwargs.items()}
        else:
            kw = {}
        fn = uf if method == "__call__" else getattr(uf, method)
        r = self._call(fn, args, kw)
        if method == "at":
            self.record(Step("inplace", fn, args, kw, (), reads, {id(root_of(args[0]))}))
            return r
        if out is not None:
            writes = {id(root_of(o)) for o in kw["out"]}
            self.record(Step("inplace", fn, args, kw, (), reads, writes, outs=kw["out"]))
            # The result is the ``out`` array, traced even when the caller passed a plain one.
            res = tuple(o if isinstance(o, TracedArray) else self.traced(p) for o, p in zip(out, kw["out"]))
            return res[0] if len(res) == 1 else res
        rs = r if type(r) is tuple else (r,)
        bufs = [self._fresh(x) for x in rs]
        rids = tuple(id(root_of(b)) for b in bufs)
        self.record(Step("ufunc", fn, args, kw, bufs, reads, set(rids), rids, extra=method))
        res = tuple(self.traced(b) for b in bufs)
        return res if type(r) is tuple else res[0]

    def function(self, func, args, kwargs):
        from . import patches
        spec = patches.CREATORS.get(func)
        if spec is not None:
            return self.create(func, args, kwargs, spec)
        if func in _META:
            return self._call(func, self._unwrap(args, set()), self._unwrap(kwargs, set()))
        reads = set()
        if func in _WRITERS and args and "where" not in kwargs:
            pargs = (self._unwrap(args[0], set()),) + self._unwrap(tuple(args[1:]), reads)
        else:
            pargs = self._unwrap(args, reads)
        pkw = {k: self._unwrap(v, reads if (k != "out" or "where" in kwargs) else set())
               for k, v in kwargs.items()}
        if func in _DATA_SHAPE or (func is np.where and len(args) == 1 and not kwargs):
            self.fail(f"np.{func.__name__} at {where()}: its output shape depends on the values")
        r = self._call(func, pargs, pkw)
        out = kwargs.get("out")
        if out is not None:
            outs = pkw["out"] if type(pkw["out"]) is tuple else (pkw["out"],)
            self.record(Step("inplace", func, pargs, pkw, (), reads, {id(root_of(o)) for o in outs}, outs=outs))
            if type(out) is tuple:
                return tuple(o if isinstance(o, TracedArray) else self.traced(p) for o, p in zip(out, outs))
            return out if isinstance(out, TracedArray) else self.traced(outs[0])
        if func in _WRITERS:
            self.record(Step("inplace", func, pargs, pkw, (), reads, {id(root_of(pargs[0]))}, outs=(pargs[0],)))
            return r
        if r is None:
            # An unknown function that returned nothing may have written into any array it got.
            self.record(Step("inplace", func, pargs, pkw, (), reads, set(reads)))
            return r
        return self._results(r, func, pargs, pkw, reads, out_ok=func in _OUT_FUNCS)

    def method(self, arr, name, base, args, kwargs):
        reads = set()
        p = self._unwrap(arr, reads)
        pargs = self._unwrap(args, reads)
        pkw = self._unwrap(kwargs, reads)
        if name in ("nonzero", "compress"):
            self.fail(f".{name}() at {where()}: its output shape depends on the values")
        r = self._call(base, (p,) + pargs, pkw)
        if isinstance(r, np.ndarray) and not self._is_known_view(r) and r.shape == p.shape \
                and name in ("copy", "astype") and pkw.get("order", "K") in ("K", "A", "C") \
                and (r.flags.c_contiguous or name == "astype"):
            buf = self._fresh(r)
            rid = id(root_of(buf))
            self.record(Step("call", np.copyto, (buf, p), {"casting": "unsafe"}, [buf], reads, {rid}, (rid,),
                             extra="cast"))
            return self.traced(buf)
        if isinstance(r, np.ndarray) and not self._is_known_view(r) and name in ("reshape", "ravel", "flatten") \
                and pkw.get("order", "C") == "C" and r.flags.c_contiguous:
            buf = self._fresh(r)
            rid = id(root_of(buf))
            self.record(Step("call", None, (buf, p), {}, [buf], reads, {rid}, (rid,), extra="reshape"))
            return self.traced(buf)
        return self._results(r, base, (p,) + pargs, pkw, reads, out_ok=name in _OUT_METHODS)

    def inplace_method(self, arr, name, base, args, kwargs):
        reads = set()
        p = self._unwrap(arr, set() if name == "fill" else reads)
        pargs = self._unwrap(args, reads)
        pkw = self._unwrap(kwargs, reads)
        r = self._call(base, (p,) + pargs, pkw)
        self.record(Step("inplace", base, (p,) + pargs, pkw, (), reads, {id(root_of(p))},
                         outs=(p,) if name == "fill" else ()))
        return r

    def getitem(self, arr, index):
        reads = set()
        p = self._unwrap(arr, reads)
        idx = self._unwrap(index, reads)
        if _has_bool_index(idx):
            self.fail(f"boolean-mask indexing at {where()}: the result's shape depends on the values")
        r = self._call(operator.getitem, (p, idx), {})
        if not isinstance(r, np.ndarray):
            # Integer indexing gives a NumPy scalar; keep a 0-d view instead so the value stays traced.
            r = p[(idx if type(idx) is tuple else (idx,)) + (Ellipsis,)]
        return self._results(r, operator.getitem, (p, idx), {}, reads)

    def setitem(self, arr, index, value):
        reads = set()
        p = self._unwrap(arr, set())
        idx = self._unwrap(index, reads)
        v = self._unwrap(value, reads)
        if isinstance(v, np.ndarray) and _basic_index(idx):
            dst = p[idx]
            if dst.shape == v.shape and dst.strides == v.strides and dst.dtype == v.dtype and \
                    dst.__array_interface__["data"][0] == v.__array_interface__["data"][0]:
                return  # ``a[...] += 1`` stores the view back onto itself
        self._call(operator.setitem, (p, idx, v), {})
        self.record(Step("inplace", operator.setitem, (p, idx, v), {}, (), reads, {id(root_of(p))},
                         outs=(p[idx],) if _basic_index(idx) else ()))

    def read(self, arr, base, args, what):
        reads = set()
        p = self._unwrap(arr, reads)
        value = self._call(base, (p,) + tuple(args), {})
        if what in _GUARDED_READS or (what in (".item()", ".tolist()") and p.dtype.kind in "biu"):
            return self._python_value(base, (p,) + tuple(args), {}, value, reads, what)
        self.fail(f"{what} of a tensor's value at {where()}: a number read from the data would be baked into "
                  "the replay")
        return value

    def create(self, func, args, kwargs, spec):
        """A NumPy creation function (``zeros``, ``arange``, ``asarray`` ...) called during the trace."""
        reads = set()
        pargs = self._unwrap(args, reads)
        pkw = self._unwrap(kwargs, reads)
        r = self._call(func, pargs, pkw)
        if not isinstance(r, np.ndarray):
            return r
        if reads and spec == "convert":
            # asarray/array of traced data: a view, or a copy (maybe cast) the replay repeats.
            src = pargs[0] if pargs else None
            if self._is_known_view(r):
                return self.traced(r)
            if isinstance(src, np.ndarray) and r.shape == src.shape and set(pkw) <= {"dtype", "copy", "order"}:
                buf = self._fresh(r)
                rid = id(root_of(buf))
                self.record(Step("call", np.copyto, (buf, src), {"casting": "unsafe"}, [buf], reads, {rid},
                                 (rid,), extra="cast"))
                return self.traced(buf)
            return self._results(r, func, pargs, pkw, reads)
        if self._is_known_view(r):
            kind = self.roots[id(root_of(r))][0]
            return r if kind == CONST else self.traced(r)
        if spec == "fill-arg":
            value = pargs[1] if len(pargs) > 1 else pkw.get("fill_value")
            spec = ("copyfrom", value) if isinstance(value, np.ndarray) else ("fill", value)
        elif spec in ("convert", "copy"):
            spec = ("copy", r.copy())
        buf = self._fresh(r, CREATED)
        rid = id(root_of(buf))
        self.record(Step("create", func, (), {}, [buf], reads, {rid}, (rid,), extra=spec))
        return self.traced(buf)

    def random(self, holder, name, sampler, args, kwargs):
        """A draw from an ember generator's NumPy stream: the replay draws again from the same stream."""
        reads = set()
        pargs = self._unwrap(args, reads)
        pkw = self._unwrap(kwargs, reads)
        if self._state().in_piece:
            self.fail(f"random numbers drawn inside a parallel kernel at {where()}")
        r = self._call(sampler, pargs, pkw)
        if r is None:
            writes = {id(root_of(pargs[0]))} if pargs and isinstance(pargs[0], np.ndarray) else set()
            self.record(Step("random", None, pargs, pkw, (), reads, writes, extra=(holder, name, False)))
            return r
        if not isinstance(r, np.ndarray):
            self.fail(f"a single random number drawn as a Python value (generator.{name}() without a size) at "
                      f"{where()}")
            return r
        buf = self._fresh(r)
        rid = id(root_of(buf))
        out_ok = name in ("random", "standard_normal", "standard_exponential") and "out" not in pkw
        self.record(Step("random", None, pargs, pkw, [buf], reads, {rid}, (rid,), extra=(holder, name, out_ok)))
        return self.traced(buf)

    def parallel(self, fn, pieces, run, thread_arrays):
        """``_parallel.run`` during a trace: the pieces run on their threads as eagerly, each recording its
        steps; together they become one group step, which a replay runs on threads again.

        ``thread_arrays(wrap)`` wraps (or unwraps) the arrays the running thread keeps in thread-locals.
        """
        if self._state().in_piece:
            return [fn(*p) for p in pieces]
        subs = [None] * len(pieces)

        def piece(i, *p):
            ident = threading.get_ident()
            outer = self.threads.get(ident)
            st = self.threads[ident] = _ThreadState(in_piece=True)
            if outer is None:
                thread_arrays(self, True)
            try:
                return fn(*p)
            finally:
                subs[i] = st.steps
                if outer is None:
                    thread_arrays(self, False)
                    del self.threads[ident]
                else:
                    self.threads[ident] = outer
        results = run(piece, [(i,) + tuple(p) for i, p in enumerate(pieces)])
        reads, writes, fresh = set(), set(), []
        for sub in subs:
            for s in sub:
                reads |= s.reads
                writes |= s.writes
                fresh.extend(s.fresh)
        self.steps.append(Step("group", None, (), {}, (), reads, writes, tuple(fresh), extra=subs))
        return results


def _flat(v):
    for x in v:
        if isinstance(x, list):
            yield from _flat(x)
        else:
            yield x
