"""Layers against their PyTorch twins: same weights, same inputs, same outputs and gradients."""
import numpy as np
import pytest
import torch

import ember
from ember import nn
from tests.nn.helpers import compare_modules, copy_weights, em, th, assert_close

rng = np.random.default_rng(0)


def randn(*shape):
    return rng.standard_normal(shape)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4)])
def test_linear(dtype, bias, shape):
    compare_modules(nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias), [randn(*shape)], dtype)


def test_linear_double_backward_matches_torch():
    e, t = nn.Linear(3, 2).double(), torch.nn.Linear(3, 2).double()
    copy_weights(t, e)
    x = randn(4, 3)
    xe, xt = em(x, True), th(x, True)
    ge, = ember.autograd.grad((e(xe) ** 2).sum(), xe, create_graph=True)
    gt, = torch.autograd.grad((t(xt) ** 2).sum(), xt, create_graph=True)
    ge.sum().backward()
    gt.sum().backward()
    assert_close(xe.grad, xt.grad)
    assert_close(e.weight.grad, t.weight.grad)


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear(bias):
    compare_modules(nn.Bilinear(3, 4, 2, bias=bias), torch.nn.Bilinear(3, 4, 2, bias=bias),
                    [randn(5, 3), randn(5, 4)])


def test_identity_flatten_unflatten():
    compare_modules(nn.Identity(54, unused=1), torch.nn.Identity(54, unused=1), [randn(2, 3)])
    compare_modules(nn.Flatten(), torch.nn.Flatten(), [randn(2, 3, 4, 5)])
    compare_modules(nn.Flatten(0, 2), torch.nn.Flatten(0, 2), [randn(2, 3, 4, 5)])
    compare_modules(nn.Unflatten(1, (2, 5)), torch.nn.Unflatten(1, (2, 5)), [randn(3, 10)])


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True}])
def test_embedding(kwargs):
    idx = np.array([[0, 2, 2, 5], [9, 2, 1, 0]])
    compare_modules(nn.Embedding(10, 3, **kwargs), torch.nn.Embedding(10, 3, **kwargs), [idx])


def test_embedding_max_norm_renormalises_rows_in_place():
    e, t = nn.Embedding(10, 4, max_norm=1.0).double(), torch.nn.Embedding(10, 4, max_norm=1.0).double()
    copy_weights(t, e)
    idx = np.array([1, 3, 3, 7])
    compare_modules(e, t, [idx])
    assert_close(e.weight, t.weight)
    norms = np.linalg.norm(e.weight.detach().numpy()[[1, 3, 7]], axis=1)
    assert (norms <= 1.0 + 1e-6).all()
    assert np.linalg.norm(e.weight.detach().numpy()[0]) > 1.0  # rows not looked up keep their norm


