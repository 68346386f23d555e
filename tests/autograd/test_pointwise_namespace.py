"""PyTorch's pointwise namespace on ember, checked against torch 2.13: dtype aliases and constants,
finfo/iinfo, promotion helpers, tensor predicates, settings, result dtypes of the pointwise ops,
every in-place ``<op>_`` form (method and top level, values and gradients), integer ops, and the
top-level aliases of functional ops with their ATen signatures."""
import math

import numpy as np
import pytest
import torch

import ember

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _same_dtype(e, t):
    return str(e).split(".")[-1] == str(t).split(".")[-1]


def _np(t):
    return t.detach().numpy()


def test_dtype_aliases_and_constants_match_torch():
    for n in ("float", "int", "double", "half", "long", "short", "uint8", "uint16", "uint32", "uint64", "bool"):
        assert _same_dtype(getattr(ember, n), getattr(torch, n)), n
    for n in ("pi", "e", "inf", "nan", "newaxis"):
        a, b = getattr(ember, n), getattr(torch, n)
        assert a == b or (a != a and b != b), n
    # ember's own facade code still sees Python's builtins
    ember.set_num_threads(3)
    assert ember.get_num_threads() == 3 and "float" not in vars(ember) and "int" not in vars(ember)
    ember.set_num_threads(2)


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64", "complex64", None])
def test_finfo_matches_torch(name):
    e = ember.finfo(getattr(ember, name)) if name else ember.finfo()
    t = torch.finfo(getattr(torch, name)) if name else torch.finfo()
    for f in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(e, f) == getattr(t, f), f


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64"])
def test_iinfo_matches_torch(name):
    e, t = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    assert (e.bits, e.min, e.max, e.dtype) == (t.bits, t.min, t.max, t.dtype)


def test_finfo_iinfo_refuse_the_other_kind():
    with pytest.raises(TypeError, match="iinfo"):
        ember.finfo(ember.int32)
    with pytest.raises(TypeError, match="finfo"):
        ember.iinfo(ember.float32)


@pytest.mark.parametrize("a", DTYPES)
def test_promote_types_and_can_cast_match_torch(a):
    for b in DTYPES + ["uint16"]:
        ea, eb, ta, tb = getattr(ember, a), getattr(ember, b), getattr(torch, a), getattr(torch, b)
        assert ember.can_cast(ea, eb) == torch.can_cast(ta, tb), (a, b)
        try:
            want = torch.promote_types(ta, tb)
        except RuntimeError:
            with pytest.raises(RuntimeError, match="Promotion"):
                ember.promote_types(ea, eb)
            continue
        assert _same_dtype(ember.promote_types(ea, eb), want), (a, b)


@pytest.mark.parametrize("x,y", [((2, "int32"), 2.5), ((2, "float64"), ((), "float32")),
                                 (((), "float64"), (3, "int64")), (((2,), "uint8"), True), (1, 2.0), (True, 3),
                                 (((), "int64"), 1.5)])
def test_result_type_matches_torch(x, y):
    def make(lib, v):
        if isinstance(v, tuple):
            return lib.ones(v[0], dtype=getattr(lib, v[1])) if v[0] != () else lib.tensor(1, dtype=getattr(lib, v[1]))
        return v
    assert _same_dtype(ember.result_type(make(ember, x), make(ember, y)), torch.result_type(make(torch, x), make(torch, y)))


@pytest.mark.parametrize("dtype", DTYPES + ["uint16"])
def test_tensor_predicates_match_torch(dtype):
    e = ember.zeros(2, 3).to(getattr(ember, dtype))
    t = torch.zeros(2, 3).to(getattr(torch, dtype))
    for n in ("is_signed", "is_complex", "is_floating_point", "is_conj", "is_neg", "is_inference", "get_device"):
        assert getattr(e, n)() == getattr(t, n)(), n
    for n in ("itemsize", "nbytes", "is_cpu", "is_cuda", "is_meta", "is_sparse", "is_quantized", "is_mps"):
        assert getattr(e, n) == getattr(t, n), n
    assert ember.is_signed(e) == torch.is_signed(t) and ember.is_complex(e) == torch.is_complex(t)
    assert ember.is_same_size(e, ember.ones(2, 3)) and not e.is_same_size(ember.ones(3, 2))


