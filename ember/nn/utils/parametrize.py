"""Parametrizations: a module's tensor computed from other tensors each time it is read.

``register_parametrization(module, "weight", P())`` moves ``module.weight`` to
``module.parametrizations.weight.original`` and makes ``module.weight`` a property that returns
``P()(original)``; a chain of parametrizations applies them in order. Assigning to
``module.weight`` stores ``right_inverse(value)`` in the originals. As in PyTorch, the module's
class is swapped for a generated subclass ``Parametrized<Name>`` holding the properties, so the
state_dict keys are ``parametrizations.weight.original`` (or ``original0``, ``original1`` ...
when ``right_inverse`` returns several tensors).

>>> import ember
>>> from ember import nn
>>> class Symmetric(nn.Module):
...     def forward(self, x):
...         return x.triu() + x.triu(1).transpose(-1, -2)
>>> layer = nn.Linear(3, 3)
>>> _ = register_parametrization(layer, "weight", Symmetric())
>>> bool((layer.weight == layer.weight.T).all())
True
"""
import contextlib
import copy

from ember.autograd import Tensor, no_grad
from ember.nn.containers import ModuleDict, ModuleList
from ember.nn.module import Module
from ember.nn.parameter import Parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized", "cached",
           "type_before_parametrizations", "transfer_parametrizations_and_params", "ParametrizationList"]

_cache_enabled = 0
_cache = {}


@contextlib.contextmanager
def cached():
    """Inside this context a parametrized tensor is computed once and reused (for example when a
    parametrized weight is read at every step of an RNN unrolled by hand)."""
    global _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache.clear()


def _as_original(value):
    if isinstance(value, Parameter):
        return value
    return Parameter(value.detach(), requires_grad=value.requires_grad) if isinstance(value, Tensor) else value


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor and its unparametrized ``original`` (or ``original0`` ...)."""

    def __init__(self, modules, original, unsafe=False):
        if not modules:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        is_param = isinstance(original, Parameter)
        with no_grad():
            new = original
            for module in reversed(self):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:  # as PyTorch: a map without an inverse starts from the tensor
                        pass
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if not unsafe and (new.dtype != original.dtype or new.shape != original.shape):
                raise ValueError(f"When `right_inverse` outputs one tensor, it may not change the dtype or shape: "
                                 f"original {original.dtype} {tuple(original.shape)}, right_inverse gave "
                                 f"{new.dtype} {tuple(new.shape)}")
            with no_grad():
                original.data = new.detach()
            self._store("original", original, is_param)
        else:
            for i, t in enumerate(new):
                if not isinstance(t, Tensor):
                    raise ValueError(f"'right_inverse' must return a Tensor or a sequence of tensors, got {type(t)}")
                t = t.detach()
                self._store(f"original{i}", Parameter(t, requires_grad=original.requires_grad) if is_param else t,
                            is_param)
        if not unsafe:
            z = self()
            if not isinstance(z, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(z).__name__}.")
            if z.dtype != original.dtype or tuple(z.shape) != tuple(original.shape):
                raise ValueError(f"Registering a parametrization may not change the shape or dtype of the tensor: "
                                 f"unparametrized {original.dtype} {tuple(original.shape)}, parametrized "
                                 f"{z.dtype} {tuple(z.shape)}")

    def _store(self, name, tensor, is_param):
        if is_param:
            self.register_parameter(name, _as_original(tensor))
        else:
            self.register_buffer(name, tensor)

    def right_inverse(self, value):
        """Store ``value`` in the originals, through each parametrization's ``right_inverse``."""
        with no_grad():
            for module in reversed(self):
                if hasattr(module, "right_inverse"):
                    value = module.right_inverse(value)
                elif not self.unsafe:
                    raise RuntimeError(f"parametrization {type(module).__name__} does not implement "
                                       "right_inverse.")
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise ValueError(f"`right_inverse` should return a tensor. Got {type(value).__name__}")
                self.original.data = value.detach().to(self.original.dtype)
            else:
                if len(value) != self.ntensors:
                    raise ValueError(f"'right_inverse' must return a sequence of tensors of length "
                                     f"{self.ntensors}. Got a sequence of length {len(value)}")
                for i, t in enumerate(value):
                    original = getattr(self, f"original{i}")
                    original.data = t.detach().to(original.dtype)

    def forward(self):
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in list(self)[1:]:
            x = module(x)
        return x


