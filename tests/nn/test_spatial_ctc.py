"""grid_sample / affine_grid and ctc_loss / CTCLoss against PyTorch (values, input and grid/log-prob
gradients) over their options, plus float64 gradcheck."""
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck
from tests.nn.helpers import compare_fn, em

rng = np.random.default_rng(0)
TF = torch.nn.functional


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_grid_sample_2d(mode, padding_mode, align_corners):
    x, grid = rng.normal(size=(2, 3, 5, 6)), rng.uniform(-1.3, 1.3, size=(2, 4, 7, 2))
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    compare_fn(lambda x, g: F.grid_sample(x, g, **kw), lambda x, g: TF.grid_sample(x, g, **kw), [x, grid],
               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_3d(mode, padding_mode, align_corners):
    x, grid = rng.normal(size=(2, 3, 4, 5, 6)), rng.uniform(-1.2, 1.2, size=(2, 3, 4, 2, 3))
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    compare_fn(lambda x, g: F.grid_sample(x, g, **kw), lambda x, g: TF.grid_sample(x, g, **kw), [x, grid],
               rtol=1e-10, atol=1e-12)


def test_grid_sample_float32_and_default_warning():
    x, grid = rng.normal(size=(1, 2, 4, 4)), rng.uniform(-1, 1, size=(1, 3, 3, 2))
    compare_fn(lambda x, g: F.grid_sample(x, g, align_corners=False),
               lambda x, g: TF.grid_sample(x, g, align_corners=False), [x, grid], np.float32)
    with pytest.warns(UserWarning, match="align_corners=False"):
        F.grid_sample(em(x), em(grid))


@pytest.mark.parametrize("mode,padding", [("bilinear", "reflection"), ("bicubic", "border"), ("bilinear", "zeros")])
def test_grid_sample_gradcheck(mode, padding):
    x = em(rng.normal(size=(1, 2, 4, 5)), True)
    grid = em(rng.uniform(-0.9, 0.9, size=(1, 3, 2, 2)), True)
    assert gradcheck(lambda x, g: F.grid_sample(x, g, mode=mode, padding_mode=padding, align_corners=False),
                     (x, grid))


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 4, 2), (2, 3, 1, 6)])
def test_affine_grid_and_its_gradient(size, align_corners):
    theta = rng.normal(size=(2, 2, 3) if len(size) == 4 else (2, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about unit-size grids with align_corners
        compare_fn(lambda t: F.affine_grid(t, size, align_corners=align_corners),
                   lambda t: TF.affine_grid(t, size, align_corners=align_corners), [theta], rtol=1e-12)


def test_spatial_transformer_end_to_end_gradient():
    x, theta = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(2, 2, 3)) * 0.5

    def run(lib, F_):
        xt, tt = lib.tensor(x, requires_grad=True), lib.tensor(theta, requires_grad=True)
        out = F_.grid_sample(xt, F_.affine_grid(tt, (2, 3, 4, 4), align_corners=False), align_corners=False,
                             padding_mode="border")
        (out ** 2).sum().backward()
        return out.detach().numpy(), xt.grad.numpy(), tt.grad.numpy()
    for a, b in zip(run(ember, F), run(torch, TF)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_spatial_errors():
    with pytest.raises(ValueError, match="expected mode to be"):
        F.grid_sample(em(np.zeros((1, 1, 2, 2))), em(np.zeros((1, 1, 1, 2))), mode="area", align_corners=False)
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D"):
        F.grid_sample(em(np.zeros((1, 1, 2, 2, 2))), em(np.zeros((1, 1, 1, 1, 3))), mode="bicubic",
                      align_corners=False)
    with pytest.raises(ValueError, match="Expected a batch of 2D affine matrices"):
        F.affine_grid(em(np.zeros((1, 3, 3))), (1, 1, 2, 2), align_corners=False)


# -- CTC ------------------------------------------------------------------------------------------------------
T, N, C = 12, 4, 6
LOG_PROBS = torch.tensor(rng.normal(size=(T, N, C))).log_softmax(2).numpy()
TARGET_LENGTHS = np.array([3, 5, 1, 0])
TARGETS = rng.integers(1, C, size=(N, 5))
TARGETS[1, 2] = TARGETS[1, 1]                     # a repeated label needs a blank between


@pytest.mark.parametrize("fmt", ["padded", "concatenated"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("input_lengths", [[12, 10, 7, 5], [12, 4, 7, 5]], ids=["feasible", "one-impossible"])
def test_ctc_loss_matches_torch(input_lengths, reduction, zero_infinity, fmt):
    targets = TARGETS if fmt == "padded" else np.concatenate([TARGETS[n, :TARGET_LENGTHS[n]] for n in range(N)])
    il, tl = np.array(input_lengths), TARGET_LENGTHS
    e_loss = nn.CTCLoss(reduction=reduction, zero_infinity=zero_infinity)
    t_loss = torch.nn.CTCLoss(reduction=reduction, zero_infinity=zero_infinity)
    compare_fn(lambda lp: e_loss(lp, em(targets), em(il), em(tl)),
               lambda lp: t_loss(lp, torch.tensor(targets), torch.tensor(il), torch.tensor(tl)),
               [LOG_PROBS], rtol=1e-10, atol=1e-12)


def test_ctc_blank_unbatched_float32_and_lists():
    lp = LOG_PROBS[:, 0]
    tg = np.array([0, 2, 3])
    compare_fn(lambda x: F.ctc_loss(x, em(tg), 10, 3, blank=5),
               lambda x: TF.ctc_loss(x, torch.tensor(tg), torch.tensor(10), torch.tensor(3), blank=5), [lp])
    compare_fn(lambda x: F.ctc_loss(x, em(TARGETS), [12, 9, 8, 6], [3, 5, 1, 0]),
               lambda x: TF.ctc_loss(x, torch.tensor(TARGETS), [12, 9, 8, 6], [3, 5, 1, 0]), [LOG_PROBS],
               np.float32)


def test_ctc_gradient_through_log_softmax_is_exact():
    x = em(rng.normal(size=(6, 2, 4)), True)
    tg, il, tl = em(np.array([[1, 2, 2], [3, 1, 0]])), [6, 5], [3, 2]
    assert gradcheck(lambda x: F.ctc_loss(x.log_softmax(2), tg, il, tl, reduction="sum"), (x,))
    assert gradcheck(lambda x: F.ctc_loss(x.log_softmax(2), tg, il, tl), (x,))


def test_ctc_errors():
    with pytest.raises(RuntimeError, match="blank must be in label range"):
        F.ctc_loss(em(LOG_PROBS), em(TARGETS), [12] * 4, [1] * 4, blank=6)
    with pytest.raises(RuntimeError, match="expected input_lengths in"):
        F.ctc_loss(em(LOG_PROBS), em(TARGETS), [13] * 4, [1] * 4)
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        F.ctc_loss(em(LOG_PROBS), em(TARGETS), [12] * 4, [1] * 4, reduction="avg")