def test_is_nonzero_matches_torch():
    for v in ([1.5], [0.0], 0, [[True]]):
        assert ember.is_nonzero(ember.tensor(v)) == torch.is_nonzero(torch.tensor(v))
    for v in ([1.0, 2.0], []):
        with pytest.raises(RuntimeError) as te:
            torch.is_nonzero(torch.tensor(v))
        with pytest.raises(RuntimeError, match=str(te.value)[:30]):
            ember.tensor(v).is_nonzero()


def test_settings_round_trip_like_torch():
    assert ember.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "highest"
    ember.set_float32_matmul_precision("medium")
    assert ember.get_float32_matmul_precision() == "medium"
    ember.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError, match="precision"):
        ember.set_float32_matmul_precision("low")
    assert str(ember.get_default_device()) == str(torch.get_default_device()) == "cpu"
    ember.set_default_device("cpu")
    with pytest.raises(RuntimeError, match="CPU"):
        ember.set_default_device("cuda")
    assert ember.are_deterministic_algorithms_enabled() is False
    ember.use_deterministic_algorithms(True, warn_only=True)
    assert ember.are_deterministic_algorithms_enabled() and ember.is_deterministic_algorithms_warn_only_enabled()
    assert ember.get_deterministic_debug_mode() == 1
    ember.set_deterministic_debug_mode("default")
    assert not ember.are_deterministic_algorithms_enabled() and ember.get_deterministic_debug_mode() == 0
    ember.set_warn_always(True)
    assert ember.is_warn_always_enabled()
    ember.set_warn_always(False)


# -- result dtypes of the pointwise ops against torch -------------------------------------------

BINARY = {
    "hypot": lambda L, a, b: L.hypot(a, b),
    "copysign": lambda L, a, b: L.copysign(a, b),
    "logaddexp": lambda L, a, b: L.logaddexp(a, b),
    "logaddexp2": lambda L, a, b: L.logaddexp2(a, b),
    "ldexp": lambda L, a, b: L.ldexp(a, b),
    "float_power": lambda L, a, b: L.float_power(a, b),
    "nextafter": lambda L, a, b: L.nextafter(a, b),
    "xlogy": lambda L, a, b: L.xlogy(a, b),
    "xlog1py": lambda L, a, b: L.special.xlog1py(a, b),
    "igamma": lambda L, a, b: L.igamma(a, b),
    "zeta": lambda L, a, b: L.special.zeta(a + 1, b),
    "true_divide": lambda L, a, b: L.true_divide(a, b),
    "multiply": lambda L, a, b: L.multiply(a, b),
    "subtract": lambda L, a, b: L.subtract(a, b, alpha=2),
    "divide_floor": lambda L, a, b: L.divide(a, b, rounding_mode="floor"),
    "addcmul": lambda L, a, b: L.addcmul(a, a, b, value=2),
    "addcdiv": lambda L, a, b: L.addcdiv(a, a, b),
}
PAIRS = [("float32", "float64"), ("float64", "float32"), ("int64", "float32"), ("float32", "int64"),
         ("int32", "int64"), ("float32", 2.0), ("int64", 3), ("float64", "float32_0d"), ("float16", "float32")]