def _property(name):
    def get(self):
        parametrization = self.parametrizations[name]
        if _cache_enabled:
            key = (id(self), name)
            if key not in _cache:
                _cache[key] = parametrization()
            return _cache[key]
        return parametrization()

    def set(self, value):
        self.parametrizations[name].right_inverse(value)
    return property(get, set)


def _deepcopy(self, memo):
    # Pickling is refused (getstate) but copy.deepcopy (AveragedModel, EMA copies) must work.
    replica = memo.get(id(self))
    if replica is None:
        replica = self.__new__(self.__class__)
        memo[id(self)] = replica
        replica.__dict__ = copy.deepcopy(self.__dict__, memo)
    return replica


def _getstate(self):
    raise RuntimeError("Serialization of parametrized modules is only supported through state_dict().")


def _inject_new_class(module):
    cls = module.__class__
    attrs = {"__getstate__": _getstate}
    if not hasattr(cls, "__deepcopy__"):
        attrs["__deepcopy__"] = _deepcopy
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), attrs)


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Make ``module.<tensor_name>`` the output of ``parametrization`` applied to the stored original.

    Args:
        module (nn.Module): the module holding the parameter or buffer ``tensor_name``.
        tensor_name (str): the parameter or buffer to parametrize.
        parametrization (nn.Module): maps the original(s) to the tensor; an optional
            ``right_inverse(tensor)`` maps a tensor back to the original(s).
        unsafe (bool): skip the checks that the parametrization keeps shape and dtype.

    Returns:
        ``module``, parametrized.
    """
    if not isinstance(parametrization, Module):
        raise TypeError(f"register_parametrization: parametrization must be an nn.Module, got "
                        f"{type(parametrization).__name__}")
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            y = getattr(module, tensor_name)
            x = parametrization(y)
            if not isinstance(x, Tensor) or x.dtype != y.dtype or tuple(x.shape) != tuple(y.shape):
                raise ValueError("Registering a parametrization may not change the shape or dtype of the tensor")
        plist.append(parametrization)
        plist.unsafe |= unsafe
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element with "
                         f"name '{tensor_name}'")
    original = getattr(module, tensor_name)
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        _inject_new_class(module)
        module.parametrizations = ModuleDict()
    setattr(module.__class__, tensor_name, _property(tensor_name))
    module.parametrizations[tensor_name] = plist
    return module


def is_parametrized(module, tensor_name=None):
    """Whether ``module`` has any parametrization (or one on ``tensor_name``)."""
    parametrizations = module.__dict__.get("_modules", {}).get("parametrizations")
    if parametrizations is None or not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Undo :func:`register_parametrization` on ``tensor_name``: the tensor becomes a plain
    parameter (or buffer) again, holding the parametrized value (``leave_parametrized=True``) or
    the original. A tensor parametrized by several originals (``weight_norm``'s ``original0/1``) comes
    back as a Parameter when its value requires grad in the current grad mode, else as a buffer."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            original.data = value.detach()
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
                             "parametrized in terms of a sequence of tensors.")
        # In the current grad mode, as torch: the value becomes a Parameter only if it requires grad, so
        # under no_grad (or with frozen originals) it comes back as a buffer.
        value = getattr(module, tensor_name)
        original = Parameter(value.detach()) if value.requires_grad else value.detach()
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    if isinstance(original, Parameter):
        module.register_parameter(tensor_name, original)
    else:
        module.register_buffer(tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def type_before_parametrizations(module):
    """The class of ``module`` before any parametrization was registered on it."""
    return module.__class__.__bases__[0] if is_parametrized(module) else type(module)


def transfer_parametrizations_and_params(from_module, to_module, tensor_name=None):
    """Copy the parametrizations (and their originals) of ``from_module`` onto ``to_module``,
    for all parametrized tensors or only ``tensor_name``."""
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        source = from_module.parametrizations[name]
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name).detach()))
        for parametrization in source:
            register_parametrization(to_module, name, parametrization, unsafe=source.unsafe)
        target = to_module.parametrizations[name]
        with no_grad():
            keys = ["original"] if source.is_tensor else [f"original{i}" for i in range(source.ntensors)]
            for key in keys:
                getattr(target, key).data = getattr(source, key).detach().clone()
    return to_module


