"""ember.signal.windows against torch.signal.windows: every window, both symmetries, lengths 0-9, both
float dtypes and the parameters that shape them; the same argument errors."""
import numpy as np
import pytest
import torch

import ember

CASES = [("bartlett", {}), ("blackman", {}), ("cosine", {}), ("hann", {}), ("hamming", {}), ("nuttall", {}),
         ("general_hamming", {"alpha": 0.6}), ("general_cosine", {"a": [0.46, 0.23, 0.31]}),
         ("gaussian", {"std": 0.7}), ("gaussian", {}), ("kaiser", {}), ("kaiser", {"beta": 3.5}),
         ("exponential", {}), ("exponential", {"tau": 2.5})]


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
@pytest.mark.parametrize("sym", [True, False])
def test_windows_match_torch(name, kw, sym):
    for M in range(10):
        for et, tt in ((ember.float32, torch.float32), (ember.float64, torch.float64)):
            e = getattr(ember.signal.windows, name)(M, sym=sym, dtype=et, **kw)
            t = getattr(torch.signal.windows, name)(M, sym=sym, dtype=tt, **kw)
            assert e.dtype == et and tuple(e.shape) == tuple(t.shape)
            np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=2e-6 if et == ember.float32 else 1e-12,
                                       atol=1e-7 if et == ember.float32 else 1e-14)


def test_exponential_center_of_a_periodic_window_and_defaults():
    e = ember.signal.windows.exponential(6, center=1.5, sym=False, tau=0.8)
    t = torch.signal.windows.exponential(6, center=1.5, sym=False, tau=0.8)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
    assert ember.signal.windows.hann(4).dtype == ember.float32
    assert ember.signal.windows.hann(4, requires_grad=True).requires_grad


@pytest.mark.parametrize("call", [lambda w: w.hann(-1), lambda w: w.exponential(5, center=1.0),
                                  lambda w: w.gaussian(5, std=-1.0), lambda w: w.kaiser(5, beta=-1.0),
                                  lambda w: w.exponential(5, tau=0.0)])
def test_errors_match_torch(call):
    with pytest.raises(ValueError) as te:
        call(torch.signal.windows)
    with pytest.raises(ValueError, match=str(te.value).replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        call(ember.signal.windows)


def test_integer_dtype_is_refused_like_torch():
    with pytest.raises(ValueError, match="general_cosine expects float32 or float64 dtypes, got: ember.int64"):
        ember.signal.windows.hann(3, dtype=ember.int64)