def _operand(lib, spec, base):
    if not isinstance(spec, str):
        return spec
    if spec.endswith("_0d"):
        return lib.tensor(1.5, dtype=getattr(lib, spec[:-3]))
    return lib.from_numpy(base.copy()).to(getattr(lib, spec))


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_result_dtype_and_values_match_torch(name):
    base = np.abs(np.random.default_rng(0).standard_normal((2, 3))) + 1.0
    for a, b in PAIRS:
        te = [_operand(ember, s, base) for s in (a, b)]
        tt = [_operand(torch, s, base) for s in (a, b)]
        try:
            want = BINARY[name](torch, *tt)
        except (RuntimeError, TypeError):
            with pytest.raises((RuntimeError, TypeError)):
                BINARY[name](ember, *te)
            continue
        got = BINARY[name](ember, *te)
        assert _same_dtype(got.dtype, want.dtype), (name, a, b, got.dtype, want.dtype)
        np.testing.assert_allclose(_np(got).astype(np.float64), _np(want).astype(np.float64), rtol=2e-3, atol=1e-5,
                                   err_msg=f"{name} {a} {b}")


UNARY_INT = ["lgamma", "digamma", "erfc", "i0", "sinc", "deg2rad", "rad2deg", "logit", "sgn", "signbit",
             "positive", "special.erfcx", "special.ndtr", "special.i1", "special.entr", "special.bessel_j0",
             "special.modified_bessel_k0", "special.airy_ai", "special.log_ndtr", "special.i0e"]


@pytest.mark.parametrize("name", UNARY_INT)
@pytest.mark.parametrize("dtype", ["int64", "bool", "float64", "float16"])
def test_unary_result_dtype_on_int_and_bool_matches_torch(name, dtype):
    def fn(lib):
        f = lib
        for part in name.split("."):
            f = getattr(f, part)
        return f
    x = np.array([1, 2, 3, 0])
    te, tt = ember.tensor(x).to(getattr(ember, dtype)), torch.tensor(x).to(getattr(torch, dtype))
    try:
        want = fn(torch)(tt)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            fn(ember)(te)
        return
    got = fn(ember)(te)
    assert _same_dtype(got.dtype, want.dtype), (got.dtype, want.dtype)
    np.testing.assert_allclose(_np(got).astype(np.float64), _np(want).astype(np.float64), rtol=2e-3, atol=1e-6)


@pytest.mark.parametrize("fn,match", [
    (lambda L: L.mvlgamma(L.tensor([0.2, 3.0]), 0), "greater than or equal to 1"),
    (lambda L: L.addcdiv(L.ones(2), L.ones(2, dtype=L.int64), L.ones(2, dtype=L.int64)), "Integer division"),
    (lambda L: L.hypot(L.ones(2, dtype=L.int64), L.ones(2, dtype=L.int64)), "not implemented"),
    (lambda L: L.frexp(L.ones(2, dtype=L.int64)), "floating-point"),
    (lambda L: L.positive(L.ones(2, dtype=L.bool)), "bool"),
    (lambda L: L.gcd(L.ones(2), L.ones(2)), "not implemented"),
    (lambda L: L.ones(2, dtype=L.float32).float_power_(2), "Double"),
])
def test_errors_match_torch(fn, match):
    with pytest.raises(RuntimeError, match=match):
        fn(torch)
    with pytest.raises(RuntimeError, match=match):
        fn(ember)


def test_frexp_returns_named_fields_like_torch():
    x = np.array([0.0, 1.5, -6.0, 1e-30, 1024.0], np.float32)
    e, t = ember.frexp(ember.tensor(x)), torch.frexp(torch.tensor(x))
    np.testing.assert_array_equal(_np(e.mantissa), _np(t.mantissa))
    np.testing.assert_array_equal(_np(e.exponent), _np(t.exponent))
    assert _same_dtype(e.exponent.dtype, t.exponent.dtype)


