"""RMSE, HR@k and NDCG@k against a direct per-row reference (sort the candidates, find the
target's position) and hand-computed cases; ranks of random scores match their known law."""
import math

import numpy as np
import pytest

from ember.recsys import hit_rate_at_k, mae, ndcg_at_k, rank_of_target, rmse


def reference(scores, target, k):
    # Sort each row best-first with the target placed after every candidate it ties with.
    hits, gains = [], []
    for row, t in zip(scores, target):
        others = [(s, 1) for j, s in enumerate(row) if j != t]
        ordered = sorted(others + [(row[t], 0)], key=lambda p: (-p[0], -p[1]))
        pos = ordered.index((row[t], 0))
        hits.append(pos < k)
        gains.append(1 / math.log2(pos + 2) if pos < k else 0.0)
    return sum(hits) / len(hits), sum(gains) / len(gains)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_hr_ndcg_match_reference(k):
    rng = np.random.default_rng(k)
    scores = rng.integers(0, 6, (40, 12)).astype(float)   # many ties on purpose
    target = rng.integers(0, 12, 40)
    hr, ndcg = reference(scores.tolist(), target.tolist(), k)
    assert hit_rate_at_k(scores, k, target) == pytest.approx(hr, abs=1e-12)
    assert ndcg_at_k(scores, k, target) == pytest.approx(ndcg, abs=1e-12)


def test_hand_computed():
    scores = np.array([[5.0, 1.0, 2.0, 3.0],    # target first: rank 0
                       [1.0, 4.0, 3.0, 2.0],    # rank 3
                       [2.0, 3.0, 1.0, 0.0]])   # rank 1
    assert rank_of_target(scores).tolist() == [0, 3, 1]
    assert hit_rate_at_k(scores, 2) == pytest.approx(2 / 3)
    assert ndcg_at_k(scores, 2) == pytest.approx((1 + 1 / math.log2(3)) / 3)
    assert ndcg_at_k(scores, 4) == pytest.approx((1 + 1 / math.log2(5) + 1 / math.log2(3)) / 3)


def test_ties_count_against_the_target():
    flat = np.zeros((5, 100))
    assert hit_rate_at_k(flat, 10) == 0.0 and ndcg_at_k(flat, 10) == 0.0


def test_random_scores_give_the_known_baseline():
    # The target's rank among 100 exchangeable candidates is uniform on 0..99.
    rng = np.random.default_rng(0)
    scores = rng.random((20000, 100))
    assert hit_rate_at_k(scores, 10) == pytest.approx(0.10, abs=0.01)
    expected = sum(1 / math.log2(r + 2) for r in range(10)) / 100
    assert ndcg_at_k(scores, 10) == pytest.approx(expected, abs=0.004)


def test_rmse_mae():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=50), rng.normal(size=50)
    assert rmse(a, b) == pytest.approx(np.linalg.norm(a - b) / np.sqrt(50))
    assert mae(a, b) == pytest.approx(np.abs(a - b).sum() / 50)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="one shape"):
        rmse(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"\(n_users, n_candidates\)"):
        hit_rate_at_k(np.zeros(5))
    with pytest.raises(ValueError, match="k >= 1"):
        ndcg_at_k(np.zeros((2, 3)), k=0)
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        hit_rate_at_k(np.zeros((2, 3)), target=3)
