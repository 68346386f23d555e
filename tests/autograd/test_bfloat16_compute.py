"""bfloat16 compute against torch on the same inputs: dtypes, promotion, and forward and backward of the
common ops. PyTorch's CPU kernels upcast bfloat16 to float32 and round each op's output once; ember does the
same, so most results are bit for bit torch's (``exact`` is the share of elements that must be equal) and
the rest are within bfloat16's tolerance."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF

RTOL = 1.6e-2  # bfloat16's 8 significant bits, a few roundings deep


def _em(t):
    if t.dtype == torch.bfloat16:
        return ember.tensor(t.float().numpy()).to(ember.bfloat16)
    return ember.tensor(t.numpy())


def _np(t):
    return t.detach().float().numpy()


def _same(ours, theirs, exact, what):
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], what
    a, b = _np(ours), _np(theirs)
    assert a.shape == b.shape, what
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL * max(1.0, float(np.abs(b).max())), err_msg=what)
    share = float((a == b).mean())
    assert share >= exact, f"{what}: {share:.3f} of the elements equal torch's, expected at least {exact}"


def _check(fn_t, fn_e, inputs, exact=1.0, grad_exact=None):
    """Run ``fn_t`` in torch and ``fn_e`` in ember on the same bfloat16 inputs; compare the output and the
    gradient of every floating input for one random output gradient."""
    grad_exact = exact if grad_exact is None else grad_exact
    ti = [t.clone().requires_grad_(t.is_floating_point()) for t in inputs]
    ei = [_em(t).requires_grad_(t.is_floating_point()) for t in inputs]
    out_t, out_e = fn_t(*ti), fn_e(*ei)
    _same(out_e, out_t, exact, "forward")
    g = torch.randn(out_t.shape).to(out_t.dtype)
    out_t.backward(g)
    out_e.backward(_em(g))
    for k, (t, e) in enumerate(zip(ti, ei)):
        if t.grad is not None:
            assert e.grad is not None, f"input {k} got no gradient"
            _same(e.grad, t.grad, grad_exact, f"gradient of input {k}")


def _bf(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).bfloat16()


def test_dtype_facts_and_casts_as_torch():
    x = torch.randn(3, 4)
    e = _em(x)
    assert e.bfloat16().dtype is ember.bfloat16 and e.to(ember.bfloat16).dtype is ember.bfloat16
    assert ember.zeros(2, 3, dtype=ember.bfloat16).dtype is ember.bfloat16
    assert e.bfloat16().is_floating_point() is x.bfloat16().is_floating_point() is True
    assert ember.bfloat16.is_floating_point is torch.bfloat16.is_floating_point is True
    fe, ft = ember.finfo(ember.bfloat16), torch.finfo(torch.bfloat16)
    for name in ("bits", "eps", "max", "min", "tiny", "resolution"):
        assert float(getattr(fe, name)) == float(getattr(ft, name)), name
    assert repr(e.bfloat16()).replace("ember", "torch") == repr(x.bfloat16())
    np.testing.assert_array_equal(_np(e.bfloat16()), _np(x.bfloat16()))


@pytest.mark.parametrize("other", ["float32", "float16", "float64", "int64", "scalar_float", "scalar_int", "0d_f32"])
def test_type_promotion_as_torch(other):
    x = torch.randn(5).bfloat16()
    y = {"float32": torch.randn(5), "float16": torch.randn(5).half(), "float64": torch.randn(5).double(),
         "int64": torch.arange(5), "scalar_float": 1.3, "scalar_int": 3, "0d_f32": torch.tensor(0.7)}[other]
    ye = _em(y) if isinstance(y, torch.Tensor) else y
    for op in (lambda a, b: a + b, lambda a, b: a * b, lambda a, b: b - a, lambda a, b: a / b):
        _same(op(_em(x), ye), op(x, y), 1.0, other)


def test_requires_grad_on_a_bfloat16_leaf():
    e = ember.ones(3, dtype=ember.bfloat16).requires_grad_()
    (e * 3.0).sum().backward()
    assert e.grad.dtype is ember.bfloat16 and e.grad.tolist() == [3.0, 3.0, 3.0]


@pytest.mark.parametrize("name", ["add", "mul", "sub_scalar", "mul_scalar", "div_scalar", "div", "exp", "tanh",
                                  "sigmoid", "relu", "gelu", "gelu_tanh", "silu", "sqrt", "square"])
def test_elementwise_forward_and_backward_as_torch(name):
    x, y = _bf(6, 7), _bf(6, 7)
    ops = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "sub_scalar": lambda a, b: 0.1 - a + b,
           "mul_scalar": lambda a, b: a * 1.0039 + b, "div_scalar": lambda a, b: a / 3.3 + b,
           "div": lambda a, b: a / (b.abs() + 1), "exp": lambda a, b: a.exp(), "tanh": lambda a, b: a.tanh(),
           "sigmoid": lambda a, b: a.sigmoid(), "sqrt": lambda a, b: (a.abs() + 1).sqrt(),
           "square": lambda a, b: a * a}
    acts = {"relu": "relu", "gelu": "gelu", "silu": "silu"}
    if name in acts:
        _check(getattr(TF, acts[name]), getattr(EF, acts[name]), [x])
    elif name == "gelu_tanh":
        _check(lambda a: TF.gelu(a, approximate="tanh"), lambda a: EF.gelu(a, approximate="tanh"), [x])
    else:
        _check(ops[name], ops[name], [x, y])


def test_matmul_linear_and_bmm_as_torch():
    x, w, b = _bf(5, 16), _bf(7, 16), _bf(7)
    _check(lambda a, c: a @ c.T, lambda a, c: a @ c.T, [x, w])
    _check(TF.linear, EF.linear, [x, w, b])
    _check(TF.linear, EF.linear, [_bf(2, 3, 16), w, b])
    _check(torch.bmm, ember.bmm, [_bf(2, 3, 4), _bf(2, 4, 5)])


def test_conv2d_as_torch():
    _check(lambda a, w, b: TF.conv2d(a, w, b, padding=1), lambda a, w, b: EF.conv2d(a, w, b, padding=1),
           [_bf(2, 3, 8, 8), _bf(4, 3, 3, 3), _bf(4)])


def test_softmax_log_softmax_and_cross_entropy_as_torch():
    x = _bf(6, 40, scale=3.0)
    _check(lambda a: TF.softmax(a, -1), lambda a: EF.softmax(a, -1), [x])
    _check(lambda a: TF.log_softmax(a, 1), lambda a: EF.log_softmax(a, 1), [x])
    t = torch.randint(0, 40, (6,))
    # The reduction: torch adds the picked log-probabilities in a cascade of bfloat16 partial sums, ember in
    # float32 (rounded once; 'mean' then divides by the count): the loss may differ in its last bit.
    _check(lambda a: TF.cross_entropy(a, t), lambda a: EF.cross_entropy(a, _em(t)), [x], exact=0.0,
           grad_exact=1.0)
    _check(lambda a: TF.cross_entropy(a, t, reduction="sum"), lambda a: EF.cross_entropy(a, _em(t), reduction="sum"),
           [x], exact=0.0, grad_exact=1.0)


def test_layer_norm_as_torch():
    # torch sums the weight's and bias's gradients over the rows in bfloat16 (in an order set by its thread
    # count); ember sums them in float32: those two agree within tolerance, the rest bit for bit.
    x, w, b = _bf(4, 5, 32), _bf(32), _bf(32)
    ti = [t.clone().requires_grad_() for t in (x, w, b)]
    ei = [_em(t).requires_grad_() for t in (x, w, b)]
    yt, ye = TF.layer_norm(ti[0], (32,), ti[1], ti[2]), EF.layer_norm(ei[0], (32,), ei[1], ei[2])
    _same(ye, yt, 1.0, "forward")
    g = _bf(4, 5, 32)
    yt.backward(g)
    ye.backward(_em(g))
    _same(ei[0].grad, ti[0].grad, 1.0, "input gradient")
    _same(ei[1].grad, ti[1].grad, 0.0, "weight gradient")
    _same(ei[2].grad, ti[2].grad, 0.0, "bias gradient")


def test_embedding_and_reductions_as_torch():
    idx = torch.randint(0, 10, (4, 6))
    _check(lambda w: TF.embedding(idx, w), lambda w: EF.embedding(_em(idx), w), [_bf(10, 8)])
    x = _bf(4, 1000)
    _check(lambda a: a.sum(), lambda a: a.sum(), [x])
    _check(lambda a: a.sum(1), lambda a: a.sum(1), [x])
    _check(lambda a: a.mean(), lambda a: a.mean(), [x])
    _check(lambda a: a.mean(-1, keepdim=True), lambda a: a.mean(-1, keepdim=True), [x])
    _check(lambda a: a.var(-1), lambda a: a.var(-1), [x], grad_exact=0.3)


def test_mse_loss_as_torch():
    _check(TF.mse_loss, EF.mse_loss, [_bf(8, 5), _bf(8, 5)], grad_exact=0.5)


def test_pooling_clamp_leaky_relu_einsum_addmm_as_torch():
    img = _bf(2, 3, 8, 8)
    _check(lambda a: TF.max_pool2d(a, 2), lambda a: EF.max_pool2d(a, 2), [img])
    _check(lambda a: TF.avg_pool2d(a, 2), lambda a: EF.avg_pool2d(a, 2), [img])
    _check(lambda a: TF.adaptive_avg_pool2d(a, 1), lambda a: EF.adaptive_avg_pool2d(a, 1), [img])
    x = _bf(5, 8)
    _check(lambda a: a.clamp(-0.3, 0.7), lambda a: a.clamp(-0.3, 0.7), [x])
    _check(TF.leaky_relu, EF.leaky_relu, [x])
    _check(lambda a, b: torch.einsum("ij,kj->ik", a, b), lambda a, b: ember.einsum("ij,kj->ik", a, b), [x, _bf(3, 8)])
    _check(lambda c, a, b: torch.addmm(c, a, b), lambda c, a, b: ember.addmm(c, a, b), [_bf(3), x, _bf(8, 3)],
           grad_exact=0.5)
