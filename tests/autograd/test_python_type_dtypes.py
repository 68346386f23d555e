"""Python types as dtypes (``dtype=float``, ``.to(complex)``) against PyTorch.

PyTorch maps ``float`` to float64 and ``complex`` to complex128 whatever the default dtype;
a Python float *scalar* still takes the default (float32).
"""
import numpy as np
import pytest
import torch

import ember

CASES = [
    ("zeros", lambda m, d: m.zeros(2, dtype=d)),
    ("tensor", lambda m, d: m.tensor([1, 2], dtype=d)),
    ("full", lambda m, d: m.full((2,), 3, dtype=d)),
    ("arange", lambda m, d: m.arange(3, dtype=d)),
    ("to", lambda m, d: m.ones(2).to(d)),
    ("to_kw", lambda m, d: m.ones(2).to(dtype=d)),
    ("new_zeros", lambda m, d: m.ones(2).new_zeros(3, dtype=d)),
    ("sum", lambda m, d: m.ones(2).sum(dtype=d)),
]
# Not part of this check: arange of bool/complex (torch: NotImplementedError) and sum(dtype=bool).
LEFT_OUT = {("arange", bool), ("arange", complex), ("sum", bool)}


PARAMS = [pytest.param(name, make, t, id=f"{name}-{t.__name__}") for name, make in CASES
          for t in (float, int, bool, complex) if (name, t) not in LEFT_OUT]


@pytest.mark.parametrize("name,make,pytype", PARAMS)
def test_python_type_dtype_matches_torch(name, make, pytype):
    try:
        t = make(torch, pytype)
    except (RuntimeError, TypeError) as exc:
        with pytest.raises(type(exc)):
            make(ember, pytype)
        return
    e = make(ember, pytype)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_python_float_is_double_even_with_another_default_and_scalars_take_the_default():
    before_t, before_e = torch.get_default_dtype(), ember.get_default_dtype()
    try:
        for default in ("float16", "float64"):
            torch.set_default_dtype(getattr(torch, default))
            ember.set_default_dtype(getattr(ember, default)) if default != "float16" else None
            assert str(ember.zeros(1, dtype=float).dtype) == "ember.float64" == "ember." + str(
                torch.zeros(1, dtype=float).dtype).split(".")[-1]
    finally:
        torch.set_default_dtype(before_t)
        ember.set_default_dtype(before_e)
    assert str(ember.tensor(1.5).dtype).split(".")[-1] == str(torch.tensor(1.5).dtype).split(".")[-1] == "float32"


@pytest.mark.parametrize("make", [lambda L: L.arange(np.float32(2.5)), lambda L: L.arange(np.int64(3)),
                                  lambda L: L.arange(0, np.float64(1.0), 0.25), lambda L: L.full((2,), np.int64(3)),
                                  lambda L: L.full((2,), np.float32(1.5)), lambda L: L.full((2,), np.bool_(True))])
def test_numpy_scalars_set_the_dtype_by_their_kind_as_torch(make):
    # np.float32 is no Python float and np.int64 no Python int: torch still reads them as a float and an int
    e, t = make(ember), make(torch)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_array_equal(e.numpy(), t.numpy())
