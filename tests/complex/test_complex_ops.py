"""Complex dtypes: promotion, creation, parts, printing, errors, and arithmetic with gradients vs PyTorch."""
import numpy as np
import pytest
import torch

import ember
from .helpers import arrays, compare, gradcheck


def _d(lib, name):
    return getattr(lib, name)


PROMOTE = [("complex64", "float64"), ("complex64", "float16"), ("complex128", "float32"), ("complex64", "int64"),
           ("complex64", "bool"), ("complex64", "complex128"), ("float32", "complex64")]


@pytest.mark.parametrize("a,b", PROMOTE)
@pytest.mark.parametrize("zero_dim", ["none", "a", "b"])
def test_promotion_matches_torch(a, b, zero_dim):
    def make(lib, name, zero):
        shape = () if zero else (2,)
        return lib.ones(shape, dtype=_d(lib, name))
    e = (make(ember, a, zero_dim == "a") + make(ember, b, zero_dim == "b")).dtype
    t = (make(torch, a, zero_dim == "a") + make(torch, b, zero_dim == "b")).dtype
    # NumPy has no complex32 (PyTorch's experimental ComplexHalf): ember gives complex64 there.
    assert e.name == str(t).split(".")[-1].replace("complex32", "complex64")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool", "complex64", "complex128"])
@pytest.mark.parametrize("scalar", [1j, 2.5, 3])
def test_scalar_promotion_matches_torch(dtype, scalar):
    e = (ember.ones(2, dtype=_d(ember, dtype)) * scalar).dtype
    t = (torch.ones(2, dtype=_d(torch, dtype)) * scalar).dtype
    assert e.name == str(t).split(".")[-1]
    assert ember.result_type(ember.ones(2, dtype=_d(ember, dtype)), scalar).name == str(t).split(".")[-1]


@pytest.mark.parametrize("data", [[1 + 2j], [1.0, 2j], [[1, 2], [3j, 4]], 3j, [np.complex128(1j)]])
def test_creation_dtype_matches_torch(data):
    assert ember.tensor(data).dtype.name == str(torch.tensor(data).dtype).split(".")[-1]


def test_dtype_names_and_predicates():
    assert ember.complex64 == ember.cfloat and ember.complex128 == ember.cdouble
    z = ember.tensor([1 + 2j])
    assert z.is_complex() and not z.is_floating_point() and ember.is_complex(z)
    assert z.dtype.is_complex and not z.dtype.is_floating_point and z.dtype.to_real() is ember.float32
    assert z.cdouble().dtype is ember.complex128 and ember.tensor([1.0]).cfloat().dtype is ember.complex64
    assert z.numpy().dtype == np.complex64 and z.item() == 1 + 2j


@pytest.mark.parametrize("data", [[1 + 2j, 3.5 - 1j], [[1 + 2j, 3.5 - 1j], [0, 1e-5j]], 1 + 2j, [1e10 + 2j, 1],
                                  [0.5j, -2.25]])
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_repr_matches_torch(data, dtype):
    e = repr(ember.tensor(data, dtype=_d(ember, dtype)))
    t = repr(torch.tensor(data, dtype=_d(torch, dtype)))
    assert e == t.replace("torch.", "ember.")


def test_parts_are_views_and_settable():
    z = ember.tensor([1 + 2j, 3 - 4j])
    r = z.real
    r[0] = 10.0
    assert z[0].item() == 10 + 2j
    z.imag = ember.tensor([7.0, 8.0])
    z.real = 0.0
    assert z.tolist() == [7j, 8j]
    x = ember.tensor([1.0, 2.0])
    assert x.real is x and x.conj() is x
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        x.imag


def test_view_as_real_shares_memory():
    z = ember.tensor([1 + 2j, 3 - 4j])
    v = ember.view_as_real(z)
    v[1, 1] = 5.0
    assert z[1].item() == 3 + 5j
    back = ember.view_as_complex(v)
    assert back.tolist() == z.tolist()
    with pytest.raises(RuntimeError, match="last dimension of size 2"):
        ember.view_as_complex(ember.ones(3))


@pytest.mark.parametrize("name,call", [
    ("lt", lambda z: z < z), ("max", lambda z: z.max()), ("floor", lambda z: z.floor()), ("sign", lambda z: z.sign()),
    ("clamp", lambda z: z.clamp(0, 1)), ("relu", lambda z: z.relu()), ("argmax", lambda z: z.argmax()),
    ("sort", lambda z: z.sort()), ("maximum", lambda z: ember.maximum(z, z)), ("erf", lambda z: z.erf()),
    ("remainder", lambda z: z % 2), ("atan2", lambda z: ember.atan2(z, z))])
