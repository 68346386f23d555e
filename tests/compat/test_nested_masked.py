"""``torch.nested`` and ``torch.masked`` against the real torch: values, sizes, errors and gradients."""
import warnings

import numpy as np
import pytest
import torch
import torch.masked as tmasked

import ember
import ember.masked as emasked
import ember.nested as enested

warnings.filterwarnings("ignore", message=".*nested tensors is in prototype.*")
warnings.filterwarnings("ignore", message=".*MaskedTensors is in prototype.*")
RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5)).astype(np.float64)
MASK = RNG.random((3, 4, 5)) > 0.4
MASK[1, 2, :] = False  # a fully masked row along the last dim
MASK[2] = False        # and a fully masked slab


def _close(mine, theirs):
    np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


REDUCTIONS = ["sum", "mean", "amax", "amin", "prod", "logsumexp", "var", "std"]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("dim,keepdim", [(2, False), (1, True), ((0, 2), False), (None, False)])
def test_masked_reductions_equal_torch(name, dim, keepdim):
    if name in ("var", "std", "logsumexp") and dim is None:
        dim = (0, 1, 2)
    if name == "prod" and isinstance(dim, tuple):
        dim = 1
    theirs = getattr(tmasked, name)(torch.tensor(X), dim, keepdim=keepdim, mask=torch.tensor(MASK))
    mine = getattr(emasked, name)(ember.tensor(X), dim, keepdim=keepdim, mask=ember.tensor(MASK))
    assert tuple(mine.shape) == tuple(theirs.shape)
    _close(mine, theirs)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_masked_normalizations_equal_torch(name):
    for dim in (1, -1):
        theirs = getattr(tmasked, name)(torch.tensor(X), dim, mask=torch.tensor(MASK))
        mine = getattr(emasked, name)(ember.tensor(X), dim, mask=ember.tensor(MASK))
        _close(mine, theirs)


@pytest.mark.parametrize("name,args", [("cumsum", (1,)), ("cumprod", (2,)), ("median", (2,)), ("normalize", (2.0, 1)),
                                       ("normalize", (1.0, 2)), ("norm", (float("inf"), 2))])
def test_masked_scans_and_norms_equal_torch(name, args):
    theirs = getattr(tmasked, name)(torch.tensor(X), *args, mask=torch.tensor(MASK))
    mine = getattr(emasked, name)(ember.tensor(X), *args, mask=ember.tensor(MASK))
    _close(mine, theirs)


def test_masked_logaddexp_equal_torch():
    other = MASK.copy()
    other[0] = True
    theirs = tmasked.logaddexp(torch.tensor(X), torch.tensor(X[::-1].copy()), input_mask=torch.tensor(MASK),
                               other_mask=torch.tensor(other))
    mine = emasked.logaddexp(ember.tensor(X), ember.tensor(X[::-1].copy()), input_mask=ember.tensor(MASK),
                             other_mask=ember.tensor(other))
    _close(mine, theirs)


def test_mask_broadcast_dtype_and_no_mask():
    row = MASK[0, 0]
    theirs = tmasked.sum(torch.tensor(X), 2, mask=torch.tensor(row), dtype=torch.float32)
    mine = emasked.sum(ember.tensor(X), 2, mask=ember.tensor(row), dtype=ember.float32)
    assert mine.dtype == ember.float32
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6)
    _close(emasked.mean(ember.tensor(X), 1), tmasked.mean(torch.tensor(X), 1))


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "softmax", "var"])
def test_masked_gradients_equal_torch(name):
    m_t, m_e = torch.tensor(MASK[:2]), ember.tensor(MASK[:2])
    xt = torch.tensor(X[:2], requires_grad=True)
    xe = ember.tensor(X[:2], requires_grad=True)
    w = RNG.standard_normal((2, 4, 5))
    for lib, x, m, fn in ((torch, xt, m_t, getattr(tmasked, name)), (ember, xe, m_e, getattr(emasked, name))):
        out = fn(x, 2, mask=m) if name != "softmax" else fn(x, 2, mask=m)
        out = lib.nan_to_num(out, nan=0.0, neginf=0.0)
        (out * lib.tensor(w[..., :out.shape[-1]] if out.dim() == 3 else w[:, :, 0])).sum().backward()
    _close(xe.grad, xt.grad)


