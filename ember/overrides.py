"""``torch.overrides``: the ``__torch_function__`` protocol's helpers, for code that calls them itself.

Works as in PyTorch: :func:`has_torch_function` (is any argument of a type that overrides
``__torch_function__``: a Tensor subclass, or any class defining it; plain tensors and
parameters are not), :func:`handle_torch_function` (call the overrides in PyTorch's order,
subclasses before their bases, until one does not return ``NotImplemented``),
:func:`is_tensor_like`, :func:`wrap_torch_function`, ``Tensor.__torch_function__`` (the
``super()`` default: run the function, return tensors as the subclass) and
``DisableTorchFunctionSubclass``. So a library function written in PyTorch's style
(``if has_torch_function(args): return handle_torch_function(f, args, *args)``) dispatches to
an override in ember too.

Not done: ember's own ops do not consult ``__torch_function__`` (``ember.add(sub, 1)`` with a
subclass instance runs ember's ``add`` and returns a plain tensor), and :class:`TorchFunctionMode`
cannot be entered (no op would call it; entering raises ``NotImplementedError`` rather than
silently doing nothing). :func:`get_ignored_functions`, :func:`get_overridable_functions` and
:func:`get_testing_overrides` describe ember's namespace as far as ember can tell without a
dispatcher (see each).

>>> import ember
>>> class Logged:
...     def __init__(self):
...         self.calls = []
...     def __torch_function__(self, func, types, args=(), kwargs=None):
...         self.calls.append(func.__name__)
...         return 0
>>> def total(x):
...     if has_torch_function((x,)):
...         return handle_torch_function(total, (x,), x)
...     return x.sum()
>>> lg = Logged()
>>> total(lg), lg.calls, float(total(ember.ones(3)))
(0, ['total'], 3.0)
"""
import functools
import inspect
import warnings

from .autograd.tensor import Tensor
from .autograd.torch_function import (DisableTorchFunction, DisableTorchFunctionSubclass,  # noqa: F401
                                      _disabled_torch_function_impl, is_disabled)

__all__ = ["get_ignored_functions", "get_overridable_functions", "get_testing_overrides",
           "get_default_nowrap_functions", "handle_torch_function", "has_torch_function",
           "has_torch_function_unary", "has_torch_function_variadic", "is_tensor_like",
           "is_tensor_method_or_property", "wrap_torch_function", "enable_reentrant_dispatch",
           "TorchFunctionMode", "BaseTorchFunctionMode", "resolve_name"]


def _overrides(t):
    """Whether type ``t`` takes part in dispatch (PyTorch: not exactly Tensor, and not opted out)."""
    if t is Tensor:
        return False
    impl = getattr(t, "__torch_function__", None)
    return impl is not None and impl is not _disabled_torch_function_impl


def _get_overloaded_args(relevant_args):
    """The arguments whose types override ``__torch_function__``, one per type, each subclass before its
    bases, otherwise in order of appearance (PyTorch's order)."""
    types, args = [], []
    for arg in relevant_args:
        t = type(arg)
        if t in types or not _overrides(t):
            continue
        index = len(args)
        for i, earlier in enumerate(args):
            if issubclass(t, type(earlier)):
                index = i
                break
        types.insert(index, t)
        args.insert(index, arg)
    return args


def has_torch_function(relevant_args):
    """True if any of ``relevant_args`` overrides ``__torch_function__`` (and dispatch is not disabled)."""
    if is_disabled():
        return False
    return any(_overrides(type(a)) for a in relevant_args)


def has_torch_function_unary(arg):
    return has_torch_function((arg,))


def has_torch_function_variadic(*args):
    return has_torch_function(args)


def handle_torch_function(public_api, relevant_args, *args, **kwargs):
    """Call ``__torch_function__(public_api, types, args, kwargs)`` of the overloaded arguments in turn.

    Raises:
        TypeError: every override returned ``NotImplemented``.
    """
    overloaded = _get_overloaded_args(relevant_args)
    types = tuple(type(a) for a in overloaded)
    for arg in overloaded:
        method = arg.__torch_function__
        if getattr(method, "__self__", None) is arg:
            warnings.warn("Defining your `__torch_function__` as a plain method is deprecated and will be an error "
                          "in future, please define it as a classmethod.", DeprecationWarning, stacklevel=2)
        result = method(public_api, types, args, kwargs)
        if result is not NotImplemented:
            return result
    name = getattr(public_api, "__module__", "") + "." + getattr(public_api, "__name__", str(public_api))
    raise TypeError(f"no implementation found for '{name}' on types that implement __torch_function__: "
                    f"{[type(a) for a in overloaded]}")


