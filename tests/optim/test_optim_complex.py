"""Complex parameters step as torch.optim steps them: each is a pair of real parameters (view_as_real), so
Adam's and RMSprop's second moments are taken per real and imaginary part. Compared with torch 2.13 over
several steps of a real loss of a complex parameter."""
import numpy as np
import pytest
import torch

import ember

CASES = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.05}), ("Adam", {"lr": 0.05, "amsgrad": True}),
         ("AdamW", {"lr": 0.05, "weight_decay": 0.1}), ("RMSprop", {"lr": 0.01}),
         ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5})]


@pytest.mark.parametrize("name, kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_complex_parameter_steps_match_torch(name, kw):
    rng = np.random.default_rng(0)
    z0 = (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex128)
    target = (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex128)
    results = []
    for L in (ember, torch):
        z = L.tensor(z0.copy(), requires_grad=True)
        opt = getattr(L.optim, name)([z], **kw)
        for _ in range(5):
            opt.zero_grad()
            d = z - L.tensor(target)
            loss = (d.real ** 2 + 3 * d.imag ** 2).sum()
            loss.backward()
            opt.step()
        results.append(z.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-12)


ALL = [("Adagrad", {"lr": 0.1}), ("Adadelta", {"lr": 0.5}), ("Adamax", {"lr": 0.05}), ("NAdam", {"lr": 0.05}),
       ("RAdam", {"lr": 0.05}), ("Rprop", {"lr": 0.01}), ("Adam", {"lr": 0.05}), ("RMSprop", {"lr": 0.01}),
       ("ASGD", {"lr": 0.05})]


@pytest.mark.parametrize("name, kw", ALL, ids=[n for n, _ in ALL])
def test_complex_matrix_parameter_through_einsum(name, kw):
    # the gradient of a complex weight used in an einsum (an FNO's spectral convolution) is not C-contiguous;
    # every optimizer steps the real and imaginary parts as two real parameters (Rprop's imaginary step
    # sizes start at lr, as torch's complex(lr, lr))
    rng = np.random.default_rng(1)
    w0 = (rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))).astype(np.complex64)
    x0 = (rng.standard_normal((5, 3)) + 1j * rng.standard_normal((5, 3))).astype(np.complex64)
    results = []
    for L in (ember, torch):
        w = L.tensor(w0.copy(), requires_grad=True)
        opt = getattr(L.optim, name)([w], **kw)
        for _ in range(8):
            opt.zero_grad()
            y = L.einsum("bi,io->bo", L.tensor(x0), w)
            loss = (y.abs() ** 2).sum() + 3 * y.real.sum() - y.imag.sum()
            loss.backward()
            opt.step()
        results.append(w.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-4, atol=1e-5)