def test_unsupported_ops_name_themselves(name, call):
    z = ember.tensor([1 + 1j])
    with pytest.raises(RuntimeError, match=f"^{name}: not implemented for complex"):
        call(z)
    with pytest.raises(Exception):  # torch rejects the same op
        call(torch.tensor([1 + 1j]))


def test_backward_needs_a_real_output():
    z = ember.complex(ember.ones(2, requires_grad=True), ember.ones(2))
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        z.sum().backward()


def _c(L, a, b):
    return L.complex(a, b)


# (name, fn(lib, *real tensors), input shapes): complex inputs are built from pairs of real ones.
OPS = [
    ("add_sub", lambda L, a, b, c, d: _c(L, a, b) + _c(L, c, d) - 2j, [(3, 4)] * 4),
    ("mul", lambda L, a, b, c, d: _c(L, a, b) * _c(L, c, d) * (1 - 2j), [(3, 4)] * 4),
    ("div", lambda L, a, b, c, d: _c(L, a, b) / (_c(L, c, d) + 3), [(3, 4)] * 4),
    ("real_times_complex", lambda L, a, b, c: a * _c(L, b, c) + c / _c(L, a, b + 2), [(3, 4)] * 3),
    ("broadcast", lambda L, a, b, c: _c(L, a, b) * c, [(3, 4), (3, 4), (4,)]),
    ("matmul", lambda L, a, b, c, d: _c(L, a, b) @ _c(L, c, d), [(3, 4), (3, 4), (4, 2), (4, 2)]),
    ("sum_mean", lambda L, a, b: _c(L, a, b).sum(0) + _c(L, a, b).mean(1, keepdim=True), [(3, 4)] * 2),
    ("exp", lambda L, a, b: (_c(L, a, b) * 0.5).exp(), [(3, 4)] * 2),
    ("log", lambda L, a, b: _c(L, a, b).log(), [(3, 4)] * 2),
    ("sqrt", lambda L, a, b: _c(L, a, b).sqrt(), [(3, 4)] * 2),
    ("pow_int", lambda L, a, b: _c(L, a, b) ** 3, [(3, 4)] * 2),
    ("pow_complex", lambda L, a, b: _c(L, a, b) ** (1.5 + 0.5j), [(3, 4)] * 2),
    ("trig", lambda L, a, b: _c(L, a, b).sin() + _c(L, a, b).tanh() * _c(L, a, b).sigmoid(), [(3, 4)] * 2),
    ("abs", lambda L, a, b: _c(L, a, b).abs(), [(3, 4)] * 2),
    ("angle", lambda L, a, b: _c(L, a, b).angle(), [(3, 4)] * 2),
    ("angle_real", lambda L, a: a.angle(), [(3, 4)]),
    ("real_imag", lambda L, a, b: (_c(L, a, b) ** 2).real * _c(L, a, b).imag, [(3, 4)] * 2),
    ("conj", lambda L, a, b: _c(L, a, b).conj() * _c(L, a, b) ** 2, [(3, 4)] * 2),
    ("conj_physical", lambda L, a, b: L.conj_physical(_c(L, a, b)) * 2j, [(3, 4)] * 2),
    ("polar", lambda L, a, b: L.polar(a.abs() + 0.1, b), [(3, 4)] * 2),
    ("view_as_real", lambda L, a, b: L.view_as_real(_c(L, a, b) ** 2), [(3, 4)] * 2),
    ("view_as_complex", lambda L, a: L.view_as_complex(a) ** 2, [(3, 2)]),
    ("cast", lambda L, a, b: a.to(L.complex128) * _c(L, a, b), [(3, 4)] * 2),
    ("sgn", lambda L, a, b: L.sgn(_c(L, a, b)) * a, [(3, 4)] * 2),
    ("reshape_index", lambda L, a, b: _c(L, a, b).reshape(4, 3).t()[1:, ::2].flip(0), [(3, 4)] * 2),
    ("stack_cat", lambda L, a, b: L.cat([L.stack([_c(L, a, b), _c(L, b, a)]), _c(L, a, a)[None]]), [(3, 4)] * 2),
    ("norm", lambda L, a, b: L.linalg.vector_norm(_c(L, a, b), dim=1), [(3, 4)] * 2),
    ("matrix_norm", lambda L, a, b: L.linalg.matrix_norm(_c(L, a, b)), [(3, 4)] * 2),
    ("prod_cumsum", lambda L, a, b: _c(L, a, b).prod(1) + _c(L, a, b).cumsum(1)[:, -1], [(3, 4)] * 2),
    ("cumprod", lambda L, a, b: _c(L, a, b).cumprod(1), [(3, 4)] * 2),
    ("var_std", lambda L, a, b: _c(L, a, b).var(1) + _c(L, a, b).std(), [(3, 4)] * 2),
    ("where_masked_fill", lambda L, a, b: L.where(a > 0, _c(L, a, b), 2j).masked_fill(b > 0, 1 - 1j), [(3, 4)] * 2),
    ("einsum", lambda L, a, b: L.einsum("ij,kj->ik", _c(L, a, b), _c(L, b, a)), [(3, 4)] * 2),
    ("vdot_dot_outer", lambda L, a, b: L.vdot(_c(L, a, b)[0], _c(L, b, a)[1]) * L.outer(_c(L, a, b)[0], _c(L, b, a)[1])
     + L.dot(_c(L, a, b)[2], _c(L, b, a)[0]), [(3, 4)] * 2),
    ("conjugate_transposes", lambda L, a, b: _c(L, a, b).mH @ _c(L, a, b) + _c(L, b, a).H @ _c(L, a, b)
     + L.adjoint(_c(L, a, b)) @ _c(L, b, a), [(3, 4)] * 2),
    ("unary_more", lambda L, a, b: _c(L, a, b).reciprocal() + _c(L, a, b).rsqrt() + _c(L, a, b).log1p()
     + _c(L, a, b).expm1() + _c(L, a, b).acos(), [(3, 4)] * 2),
    ("inplace", lambda L, a, b: _c(L, a, b).clone().mul_(2j).add_(1), [(3, 4)] * 2),
    ("index_setitem", lambda L, a, b: _setitem(_c(L, a, b)[L.tensor([0, 2, 0])]), [(3, 4)] * 2),
    ("det_inv_solve", lambda L, a, b: L.linalg.det(_c(L, a, b)) * L.linalg.inv(_c(L, a, b))
     + L.linalg.solve(_c(L, a, b), _c(L, b, a)), [(3, 3)] * 2),
    ("kron_diag_trace", lambda L, a, b: L.kron(_c(L, a, b), L.diag(_c(L, b, a)[0])) * _c(L, a, b).trace(),
     [(2, 2)] * 2),
    ("bmm_tensordot", lambda L, a, b: L.bmm(_c(L, a, b), _c(L, b, a).mT).sum(0)
     + L.tensordot(_c(L, a, b), _c(L, b, a), dims=([0, 2], [0, 2])), [(2, 3, 4)] * 2),
]


