"""``ember.jit``: TorchScript's entry points as honest no-ops.

ember has no TorchScript compiler. ``jit.script`` and ``jit.trace`` return the module or
function they are given, unchanged, so programs that script a model for speed run eagerly
(``ember.compile`` is ember's way to capture a training step). The decorators (``ignore``,
``unused``, ``export``, ``interface``) return what they decorate; ``is_scripting()`` and
``is_tracing()`` are False. ``jit.save`` and ``jit.load`` refuse with a message that says what
to use instead: there is no TorchScript archive to write or read.

What they return is marked as scripted, so ``isinstance(jit.script(model), jit.ScriptModule)`` and
``isinstance(jit.script(fn), jit.ScriptFunction)`` hold, as in PyTorch (library code tests them).
``ScriptModule`` is also a base class (``class M(jit.ScriptModule)`` with ``@jit.script_method``):
an ``nn.Module`` whose ``jit.Attribute(value, type)`` attributes hold their value. ``fork(fn, *args)``
runs ``fn`` at once and returns a completed :class:`Future`; ``wait`` returns its value.

>>> import ember
>>> from ember import jit
>>> f = lambda x: x * 2
>>> jit.script(f) is f, jit.trace(f, ember.ones(2)) is f, jit.is_scripting()
(True, True, False)
>>> isinstance(jit.script(f), jit.ScriptFunction), jit.wait(jit.fork(f, 21))
(True, 42)
"""
import builtins
import collections
import contextlib
import typing

from .futures import Future
from .nn.module import Module

__all__ = ["script", "trace", "trace_module", "script_if_tracing", "ignore", "unused", "export", "interface",
           "is_scripting", "is_tracing", "annotate", "Final", "freeze", "optimize_for_inference", "save", "load",
           "isinstance", "fork", "wait", "Error", "optimized_execution", "strict_fusion", "ScriptModule",
           "ScriptFunction", "script_method", "Attribute", "Future"]

Final = typing.Final

_MARK = "_ember_scripted"


def _mark(obj):
    """Note that ``obj`` went through script/trace (it is returned unchanged)."""
    try:
        if builtins.isinstance(obj, Module):
            obj.__dict__[_MARK] = True
        else:
            setattr(obj, _MARK, True)
    except (AttributeError, TypeError):   # a builtin or a bound method: nothing to mark
        pass
    return obj


class _ScriptModuleType(type):
    def __instancecheck__(cls, obj):
        return type.__instancecheck__(cls, obj) or (
            cls is ScriptModule and builtins.isinstance(obj, Module) and bool(obj.__dict__.get(_MARK)))


class ScriptModule(Module, metaclass=_ScriptModuleType):
    """What ``jit.script(module)`` is an instance of, and a base class for modules written for TorchScript:
    methods marked ``@jit.script_method`` run as Python; ``self.x = jit.Attribute(value, type)`` stores
    ``value``."""

    def __setattr__(self, name, value):
        if builtins.isinstance(value, Attribute):
            value = value.value
        super().__setattr__(name, value)

    def save(self, f, _extra_files=None):
        raise _no_archives("save")


class _ScriptFunctionType(type):
    def __instancecheck__(cls, obj):
        return type.__instancecheck__(cls, obj) or (
            callable(obj) and not builtins.isinstance(obj, (Module, type)) and bool(getattr(obj, _MARK, False)))


class ScriptFunction(metaclass=_ScriptFunctionType):
    """What ``jit.script(fn)`` and ``jit.trace(fn, inputs)`` are instances of (``fn`` itself, in ember)."""

    def __init__(self, *args, **kwargs):
        raise TypeError("ember.jit.ScriptFunction cannot be constructed; jit.script(fn) returns one")


class Attribute(collections.namedtuple("Attribute", ["value", "type"])):
    """``jit.Attribute(value, type)``: a module attribute with its TorchScript type; a ScriptModule keeps
    ``value``."""
    __slots__ = ()
    __module__ = "torch.jit"


def script_method(fn):
    """``@jit.script_method`` (a ScriptModule's compiled method): the method, unchanged."""
    return fn


class Error(RuntimeError):
    """TorchScript's error type, for ``except torch.jit.Error``."""


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Return ``obj`` (a module, function or class) unchanged, marked as scripted: ember runs it eagerly."""
    return obj if builtins.isinstance(obj, type) else _mark(obj)


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
          example_kwarg_inputs=None, _store_inputs=True):
    """Return ``func`` (a module or function) unchanged, marked as scripted: ember runs it eagerly, with any
    input."""
    return _mark(func)


def trace_module(mod, inputs, *args, **kwargs):
    return _mark(mod)


def script_if_tracing(fn):
    return fn


def _decorator_or_factory(fn=None, **_options):
    if callable(fn):
        return fn
    return lambda f: f


def ignore(drop=False, **kwargs):
    """``@jit.ignore`` and ``@jit.ignore(drop=True)``: the function is returned unchanged."""
    return _decorator_or_factory(drop, **kwargs)


def unused(fn):
    return fn


def export(fn):
    return fn


def interface(obj):
    return obj


def is_scripting():
    """False: code never runs under TorchScript in ember."""
    return False


def is_tracing():
    return False


def annotate(the_type, the_value):
    return the_value


def isinstance(obj, target_type):  # noqa: A001 (PyTorch's name)
    return builtins.isinstance(obj, target_type)


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    return mod


def optimize_for_inference(mod, other_methods=None):
    return mod


def fork(func, *args, **kwargs):
    """Run ``func(*args, **kwargs)`` now and return a completed :class:`Future` holding the result (PyTorch
    runs it asynchronously only inside TorchScript; eagerly, at once, as here)."""
    fut = Future()
    fut.set_result(func(*args, **kwargs))
    return fut


def wait(future):
    """The value of a :class:`Future` from :func:`fork`."""
    return future.wait()


@contextlib.contextmanager
def optimized_execution(should_optimize):
    yield


@contextlib.contextmanager
def strict_fusion():
    yield


def _no_archives(what):
    return RuntimeError(f"ember.jit.{what}: ember has no TorchScript, so there is no TorchScript archive to "
                        f"{'write' if what == 'save' else 'read'} (jit.script and jit.trace return the module "
                        f"unchanged). Save the weights with ember.save(model.state_dict(), path) and load them "
                        f"into a freshly built model with model.load_state_dict(ember.load(path)).")


def save(m, f, _extra_files=None):
    raise _no_archives("save")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    raise _no_archives("load")
