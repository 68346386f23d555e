"""``Parameter``: a tensor that a :class:`~ember.nn.Module` registers as one of its weights.

Assigning a ``Parameter`` to a module attribute adds it to ``module.parameters()``
and to the ``state_dict``. A parameter requires grad by default and shares memory
with the tensor it wraps, as in PyTorch. ``Buffer`` marks a tensor to register as a
buffer (state that is saved but not trained, such as running statistics).

>>> import ember
>>> from ember.nn import Parameter
>>> p = Parameter(ember.zeros(2))
>>> p
Parameter containing:
tensor([0., 0.], requires_grad=True)
"""
import numpy as np

from ..autograd import tensor as _tensor_module
from ..autograd.tensor import Tensor, _new
from ..autograd.torch_function import _disabled_torch_function_impl
from ..backend import dtypes as _dt
from ..backend import meta as _meta
from ..backend.meta import MetaArray


def _array_of(data):
    if data is None:
        return np.empty((0,), _dt.get_default_dtype().numpy)
    if isinstance(data, Tensor):
        return data._data
    from ..creation import tensor
    return tensor(data)._data


class Parameter(Tensor):
    """A tensor that is a module parameter.

    Args:
        data: the tensor to wrap (memory is shared, not copied); an empty tensor if None.
        requires_grad: whether the parameter is trained (default True).
    """

    _is_param = True
    __torch_function__ = _disabled_torch_function_impl  # as in PyTorch: a parameter is not a tensor-like override

    def __new__(cls, data=None, requires_grad=True, **state):
        _own_state_only(state)
        return _new(cls)

    def __init__(self, data=None, requires_grad=True, **state):
        # ``state``: a parameter's ``__dict__`` passed back to its class (HF accelerate's init_empty_weights does
        # ``type(p)(p.to("meta"), **p.__dict__)``); in ember it holds the tensor's own bookkeeping, left behind
        self._data = _array_of(data)
        if isinstance(data, Tensor):
            self._vc = data._share_vc()
        if requires_grad:
            self.requires_grad = True

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self._rg))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        t = Parameter(_wrap(self._data.copy()), self._rg)  # wrapped: a meta parameter's copy stays meta
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t


# The attributes a tensor keeps in its instance dict (ember.autograd.tensor.Tensor's class-level defaults)
_TENSOR_STATE = frozenset(("_rg", "_vc", "_grad", "grad_fn", "_hooks", "_post_acc_hooks", "_retain", "_out_idx",
                           "_view_of", "_acc_node", "requires_grad"))


def _own_state_only(state):
    for k in state:
        if k not in _TENSOR_STATE:
            raise TypeError(f"Parameter.__new__() got an unexpected keyword argument '{k}'")


def _rebuild_parameter(arr, rg):
    return Parameter(_wrap(arr), rg)


def _wrap(arr):
    t = _new(Tensor)
    t._data = arr
    return t


class Buffer(Tensor):
    """A tensor to register as a module buffer when assigned to a module attribute.

    Args:
        data: the tensor to wrap (memory is shared).
        persistent: whether the buffer is part of the ``state_dict`` (default True).

    Registered buffers are stored as plain tensors: ``Buffer`` is only the marker.
    """

    def __new__(cls, data=None, *, persistent=True):
        return _new(cls)

    def __init__(self, data=None, *, persistent=True):
        self._data = _array_of(data)
        self.persistent = persistent


class UninitializedParameter(Parameter):
    """A parameter whose shape is set on the first forward pass (used by ``Lazy*`` layers); made on the meta
    device (``device="meta"``, or inside ``with ember.device("meta")``) it materializes there."""

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return _new(cls)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        self._data = _empty((0,), dtype, on_meta(device))
        if requires_grad:
            self.requires_grad = True

    def materialize(self, shape, device=None, dtype=None):
        self._data = _empty(shape, dtype, type(self._data) is MetaArray if device is None else on_meta(device))
        self.__class__ = Parameter


def on_meta(device):
    """Whether an uninitialized parameter or buffer made with ``device=`` belongs to the meta device."""
    if device is None:
        return _tensor_module._factory.device is not None
    return str(device).partition(":")[0] == "meta"


def _empty(shape, dtype, meta):
    d = (_dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)).numpy
    return _meta.empty(tuple(shape), d) if meta else np.empty(tuple(shape), d)


def is_lazy(param):
    return isinstance(param, UninitializedParameter)


_tensor_module.registry["Parameter"] = Parameter