# -- integer ops ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8"])
def test_integer_ops_match_torch(dtype):
    rng = np.random.default_rng(0)
    lo = 0 if dtype == "uint8" else -50
    a, b = rng.integers(lo, 50, 12), rng.integers(lo, 50, 12)
    s = rng.integers(0, 70, 12)
    bits = np.iinfo(np.dtype(dtype)).bits
    s = np.where(s > bits + 2, s % bits, s)
    for name, f in [("gcd", lambda L, x, y, k: L.gcd(x, y)), ("lcm", lambda L, x, y, k: L.lcm(x, y)),
                    ("lshift", lambda L, x, y, k: L.bitwise_left_shift(x, k)),
                    ("rshift", lambda L, x, y, k: x.bitwise_right_shift(k)),
                    ("op_shift", lambda L, x, y, k: (x << 2) + (x >> 1)),
                    ("shift_scalar_first", lambda L, x, y, k: 1 << (k % 4)),
                    ("gcd_", lambda L, x, y, k: x.clone().gcd_(y)),
                    ("iand", lambda L, x, y, k: _iop(x.clone(), y, "and")),
                    ("ilshift", lambda L, x, y, k: _iop(x.clone(), k % 3, "lshift"))]:
        args_e = [ember.tensor(v).to(getattr(ember, dtype)) for v in (a, b, s)]
        args_t = [torch.tensor(v).to(getattr(torch, dtype)) for v in (a, b, s)]
        got, want = f(ember, *args_e), f(torch, *args_t)
        assert _same_dtype(got.dtype, want.dtype), name
        np.testing.assert_array_equal(_np(got), _np(want), err_msg=name)


def _iop(x, y, kind):
    if kind == "and":
        x &= y
        x |= y
        x ^= y
    else:
        x <<= y
        x >>= 1
    return x


# -- in-place forms --------------------------------------------------------------------------------

# (name, args, domain, differentiable in torch: its in-place acosh/asinh/atanh have no derivative)
INPLACE = [
    ("abs", (), "real", True), ("absolute", (), "real", True), ("acos", (), "unit", True),
    ("arccos", (), "unit", True), ("acosh", (), "gt1", False), ("arccosh", (), "gt1", False),
    ("asin", (), "unit", True), ("arcsin", (), "unit", True), ("asinh", (), "real", False),
    ("arcsinh", (), "real", False), ("atan", (), "real", True), ("arctan", (), "real", True),
    ("atanh", (), "unit", False), ("arctanh", (), "unit", False), ("arctan2", ("y",), "real", True),
    ("cos", (), "real", True), ("cosh", (), "real", True), ("sin", (), "real", True), ("sinh", (), "real", True),
    ("tan", (), "unit", True), ("tanh", (), "real", True), ("exp", (), "real", True), ("exp2", (), "real", True),
    ("expm1", (), "real", True), ("log", (), "pos", True), ("log2", (), "pos", True), ("log10", (), "pos", True),
    ("log1p", (), "pos", True), ("sqrt", (), "pos", True), ("rsqrt", (), "pos", True), ("square", (), "real", True),
    ("sigmoid", (), "real", True), ("erf", (), "real", True), ("erfc", (), "real", True),
    ("erfinv", (), "unit", True), ("reciprocal", (), "pos", True), ("neg", (), "real", True),
    ("negative", (), "real", True), ("sign", (), "real", False), ("sgn", (), "real", False),
    ("floor", (), "real", False), ("ceil", (), "real", False), ("trunc", (), "real", False),
    ("fix", (), "real", False), ("frac", (), "real", True), ("round", (), "real", False),
    ("relu", (), "real", True), ("clamp", (-0.5, 0.5), "real", True), ("clip", (None, 0.3), "real", True),
    ("clamp_min", (0.1,), "real", True), ("clamp_max", (0.1,), "real", True), ("xlogy", ("y",), "pos", True),
    ("nan_to_num", (), "real", True), ("heaviside", ("y",), "real", False), ("floor_divide", ("y",), "pos", False),
    ("hypot", ("y",), "real", True), ("copysign", ("y",), "real", True), ("lgamma", (), "pos", True),
    ("digamma", (), "pos", True), ("polygamma", (1,), "pos", True), ("mvlgamma", (2,), "gt1", True),
    ("i0", (), "real", True), ("sinc", (), "real", True), ("deg2rad", (), "real", True),
    ("rad2deg", (), "real", True), ("ldexp", ("y",), "real", True), ("nextafter", ("y",), "real", True),
    ("logit", (), "prob", True), ("igamma", ("y",), "pos", False), ("igammac", ("y",), "pos", False),
    ("eq", ("y",), "real", False), ("ne", ("y",), "real", False), ("lt", ("y",), "real", False),
    ("le", ("y",), "real", False), ("gt", ("y",), "real", False), ("ge", ("y",), "real", False),
    ("greater", ("y",), "real", False), ("greater_equal", ("y",), "real", False), ("less", ("y",), "real", False),
    ("less_equal", ("y",), "real", False), ("not_equal", ("y",), "real", False),
    ("logical_and", ("y",), "real", False), ("logical_or", ("y",), "real", False),
    ("logical_xor", ("y",), "real", False), ("logical_not", (), "real", False),
    ("float_power", (2.0,), "pos", True), ("pow", (2.0,), "real", True), ("lerp", ("y", 0.25), "real", True),
]


