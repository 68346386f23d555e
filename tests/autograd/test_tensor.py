"""Tensor basics: creation, dtypes and promotion, conversion, random streams, repr, errors."""
import numpy as np
import pytest
import torch

import ember


def same_dtype(e, t):
    return str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]


@pytest.mark.parametrize("data", [[1, 2, 3], [1.0, 2], [True, False], [[1, 2], [3, 4]], 3, 2.5, True,
                                  np.arange(3, dtype=np.int32), np.ones(2, np.float64), [np.float32(1.5)],
                                  np.float64(2.0), []])
def test_tensor_infers_torch_dtype(data):
    e, t = ember.tensor(data), torch.tensor(data)
    assert same_dtype(e, t), (e.dtype, t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


PROMOTIONS = [
    ("int32", "int64", False, False), ("int32", "float64", False, True), ("uint8", "int8", False, False),
    ("bool", "int16", False, False), ("float16", "float32", False, False), ("float32", "float64", False, True),
    ("int64", "float32", True, False), ("float32", "float64", True, False), ("int32", "int64", True, False),
    ("float16", "float64", False, True), ("bool", "float32", True, False),
]


@pytest.mark.parametrize("a,b,a0,b0", PROMOTIONS)
def test_tensor_type_promotion_matches_torch(a, b, a0, b0):
    sa = () if a0 else (3,)
    sb = () if b0 else (3,)
    ea, eb = ember.ones(sa, dtype=getattr(ember, a)), ember.ones(sb, dtype=getattr(ember, b))
    ta, tb = torch.ones(sa, dtype=getattr(torch, a)), torch.ones(sb, dtype=getattr(torch, b))
    for f in (lambda x, y: x + y, lambda x, y: x * y, lambda x, y: y - x if y.dtype != x.dtype or True else 0):
        try:
            rt = f(ta, tb)
        except RuntimeError:
            continue
        assert same_dtype(f(ea, eb), rt), (a, b, a0, b0)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float16", "float32", "float64"])
@pytest.mark.parametrize("scalar", [2, 2.5, True])
def test_scalar_promotion_matches_torch(dtype, scalar):
    e = ember.ones(3, dtype=getattr(ember, dtype))
    t = torch.ones(3, dtype=getattr(torch, dtype))
    for f in (lambda x: x + scalar, lambda x: x * scalar, lambda x: scalar * x, lambda x: x / 2,
              lambda x: x ** 2 if dtype != "bool" else x):
        assert same_dtype(f(e), f(t)), (dtype, scalar)
        np.testing.assert_allclose(f(e).numpy().astype(float), f(t).numpy().astype(float))


def test_creation_functions_match_torch():
    pairs = [
        (ember.zeros(2, 3), torch.zeros(2, 3)), (ember.ones((2,)), torch.ones((2,))),
        (ember.full((2, 2), 7), torch.full((2, 2), 7)), (ember.full((2,), 1.5), torch.full((2,), 1.5)),
        (ember.arange(5), torch.arange(5)), (ember.arange(1, 2, 0.1), torch.arange(1, 2, 0.1)),
        (ember.arange(0.0, 1.0, 0.3), torch.arange(0.0, 1.0, 0.3)), (ember.arange(10, 0, -3), torch.arange(10, 0, -3)),
        (ember.linspace(0, 1, 7), torch.linspace(0, 1, 7)), (ember.eye(3, 4), torch.eye(3, 4)),
        (ember.zeros_like(ember.ones(2, dtype=ember.int32)), torch.zeros_like(torch.ones(2, dtype=torch.int32))),
        (ember.full_like(ember.ones(2), 3), torch.full_like(torch.ones(2), 3)),
        (ember.empty(2, 0).shape, torch.empty(2, 0).shape),
    ]
    for e, t in pairs:
        if isinstance(t, torch.Size):
            assert tuple(e) == tuple(t)
            continue
        assert same_dtype(e, t) and tuple(e.shape) == tuple(t.shape)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)


