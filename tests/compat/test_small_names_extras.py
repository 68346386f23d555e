"""Small torch 2.13 names against torch: nn.init.eye / dirac (deprecated aliases, FutureWarning),
autograd.set_multithreading_enabled / is_multithreading_enabled, utils.dlpack.DLDeviceType, utils.swap_tensors,
export.register_dataclass / utils._pytree.register_dataclass."""
import dataclasses
import warnings

import numpy as np
import pytest
import torch
import torch.utils._pytree as tpytree

import ember
import ember.utils._pytree as epytree


def _init(L):
    out = []
    for name, shape in (("eye", (3, 4)), ("dirac", (4, 2, 3)), ("dirac", (2, 2, 3, 3))):
        w = L.empty(*shape)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = getattr(L.nn.init, name)(w)
        out.append((r is w, w.numpy().tolist(), [(c.category.__name__, str(c.message)) for c in caught]))
    return out


def test_init_eye_and_dirac_as_torch():
    assert _init(ember) == _init(torch)


def _multithreading(L):
    seen = [L.autograd.is_multithreading_enabled()]
    with L.autograd.set_multithreading_enabled(False):
        seen.append(L.autograd.is_multithreading_enabled())
    seen.append(L.autograd.is_multithreading_enabled())
    L.autograd.set_multithreading_enabled(False)
    seen.append(L.autograd.is_multithreading_enabled())
    L.autograd.set_multithreading_enabled(True)
    seen.append(L.autograd.is_multithreading_enabled())
    return seen


def test_set_multithreading_enabled_as_torch():
    assert _multithreading(ember) == _multithreading(torch) == [True, False, True, False, True]


def test_dlpack_device_types_as_torch():
    ours = {k: int(v) for k, v in ember.utils.dlpack.DLDeviceType.__members__.items()}
    theirs = {k: int(v) for k, v in torch.utils.dlpack.DLDeviceType.__members__.items()}
    assert ours == theirs
    assert ember.utils.dlpack.DLDeviceType.kDLCPU == torch.utils.dlpack.DLDeviceType.kDLCPU == 1


def _swap(L):
    a, b = L.tensor([1.0, 2.0], requires_grad=True), L.tensor([3.0, 4.0, 5.0])
    a.note = "A"
    ident = id(a)
    L.utils.swap_tensors(a, b)
    out = [a.tolist(), b.tolist(), id(a) == ident, a.requires_grad, b.requires_grad, getattr(a, "note", None),
           getattr(b, "note", None)]
    m = L.nn.Linear(2, 2)
    w = m.weight
    L.utils.swap_tensors(m.weight, L.nn.Parameter(L.zeros(2, 2)))
    out += [m.weight is w, m.weight.sum().item(), type(m.weight).__name__]
    p, t = L.nn.Parameter(L.ones(2)), L.zeros(2)
    L.utils.swap_tensors(p, t)
    out += [type(p).__name__, type(t).__name__, p.requires_grad, t.requires_grad]
    x = L.ones(3, requires_grad=True)
    y, z = x * 2, L.zeros(3)
    L.utils.swap_tensors(y, z)
    out += [y.grad_fn is None, type(z.grad_fn).__name__, z.tolist()]
    import weakref
    c = L.ones(1)
    ref = weakref.ref(c)
    with pytest.raises(RuntimeError) as info:
        L.utils.swap_tensors(c, L.zeros(1))
    out.append(str(info.value))
    del ref
    return out


def test_swap_tensors_as_torch():
    assert _swap(ember) == _swap(torch)


@dataclasses.dataclass
class _In:
    feature: object
    bias: object = None
    scale: float = 1.0


def test_register_dataclass_as_torch():
    ember.export.register_dataclass(_In)
    torch.export.register_dataclass(_In)
    for value in (_In(feature=ember.ones(2)), _In(ember.ones(2), ember.zeros(1), 2.0)):
        leaves, spec = epytree.tree_flatten(value)
        tvalue = _In(*[torch.tensor(v.numpy()) if isinstance(v, ember.Tensor) else v
                       for v in (value.feature, value.bias, value.scale)])
        tleaves, tspec = tpytree.tree_flatten(tvalue)
        assert [np.asarray(x).tolist() for x in leaves] == [np.asarray(x).tolist() for x in tleaves]
        back = epytree.tree_unflatten([x * 2 for x in leaves], spec)
        tback = tpytree.tree_unflatten([x * 2 for x in tleaves], tspec)
        assert type(back) is _In and (back.bias is None) == (tback.bias is None) and back.scale == tback.scale
    with pytest.raises(ValueError) as ours:
        epytree.register_dataclass(int)
    with pytest.raises(ValueError) as theirs:
        tpytree.register_dataclass(int)
    assert str(ours.value) == str(theirs.value)