def _domain(rng, domain, shape=(3, 4)):
    a = rng.standard_normal(shape)
    return {"real": a, "pos": np.abs(a) + 0.5, "unit": rng.uniform(-0.9, 0.9, shape),
            "gt1": np.abs(a) + 1.5, "prob": rng.uniform(0.05, 0.95, shape)}[domain]


@pytest.mark.parametrize("name,args,domain,diff", INPLACE, ids=[r[0] for r in INPLACE])
def test_inplace_method_matches_torch(name, args, domain, diff):
    rng = np.random.default_rng(0)
    x, y = _domain(rng, domain), _domain(rng, domain)

    def run(lib, requires_grad):
        leaf = lib.tensor(x, dtype=lib.float64, requires_grad=requires_grad)
        other = lib.tensor(y, dtype=lib.float64, requires_grad=requires_grad)
        a = tuple(other if v == "y" else v for v in args)
        z = leaf * 1.0
        r = getattr(z, name + "_")(*a)
        assert r is z
        return leaf, other, z
    _, _, ze = run(ember, False)
    _, _, zt = run(torch, False)
    # torch's trigamma is good to ~1e-9 (ours to ~1e-15 against scipy, see test_special_accuracy.py)
    tol = 1e-8 if name == "polygamma" else 1e-10
    np.testing.assert_allclose(_np(ze), _np(zt), rtol=tol, atol=1e-12, err_msg=name)
    assert _same_dtype(ze.dtype, zt.dtype)
    if diff:
        le, oe, ze = run(ember, True)
        lt, ot, zt = run(torch, True)
        g = rng.standard_normal(x.shape)
        ze.backward(ember.tensor(g))
        zt.backward(torch.tensor(g))
        np.testing.assert_allclose(_np(le.grad), _np(lt.grad), rtol=max(tol, 1e-8), atol=1e-10, err_msg=name)
        if ot.grad is not None:
            np.testing.assert_allclose(_np(oe.grad), _np(ot.grad), rtol=1e-8, atol=1e-10, err_msg=name)


TOP_INPLACE = ["abs_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_",
               "asin_", "asinh_", "atan_", "atanh_", "ceil_", "cos_", "cosh_", "deg2rad_", "erf_", "erfc_", "exp2_",
               "exp_", "expm1_", "fix_", "floor_", "frac_", "i0_", "log10_", "log1p_", "log2_", "log_", "logit_",
               "nan_to_num_", "neg_", "negative_", "rad2deg_", "reciprocal_", "relu_", "round_", "rsqrt_",
               "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_", "zero_"]


@pytest.mark.parametrize("name", TOP_INPLACE)
def test_top_level_inplace_matches_torch(name):
    x = np.random.default_rng(1).uniform(0.1, 0.9, (2, 3)) * (2.0 if "cosh" in name else 1.0) + (1.0 if "cosh" in name else 0.0)
    e, t = ember.tensor(x), torch.tensor(x)
    re, rt = getattr(ember, name)(e), getattr(torch, name)(t)
    assert re is e
    np.testing.assert_allclose(_np(e), _np(t), rtol=1e-6, atol=1e-7)