def test_masked_tensor_basics_equal_torch():
    x, m = X[0], MASK[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = tmasked.masked_tensor(torch.tensor(x), torch.tensor(m))
        em = emasked.masked_tensor(ember.tensor(x), ember.tensor(m))
        assert em.get_mask().dtype == ember.bool and tuple(em.shape) == tuple(tm.shape)
        _close(em.get_data(), tm.get_data())
        _close(em.to_tensor(-1.0), tm.to_tensor(-1.0))
        _close((em * em + 1).to_tensor(0.0), (tm * tm + 1).to_tensor(0.0))
        for red in ("sum", "amax"):
            _close(getattr(em, red)(1).to_tensor(0.0), getattr(tm, red)(1).to_tensor(0.0))
            _close(getattr(em, red)(1).get_mask(), getattr(tm, red)(1).get_mask())
        _close(em.sum().to_tensor(0.0), tm.sum().to_tensor(0.0))
        with pytest.raises(ValueError, match="masks must match"):
            em + emasked.masked_tensor(ember.tensor(x), ember.tensor(~m))
    assert emasked.is_masked_tensor(em) and not emasked.is_masked_tensor(ember.tensor(x))


COMPONENTS = [RNG.standard_normal((2, 3)), RNG.standard_normal((4, 3)), RNG.standard_normal((1, 3))]


def test_nested_sizes_padding_and_errors_equal_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tn = torch.nested.nested_tensor([torch.tensor(c) for c in COMPONENTS])
    en = enested.nested_tensor([ember.tensor(c) for c in COMPONENTS])
    assert en.is_nested and tn.is_nested
    assert (en.dim(), en.size(0), en.size(2), en.size(-1)) == (tn.dim(), tn.size(0), tn.size(2), tn.size(-1))
    for nt in (en, tn):
        with pytest.raises(RuntimeError, match="irregular"):
            nt.size(1)
    assert [tuple(t.shape) for t in en.unbind()] == [tuple(t.shape) for t in tn.unbind()]
    _close(enested.to_padded_tensor(en, -2.0), torch.nested.to_padded_tensor(tn, -2.0))
    _close(en.to_padded_tensor(0.0, output_size=(4, 5, 6)), tn.to_padded_tensor(0.0, output_size=(4, 5, 6)))
    _close((en * 2 + 1).relu().to_padded_tensor(0.0), (tn * 2 + 1).relu().to_padded_tensor(0.0))
    _close(en._nested_tensor_size(), tn._nested_tensor_size())
    assert en.numel() == tn.numel()
    with pytest.raises(RuntimeError, match="same dimension"):
        enested.nested_tensor([ember.ones(2, 3), ember.ones(3)])


def test_nested_gradients_flow_like_torch():
    w = RNG.standard_normal((3, 4, 3))
    grads = []
    for lib, nested in ((torch, torch.nested), (ember, enested)):
        leaves = [lib.tensor(c, requires_grad=True) for c in COMPONENTS]
        nt = nested.as_nested_tensor(leaves)
        (nested.to_padded_tensor(nt, 0.0) * lib.tensor(w)).sum().backward()
        grads.append([leaf.grad for leaf in leaves])
        copy = nested.nested_tensor([lib.tensor(c) for c in COMPONENTS], requires_grad=True)
        assert copy.requires_grad
    for mine, theirs in zip(grads[1], grads[0]):
        _close(mine, theirs)


@pytest.mark.parametrize("data, mask", [
    (np.arange(6.0).reshape(2, 3), [[True, False, True], [False, True, True]]),
    (np.arange(24.0).reshape(2, 3, 4), np.arange(24).reshape(2, 3, 4) % 3 > 0),
    (np.array([1, 2, 3]), [True, False, True]), (np.array([123456.5, -2.0]), [True, True]),
    (np.array(3.0), True), (np.array(3.0), False), (np.array(7), True)])
def test_masked_tensor_repr_equals_torch(data, mask):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = tmasked.masked_tensor(torch.tensor(data), torch.tensor(mask))
        em = emasked.masked_tensor(ember.tensor(data), ember.tensor(mask))
        assert repr(em) == repr(tm)
        assert repr(em.sum()) == repr(tm.sum())
