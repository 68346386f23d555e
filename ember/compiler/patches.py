"""What a trace swaps in for its duration, and puts back after.

NumPy's creation functions take no array to dispatch on (``np.zeros(shape)``), so the
traced arrays cannot see them: they are wrapped on the ``numpy`` module (ember calls
them through it) to return traced arrays and record how to refill them. Also wrapped:
``as_strided`` where ember modules imported it by name, ``_parallel.run`` (each
thread's piece becomes a group of steps that a replay runs on threads again), the
NumPy stream of each ember generator (a replay draws fresh numbers from it), and
``numpy.random``'s global functions (a replay could not repeat their draws). Arrays
that ember modules keep at module level (kernels' buffer pools and caches) are traced
too, so that work done on a buffer taken from a pool is seen.

Every wrapper checks :func:`~ember.compiler.traced.current`, so other threads, and
NumPy's own code inside a recorded call, get the original functions.
"""
import sys
import threading

import numpy as np
from numpy.lib import stride_tricks

from .traced import TracedArray, current

# How a replay refills what each creation function made (see Tracer.create).
_FILL = {"zeros": ("fill", 0), "ones": ("fill", 1), "empty": None, "zeros_like": ("fill", 0),
         "ones_like": ("fill", 1), "empty_like": None, "full": "fill-arg", "full_like": "fill-arg"}
_COPY = ("arange", "eye", "identity", "linspace", "logspace", "geomspace", "tri", "frombuffer", "fromiter")
_CONVERT = ("array", "asarray", "asanyarray", "ascontiguousarray", "asfortranarray")
_NP_RANDOM = ("rand", "randn", "random", "random_sample", "ranf", "sample", "randint", "random_integers",
              "normal", "uniform", "choice", "permutation", "shuffle", "seed", "default_rng", "standard_normal",
              "binomial", "poisson", "beta", "exponential", "gamma", "bernoulli")
_RNG_SAMPLERS = {"random", "standard_normal", "normal", "uniform", "integers", "permutation", "permuted", "choice",
                 "shuffle", "exponential", "standard_exponential", "poisson", "binomial", "beta", "gamma",
                 "standard_gamma", "multinomial", "bytes", "laplace", "logistic", "lognormal", "geometric"}

CREATORS = {}
for _n, _s in _FILL.items():
    CREATORS[getattr(np, _n)] = _s
for _n in _COPY:
    CREATORS[getattr(np, _n)] = "copy"
for _n in _CONVERT:
    CREATORS[getattr(np, _n)] = "convert"


def _creator(orig, spec):
    def create(*args, **kwargs):
        t = current()
        if t is None:
            return orig(*args, **kwargs)
        if spec == "convert" and args:
            from ..autograd.tensor import Tensor
            if isinstance(args[0], Tensor):
                args = (args[0]._data,) + args[1:]
        return t.create(orig, args, kwargs, spec)
    create.__wrapped__ = orig
    return create


def _refuse(orig, what):
    def refused(*args, **kwargs):
        t = current()
        if t is not None:
            from .tracer import where
            t.fail(f"{what} at {where()}: a replay could not draw new numbers; use ember's random functions "
                   "(ember.rand, dropout ...), which draw from ember.default_generator")
        return orig(*args, **kwargs)
    refused.__wrapped__ = orig
    return refused


def _as_strided(orig):
    def as_strided(x, *args, **kwargs):
        t = current()
        if t is None or not isinstance(x, TracedArray):
            return orig(x, *args, **kwargs)
        return t.function(orig, (x,) + args, kwargs)
    as_strided.__wrapped__ = orig
    return as_strided


class _RngProxy:
    """Stands for an ember generator's ``np.random.Generator`` while tracing: draws are recorded."""

    def __init__(self, tracer, holder, real):
        self._tracer, self._holder, self._real = tracer, holder, real

    def __getattr__(self, name):
        attr = getattr(self._real, name)
        t = current()
        if t is None:
            return attr
        if name in _RNG_SAMPLERS:
            return lambda *a, **k: t.random(self._holder, name, attr, a, k)
        from .tracer import where
        t.fail(f"reads the random generator's {name!r} at {where()}")
        return attr


class Patches:
    """Install the wrappers for one trace; ``undo()`` restores everything."""

    def __init__(self, tracer, generators):
        self._undo = []
        self.tracer = tracer
        self.generators = []
        for name, spec in list(_FILL.items()) + [(n, "copy") for n in _COPY] + [(n, "convert") for n in _CONVERT]:
            self._set(np, name, _creator(getattr(np, name), spec))
        for name in _NP_RANDOM:
            if hasattr(np.random, name):
                self._set(np.random, name, _refuse(getattr(np.random, name), f"numpy.random.{name}"))
        orig = stride_tricks.as_strided
        for mod_name, mod in list(sys.modules.items()):
            if mod_name.startswith("ember.") and getattr(mod, "as_strided", None) is orig:
                self._set(mod, "as_strided", _as_strided(orig))
        par = sys.modules.get("ember.backend.parallel")
        if par is not None:
            run = par.run

            def traced_run(fn, pieces):
                t = current()
                if t is None:
                    return run(fn, pieces)
                return t.parallel(fn, pieces, run, _thread_arrays)
            self._set(par, "run", traced_run)
        for holder, key, arr, local in _module_arrays():
            holder[key] = _add(tracer, arr, local)
        for g in generators:
            real = g._rng
            proxy = _RngProxy(tracer, g, real)
            g._rng = proxy
            self.generators.append((g, real, proxy))

    def _set(self, obj, name, value):
        self._undo.append((obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    def undo(self):
        """Restore everything; returns the generators the function reseeded (their ``_rng`` was replaced)."""
        for obj, name, value in reversed(self._undo):
            setattr(obj, name, value)
        self._undo = []
        # Pools may have handed out and taken back arrays: put plain ones back wherever a traced one sits.
        for holder, key, arr, _ in _module_arrays(traced_only=True):
            holder[key] = self.tracer.plain(arr)
        reseeded = []
        for g, real, proxy in self.generators:
            if g._rng is proxy:
                g._rng = real
            else:
                reseeded.append(g)
        return reseeded


def _add(tracer, arr, local):
    return tracer.add_input(arr, "const")


def _thread_arrays(tracer, wrap):
    """In a worker thread of a traced ``_parallel.run``: trace (``wrap``) or untrace its thread-local arrays."""
    for holder, key, arr, local in _module_arrays(traced_only=not wrap, locals_only=True):
        holder[key] = _add(tracer, arr, local) if wrap else tracer.plain(arr)


def _module_arrays(traced_only=False, locals_only=False):
    """``(container, key, array)`` for the arrays ember modules hold in module-level dicts, lists and
    thread-locals (this thread's; one level deep): kernels' pools and caches."""
    found = []

    def scan(container, depth, local):
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for k, v in list(items):
            if isinstance(v, np.ndarray):
                if isinstance(v, TracedArray) == traced_only:
                    found.append((container, k, v, local))
            elif depth < 2 and isinstance(v, (dict, list)):
                scan(v, depth + 1, local)

    for name, mod in list(sys.modules.items()):
        if not name.startswith("ember.") or name.startswith("ember.compiler") or mod is None:
            continue
        for attr, v in list(vars(mod).items()):
            if attr.startswith("__"):
                continue
            if isinstance(v, (dict, list)) and not locals_only:
                scan(v, 0, False)
            elif isinstance(v, threading.local):
                scan(vars(v), 0, True)
    return found
