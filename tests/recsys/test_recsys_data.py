"""Synthetic data, leave-one-out splits and negative sampling: the properties the NCF protocol needs."""
import numpy as np
import pytest

from ember.recsys import (InteractionSet, leave_one_out_split, sample_negatives, synthetic_interactions,
                          synthetic_ratings)


def test_synthetic_ratings_follow_their_factors():
    u, i, r, f = synthetic_ratings(60, 40, rank=3, density=0.4, noise=0.25, seed=3, return_factors=True)
    assert len(u) == round(0.4 * 60 * 40)
    assert len(set(zip(u.tolist(), i.tolist()))) == len(u)            # each pair once
    assert set(u.tolist()) == set(range(60)) and set(i.tolist()) == set(range(40))
    clean = f["mean"] + f["user_bias"][u] + f["item_bias"][i] + np.sum(f["p"][u] * f["q"][i], 1)
    resid = r - clean
    assert abs(resid.std() - 0.25) < 0.02 and abs(resid.mean()) < 0.02
    again = synthetic_ratings(60, 40, rank=3, density=0.4, noise=0.25, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((u, i, r), again))


def test_synthetic_interactions_are_distinct_per_user():
    u, i, t = synthetic_interactions(30, 50, rank=2, interactions_per_user=7, seed=1)
    assert len(u) == 210
    for user in range(30):
        assert len(set(i[u == user].tolist())) == 7
        assert sorted(t[u == user].tolist()) == list(range(7))
    with pytest.raises(ValueError, match="interactions_per_user < n_items=50"):
        synthetic_interactions(3, 50, interactions_per_user=50)


def test_leave_one_out_holds_out_the_latest_and_samples_unseen_negatives():
    u, i, t = synthetic_interactions(40, 120, rank=2, interactions_per_user=10, seed=2)
    split = leave_one_out_split(u, i, t, n_items=120, num_negatives=99, seed=0)
    assert len(split.test_user) == 40 and len(split.train_index) == 360
    seen = set(zip(u.tolist(), i.tolist()))
    for row, (user, item) in enumerate(zip(split.test_user, split.test_item)):
        mine = t[u == user]
        assert item == i[u == user][np.argmax(mine)]
        negs = split.negatives[row].tolist()
        assert len(set(negs)) == 99 and not any((int(user), n) in seen for n in negs)
    assert split.candidates().shape == (40, 100)
    train_pairs = set(zip(u[split.train_index].tolist(), i[split.train_index].tolist()))
    assert not train_pairs & set(zip(split.test_user.tolist(), split.test_item.tolist()))


def test_sample_negatives_avoids_observed_pairs():
    rng = np.random.default_rng(0)
    user = rng.integers(0, 20, 300)
    item = rng.integers(0, 60, 300)
    observed = InteractionSet(user, item, 60)
    seen = set(zip(user.tolist(), item.tolist()))
    assert observed.contains(user, item).all()
    negs = sample_negatives(np.arange(20), 60, observed, num=30, rng=rng)
    assert negs.shape == (20, 30)
    assert not any((u, int(n)) in seen for u in range(20) for n in negs[u])


def test_too_few_unobserved_items_is_an_error():
    u = np.repeat(np.arange(2), 4)
    i = np.tile(np.arange(4), 2)
    with pytest.raises(ValueError, match="fewer than num_negatives=99"):
        leave_one_out_split(u, i, n_items=10)