def test_embedding_padding_row_init_and_from_pretrained():
    e = nn.Embedding(6, 3, padding_idx=4)
    assert e.weight[4].abs().sum().item() == 0
    w = ember.randn(5, 2)
    frozen = nn.Embedding.from_pretrained(w)
    assert not frozen.weight.requires_grad
    assert np.array_equal(frozen(ember.tensor([1, 3])).numpy(), w.numpy()[[1, 3]])
    trainable = nn.Embedding.from_pretrained(w, freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad and trainable.padding_idx == 0
    assert repr(trainable) == repr(torch.nn.Embedding.from_pretrained(torch.tensor(w.numpy()), freeze=False,
                                                                       padding_idx=0))


ACTIVATIONS = [
    ("ReLU", (), {}), ("ReLU", (), {"inplace": True}), ("ReLU6", (), {}), ("LeakyReLU", (0.2,), {}),
    ("LeakyReLU", (), {"inplace": True}), ("PReLU", (), {}), ("PReLU", (3,), {"init": 0.1}), ("ELU", (), {}),
    ("ELU", (0.5,), {}), ("SELU", (), {}), ("CELU", (0.7,), {}), ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}), ("SiLU", (), {}), ("Mish", (), {}), ("Sigmoid", (), {}),
    ("Tanh", (), {}), ("Softmax", (1,), {}), ("Softmax", (-1,), {}), ("LogSoftmax", (1,), {}),
    ("Softmin", (2,), {}), ("Softplus", (), {}), ("Softplus", (2.0, 1.0), {}), ("Softsign", (), {}),
    ("Hardtanh", (), {}), ("Hardtanh", (-0.5, 2.0), {}), ("Hardsigmoid", (), {}), ("Hardswish", (), {}),
    ("Threshold", (0.1, 20.0), {}), ("LogSigmoid", (), {}), ("Tanhshrink", (), {}), ("Softshrink", (), {}),
    ("Softshrink", (0.8,), {}), ("Hardshrink", (), {}), ("GLU", (), {}), ("GLU", (0,), {}), ("Softmax2d", (), {}),
    ("SiLU", (), {"inplace": True}), ("ELU", (), {"inplace": True}), ("Hardtanh", (), {"inplace": True}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,args,kwargs", ACTIVATIONS, ids=[f"{a[0]}{a[1]}{a[2]}" for a in ACTIVATIONS])
def test_activation_layer(name, args, kwargs, dtype):
    x = randn(2, 3, 4) * 3
    e_mod, t_mod = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(e_mod) == repr(t_mod)
    if kwargs.get("inplace"):
        # An in-place activation on a leaf that requires grad is an error in both; apply it after an op.
        class Wrap(torch.nn.Module):
            def __init__(self, act):
                super().__init__()
                self.act = act

            def forward(self, x):
                return self.act(x * 1.0)

        class EWrap(nn.Module):
            def __init__(self, act):
                super().__init__()
                self.act = act

            def forward(self, x):
                return self.act(x * 1.0)
        e_mod, t_mod = EWrap(e_mod), Wrap(t_mod)
    compare_modules(e_mod, t_mod, [x], dtype)


def test_inplace_activation_overwrites_its_input():
    x = ember.tensor([-1.0, 2.0])
    y = nn.ReLU(inplace=True)(x)
    assert y is x and x.tolist() == [0.0, 2.0]
    leaf = ember.tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        nn.ReLU(inplace=True)(leaf)


def test_rrelu_eval_and_train():
    x = randn(3, 4)
    compare_modules(nn.RReLU(), torch.nn.RReLU(), [x], train=False)
    y = nn.RReLU(0.1, 0.3)(ember.tensor(-np.ones((200, 50)))).numpy()
    assert (-0.3 <= y).all() and (y <= -0.1).all() and y.std() > 0.03


@pytest.mark.parametrize("cls", ["Dropout", "Dropout1d", "Dropout2d", "AlphaDropout", "FeatureAlphaDropout"])
def test_dropout_eval_is_identity_and_repr(cls):
    shape = (2, 3, 4) if cls == "Dropout1d" else (2, 3, 4, 5)
    compare_modules(getattr(nn, cls)(0.3), getattr(torch.nn, cls)(0.3), [randn(*shape)], train=False)
    assert repr(getattr(nn, cls)(0.3, inplace=True)) == repr(getattr(torch.nn, cls)(0.3, inplace=True))


def test_dropout_statistics_and_gradient():
    d = nn.Dropout(0.25)
    x = ember.ones(400, 500, requires_grad=True)
    y = d(x)
    vals = np.unique(y.detach().numpy())
    assert np.allclose(vals, [0.0, 1 / 0.75])
    assert abs((y.detach().numpy() == 0).mean() - 0.25) < 0.01
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), y.detach().numpy())
    assert nn.Dropout(1.0)(ember.ones(3)).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_channels_and_seeding():
    y = nn.Dropout2d(0.5)(ember.ones(8, 16, 5, 5)).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()  # whole channels dropped or kept
    ember.manual_seed(3)
    a = nn.Dropout()(ember.ones(50)).numpy()
    ember.manual_seed(3)
    b = nn.Dropout()(ember.ones(50)).numpy()
    assert np.array_equal(a, b)


def test_alpha_dropout_keeps_moments():
    x = ember.randn(200000, dtype=ember.float64)
    y = nn.AlphaDropout(0.2)(x).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02


def test_lazy_linear_materialises_on_first_call():
    fc = nn.LazyLinear(3)
    assert repr(fc) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    y = fc(ember.randn(2, 5))
    assert y.shape == (2, 3) and type(fc) is nn.Linear and fc.weight.shape == (3, 5)
    assert len(list(fc.parameters())) == 2


def test_distance_layers():
    compare_modules(nn.CosineSimilarity(), torch.nn.CosineSimilarity(), [randn(4, 5), randn(4, 5)])
    compare_modules(nn.PairwiseDistance(), torch.nn.PairwiseDistance(), [randn(4, 5), randn(4, 5)])
    compare_modules(nn.PairwiseDistance(1.0, keepdim=True), torch.nn.PairwiseDistance(1.0, keepdim=True),
                    [randn(4, 5), randn(4, 5)])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag(mode):
    flat = np.array([1, 2, 4, 5, 4, 3, 2, 9])
    offsets = np.array([0, 3, 3, 5])  # includes an empty bag
    e, t = nn.EmbeddingBag(10, 3, mode=mode), torch.nn.EmbeddingBag(10, 3, mode=mode)
    assert repr(e) == repr(t)
    compare_modules(e, t, [flat, offsets])
    compare_modules(nn.EmbeddingBag(10, 3, mode=mode), torch.nn.EmbeddingBag(10, 3, mode=mode),
                    [np.array([[1, 2, 4], [4, 3, 2]])])
