"""Dropout1d/2d/3d on inputs of every rank: the same warnings, errors and mask structure as torch 2.13."""
import warnings

import numpy as np
import pytest
import torch

import ember

LAYERS = ["Dropout1d", "Dropout2d", "Dropout3d"]


def _call(lib, layer, ndim, training):
    module = getattr(lib.nn, layer)(0.5)
    module.train(training)
    x = lib.ones(*([3] * ndim), dtype=lib.float64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = module(x), None
        except RuntimeError as e:
            result, error = None, e
    return result, error, [(w.category, str(w.message)) for w in caught]


def _channel_pattern(result, ndim, layer):
    """Which leading dimensions one mask draw covers, as PyTorch decides."""
    if layer == "Dropout2d" or (layer == "Dropout1d" and ndim == 3) or (layer == "Dropout3d" and ndim == 5):
        return min(2, ndim)
    return 1  # unbatched: one draw per entry of the first dimension


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("ndim", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("layer", LAYERS)
def test_warnings_errors_and_mask_shape_match_torch(layer, ndim, training):
    rt, et, wt = _call(torch, layer, ndim, training)
    re, ee, we = _call(ember, layer, ndim, training)
    assert (et is None) == (ee is None), (et, ee)
    assert [c for c, _ in we] == [c for c, _ in wt]
    for (_, ours), (_, theirs) in zip(we, wt):
        assert ours.split(",")[0] == theirs.split(",")[0]  # e.g. "dropout2d: Received a 2-D input to dropout2d"
    if et is not None:
        assert str(ee).split(".")[0] == str(et).split(".")[0] or "feature dropout" in str(ee)
        return
    assert re.shape == tuple(rt.shape)
    out = re.numpy()
    if not training:
        assert (out == 1).all()
        return
    assert set(np.unique(out).tolist()) <= {0.0, 2.0}
    lead = _channel_pattern(re, ndim, layer)
    per_draw = out.reshape(out.shape[:lead] + (-1,))
    assert (per_draw == per_draw[..., :1]).all()  # constant within each draw


def test_dropout2d_functional_warns_for_a_2d_input_at_the_caller():
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d") as record:
        ember.nn.functional.dropout2d(ember.ones(4, 5), 0.5)
    assert record[0].filename == __file__


def test_channel_dropout_still_keeps_about_half_and_scales():
    ember.manual_seed(3)
    out = ember.nn.Dropout2d(0.5)(ember.ones(200, 16, 2, 2)).numpy()
    kept = (out[:, :, 0, 0] > 0).mean()
    assert 0.45 < kept < 0.55 and set(np.unique(out).tolist()) == {0.0, 2.0}
