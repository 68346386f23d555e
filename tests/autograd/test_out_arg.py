"""torch's out= keyword on namespace functions, against torch 2.13: values written into the given tensor (its
memory when the shape agrees, so views see them; resized with torch's warning otherwise), tuple outputs, the
dtype cast check, the autograd refusal, and creation functions (which ignored out= before)."""
import warnings

import numpy as np
import pytest
import torch

import ember

X = np.arange(6, dtype=np.float32).reshape(2, 3) / 4


@pytest.mark.parametrize("call", [
    lambda L, x, o: L.add(x, 1, out=o), lambda L, x, o: L.mul(x, x, out=o), lambda L, x, o: L.exp(x, out=o),
    lambda L, x, o: L.clamp(x, 0.3, 0.9, out=o), lambda L, x, o: L.where(x > 0.5, x, L.zeros(()), out=o),
    lambda L, x, o: L.sum(x, 0, keepdim=True, out=o[:1]), lambda L, x, o: L.abs(-x, out=o),
    lambda L, x, o: L.zeros(2, 3, out=o), lambda L, x, o: L.full((2, 3), 7.0, out=o),
    lambda L, x, o: L.cumsum(x, 1, out=o), lambda L, x, o: L.sigmoid(x, out=o)])
def test_out_writes_into_the_given_tensor(call):
    res = []
    for L in (ember, torch):
        x, o = L.tensor(X), L.zeros(2, 3)
        r = call(L, x, o)
        res.append((r.data_ptr() == o.data_ptr(), r.numpy().copy(), o.numpy().copy()))
    assert res[0][0] and res[1][0]   # the result is the out tensor (or its first row), in out's memory
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-6)
    np.testing.assert_allclose(res[0][2], res[1][2], rtol=1e-6)


def test_out_views_see_the_values_and_a_mismatched_out_is_resized():
    for L in (ember, torch):
        base = L.zeros(2, 3)
        L.mul(L.tensor(X)[1], 2, out=base[1])   # a view: the base sees it
        assert base[1].tolist() == (L.tensor(X)[1] * 2).tolist() and base[0].tolist() == [0, 0, 0]
        o = L.empty(0)
        L.matmul(L.tensor(X), L.tensor(X).T, out=o)
        assert tuple(o.shape) == (2, 2)
        with pytest.warns(UserWarning, match="resized"):
            L.cat([L.tensor(X), L.tensor(X)], out=L.zeros(5))


def test_tuple_outputs_and_errors_match_torch():
    for L in (ember, torch):
        v, i = L.empty(2), L.empty(2, dtype=L.int64)
        r = L.max(L.tensor(X), 1, out=(v, i))
        assert r[0] is v and r[1] is i and v.tolist() == [0.5, 1.25] and i.tolist() == [2, 2]
        s, k = L.empty(3), L.empty(3, dtype=L.int64)
        L.sort(L.tensor([3.0, 1.0, 2.0]), out=(s, k))
        assert s.tolist() == [1.0, 2.0, 3.0] and k.tolist() == [1, 2, 0]
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
            L.add(L.tensor(X), 1, out=L.empty(2, 3, dtype=L.int64))
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            L.mul(L.tensor(X, requires_grad=True), 2, out=L.empty(2, 3))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            L.add(L.tensor(X), 1, out=L.empty(0))   # an empty out grows without a warning
