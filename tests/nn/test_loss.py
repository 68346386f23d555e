"""Losses against PyTorch: values and gradients over reductions, weights, ignore_index, smoothing, K-dim."""
import numpy as np
import pytest
import torch

import ember
from ember import nn
import ember.nn.functional as F
from tests.nn.helpers import compare_modules, compare_fn

rng = np.random.default_rng(0)
REDUCTIONS = ["mean", "sum", "none"]


def randn(*shape):
    return rng.standard_normal(shape)


def loss_pair(name, *args, **kwargs):
    def conv(v):
        return v.numpy() if isinstance(v, ember.Tensor) else v
    t_kwargs = {k: torch.tensor(conv(v)) if isinstance(v, ember.Tensor) else v for k, v in kwargs.items()}
    return getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **t_kwargs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kwargs", [("MSELoss", {}), ("L1Loss", {}), ("SmoothL1Loss", {}),
                                         ("SmoothL1Loss", {"beta": 0.5}), ("SmoothL1Loss", {"beta": 0.0}),
                                         ("HuberLoss", {}), ("HuberLoss", {"delta": 0.3}), ("SoftMarginLoss", {})])
def test_regression_losses(name, kwargs, reduction, dtype):
    e, t = loss_pair(name, reduction=reduction, **kwargs)
    x, y = randn(4, 5), randn(4, 5)
    if name == "SoftMarginLoss":
        y = np.sign(y)
    compare_modules(e, t, [x, y], dtype, needs=[True, name != "SoftMarginLoss"])


def test_mse_target_gradient_and_broadcast_warning():
    compare_fn(F.mse_loss, torch.nn.functional.mse_loss, [randn(3, 4), randn(3, 4)])
    with pytest.warns(UserWarning, match="target size"):
        F.mse_loss(ember.zeros(4, 1), ember.zeros(4))


WEIGHT = ember.tensor(np.array([0.2, 1.0, 3.0, 0.5], dtype=np.float64))
CE_CASES = [
    {}, {"weight": WEIGHT}, {"ignore_index": 1}, {"weight": WEIGHT, "ignore_index": 2},
    {"label_smoothing": 0.1}, {"label_smoothing": 0.2, "weight": WEIGHT},
    {"label_smoothing": 0.3, "ignore_index": 0}, {"label_smoothing": 0.15, "weight": WEIGHT, "ignore_index": 3},
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kwargs", CE_CASES, ids=[str(sorted(k)) for k in CE_CASES])
@pytest.mark.parametrize("shape", [(6, 4), (4,), (3, 4, 5), (2, 4, 3, 2)])
def test_cross_entropy_class_indices(shape, kwargs, reduction):
    x = randn(*shape) * 2
    tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    y = rng.integers(0, 4, tshape)
    if len(shape) == 1:
        y = np.array(2 if kwargs.get("ignore_index") != 2 else 1)
    e, t = loss_pair("CrossEntropyLoss", reduction=reduction, **kwargs)
    compare_modules(e.double(), t.double(), [x, y])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kwargs", [{}, {"weight": WEIGHT}, {"label_smoothing": 0.2},
                                    {"weight": WEIGHT, "label_smoothing": 0.1}])
@pytest.mark.parametrize("shape", [(5, 4), (2, 4, 3)])
def test_cross_entropy_probabilities(shape, kwargs, reduction, dtype):
    x = randn(*shape)
    p = np.exp(randn(*shape))
    p /= p.sum(1, keepdims=True)
    e, t = loss_pair("CrossEntropyLoss", reduction=reduction, **kwargs)
    compare_modules(e, t, [x, p], dtype)


def test_cross_entropy_probability_target_gradient():
    x, p = randn(3, 4), np.abs(randn(3, 4))
    compare_fn(lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1),
               lambda a, b: torch.nn.functional.cross_entropy(a, b, label_smoothing=0.1), [x, p])


def test_cross_entropy_float32_large_batch_and_all_ignored():
    x = randn(64, 10)
    y = rng.integers(0, 10, 64)
    compare_modules(nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), [x, y], np.float32)
    out = F.cross_entropy(ember.randn(3, 4), ember.tensor([-100, -100, -100]))
    assert np.isnan(out.item())


@pytest.mark.parametrize("kwargs", [{"reduction": "none"}, {"weight": WEIGHT, "ignore_index": 0}])
def test_cross_entropy_backward_twice_with_retain_graph(kwargs):
    # The first backward reuses the forward's exp buffer; the second must give the same gradient.
    x = randn(70, 4).astype(np.float32)
    x[:35, 1] += 30.0    # rows of one cache block and of the next, logits far apart
    y = rng.integers(0, 4, 70)
    g = np.linspace(0.5, 1.5, 70).astype(np.float32)
    grads = []
    for lib in (ember, torch):
        kw = {k: lib.tensor(v.numpy().astype(np.float32)) if isinstance(v, ember.Tensor) else v
              for k, v in kwargs.items()}
        a = lib.tensor(x, requires_grad=True)
        loss = lib.nn.functional.cross_entropy(a, lib.tensor(y), **kw)
        go = lib.tensor(g) if loss.dim() else None
        loss.backward(go, retain_graph=True)
        first = a.grad.numpy().copy()
        loss.backward(go)
        grads.append((first, a.grad.numpy() - first))
    for e, t in zip(grads[0], grads[1]):
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kwargs", [{}, {"weight": WEIGHT}, {"ignore_index": 1},
                                    {"weight": WEIGHT, "ignore_index": 0}])
