"""DropBlock (torchvision.ops.drop_block2d / drop_block3d): what holds for every draw - dropped
pixels come in whole block_size blocks inside the map, kept ones are scaled by numel / kept, the
gradient is the same mask and scale - plus identity off training, torchvision's errors and repr."""
import numpy as np
import pytest

import ember
from ember.vision import ops
from ember.vision.ops.drop_block import drop_block2d, drop_block3d


def _in_whole_blocks(zero, k):
    # every dropped pixel lies in some k x k window that is dropped entirely
    h, w = zero.shape
    covered = np.zeros_like(zero)
    for i in range(h - k + 1):
        for j in range(w - k + 1):
            if zero[i:i + k, j:j + k].all():
                covered[i:i + k, j:j + k] = True
    return np.array_equal(covered, zero)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_drop_block2d_drops_whole_blocks_and_rescales(seed):
    ember.manual_seed(seed)
    x = ember.from_numpy(np.random.RandomState(seed).uniform(1, 2, (2, 3, 11, 13))).requires_grad_()
    y = drop_block2d(x, 0.3, 3)
    kept = (y != 0).detach().numpy()
    scale = kept.size / (1e-6 + kept.sum())
    assert 0 < kept.sum() < kept.size
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() * kept * scale, rtol=1e-12)
    for plane in (~kept).reshape(-1, 11, 13):
        assert _in_whole_blocks(plane, 3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept * scale, rtol=1e-12)


def test_drop_block3d_drops_whole_cubes():
    ember.manual_seed(3)
    y = drop_block3d(ember.ones(1, 2, 7, 7, 7, dtype=ember.float64), 0.3, 3)
    zero = (y == 0).numpy()
    assert zero.any() and not zero.all()
    for c in range(2):
        for d in range(7):   # each dropped voxel's slice holds a whole 3x3 square
            assert _in_whole_blocks(zero[0, c, d], 3)


def test_identity_off_training_and_module_form():
    x = ember.ones(1, 1, 6, 6)
    assert drop_block2d(x, 0.5, 3, training=False) is x and drop_block2d(x, 0.0, 3) is x
    layer = ops.DropBlock2d(0.5, 3).eval()
    assert layer(x) is x and repr(layer) == "DropBlock2d(p=0.5, block_size=3, inplace=False)"
    assert ops.DropBlock3d(0.1, 2).eval()(ember.ones(1, 1, 3, 3, 3)).sum().item() == 27.0


def test_errors():
    with pytest.raises(ValueError, match="drop probability has to be between 0 and 1, but got 1.5"):
        drop_block2d(ember.ones(1, 1, 4, 4), 1.5, 3)
    with pytest.raises(ValueError, match="input should be 4 dimensional. Got 3 dimensions"):
        drop_block2d(ember.ones(1, 4, 4), 0.1, 3)