def test_tensor_attributes_and_conversions():
    x = ember.arange(6).reshape(2, 3)
    assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(1) == 3 and x.ndim == 2 and x.dim() == 2
    assert repr(x.shape) == "ember.Size([2, 3])"
    assert x.numel() == 6 and len(x) == 2 and str(x.device) == "cpu"
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert x[1, 2].item() == 5 and isinstance(x[1, 2].item(), int)
    assert [r.tolist() for r in x] == [[0, 1, 2], [3, 4, 5]]
    assert np.asarray(x).dtype == np.int64
    f = x.float()
    assert f.dtype == ember.float32 and x.double().dtype == ember.float64 and f.long().dtype == ember.int64
    assert f.half().dtype == ember.float16 and f.int().dtype == ember.int32 and (f > 2).dtype == ember.bool
    assert f.to(ember.float64).dtype == ember.float64 and f.to("cpu") is f and f.type_as(x).dtype == ember.int64
    assert f.to(ember.float32) is f
    with pytest.raises(RuntimeError, match="CPU"):
        f.to("cuda")
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        x.item()
    arr = np.zeros((2, 2), np.float32)
    assert np.shares_memory(ember.from_numpy(arr).numpy(), arr)
    assert np.shares_memory(ember.as_tensor(arr).numpy(), arr)
    assert not np.shares_memory(ember.tensor(arr).numpy(), arr)


def test_repr_matches_torch():
    cases = [([[1.5, -2.25], [3.0, 4.0]], {}), ([1, 2, 3], {}), ([True, False], {}), (3.5, {}),
             ([1.0, 2.0], {"dtype": "float64"}), ([0.001, 1000.0], {})]
    for data, kw in cases:
        e = ember.tensor(data, dtype=getattr(ember, kw["dtype"]) if kw else None)
        t = torch.tensor(data, dtype=getattr(torch, kw["dtype"]) if kw else None)
        assert repr(e).replace("ember", "torch") == repr(t)
    e = ember.ones(2, requires_grad=True)
    assert repr(e) == "tensor([1., 1.], requires_grad=True)"
    assert repr(e * 2) == "tensor([2., 2.], grad_fn=<MulBackward0>)"


def test_manual_seed_reproducible_and_generator_streams():
    ember.manual_seed(123)
    a = [ember.rand(3), ember.randn(2, 2), ember.randint(0, 10, (4,)), ember.randperm(5),
         ember.normal(0.0, 2.0, (3,)), ember.bernoulli(ember.full((5,), 0.5)),
         ember.multinomial(ember.tensor([0.1, 0.2, 0.7]), 2)]
    ember.manual_seed(123)
    b = [ember.rand(3), ember.randn(2, 2), ember.randint(0, 10, (4,)), ember.randperm(5),
         ember.normal(0.0, 2.0, (3,)), ember.bernoulli(ember.full((5,), 0.5)),
         ember.multinomial(ember.tensor([0.1, 0.2, 0.7]), 2)]
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and (x == y).all()
    g = ember.Generator().manual_seed(5)
    r1 = ember.rand(4, generator=g)
    g.manual_seed(5)
    assert (ember.rand(4, generator=g) == r1).all()
    state = ember.get_rng_state()
    x1 = ember.randn(3)
    ember.set_rng_state(state)
    assert (ember.randn(3) == x1).all()


def test_random_distributions_have_the_right_moments():
    ember.manual_seed(0)
    u = ember.rand(100_000)
    assert u.dtype == ember.float32 and 0 <= u.min().item() and u.max().item() < 1
    assert abs(u.mean().item() - 0.5) < 0.01
    n = ember.randn(100_000)
    assert abs(n.mean().item()) < 0.02 and abs(n.std().item() - 1) < 0.02
    r = ember.randint(3, 7, (10_000,))
    assert r.dtype == ember.int64 and set(r.unique().tolist()) == {3, 4, 5, 6}
    p = ember.randperm(50)
    assert sorted(p.tolist()) == list(range(50))
    m = ember.multinomial(ember.tensor([0.0, 1.0, 3.0]), 20_000, replacement=True)
    counts = np.bincount(m.numpy(), minlength=3) / 20_000
    assert counts[0] == 0 and abs(counts[2] - 0.75) < 0.02