def _setitem(z):
    z = z.clone()
    z[0] = z[1] * 2j
    return z


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,fn,shapes", OPS, ids=[o[0] for o in OPS])
def test_op_matches_torch(name, fn, shapes, dtype):
    compare(fn, arrays(shapes), dtype)


@pytest.mark.parametrize("name,fn,shapes", OPS, ids=[o[0] for o in OPS])
def test_op_gradcheck(name, fn, shapes):
    gradcheck(fn, arrays(shapes, seed=1))


def test_isreal_matches_torch():
    data = [1 + 0j, 2j, 0j, -3 + 1e-9j]
    assert ember.isreal(ember.tensor(data)).tolist() == torch.isreal(torch.tensor(data)).tolist()
    assert ember.tensor([1.0, 2.0]).isreal().tolist() == [True, True]


def test_randn_complex_has_unit_variance():
    z = ember.randn(20000, dtype=ember.complex64, generator=ember.Generator().manual_seed(0))
    assert z.dtype is ember.complex64
    # PyTorch's convention: E|z|^2 = 1, real and imaginary parts each of variance 1/2.
    assert abs((z.abs() ** 2).mean().item() - 1.0) < 0.05
    assert abs(z.real.var().item() - 0.5) < 0.03 and abs(z.imag.var().item() - 0.5) < 0.03


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_finfo_of_complex_matches_torch(dtype):
    e, t = ember.finfo(getattr(ember, dtype)), torch.finfo(getattr(torch, dtype))
    assert (e.eps, e.bits, e.max, e.dtype) == (t.eps, t.bits, t.max, t.dtype)


SECOND_ORDER = [
    ("mul_exp", lambda L, a, b: (_c(L, a, b) ** 2).exp()),
    ("abs", lambda L, a, b: (_c(L, a, b) * _c(L, b, a)).abs()),
    ("angle", lambda L, a, b: _c(L, a, b).angle()),
    ("fft", lambda L, a, b: L.fft.fft(_c(L, a, b) ** 2)),
    ("irfft", lambda L, a, b: L.fft.irfft(_c(L, a, b) ** 2)),
]


@pytest.mark.parametrize("name,fn", SECOND_ORDER, ids=[s[0] for s in SECOND_ORDER])
def test_second_order_gradcheck(name, fn):
    from .helpers import realify
    xs = [ember.tensor(a, requires_grad=True) for a in arrays([(3,), (3,)], seed=3)]
    assert ember.autograd.gradgradcheck(lambda a, b: realify(fn(ember, a, b)), tuple(xs))
