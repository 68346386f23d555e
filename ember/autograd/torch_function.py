"""``Tensor.__torch_function__``: the default a Tensor subclass's override calls through ``super()``.

PyTorch routes every ``torch.*`` call with a tensor-like argument through ``__torch_function__``.
Ember's ops do not (checking every argument of every op would slow each op), so an override runs
when code calls :func:`ember.overrides.handle_torch_function` itself; what a subclass needs in
order to be written as for PyTorch is here: the classmethod ``Tensor.__torch_function__``, which
runs ``func`` with the subclass check disabled and returns tensors as ``cls`` (PyTorch's
``_convert``), and ``_disabled_torch_function_impl`` (a subclass that sets it opts out, as
``nn.Parameter`` does).

>>> import ember
>>> class Tagged(ember.Tensor):
...     @classmethod
...     def __torch_function__(cls, func, types, args=(), kwargs=None):
...         return super().__torch_function__(func, types, args, kwargs)
>>> t = ember.ones(2).as_subclass(Tagged)
>>> type(Tagged.__torch_function__(ember.add, (Tagged,), (t, 1))).__name__
'Tagged'
"""
from .tensor import Tensor

__all__ = ["DisableTorchFunctionSubclass", "DisableTorchFunction", "is_disabled", "_disabled_torch_function_impl"]

_disabled = [0]


def is_disabled():
    """True inside :class:`DisableTorchFunctionSubclass` (``has_torch_function`` is then False)."""
    return _disabled[0] > 0


class DisableTorchFunctionSubclass:
    """While it holds, subclasses' ``__torch_function__`` are not consulted (``has_torch_function`` is False)."""

    def __enter__(self):
        _disabled[0] += 1
        return self

    def __exit__(self, *exc):
        _disabled[0] -= 1
        return False


DisableTorchFunction = DisableTorchFunctionSubclass


def _disabled_torch_function_impl(func, types, args=(), kwargs=None):
    with DisableTorchFunctionSubclass():
        return func(*args, **(kwargs or {}))


def _convert(ret, cls):
    if cls is Tensor:
        return ret
    if isinstance(ret, Tensor) and not isinstance(ret, cls):
        return ret.as_subclass(cls)
    if isinstance(ret, (tuple, list)):
        return type(ret)(_convert(r, cls) for r in ret)
    return ret


def _torch_function(cls, func, types, args=(), kwargs=None):
    if not all(issubclass(cls, t) for t in types):
        return NotImplemented
    with DisableTorchFunctionSubclass():
        return _convert(func(*args, **(kwargs or {})), cls)


Tensor.__torch_function__ = classmethod(_torch_function)