def test_top_level_inplace_with_arguments_and_fill():
    for name, args in [("clamp_", (0.2, 0.6)), ("clamp_min_", (0.5,)), ("clamp_max_", (0.5,)), ("clip_", (0.1, 0.4)),
                       ("fill_", (2.5,)), ("gcd_", None), ("lcm_", None), ("ldexp_", None), ("xlogy_", (2.0,))]:
        x = np.arange(1, 7).reshape(2, 3)
        if args is None:
            e, t = ember.tensor(x), torch.tensor(x)
            if name == "ldexp_":
                e, t = e.double(), t.double()
            getattr(ember, name)(e, ember.tensor(x)), getattr(torch, name)(t, torch.tensor(x))
        else:
            e, t = ember.tensor(x / 7.0), torch.tensor(x / 7.0)
            getattr(ember, name)(e, *args), getattr(torch, name)(t, *args)
        np.testing.assert_allclose(_np(e), _np(t), rtol=1e-6, err_msg=name)
    e, t = ember.fill(ember.ones(2, dtype=ember.int64), 3.7), torch.fill(torch.ones(2, dtype=torch.int64), 3.7)
    assert e.tolist() == t.tolist() and _same_dtype(e.dtype, t.dtype)


def test_inplace_on_a_leaf_that_requires_grad_is_refused_like_torch():
    with pytest.raises(RuntimeError, match="leaf"):
        torch.ones(2, requires_grad=True).lgamma_()
    with pytest.raises(RuntimeError, match="leaf"):
        ember.ones(2, requires_grad=True).lgamma_()


def test_comparison_inplace_keeps_the_dtype_like_torch():
    e, t = ember.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0])
    e.gt_(1.5), t.gt_(1.5)
    assert e.tolist() == t.tolist() and _same_dtype(e.dtype, t.dtype)


# -- top-level aliases of functional ops (ATen signatures) ---------------------------------------

def _t(lib, a, rg=False):
    return lib.tensor(np.asarray(a, np.float64), requires_grad=rg)