def test_errors_name_shapes():
    with pytest.raises(RuntimeError, match=r"\(32, 784\) and \(128, 10\) cannot be multiplied \(784 != 128\)"):
        ember.zeros(32, 784) @ ember.zeros(128, 10)
    with pytest.raises(RuntimeError, match=r"\(3, 4\) and \(5,\) cannot be broadcast"):
        ember.zeros(3, 4) + ember.zeros(5)
    with pytest.raises(RuntimeError, match="invalid for input of size 6"):
        ember.zeros(2, 3).view(4, 2)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        ember.zeros(2, 3).t().view(6)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.zeros(2, 3).sum(2)
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        ember.arange(3).mean()
    with pytest.raises(RuntimeError, match="sizes of tensors must match"):
        ember.cat([ember.zeros(2, 3), ember.zeros(3, 3)], 1)
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        ember.stack([ember.zeros(2), ember.zeros(3)])
    with pytest.raises(RuntimeError, match="gather"):
        ember.zeros(2, 3).gather(1, ember.tensor([[5]]))
    with pytest.raises(TypeError, match="dtype"):
        ember.tensor(np.array(["a"]))


def test_inplace_methods_without_grad():
    x = ember.zeros(3)
    x.add_(1).mul_(3).sub_(ember.ones(3)).div_(2)
    np.testing.assert_allclose(x.numpy(), [1, 1, 1])
    x.addcmul_(ember.ones(3), ember.full((3,), 2.0), value=0.5)
    x.addcdiv_(ember.ones(3), ember.full((3,), 4.0))
    np.testing.assert_allclose(x.numpy(), [2.25] * 3)
    x.clamp_(max=2.0).sqrt_()
    np.testing.assert_allclose(x.numpy(), [np.sqrt(2)] * 3, rtol=1e-6)
    x.zero_().fill_(4).exp_()
    np.testing.assert_allclose(x.numpy(), [np.exp(4)] * 3, rtol=1e-6)
    x.copy_(ember.tensor([1.0, 2.0, 3.0]))
    x.uniform_(-1, 1)
    assert ((x >= -1) & (x < 1)).all()
    v = x._version
    x.normal_()
    assert x._version > v
    with pytest.raises(RuntimeError, match="can't be cast"):
        ember.zeros(2, dtype=ember.int64).add_(1.5)


def test_setitem_and_indexing_semantics():
    x = ember.zeros(3, 4)
    x[0] = 1.0
    x[:, 1] = ember.tensor([5.0, 6.0, 7.0])
    x[x > 6] = -1
    x[[1, 2], [3, 3]] = 2.0
    t = torch.zeros(3, 4)
    t[0] = 1.0
    t[:, 1] = torch.tensor([5.0, 6.0, 7.0])
    t[t > 6] = -1
    t[[1, 2], [3, 3]] = 2.0
    np.testing.assert_array_equal(x.numpy(), t.numpy())
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]


def test_fmax_fmin_ignore_nan_like_torch():
    nan = float("nan")
    a, b = [1.0, nan, 3.0, nan], [nan, 2.0, 1.0, nan]
    for name in ("fmax", "fmin", "maximum", "minimum"):
        e = getattr(ember, name)(ember.tensor(a), ember.tensor(b))
        t = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
        np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_fmax_fmin_gradients_with_nan_and_ties_match_torch():
    nan = float("nan")
    a, b = [1.0, nan, 3.0, 1.0], [nan, 2.0, 3.0, 2.0]
    for name in ("fmax", "fmin", "maximum", "minimum"):
        grads = []
        for lib in (ember, torch):
            x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
            getattr(lib, name)(x, y).sum().backward()
            grads.append((x.grad.numpy(), y.grad.numpy()))
        np.testing.assert_array_equal(grads[0][0], grads[1][0], err_msg=name)
        np.testing.assert_array_equal(grads[0][1], grads[1][1], err_msg=name)


@pytest.mark.parametrize("spec", [("cuda",), ("cuda", 1), ("cuda:0",), ("mps",), ("meta",), ("cpu",), ("cpu", 0),
                                  ("xpu:2",)])
def test_device_objects_parse_as_torch(spec):
    # torch.device("cuda:0") is only a name: building it works without a GPU (using it does not)
    e, t = ember.device(*spec), torch.device(*spec)
    assert (repr(e), str(e), e.type, e.index) == (repr(t), str(t), t.type, t.index)
    assert e == ember.device(str(t)) and hash(e) == hash(ember.device(str(t)))


