"""torch.native_layer_norm / native_batch_norm / native_group_norm / native_dropout, convolution,
embedding_bag (all four outputs) and empty_permuted against PyTorch."""
import numpy as np
import pytest
import torch

import ember
from ember.functional import aten_ops
from tests.nn.helpers import assert_close


def _pair(a):
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _outputs_and_grads(ours, theirs, inputs):
    for a, b in zip(ours, theirs):
        assert_close(a, b)
    g = np.arange(theirs[0].numel()).reshape(tuple(theirs[0].shape)) % 3 - 1.0
    (ours[0] * ember.tensor(g)).sum().backward()
    (theirs[0] * torch.tensor(g)).sum().backward()
    for e, t in inputs:
        assert_close(e.grad, t.grad)


@pytest.mark.parametrize("affine", [True, False])
def test_native_layer_norm(affine):
    rng = np.random.default_rng(0)
    x = _pair(rng.standard_normal((2, 3, 4)))
    w, b = _pair(rng.standard_normal((3, 4))), _pair(rng.standard_normal((3, 4)))
    args = (lambda i: (w[i], b[i])) if affine else (lambda i: (None, None))
    ours = aten_ops.native_layer_norm(x[0], [3, 4], *args(0), 1e-5)
    theirs = torch.native_layer_norm(x[1], [3, 4], *args(1), 1e-5)
    _outputs_and_grads(ours, theirs, [x] + ([w, b] if affine else []))


@pytest.mark.parametrize("training", [True, False])
def test_native_batch_norm(training):
    rng = np.random.default_rng(1)
    x = _pair(rng.standard_normal((4, 3, 5)))
    w, b = _pair(rng.standard_normal(3)), _pair(rng.standard_normal(3))
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    e_rm, e_rv, t_rm, t_rv = ember.tensor(rm), ember.tensor(rv), torch.tensor(rm), torch.tensor(rv)
    ours = aten_ops.native_batch_norm(x[0], w[0], b[0], e_rm, e_rv, training, 0.1, 1e-5)
    theirs = torch.native_batch_norm(x[1], w[1], b[1], t_rm, t_rv, training, 0.1, 1e-5)
    _outputs_and_grads(ours, theirs, [x, w, b])
    assert_close(e_rm, t_rm)
    assert_close(e_rv, t_rv)


def test_native_group_norm():
    rng = np.random.default_rng(2)
    x = _pair(rng.standard_normal((2, 4, 3)))
    w, b = _pair(rng.standard_normal(4)), _pair(rng.standard_normal(4))
    ours = aten_ops.native_group_norm(x[0], w[0], b[0], 2, 4, 3, 2, 1e-5)
    theirs = torch.native_group_norm(x[1], w[1], b[1], 2, 4, 3, 2, 1e-5)
    _outputs_and_grads(ours, theirs, [x, w, b])


def test_native_dropout():
    x = np.arange(1.0, 2001.0)
    y, mask = aten_ops.native_dropout(ember.tensor(x), 0.25, True)
    assert mask.dtype == ember.bool and 0.7 < mask.numpy().mean() < 0.8
    np.testing.assert_allclose(y.numpy(), np.where(mask.numpy(), x / 0.75, 0.0))
    for lib, t in ((aten_ops, ember.tensor(x)), (torch, torch.tensor(x))):
        y, mask = lib.native_dropout(t, 0.25, False)
        assert np.array_equal(y.numpy(), x) and bool(mask.all())


