"""ember.quasirandom.SobolEngine against torch.quasirandom.SobolEngine: the direction numbers, plain
and seeded scrambled points (exactly equal), draw / draw_base2 / fast_forward / reset, dtypes,
out=, repr and errors."""
import numpy as np
import pytest
import torch

import ember


def _both(*args, **kwargs):
    return ember.quasirandom.SobolEngine(*args, **kwargs), torch.quasirandom.SobolEngine(*args, **kwargs)


def _same(a, b):
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("dimension, scramble, seed", [(1, False, None), (4, False, None), (3, True, 7),
                                                       (60, True, 2024), (1, True, 0)])
def test_points_equal_torch(dimension, scramble, seed):
    ours, theirs = _both(dimension, scramble=scramble, seed=seed)
    np.testing.assert_array_equal(ours.sobolstate.numpy(), theirs.sobolstate.numpy())
    np.testing.assert_array_equal(ours.shift.numpy(), theirs.shift.numpy())
    for step in (lambda e: e.draw(1), lambda e: e.draw(5, dtype=(ember if isinstance(e, ember.quasirandom.SobolEngine)
                                                                  else torch).float64),
                 lambda e: e.fast_forward(3) and e.draw(2), lambda e: e.draw(16), lambda e: e.reset().draw_base2(3),
                 lambda e: e.draw(3)):
        _same(step(ours), step(theirs))
    assert ours.num_generated == theirs.num_generated


def test_first_draw_of_several_and_fast_forward_from_the_start():
    ours, theirs = _both(5, scramble=True, seed=11)
    _same(ours.draw(6, dtype=ember.float64), theirs.draw(6, dtype=torch.float64))
    ours, theirs = _both(5)
    ours.fast_forward(9)
    theirs.fast_forward(9)
    _same(ours.draw(4), theirs.draw(4))


def test_default_dtype_out_and_repr():
    ours, theirs = _both(2, scramble=True, seed=5)
    buf_e, buf_t = ember.empty(4, 2), torch.empty(4, 2)
    assert ours.draw(4, out=buf_e) is buf_e
    theirs.draw(4, out=buf_t)
    _same(buf_e, buf_t)
    assert repr(ours) == repr(theirs) == "SobolEngine(dimension=2, scramble=True, seed=5)"
    assert repr(ember.quasirandom.SobolEngine(3)) == "SobolEngine(dimension=3)"
    assert ember.quasirandom.SobolEngine.MAXDIM == torch.quasirandom.SobolEngine.MAXDIM
    assert ember.quasirandom.SobolEngine.MAXBIT == torch.quasirandom.SobolEngine.MAXBIT


def test_unseeded_scramble_is_a_valid_scrambled_sequence():
    engine = ember.quasirandom.SobolEngine(3, scramble=True)
    points = engine.draw_base2(6).numpy()
    assert points.shape == (64, 3) and (points >= 0).all() and (points < 1).all()
    # Balance of a (0, m, 1)-net in each coordinate: every 1/64-wide interval holds one point.
    for j in range(3):
        assert sorted(np.floor(points[:, j] * 64).astype(int)) == list(range(64))


def test_errors_match_torch():
    for lib in (ember, torch):
        for bad in (0, 21202):
            with pytest.raises(ValueError, match="Supported range of dimensionality"):
                lib.quasirandom.SobolEngine(bad)
        engine = lib.quasirandom.SobolEngine(2)
        engine.draw(3)
        with pytest.raises(ValueError, match="balance properties"):
            engine.draw_base2(2)
