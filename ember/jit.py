"""``ember.jit``: TorchScript's entry points as honest no-ops.

ember has no TorchScript compiler. ``jit.script`` and ``jit.trace`` return the module or
function they are given, unchanged, so programs that script a model for speed run eagerly
(``ember.compile`` is ember's way to capture a training step). The decorators (``ignore``,
``unused``, ``export``, ``interface``) return what they decorate; ``is_scripting()`` and
``is_tracing()`` are False. ``jit.save`` and ``jit.load`` refuse with a message that says what
to use instead: there is no TorchScript archive to write or read.

>>> import ember
>>> from ember import jit
>>> f = lambda x: x * 2
>>> jit.script(f) is f, jit.trace(f, ember.ones(2)) is f, jit.is_scripting()
(True, True, False)
"""
import builtins
import contextlib
import typing

__all__ = ["script", "trace", "trace_module", "script_if_tracing", "ignore", "unused", "export", "interface",
           "is_scripting", "is_tracing", "annotate", "Final", "freeze", "optimize_for_inference", "save", "load",
           "isinstance", "fork", "wait", "Error", "optimized_execution", "strict_fusion"]

Final = typing.Final


class Error(RuntimeError):
    """TorchScript's error type, for ``except torch.jit.Error``."""


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Return ``obj`` (a module, function or class) unchanged: ember runs it eagerly."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
          example_kwarg_inputs=None, _store_inputs=True):
    """Return ``func`` (a module or function) unchanged: ember runs it eagerly, with any input."""
    return func


def trace_module(mod, inputs, *args, **kwargs):
    return mod


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


class _Done:
    """The result of :func:`fork`: the call ran at once; ``wait()`` returns its value."""

    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value

    def value(self):
        return self._value

    def done(self):
        return True


def fork(func, *args, **kwargs):
    """Run ``func(*args, **kwargs)`` now and return a future holding the result."""
    return _Done(func(*args, **kwargs))


def wait(future):
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
