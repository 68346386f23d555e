"""``ember.compile``: trace a function's NumPy work once and replay it as a flat program.

A training step (forward, loss, ``backward()``, ``optimizer.step()``) or a forward pass
runs in ember as hundreds of small Python-level ops. ``ember.compile(fn)`` records the
NumPy calls one call of ``fn`` makes, with every array by reference, and later calls
replay that tape over preallocated buffers: no graph to build, no Python per op beyond
one bound call. Dead values are dropped and buffers whose lifetimes do not overlap
share memory. The replay

* guards on the tensor arguments' shapes, dtypes and ``requires_grad``, on grad mode,
  and on the Python state the function reaches (modules' ``training`` flags, optimizer
  hyperparameters, the tensors under the parameters); when they change it traces again;
* keeps random ops random: dropout draws a new mask from ``ember.default_generator``
  at every replay, as eagerly (and equal to eager under ``ember.manual_seed``);
* keeps state updating: parameters, BatchNorm running statistics, optimizer moments
  and gradients are written in place, and ``p.grad`` is set as the eager call sets it;
* re-checks the Python values the function read from array data (a target index in
  range ...) and runs eagerly for that call when one differs.

The first call runs eagerly, the second is traced while it runs, the third is checked:
it runs eagerly, is undone, replayed and compared (any difference beyond float32
rounding makes the function run eagerly from then on); a replay that passes is kept
(the decisions never depend on timing). Whatever cannot be captured (a Python number read
from the data, an output shape that depends on values, a Python side effect) makes the
function run eagerly with a :class:`CompileWarning` saying why; the reason stays in
``compiled.fallback_reason``.

>>> import ember
>>> from ember import nn, optim
>>> _ = ember.manual_seed(0)
>>> model = nn.Linear(4, 2)
>>> opt = optim.SGD(model.parameters(), lr=0.1)
>>> x, y = ember.randn(8, 4), ember.randn(8, 2)
>>> @ember.compile
... def step(x, y):
...     opt.zero_grad()
...     loss = ((model(x) - y) ** 2).mean()
...     loss.backward()
...     opt.step()
...     return loss
>>> losses = [float(step(x, y)) for _ in range(5)]
>>> losses[4] < losses[0], step.fallback_reason
(True, None)
"""
from .api import (allow_in_graph, assume_constant_result, cudagraph_mark_step_begin, disable, is_compiling,
                  is_dynamo_compiling, is_exporting, list_backends, reset, set_stance)
from .compiled import CompiledFunction, CompileWarning

__all__ = ["compile", "CompiledFunction", "CompiledModule", "CompileWarning", "allow_in_graph",
           "assume_constant_result", "cudagraph_mark_step_begin", "disable", "is_compiling", "is_dynamo_compiling",
           "is_exporting", "list_backends", "reset", "set_stance"]

_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False):
    """Compile a function or an ``nn.Module`` (its forward), as ``torch.compile``.

    Args:
        model: the function, or a module whose calls are compiled. Without it, returns a
            decorator (``@ember.compile(mode=...)``).
        fullgraph: raise instead of running eagerly when the function cannot be captured.
        dynamic, backend, mode, options: accepted as ``torch.compile`` takes them; ember traces
            one program per input shape whatever they say (``backend="eager"`` runs eagerly).
        disable: return ``model`` unchanged.

    Returns:
        a :class:`CompiledFunction` (or, for a module, a :class:`CompiledModule`), called as the
        original; ``fallback_reason`` is None while it replays.
    """
    if mode not in _MODES:
        raise RuntimeError(f"ember.compile: unknown mode {mode!r}; expected one of {_MODES[1:]}")
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                 options=options, disable=disable)
    from .api import stance
    if disable or backend == "eager" or stance() == "force_eager":
        return model
    from ..nn.module import Module
    if isinstance(model, Module):
        from .module import CompiledModule
        return CompiledModule(model, fullgraph=fullgraph)
    if not callable(model):
        raise TypeError(f"ember.compile expects a function or an nn.Module, got {type(model).__name__}")
    return CompiledFunction(model, fullgraph=fullgraph)


def __getattr__(name):
    if name == "CompiledModule":
        from .module import CompiledModule
        return CompiledModule
    raise AttributeError(f"module 'ember.compiler' has no attribute '{name}'")