@pytest.mark.parametrize("spec", ["gpu", "cuda:x", "cuda:-1", 0])
def test_bad_device_names_raise_as_torch(spec):
    with pytest.raises(RuntimeError) as theirs:
        torch.device(spec)
    with pytest.raises(RuntimeError) as ours:
        ember.device(spec)
    assert str(ours.value) == str(theirs.value)


def test_tensors_and_modules_stay_on_the_cpu():
    gpu = ember.device("cuda")
    assert ember.device("cuda", 1) != gpu and ember.device("cpu", 0) == ember.device("cpu") == "cpu"
    for fn in (lambda: ember.ones(1, device=gpu), lambda: ember.ones(1).to(gpu), lambda: ember.ones(1).to(device="cuda:0"),
               lambda: ember.nn.Linear(1, 1).to(gpu)):
        with pytest.raises(RuntimeError, match="CPU only"):
            fn()


def test_view_takes_dtype_as_a_keyword_as_torch():
    e, t = ember.arange(8, dtype=ember.uint8), torch.arange(8, dtype=torch.uint8)
    np.testing.assert_array_equal(e.view(dtype=ember.int32).numpy(), t.view(dtype=torch.int32).numpy())
    assert e.view(dtype=ember.int16).dtype == ember.int16


def test_split_method_names_its_argument_split_size_as_torch():
    # Tensor.split(split_size, dim) but torch.split(tensor, split_size_or_sections, dim), as mamba-minimal relies on
    e, t = ember.arange(6), torch.arange(6)
    for call in (lambda x: x.split(split_size=[2, 4], dim=-1), lambda x: x.split(4, 0), lambda x: x.split(split_size=2)):
        assert [v.tolist() for v in call(e)] == [v.tolist() for v in call(t)]
    assert [v.tolist() for v in ember.split(e, split_size_or_sections=[1, 5])] == \
        [v.tolist() for v in torch.split(t, split_size_or_sections=[1, 5])]
    for lib, x in ((ember, e), (torch, t)):
        with pytest.raises(TypeError, match="Tensor.split.. got an unexpected keyword argument"):
            x.split(split_size_or_sections=2)


@pytest.mark.parametrize("call", [
    lambda L, x: x.pow(exponent=2), lambda L, x: L.pow(x, exponent=3), lambda L, x: L.pow(input=x, exponent=2),
    lambda L, x: L.lerp(input=x, end=x * 2, weight=0.25), lambda L, x: x.nanmean(dtype=L.float64),
    lambda L, x: L.nanmean(x, dim=0, dtype=L.float64), lambda L, x: x.clone().transpose_(dim0=0, dim1=1),
    lambda L, x: x.clone().swapaxes_(axis0=0, axis1=1), lambda L, x: x.clone().swapdims_(dim0=1, dim1=0),
    lambda L, x: (L.manual_seed(0), x.multinomial(num_samples=2, replacement=True))[1]])
def test_keyword_names_match_torch(call):
    x = np.array([[0.2, 0.5, 0.1], [0.3, 0.7, 0.4]], np.float32)
    e, t = call(ember, ember.tensor(x)), call(torch, torch.tensor(x))
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)


@pytest.mark.parametrize("element", [3.0, 9.0, 4, True, "row", "tensor9", "str"])
def test_in_operator_matches_torch(element):
    def run(L):
        x = L.arange(6.).view(2, 3)
        el = {"row": x[0], "tensor9": L.tensor(9.0), "str": "a"}.get(element, element)
        try:
            return el in x
        except Exception as exc:  # the error is the result under test
            return type(exc), str(exc)
    assert run(ember) == run(torch)


@pytest.mark.parametrize("call", [lambda L: L.atleast_1d(L.tensor(1.0), L.tensor([2.0])),
                                  lambda L: L.atleast_2d([L.tensor(1.0), L.ones(3)]), lambda L: L.atleast_3d(),
                                  lambda L: L.atleast_2d((L.tensor(1.0),)), lambda L: L.atleast_1d(L.tensor(1.0)),
                                  lambda L: L.atleast_3d(L.ones(2), L.ones(2, 2))])
def test_atleast_nd_take_several_tensors_as_torch(call):
    def shapes(r):
        return [tuple(t.shape) for t in r] if isinstance(r, tuple) else tuple(r.shape)
    assert shapes(call(ember)) == shapes(call(torch))
