"""Weight pruning by masks (``torch.nn.utils.prune``).

Pruning ``module.<name>`` moves the parameter to ``<name>_orig``, adds a buffer ``<name>_mask`` and
a forward pre-hook that sets ``module.<name> = <name>_orig * <name>_mask`` before each forward.
Pruning the same tensor again prunes among the entries still kept (a :class:`PruningContainer`
combines the masks); :func:`remove` makes the pruned tensor a plain parameter again.

* ``l1_unstructured(m, name, amount)``: zero the ``amount`` entries of smallest magnitude
  (``amount`` a count, or a fraction rounded to the nearest count).
* ``random_unstructured``: ``amount`` entries at random.
* ``ln_structured(m, name, amount, n, dim)``: zero the slices along ``dim`` of smallest L``n`` norm.
* ``random_structured(m, name, amount, dim)``: slices along ``dim`` at random.
* ``global_unstructured(parameters, pruning_method, amount=...)``: one ranking over many tensors.
* ``custom_from_mask(m, name, mask)``, ``identity(m, name)``.

>>> import ember
>>> from ember import nn
>>> layer = l1_unstructured(nn.Linear(4, 2), "weight", amount=3)
>>> int((layer.weight == 0).sum()), sorted(name for name, _ in layer.named_buffers())
(3, ['weight_mask'])
"""
import numbers

import numpy as np

from ember.autograd import no_grad
from ember.creation import ones_like, tensor as _tensor
from ember.random import rand

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
           "l1_unstructured", "random_structured", "ln_structured", "global_unstructured", "custom_from_mask",
           "remove", "is_pruned"]