def is_tensor_like(inp):
    """A Tensor, or anything whose type defines ``__torch_function__``."""
    return type(inp) is Tensor or hasattr(inp, "__torch_function__")


def is_tensor_method_or_property(func):
    """Whether ``func`` is a method or property of ``Tensor`` (``Tensor.add``, not ``ember.add``)."""
    for name in dir(Tensor):
        attr = inspect.getattr_static(Tensor, name, None)
        if attr is func or getattr(attr, "fget", None) is func or getattr(Tensor, name, None) is func:
            return True
    return False


def wrap_torch_function(dispatcher):
    """Decorator: ``func(*args)`` dispatches to ``__torch_function__`` when ``dispatcher(*args)`` has an override."""
    def inner(func):
        @functools.wraps(func)
        def wrapped(*args, **kwargs):
            relevant = dispatcher(*args, **kwargs)
            if has_torch_function(relevant):
                return handle_torch_function(wrapped, relevant, *args, **kwargs)
            return func(*args, **kwargs)
        return wrapped
    return inner


class enable_reentrant_dispatch:
    """A no-op context (ember has no dispatcher to re-enter)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class TorchFunctionMode:
    """A mode whose ``__torch_function__`` would see every torch call. Subclassable; ember's ops do not
    dispatch to modes, so entering one raises ``NotImplementedError`` (a silent no-op would hide
    that the mode's code never runs)."""

    def __init__(self):
        pass

    def __torch_function__(self, func, types, args=(), kwargs=None):
        raise NotImplementedError

    def __enter__(self):
        raise NotImplementedError(f"{type(self).__name__}: ember's ops do not dispatch to __torch_function__ modes "
                                  "(torch.overrides.TorchFunctionMode); call the functions directly, or use "
                                  "handle_torch_function in your own functions")

    def __exit__(self, *exc):
        return False

    @classmethod
    def push(cls, *args, **kwargs):
        return cls(*args, **kwargs).__enter__()


class BaseTorchFunctionMode(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


def _get_current_function_mode():
    return None


def _get_current_function_mode_stack():
    return []


def _is_torch_function_mode_enabled():
    return False


def _public_functions(module):
    return [getattr(module, n) for n in sorted(getattr(module, "__all__", dir(module)))
            if not n.startswith("_") and callable(getattr(module, n, None))
            and not isinstance(getattr(module, n), type)]


def get_ignored_functions():
    """Public functions that cannot be overridden: ember's tensor constructors and global settings
    (they take no tensor to dispatch on), a subset of PyTorch's list."""
    import ember
    names = ("tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "arange", "linspace",
             "logspace", "eye", "rand", "randn", "randint", "randperm", "manual_seed", "seed", "initial_seed",
             "get_default_dtype", "set_default_dtype", "is_tensor", "is_grad_enabled", "set_printoptions",
             "no_grad", "enable_grad", "set_grad_enabled", "compile", "typename", "set_num_threads",
             "get_num_threads", "use_deterministic_algorithms")
    return {getattr(ember, n) for n in names if hasattr(ember, n)}


def get_overridable_functions():
    """``{namespace: [functions]}`` for ember's ``torch``, ``torch.nn.functional`` and ``Tensor`` methods,
    less :func:`get_ignored_functions` (what PyTorch would let a subclass override)."""
    import collections

    import ember
    import ember.nn.functional as F
    ignored = get_ignored_functions()
    out = collections.defaultdict(list)
    for ns in (ember, F):
        out[ns] = [f for f in _public_functions(ns) if f not in ignored]
    out[Tensor] = [getattr(Tensor, n) for n in dir(Tensor) if not n.startswith("_")]
    return out


def get_testing_overrides():
    """``{function: lambda with its signature returning -1}`` for the overridable functions whose
    signature Python can read (PyTorch's dummy overrides for testing dispatch)."""
    out = {}
    for funcs in get_overridable_functions().values():
        for f in funcs:
            try:
                sig = inspect.signature(f)
            except (TypeError, ValueError):
                continue
            dummy = lambda *args, **kwargs: -1  # noqa: E731
            dummy.__signature__ = sig
            out[f] = dummy
    return out


def get_default_nowrap_functions():
    """Tensor properties whose results ``Tensor.__torch_function__`` does not convert (PyTorch: ``grad``)."""
    return set()


def resolve_name(f):
    """``"torch.add"``-style name of ``f`` (None if it is not a function of ember's namespaces)."""
    module = getattr(f, "__module__", None)
    name = getattr(f, "__qualname__", None)
    if module is None or name is None:
        return None
    return f"{module.replace('ember', 'torch', 1)}.{name}"