@pytest.mark.parametrize("nd,transposed,stride,padding,dilation,output_padding,groups", [
    (1, False, [2], [1], [1], [0], 1), (2, False, [1, 2], [1, 0], [2, 1], [0, 0], 2),
    (2, True, [2, 2], [1, 1], [1, 1], [1, 0], 1), (3, False, [1, 1, 1], [0, 1, 0], [1, 1, 1], [0, 0, 0], 1),
    (3, True, [2, 1, 1], [0, 0, 1], [1, 1, 1], [1, 0, 0], 2),
])
def test_convolution(nd, transposed, stride, padding, dilation, output_padding, groups):
    rng = np.random.default_rng(3)
    x = _pair(rng.standard_normal((2, 4) + (5,) * nd))
    wshape = (4, 6 // groups) if transposed else (6, 4 // groups)
    w, b = _pair(rng.standard_normal(wshape + (3,) * nd)), _pair(rng.standard_normal(6))
    ours = aten_ops.convolution(x[0], w[0], b[0], stride, padding, dilation, transposed, output_padding, groups)
    theirs = torch.convolution(x[1], w[1], b[1], stride, padding, dilation, transposed, output_padding, groups)
    _outputs_and_grads([ours], [theirs], [x, w, b])


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("include_last_offset,padding_idx", [(False, None), (True, None), (False, 2)])
def test_embedding_bag_four_outputs(mode, include_last_offset, padding_idx):
    rng = np.random.default_rng(4)
    w = _pair(rng.standard_normal((6, 3)))
    idx = np.array([0, 2, 4, 1, 3, 2, 5])
    offsets = np.array([0, 2, 5, 7]) if include_last_offset else np.array([0, 2, 5])
    ours = aten_ops.embedding_bag(w[0], ember.tensor(idx), ember.tensor(offsets), False, mode, False, None,
                                  include_last_offset, padding_idx)
    theirs = torch.embedding_bag(w[1], torch.tensor(idx), torch.tensor(offsets), False, mode, False, None,
                                 include_last_offset, padding_idx)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert tuple(a.shape) == tuple(b.shape), i
        assert_close(a, b, what=f"output {i}")
    ours[0].sum().backward()
    theirs[0].sum().backward()
    assert_close(w[0].grad, w[1].grad)


@pytest.mark.parametrize("layout", [(0, 1, 2, 3), (0, 2, 3, 1), (3, 1, 0, 2)])
def test_empty_permuted_strides(layout):
    ours = aten_ops.empty_permuted((3, 4, 5, 6), layout)
    theirs = torch.empty_permuted((3, 4, 5, 6), layout)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert tuple(ours.stride()) == tuple(theirs.stride())
    with pytest.raises(RuntimeError, match="not a permutation"):
        aten_ops.empty_permuted((3, 4), (0, 0))


def test_embedding_bag_float32_sum_leaves_offset2bag_empty_as_aten():
    w = np.random.default_rng(5).standard_normal((6, 3)).astype(np.float32)
    idx, offsets = np.array([0, 2, 4, 1]), np.array([0, 2])
    ours = aten_ops.embedding_bag(ember.tensor(w), ember.tensor(idx), ember.tensor(offsets))
    theirs = torch.embedding_bag(torch.tensor(w), torch.tensor(idx), torch.tensor(offsets))
    for a, b in zip(ours, theirs):
        assert_close(a, b, dtype=np.float32)


@pytest.mark.parametrize("interp,pad,align", [(0, 0, False), (1, 1, True), (2, 2, False), (0, 2, True)])
def test_grid_sampler_codes_match_torch(interp, pad, align):
    rng = np.random.default_rng(6)
    x = _pair(rng.standard_normal((2, 3, 5, 6)))
    grid = _pair(rng.uniform(-1.2, 1.2, (2, 4, 3, 2)))
    for name in ("grid_sampler", "grid_sampler_2d"):
        ours = getattr(aten_ops, name)(x[0], grid[0], interp, pad, align)
        theirs = getattr(torch, name)(x[1], grid[1], interp, pad, align)
        assert_close(ours, theirs)
    if interp != 1:
        _outputs_and_grads([aten_ops.grid_sampler(x[0], grid[0], interp, pad, align)],
                           [torch.grid_sampler(x[1], grid[1], interp, pad, align)], [x, grid])


def test_grid_sampler_3d_and_affine_grid_generator():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 2, 3, 4, 5))
    grid = rng.uniform(-1, 1, (1, 2, 3, 2, 3))
    assert_close(aten_ops.grid_sampler_3d(ember.tensor(x), ember.tensor(grid), 0, 1, False),
                 torch.grid_sampler_3d(torch.tensor(x), torch.tensor(grid), 0, 1, False))
    theta = rng.standard_normal((2, 2, 3))
    for align in (False, True):
        assert_close(aten_ops.affine_grid_generator(ember.tensor(theta), [2, 3, 4, 5], align),
                     torch.affine_grid_generator(torch.tensor(theta), [2, 3, 4, 5], align))


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0])
def test_embedding_renorm_matches_torch(norm_type):
    w = np.random.default_rng(8).standard_normal((5, 4))
    ours, theirs = ember.tensor(w), torch.tensor(w)
    out = aten_ops.embedding_renorm_(ours, ember.tensor([0, 3, 0]), 1.5, norm_type)
    torch.embedding_renorm_(theirs, torch.tensor([0, 3, 0]), 1.5, norm_type)
    assert out is ours
    assert_close(ours, theirs)


@pytest.mark.parametrize("with_var", [True, False])
def test_batch_norm_update_stats_matches_torch(with_var):
    x = np.random.default_rng(9).standard_normal((4, 3, 5))
    rm, rv = np.random.default_rng(10).standard_normal(3), np.random.default_rng(11).uniform(0.5, 2, 3)
    e_rm, t_rm = ember.tensor(rm), torch.tensor(rm)
    e_rv, t_rv = (ember.tensor(rv), torch.tensor(rv)) if with_var else (None, None)
    ours = aten_ops.batch_norm_update_stats(ember.tensor(x), e_rm, e_rv, 0.2)
    theirs = torch.batch_norm_update_stats(torch.tensor(x), t_rm, t_rv, 0.2)
    for a, b in zip(ours, theirs):
        assert_close(a, b)
    assert_close(e_rm, t_rm)
    if with_var:
        assert_close(e_rv, t_rv)