FUNCTIONAL = {
    "conv1d": lambda L, x: L.conv1d(x.reshape(1, 2, 6), x[:12].reshape(3, 2, 2) * 0 + x.reshape(1, 2, 6)[0, :, :2],
                                    None, 2, 1),
    "conv2d": lambda L, x: L.conv2d(x.reshape(1, 1, 3, 4), x[:4].reshape(1, 1, 2, 2), padding=1),
    "conv_transpose1d": lambda L, x: L.conv_transpose1d(x.reshape(1, 2, 6), x[:4].reshape(2, 1, 2), stride=2),
    "dropout_eval": lambda L, x: L.dropout(x, 0.5, False) + L.alpha_dropout(x, 0.3, False)
    + L.feature_alpha_dropout(x, 0.3, False),
    "dropout_p0": lambda L, x: L.dropout(x, 0.0, True),
    "layer_norm": lambda L, x: L.layer_norm(x.reshape(3, 4), [4], x[:4], x[4:8], 1e-5, True),
    "group_norm": lambda L, x: L.group_norm(x.reshape(1, 4, 3), 2, x[:4], None, 1e-5, True),
    "batch_norm": lambda L, x: L.batch_norm(x.reshape(4, 3), x[:3], x[3:6], None, None, True, 0.1, 1e-5, True),
    "instance_norm": lambda L, x: L.instance_norm(x.reshape(2, 2, 3), None, None, None, None, True, 0.1, 1e-5,
                                                  True),
    "rms_norm": lambda L, x: L.rms_norm(x.reshape(3, 4), [4], x[:4], 1e-6),
    "embedding": lambda L, x: L.embedding(x.reshape(4, 3), L.tensor([[0, 3], [1, 1]])),
    "bilinear": lambda L, x: L.bilinear(x.reshape(3, 4)[:, :2], x.reshape(3, 4)[:, 2:], x[:8].reshape(2, 2, 2)),
    "activations": lambda L, x: L.selu(x) + L.celu(x, 0.7) + L.threshold(x, 0.1, -1.0) + L.hardshrink(x, 0.3)
    + L.rrelu(x, 0.1, 0.3, False) + L.prelu(x.reshape(3, 4), x[:1].abs()).reshape(-1),
    "pixel_shuffle": lambda L, x: L.pixel_unshuffle(L.pixel_shuffle(x.reshape(1, 4, 1, 3), 2), 2),
    "channel_shuffle": lambda L, x: L.channel_shuffle(x.reshape(1, 4, 3), 2) + L.channel_shuffle(
        x.reshape(1, 4, 3), 4),
    "native_channel_shuffle": lambda L, x: L.native_channel_shuffle(x.detach().reshape(2, 6, 1), 3),
    "distances": lambda L, x: L.cosine_similarity(x.reshape(3, 4), x.flip(0).reshape(3, 4))
    + L.pairwise_distance(x.reshape(3, 4), x.flip(0).reshape(3, 4), 3.0),
    "bce_logits": lambda L, x: L.binary_cross_entropy_with_logits(x, L.sigmoid(x.flip(0)), None, None, 2),
    "kl_div": lambda L, x: L.kl_div(L.log_softmax(x, 0), L.softmax(x.flip(0), 0), 0),
    "margin_losses": lambda L, x: L.margin_ranking_loss(x, x.flip(0), L.sign(x), 0.1, 1)
    + L.hinge_embedding_loss(x, L.sign(x.flip(0)), 1.0, 2)
    + L.cosine_embedding_loss(x.reshape(3, 4), x.flip(0).reshape(3, 4), L.tensor([1.0, -1.0, 1.0]), 0.0, 1)
    + L.triplet_margin_loss(x.reshape(3, 4), x.flip(0).reshape(3, 4), x.reshape(3, 4) * 2, 1.0, 2.0, 1e-6, False, 1),
    "poisson_nll": lambda L, x: L.poisson_nll_loss(x, x.abs(), True, False, 1e-8, 0),
    "pools": lambda L, x: L.max_pool1d(x.reshape(1, 2, 6), 2) + L.avg_pool1d(x.reshape(1, 2, 6), 2)
    + L.adaptive_avg_pool1d(x.reshape(1, 2, 6), 3) + L.adaptive_max_pool1d(x.reshape(1, 2, 6), 3)[0]
    + L.max_pool1d_with_indices(x.reshape(1, 2, 6), 2, [2])[0],
    "max_pool2d": lambda L, x: L.max_pool2d(x.reshape(1, 1, 3, 4), 2, [], 0, 1, True),
    "constant_pad_nd": lambda L, x: L.constant_pad_nd(x.reshape(3, 4), [1, 2, 0, 1], 0.5),
    "detach": lambda L, x: L.detach(x) * x,
    "conv3d": lambda L, x: L.conv3d(x.reshape(1, 1, 2, 2, 3), x[:4].reshape(1, 1, 1, 2, 2), None, 1, 1),
    "conv_transpose3d": lambda L, x: L.conv_transpose3d(x.reshape(1, 2, 1, 2, 3), x[:4].reshape(2, 1, 1, 1, 2)),
    "max_pool3d": lambda L, x: L.max_pool3d(x.reshape(1, 1, 2, 2, 3), 2, [], 0, 1, True),
    "ctc_loss": lambda L, x: L.ctc_loss(L.log_softmax(x.reshape(3, 1, 4), 2), L.tensor([[1, 2]]), [3], [2], 0, 1,
                                        False),
    "hardshrink_prelu_methods": lambda L, x: x.hardshrink(0.4) + x.reshape(2, 3, 2).prelu(x[:3] * 0.1).reshape(-1)
    + L.prelu(x, x[:1]) + L.hardshrink(x),
}


