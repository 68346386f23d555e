"""Every functional op passes float64 gradcheck; the fused ones also pass gradgradcheck (their
higher-order gradients go through the composite definitions)."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck

rng = np.random.default_rng(0)


def t(*shape, lo=None, positive=False):
    a = rng.standard_normal(shape)
    if positive:
        a = np.abs(a) + 0.2
    a[np.abs(a) < 0.05] += 0.1  # keep clear of kinks at 0
    return ember.tensor(a, requires_grad=True)


def const(a):
    return ember.tensor(np.asarray(a))


IDX = const(np.array([1, 0, 3]))
W4 = const(np.array([0.5, 2.0, 1.0, 0.3]))
POS = const(np.abs(rng.standard_normal((3, 4))))
SIGNS = const(np.sign(rng.standard_normal((3, 4))))
BITS = const((rng.random((3, 4)) > 0.5) * 1.0)

OPS = {
    "relu": (lambda x: F.relu(x), [(3, 4)]),
    "relu6": (lambda x: F.relu6(x * 4), [(3, 4)]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), [(3, 4)]),
    "prelu": (lambda x, w: F.prelu(x, w), [(3, 4, 2), (4,)]),
    "elu": (lambda x: F.elu(x, 0.7), [(3, 4)]),
    "selu": (lambda x: F.selu(x), [(3, 4)]),
    "celu": (lambda x: F.celu(x, 1.3), [(3, 4)]),
    "gelu": (lambda x: F.gelu(x), [(3, 4)]),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), [(3, 4)]),
    "silu": (lambda x: F.silu(x), [(3, 4)]),
    "mish": (lambda x: F.mish(x), [(3, 4)]),
    "softplus": (lambda x: F.softplus(x * 5, beta=2.0, threshold=4.0), [(3, 4)]),
    "softsign": (lambda x: F.softsign(x), [(3, 4)]),
    "hardtanh": (lambda x: F.hardtanh(x * 2), [(3, 4)]),
    "hardsigmoid": (lambda x: F.hardsigmoid(x * 4), [(3, 4)]),
    "hardswish": (lambda x: F.hardswish(x * 4), [(3, 4)]),
    "logsigmoid": (lambda x: F.logsigmoid(x * 5), [(3, 4)]),
    "tanhshrink": (lambda x: F.tanhshrink(x), [(3, 4)]),
    "softshrink": (lambda x: F.softshrink(x, 0.3), [(3, 4)]),
    "hardshrink": (lambda x: F.hardshrink(x, 0.3), [(3, 4)]),
    "threshold": (lambda x: F.threshold(x, 0.2, -1.0), [(3, 4)]),
    "glu": (lambda x: F.glu(x, 1), [(3, 4)]),
    "softmax": (lambda x: F.softmax(x, 1), [(3, 4)]),
    "log_softmax": (lambda x: F.log_softmax(x, 0), [(3, 4)]),
    "softmin": (lambda x: F.softmin(x, 1), [(3, 4)]),
    "linear": (lambda x, w, b: F.linear(x, w, b), [(3, 4), (2, 4), (2,)]),
    "linear_3d": (lambda x, w: F.linear(x, w), [(2, 3, 4), (2, 4)]),
    "bilinear": (lambda a, b, w, c: F.bilinear(a, b, w, c), [(3, 2), (3, 3), (2, 2, 3), (2,)]),
    "embedding": (lambda w: F.embedding(const(np.array([[1, 0], [3, 1]])), w), [(4, 3)]),
    "cosine_similarity": (lambda a, b: F.cosine_similarity(a, b), [(3, 4), (3, 4)]),
    "pairwise_distance": (lambda a, b: F.pairwise_distance(a, b), [(3, 4), (3, 4)]),
    "normalize": (lambda a: F.normalize(a, dim=1), [(3, 4)]),
    "cross_entropy": (lambda x: F.cross_entropy(x, IDX, weight=W4, label_smoothing=0.1), [(3, 4)]),
    "cross_entropy_kdim": (lambda x: F.cross_entropy(x, const(np.array([[0, 3], [1, 1]])), ignore_index=3,
                                                     reduction="none"), [(2, 4, 2)]),
    "cross_entropy_probs": (lambda x, p: F.cross_entropy(x, p, weight=W4), [(3, 4), (3, 4)]),
    "nll_loss": (lambda x: F.nll_loss(x, IDX, weight=W4), [(3, 4)]),
    "mse_loss": (lambda a, b: F.mse_loss(a, b), [(3, 4), (3, 4)]),
    "l1_loss": (lambda a, b: F.l1_loss(a, b, reduction="sum"), [(3, 4), (3, 4)]),
    "smooth_l1_loss": (lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), [(3, 4), (3, 4)]),
    "huber_loss": (lambda a, b: F.huber_loss(a, b, delta=0.5), [(3, 4), (3, 4)]),
    "bce": (lambda x, y: F.binary_cross_entropy(ember.sigmoid(x), ember.sigmoid(y), weight=W4), [(3, 4), (3, 4)]),
    "bce_logits": (lambda x, y: F.binary_cross_entropy_with_logits(x, ember.sigmoid(y), pos_weight=W4),
                   [(3, 4), (3, 4)]),
    "kl_div": (lambda x, y: F.kl_div(F.log_softmax(x, 1), F.softmax(y, 1), reduction="batchmean"),
               [(3, 4), (3, 4)]),
    "poisson_nll": (lambda x: F.poisson_nll_loss(x, POS), [(3, 4)]),
    "gaussian_nll": (lambda x, v: F.gaussian_nll_loss(x, const(np.zeros((3, 4))), v * v + 0.1), [(3, 4), (3, 4)]),
    "margin_ranking": (lambda a, b: F.margin_ranking_loss(a, b, const(np.array([1.0, -1.0, 1.0]))), [(3,), (3,)]),
    "cosine_embedding": (lambda a, b: F.cosine_embedding_loss(a, b, const(np.array([1.0, -1.0, 1.0]))),
                         [(3, 4), (3, 4)]),
    "triplet": (lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=3.0, swap=True), [(3, 4), (3, 4), (3, 4)]),
    "soft_margin": (lambda x: F.soft_margin_loss(x, SIGNS), [(3, 4)]),
    "multilabel_soft_margin": (lambda x: F.multilabel_soft_margin_loss(x, BITS),
                               [(3, 4)]),
    "multi_margin": (lambda x: F.multi_margin_loss(x, IDX, p=2), [(3, 4)]),
    "hinge_embedding": (lambda x: F.hinge_embedding_loss(x, SIGNS),
                        [(3, 4)]),
}


@pytest.mark.parametrize("name", list(OPS))
def test_gradcheck(name):
    fn, shapes = OPS[name]
    assert gradcheck(fn, tuple(t(*s) for s in shapes), eps=1e-6, atol=1e-6)


FUSED = ["relu", "leaky_relu", "hardtanh", "gelu", "gelu_tanh", "silu", "linear", "linear_3d", "embedding",
         "cross_entropy", "cross_entropy_kdim", "cross_entropy_probs", "nll_loss", "mse_loss", "bce", "bce_logits"]


@pytest.mark.parametrize("name", FUSED)
def test_gradgradcheck_fused(name):
    fn, shapes = OPS[name]
    assert gradgradcheck(fn, tuple(t(*s) for s in shapes), eps=1e-6, atol=1e-5)


def test_gelu_float32_erf_approximation_is_close():
    x = np.linspace(-6, 6, 2001)
    import torch
    ref = torch.nn.functional.gelu(torch.tensor(x)).numpy()
    got = F.gelu(ember.tensor(x.astype(np.float32))).numpy()
    assert np.abs(got - ref).max() < 2e-6


def test_hardshrink_zeros_are_positive_as_torch():
    # torch writes +0 in the band (a 0 mask times a negative input gave -0, printed as "-0.")
    x = np.array([-0.3, -0.7, 0.2, 0.9, 0.0, -0.0, -0.5, 0.5], np.float32)
    e = F.hardshrink(ember.tensor(x), 0.5).numpy()
    t = torch.nn.functional.hardshrink(torch.tensor(x), 0.5).numpy()
    np.testing.assert_array_equal(e, t)
    assert np.signbit(e).tolist() == np.signbit(t).tolist()
