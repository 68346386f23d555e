"""One deterministic training problem built twice, in ember and in PyTorch (float64).

Parameters: a tiny tanh MLP (4 -> 3 -> 1) fitted to fixed data, plus a vector ``q`` under an
anisotropic quadratic, plus ``frozen``, which never gets a gradient. ``make(lib)`` returns the
named parameters and a ``loss()`` closure-style function for that library.
"""
import numpy as np
import torch

import ember

_rng = np.random.default_rng(1234)
INIT = {
    "w1": _rng.normal(size=(4, 3)),
    "b1": _rng.normal(size=(3,)) * 0.1,
    "w2": _rng.normal(size=(3, 1)),
    "b2": np.zeros(1),
    "q": _rng.normal(size=(5,)),
    "frozen": _rng.normal(size=(2,)),
}
X = _rng.normal(size=(16, 4))
Y = np.sin(X.sum(axis=1, keepdims=True))
SCALE = np.array([0.5, 1.0, 2.0, 4.0, 8.0])
CENTER = np.array([1.0, -1.0, 0.5, 0.0, 2.0])
NAMES = list(INIT)


def make(lib, init=None):
    """``(params, loss)``: ``params`` a dict of leaf tensors requiring grad, ``loss()`` the scalar loss."""
    init = INIT if init is None else init
    if lib == "torch":
        t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in init.items()}
        x, y = torch.tensor(X), torch.tensor(Y)
        scale, center = torch.tensor(SCALE), torch.tensor(CENTER)
        tanh = torch.tanh
    else:
        t = {k: ember.tensor(v, dtype=ember.float64, requires_grad=True) for k, v in init.items()}
        x, y = ember.tensor(X), ember.tensor(Y)
        scale, center = ember.tensor(SCALE), ember.tensor(CENTER)
        tanh = ember.tanh

    def loss():
        h = tanh(x @ t["w1"] + t["b1"])
        out = h @ t["w2"] + t["b2"]
        return ((out - y) ** 2).mean() + (scale * (t["q"] - center) ** 2).sum() * 0.5

    return t, loss


def numpy_of(t):
    return t.detach().numpy().copy() if isinstance(t, torch.Tensor) else np.array(t._data, copy=True)


def train_step(opt, loss):
    opt.zero_grad()
    value = loss()
    value.backward()
    opt.step()
    return value.item()


def closure_step(opt, loss):
    def closure():
        opt.zero_grad()
        value = loss()
        value.backward()
        return value
    return opt.step(closure).item()