@pytest.mark.parametrize("name", list(FUNCTIONAL))
def test_functional_alias_matches_torch(name):
    x = np.random.default_rng(2).standard_normal(12)
    xe, xt = _t(ember, x, True), _t(torch, x, True)
    ye, yt = FUNCTIONAL[name](ember, xe), FUNCTIONAL[name](torch, xt)
    np.testing.assert_allclose(_np(ye), _np(yt), rtol=1e-6, atol=1e-8)
    if yt.requires_grad:
        g = np.random.default_rng(3).standard_normal(tuple(yt.shape))
        ye.backward(ember.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(_np(xe.grad), _np(xt.grad), rtol=1e-6, atol=1e-8)


def test_adaptive_max_pool1d_returns_values_and_indices_like_torch():
    x = np.random.default_rng(0).standard_normal((1, 2, 6))
    (ve, ie), (vt, it) = ember.adaptive_max_pool1d(ember.tensor(x), 2), torch.adaptive_max_pool1d(torch.tensor(x), 2)
    np.testing.assert_allclose(_np(ve), _np(vt))
    np.testing.assert_array_equal(_np(ie), _np(it))


def test_detach_inplace_and_dropout_inplace():
    e = ember.ones(3, requires_grad=True) * 2
    ember.detach_(e)
    assert not e.requires_grad and e.grad_fn is None
    x = ember.ones(4)
    assert ember.dropout_(x, 0.0, True) is x


def test_random_inplace_fills_follow_their_distributions_like_torch():
    torch.manual_seed(0)
    ember.manual_seed(0)
    n = 200000
    for name, args, stat in [("cauchy_", (1.0, 2.0), np.median), ("geometric_", (0.25,), np.mean),
                             ("log_normal_", (0.5, 0.3), lambda a: np.mean(np.log(a)))]:
        e, t = ember.empty(n, dtype=ember.float64), torch.empty(n, dtype=torch.float64)
        assert getattr(e, name)(*args) is e
        getattr(t, name)(*args)
        assert abs(stat(e.numpy()) - stat(t.numpy())) < 0.05, name
    g = ember.empty(1000).geometric_(0.5).numpy()
    assert (g >= 1).all() and (g == np.round(g)).all()


def test_legacy_and_environment_helpers_match_torch():
    prev = ember.get_default_dtype()
    ember.set_default_tensor_type(ember.DoubleTensor)
    assert ember.get_default_dtype() is ember.float64 and ember.tensor([1.5]).dtype is ember.float64
    ember.set_default_tensor_type("torch.FloatTensor")
    assert ember.get_default_dtype() is ember.float32
    ember.set_default_dtype(prev)
    with pytest.raises(TypeError):
        ember.set_default_tensor_type("torch.LongTensor")
    assert ember.get_device(ember.ones(1)) == torch.get_device(torch.ones(1)) == -1
    assert ember.is_storage(ember.ones(1)) == torch.is_storage(torch.ones(1))
    assert ember.is_vulkan_available() == torch.is_vulkan_available()
    assert ember.set_flush_denormal(False) is False


def test_special_namespace_has_every_torch_special_function():
    names = [n for n in dir(torch.special) if not n.startswith("_") and callable(getattr(torch.special, n))
             and n != "Tensor"]
    assert len(names) > 50
    assert [n for n in names if not hasattr(ember.special, n)] == []


def test_pointwise_names_are_torch_names():
    from ember.autograd import pointwise_api as api
    top = set(api.TOP_LEVEL) | set(api.FUNCTIONAL_ALIASES) | set(api.LAZY)
    assert sorted(n for n in top if not hasattr(torch, n)) == []
    assert sorted(n for n in top if not hasattr(ember, n)) == []
    methods = set(api.METHODS) | {n + "_" for n in api.INPLACE_FROM_E + api.INPLACE_FROM_P}
    assert sorted(n for n in methods if not hasattr(torch.Tensor, n)) == []
    assert sorted(n for n in methods if not hasattr(ember.Tensor, n)) == []


def test_import_ember_stays_lazy():
    import subprocess
    import sys
    code = ("import sys, ember; print([m for m in ('ember.special', 'ember.functional', "
            "'ember.functional.torch_aliases', 'ember.backend.special_gamma', 'ember.backend.special_bessel') "
            "if m in sys.modules])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"
