"""``torch._dynamo``: the helpers programs call around ``torch.compile``, over :mod:`ember.compiler`.

PyTorch's Dynamo rewrites Python bytecode into graphs; ember's compiler instead traces the NumPy
work of one eager call and replays it (see :mod:`ember.compiler`). So code always runs as eager
code does: :func:`is_compiling` is False, :func:`disable` and :func:`allow_in_graph` return the
function unchanged, and there are no graph breaks (:func:`graph_break` does nothing). What
programs set is kept: :mod:`config` (``suppress_errors``, ``cache_size_limit`` ...) and the
``mark_dynamic`` / ``mark_static`` marks on a tensor (the same attributes torch sets; ember traces
one program per input shape whatever they say). :func:`reset` is :func:`ember.compiler.reset`.
Not provided: ``explain`` (raises ``NotImplementedError``) and ``export`` (there is no Dynamo graph
to describe).

>>> import ember, ember._dynamo as dynamo
>>> dynamo.config.cache_size_limit = 64
>>> x = ember.randn(4, 3)
>>> dynamo.mark_dynamic(x, 0)
>>> x._dynamo_dynamic_indices, dynamo.is_compiling()
({0}, False)
>>> dynamo.reset()
"""
from ..compiler import api as _api
from . import config  # noqa: F401

__all__ = ["config", "reset", "disable", "allow_in_graph", "disallow_in_graph", "forbid_in_graph",
           "assume_constant_result", "mark_dynamic", "maybe_mark_dynamic", "mark_static", "mark_static_address",
           "is_compiling", "graph_break", "optimize", "run", "list_backends", "set_stance", "is_dynamo_supported",
           "OptimizedModule", "nonstrict_trace", "substitute_in_graph"]

disable = _api.disable
allow_in_graph = _api.allow_in_graph
assume_constant_result = _api.assume_constant_result
is_compiling = _api.is_dynamo_compiling
set_stance = _api.set_stance


def reset():
    """Forget compiled code (torch clears Dynamo's caches; see :func:`ember.compiler.reset`)."""
    _api.reset()


def disallow_in_graph(fn):
    """``fn`` unchanged: ember traces array work, so no function is kept out of a graph."""
    return fn


def forbid_in_graph(fn):
    return fn


def nonstrict_trace(fn):
    return fn


def substitute_in_graph(original_fn, *, can_constant_fold_through=False, skip_signature_check=False):
    """A decorator returning the Python substitute unchanged (Dynamo would trace it instead of ``original_fn``)."""
    return lambda fn: fn


def graph_break():
    """Nothing to break: ember records no Python-level graph."""


def _indices(t, index, fn):
    from ..autograd.tensor import Tensor
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}: expected a Tensor, got {type(t).__name__}")
    return list(index) if isinstance(index, (list, tuple)) else [index]


def mark_dynamic(t, index, *, hint_override=None, min=None, max=None, specialize_on=None):  # noqa: A002
    """Mark dimension(s) ``index`` of ``t`` as dynamic: adds them to ``t._dynamo_dynamic_indices``
    (as torch does). Ember traces one program per input shape, so the mark only documents intent."""
    dims = _indices(t, index, "mark_dynamic")
    t._dynamo_dynamic_indices = getattr(t, "_dynamo_dynamic_indices", set()) | set(dims)


def maybe_mark_dynamic(t, index):
    """Adds ``index`` to ``t._dynamo_weak_dynamic_indices``."""
    dims = _indices(t, index, "maybe_mark_dynamic")
    t._dynamo_weak_dynamic_indices = getattr(t, "_dynamo_weak_dynamic_indices", set()) | set(dims)


def mark_static(t, index=None):
    """Adds ``index`` to ``t._dynamo_static_indices`` (``index=None``: the whole tensor, or a module)."""
    from ..nn.module import Module
    if isinstance(t, Module) or index is None:
        t._dynamo_marked_static = True
        return
    dims = _indices(t, index, "mark_static")
    t._dynamo_static_indices = getattr(t, "_dynamo_static_indices", set()) | set(dims)


def mark_static_address(t, guard=True):
    """Marks ``t`` (torch keeps its data pointer fixed across CUDA graph replays; the CPU has none)."""
    t._dynamo_static_input_type = "guarded" if guard else "unguarded"


def is_dynamo_supported():
    return True


def list_backends(exclude_tags=("debug", "experimental")):
    return _api.list_backends(exclude_tags)


def optimize(backend="inductor", *, nopython=False, dynamic=None, disable=False, **kwargs):
    """``torch._dynamo.optimize(backend)(fn)``: the older spelling of ``torch.compile(fn, backend=...)``."""
    from .. import compiler
    return lambda fn: compiler.compile(fn, fullgraph=nopython, dynamic=dynamic,
                                       backend=backend if isinstance(backend, str) else "inductor", disable=disable)


def run(fn=None):
    """``fn`` unchanged (torch runs it with the already compiled code only)."""
    return fn if fn is not None else (lambda f: f)


def explain(f, *extra_args, **extra_kwargs):
    """Not available: Dynamo's graphs and graph breaks have no counterpart in ember's tracer (see
    ``CompiledFunction.fallback_reason`` for why a compiled function runs eagerly)."""
    raise NotImplementedError("torch._dynamo.explain: ember's compiler records NumPy work, not Dynamo graphs, so there "
                              "are no graphs or graph breaks to explain; compile the function and read its "
                              "fallback_reason instead")


def __getattr__(name):
    if name == "OptimizedModule":
        from ..compiler.module import CompiledModule
        return CompiledModule
    if name == "eval_frame":  # torch loads it with torch._dynamo: code reads torch._dynamo.eval_frame.OptimizedModule
        import importlib
        return importlib.import_module(__name__ + ".eval_frame")
    raise AttributeError(f"module 'ember._dynamo' has no attribute '{name}'")