def _validate_amount(amount):
    if not isinstance(amount, numbers.Real) or isinstance(amount, bool):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and (float(amount) > 1.0 or float(amount) < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _count(amount, size):
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={size}")
        return int(amount)
    return int(round(amount * size))


def _norm_except(t, n, dim):
    axes = tuple(d for d in range(t.ndim) if d != dim)
    a = np.abs(t)
    if n == np.inf or n == "inf":
        return a.max(axis=axes)
    if n == -np.inf:
        return a.min(axis=axes)
    if n == "fro":
        n = 2
    return (a ** n).sum(axis=axes) ** (1.0 / n)


class BasePruningMethod:
    """A way to compute a pruning mask; subclasses set ``PRUNING_TYPE`` and ``compute_mask``."""

    PRUNING_TYPE = None
    _tensor_name = None

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    def compute_mask(self, t, default_mask):
        raise NotImplementedError

    def apply_mask(self, module):
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return orig * mask.to(orig.dtype)

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with a new ``cls(*args, **kwargs)`` (combined with earlier pruning)."""
        old = None
        found = 0
        for key, hook in list(module._forward_pre_hooks.items()):
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                old, found = hook, found + 1
                del module._forward_pre_hooks[key]
        if found > 1:
            raise RuntimeError(f"Found more than one pruning hook on parameter '{name}'")
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if old is not None:
            if isinstance(old, PruningContainer):
                old.add_pruning_method(method)
                container = old
            else:
                container = PruningContainer(old)
                container.add_pruning_method(method)
            method_for_mask, final = container, container
        else:
            method_for_mask, final = method, method
        orig = getattr(module, name) if old is None else getattr(module, name + "_orig")
        scores = orig if importance_scores is None else importance_scores
        if tuple(scores.shape) != tuple(orig.shape):
            raise ValueError(f"importance_scores should have the same shape as parameter {name} of {module}")
        if old is None:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        with no_grad():
            if method_for_mask is final and old is not None:
                mask = final.compute_mask(scores.detach(), default_mask)
            else:
                mask = method_for_mask.compute_mask(scores.detach(), default_mask)
        if old is None:
            module.register_buffer(name + "_mask", mask)
        else:
            module._buffers[name + "_mask"] = mask
        setattr(module, name, final.apply_mask(module))
        module.register_forward_pre_hook(final)
        return final

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` with this method's mask applied (no module involved)."""
        scores = t if importance_scores is None else importance_scores
        default_mask = default_mask if default_mask is not None else ones_like(t)
        return t * self.compute_mask(scores, default_mask)

    def remove(self, module):
        """Make ``module.<name>`` a plain parameter holding the pruned values."""
        name = self._tensor_name
        from ember.nn.parameter import Parameter
        weight = self.apply_mask(module)
        if name in module.__dict__:
            delattr(module, name)
        orig = module._parameters[name + "_orig"]
        orig.data = weight.detach()
        del module._parameters[name + "_orig"]
        del module._buffers[name + "_mask"]
        module.register_parameter(name, orig if isinstance(orig, Parameter) else Parameter(weight.detach()))


class PruningContainer(BasePruningMethod):
    """Successive pruning of one tensor: each new method prunes among what earlier ones kept."""

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1 and not isinstance(args[0], BasePruningMethod):
            args = tuple(args[0])
        for method in args:
            self.add_pruning_method(method)

    def add_pruning_method(self, method):
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if self._tensor_name is None:
            self._tensor_name = method._tensor_name
        elif method._tensor_name != self._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named '{self._tensor_name}' "
                             f"to PruningContainer. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        method = self._pruning_methods[-1]
        keep = default_mask._data == 1
        mask = default_mask._data.copy()
        if method.PRUNING_TYPE == "unstructured":
            sub = _tensor(t._data[keep])
            partial = method.compute_mask(sub, ones_like(sub))._data
            mask[keep] = partial.astype(mask.dtype)
        elif method.PRUNING_TYPE == "structured":
            dim = method.dim % t.ndim
            # the slices along dim that no earlier pruning removed entirely
            alive = keep.any(axis=tuple(d for d in range(t.ndim) if d != dim))
            index = [slice(None)] * t.ndim
            index[dim] = np.nonzero(alive)[0]
            sub = _tensor(t._data[tuple(index)])
            partial = method.compute_mask(sub, ones_like(sub))._data
            mask[tuple(index)] *= partial.astype(mask.dtype)
        elif method.PRUNING_TYPE == "global":
            mask = mask * method.compute_mask(t, default_mask)._data
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        return _tensor(mask)


class Identity(BasePruningMethod):
    """Prune nothing (a mask of ones)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class _Unstructured(BasePruningMethod):
    """Zero the ``amount`` entries with the lowest ``_rank`` (magnitude, or a random draw)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        k = _count(self.amount, t.numel())
        mask = default_mask._data.copy()
        if k:
            mask.reshape(-1)[np.argsort(self._rank(t).reshape(-1), kind="stable")[:k]] = 0
        return _tensor(mask)


class RandomUnstructured(_Unstructured):
    """Zero ``amount`` entries chosen at random."""

    def _rank(self, t):
        return -rand(*t.shape).numpy()

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(_Unstructured):
    """Zero the ``amount`` entries of smallest absolute value."""

    def _rank(self, t):
        return np.abs(t._data)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


def _structured_mask(t, dim, keep_index, default_mask):
    mask = np.zeros(t.shape, default_mask._data.dtype)
    index = [slice(None)] * t.ndim
    index[dim] = keep_index
    mask[tuple(index)] = 1
    return _tensor(mask * default_mask._data)


class RandomStructured(BasePruningMethod):
    """Zero ``amount`` slices along ``dim`` chosen at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _validate_amount(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        dim = self.dim % t.ndim
        k = _count(self.amount, t.shape[dim])
        if k == 0:
            return default_mask
        prob = rand(t.shape[dim]).numpy()
        return _structured_mask(t, dim, np.sort(np.argsort(prob, kind="stable")[k:]), default_mask)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Zero the ``amount`` slices along ``dim`` of smallest L``n`` norm."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_amount(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        dim = self.dim % t.ndim
        size = t.shape[dim]
        k = _count(self.amount, size)
        if k == 0:
            return default_mask
        norm = _norm_except(t._data, self.n, dim)
        keep = np.argsort(-norm, kind="stable")[:size - k]
        return _structured_mask(t, dim, np.sort(keep), default_mask)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Use a given mask."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if tuple(default_mask.shape) != tuple(self.mask.shape):
            raise ValueError(f"custom_from_mask: mask of shape {tuple(self.mask.shape)} does not match the tensor's "
                             f"{tuple(default_mask.shape)}")
        return _tensor(default_mask._data * self.mask._data.astype(default_mask._data.dtype))

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def identity(module, name):
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the ``(module, name)`` pairs of ``parameters`` together: ``pruning_method`` ranks all
    their entries at once (``amount`` of the total), each tensor then gets its slice of the mask."""
    parameters = list(parameters)
    importance_scores = importance_scores or {}
    scores, masks = [], []
    for module, name in parameters:
        scores.append(importance_scores.get((module, name), getattr(module, name)).detach()._data.reshape(-1))
        mask = getattr(module, name + "_mask", None)
        masks.append(np.ones(scores[-1].shape, scores[-1].dtype) if mask is None else mask._data.reshape(-1))
    flat_scores = _tensor(np.concatenate(scores))
    flat_mask = _tensor(np.concatenate(masks))
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f"{pruning_method} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final = container.compute_mask(flat_scores, flat_mask)._data
    start = 0
    for (module, name), s in zip(parameters, scores):
        piece = final[start:start + s.size].reshape(tuple(getattr(module, name).shape))
        start += s.size
        custom_from_mask(module, name, _tensor(piece))


def remove(module, name):
    """Undo the pruning bookkeeping of ``module.<name>``, keeping its pruned values as a parameter."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")


def is_pruned(module):
    """Whether any submodule of ``module`` carries a pruning hook."""
    for m in module.modules():
        for hook in m._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                return True
    return False