@pytest.mark.parametrize("shape", [(6, 4), (4,), (3, 4, 5)])
def test_nll_loss(shape, kwargs, reduction):
    x = randn(*shape)
    tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    y = rng.integers(0, 4, tshape) if tshape else np.array(3)
    e, t = loss_pair("NLLLoss", reduction=reduction, **kwargs)
    compare_modules(e.double(), t.double(), [x, y])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce(weighted, reduction, dtype):
    x = 1 / (1 + np.exp(-randn(4, 3)))
    x[0, 0], x[1, 1] = 0.0, 1.0  # log clamped at -100, as in PyTorch
    y = (randn(4, 3) > 0).astype(float)
    y[0, 0], y[1, 1] = 1.0, 0.0
    kw = {"weight": ember.tensor(np.abs(randn(3)))} if weighted else {}
    e, t = loss_pair("BCELoss", reduction=reduction, **kw)
    compare_modules(e, t, [x, y], dtype, rtol=1e-5 if dtype == np.float32 else 1e-7)


def test_bce_target_gradient():
    x = 1 / (1 + np.exp(-randn(4, 3)))
    compare_fn(F.binary_cross_entropy, torch.nn.functional.binary_cross_entropy, [x, rng.random((4, 3))])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight,pos_weight", [(False, False), (True, False), (False, True), (True, True)])
def test_bce_with_logits(weight, pos_weight, reduction, dtype):
    x, y = randn(5, 3) * 4, rng.random((5, 3))
    kw = {}
    if weight:
        kw["weight"] = ember.tensor(np.abs(randn(5, 1)))
    if pos_weight:
        kw["pos_weight"] = ember.tensor(np.abs(randn(3)) + 0.5)
    e, t = loss_pair("BCEWithLogitsLoss", reduction=reduction, **kw)
    compare_modules(e, t, [x, y], dtype)
    if pos_weight and weight:
        compare_fn(lambda a, b: F.binary_cross_entropy_with_logits(a, b, **{k: v.double() for k, v in kw.items()}),
                   lambda a, b: torch.nn.functional.binary_cross_entropy_with_logits(
                       a, b, **{k: torch.tensor(v.numpy()).double() for k, v in kw.items()}), [x, y])


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x = np.log(rng.dirichlet(np.ones(5), 4))
    y = rng.dirichlet(np.ones(5), 4)
    y[0, 0] = 0.0
    if log_target:
        y = np.log(y + 0.1)
    e, t = loss_pair("KLDivLoss", reduction=reduction, log_target=log_target)
    with np.errstate(divide="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compare_modules(e, t, [x, y])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_and_embedding_losses(reduction):
    x1, x2, x3 = randn(6, 5), randn(6, 5), randn(6, 5)
    sign = np.where(randn(6) > 0, 1.0, -1.0)
    for name, kw, inputs in [
        ("MarginRankingLoss", {"margin": 0.3}, [x1[:, 0], x2[:, 0], sign]),
        ("CosineEmbeddingLoss", {"margin": 0.2}, [x1, x2, sign]),
        ("HingeEmbeddingLoss", {"margin": 0.5}, [x1, np.where(randn(6, 5) > 0, 1.0, -1.0)]),
        ("TripletMarginLoss", {}, [x1, x2, x3]),
        ("TripletMarginLoss", {"p": 1.0, "swap": True, "margin": 2.0}, [x1, x2, x3]),
        ("MultiLabelSoftMarginLoss", {}, [x1, (x2 > 0).astype(float)]),
        ("MultiLabelSoftMarginLoss", {"weight": ember.tensor(np.abs(randn(5)))}, [x1, (x2 > 0).astype(float)]),
        ("PoissonNLLLoss", {}, [x1, np.abs(x2) * 3]),
        ("PoissonNLLLoss", {"log_input": False, "full": True}, [np.abs(x1) + 0.1, np.abs(x2) * 3]),
        ("MultiMarginLoss", {}, [x1, rng.integers(0, 5, 6)]),
        ("MultiLabelMarginLoss", {}, [x1, np.array([[3, 0, -1, 1, 1], [1, 2, 3, 4, 0], [-1, 0, 0, 0, 0],
                                                    [4, -1, 2, 2, 2], [0, 2, -1, 0, 0], [2, 1, -1, 3, 3]])]),
        ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": ember.tensor(np.abs(randn(5)))},
         [x1, rng.integers(0, 5, 6)]),
    ]:
        e, t = loss_pair(name, reduction=reduction, **kw)
        grad_inputs = [a for a in inputs]
        compare_modules(e.double(), t.double(), grad_inputs)


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", [(6, 5), (6, 1), (6,), (1, 5)])   # (1, 5): one size-1 dimension
def test_gaussian_nll(full, var_shape):
    var = np.abs(randn(*var_shape)) + 0.1
    var.flat[0] = 1e-9  # clamped to eps
    compare_modules(nn.GaussianNLLLoss(full=full), torch.nn.GaussianNLLLoss(full=full),
                    [randn(6, 5), randn(6, 5), var])


def test_loss_buffers_and_repr():
    w = ember.tensor([1.0, 2.0, 3.0])
    ce = nn.CrossEntropyLoss(weight=w)
    assert list(ce.state_dict()) == list(torch.nn.CrossEntropyLoss(weight=torch.ones(3)).state_dict()) == ["weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=w).state_dict()) == ["pos_weight"]
    assert repr(ce) == "CrossEntropyLoss()"
    assert ce.double().weight.dtype == ember.float64


def test_legacy_size_average_reduce():
    x, y = ember.randn(3, 4), ember.randn(3, 4)
    with pytest.warns(UserWarning):
        s = F.mse_loss(x, y, size_average=False)
    assert np.isclose(s.item(), ((x - y) ** 2).sum().item())
    with pytest.warns(UserWarning):
        assert nn.L1Loss(reduce=False)(x, y).shape == (3, 4)
