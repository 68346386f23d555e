"""Rating and ranking metrics: RMSE, HR@k and NDCG@k under the leave-one-out protocol.

Leave-one-out ranking (He et al., "Neural Collaborative Filtering", 2017): each test user has one
held-out item and ``n`` sampled items it never interacted with; the model scores the ``n + 1``
candidates and the held-out item's 0-based ``rank`` among them decides

    HR@k   = mean over users of [rank < k]
    NDCG@k = mean over users of [rank < k] / log2(rank + 2)

(one relevant item, so the ideal DCG is 1). ``rank`` counts the candidates that score higher
than the held-out item *and those that tie with it*: a model that gives every candidate the same
score ranks the held-out item last, not first. With random scores and 99 negatives, HR@10 is
about 0.10 and NDCG@10 about 0.044.

>>> import numpy as np
>>> scores = np.array([[0.9, 0.1, 0.5], [0.2, 0.8, 0.3]])   # column 0: the held-out item
>>> hit_rate_at_k(scores, k=1), ndcg_at_k(scores, k=3)
(0.5, 0.75)
>>> rmse(np.array([3.0, 4.0]), np.array([2.0, 4.0]))
0.7071067811865476
"""
import numpy as np

__all__ = ["rmse", "mae", "rank_of_target", "hit_rate_at_k", "ndcg_at_k"]


def _numpy(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def rmse(prediction, target):
    """Root mean squared error ``sqrt(mean((prediction - target)^2))`` of two same-shape arrays."""
    p, t = _numpy(prediction).astype(np.float64), _numpy(target).astype(np.float64)
    if p.shape != t.shape or p.size == 0:
        raise ValueError(f"ember.recsys.metrics.rmse: expected two non-empty arrays of one shape, got "
                         f"{p.shape} and {t.shape}")
    return float(np.sqrt(np.mean((p - t) ** 2)))


def mae(prediction, target):
    """Mean absolute error ``mean(|prediction - target|)``."""
    p, t = _numpy(prediction).astype(np.float64), _numpy(target).astype(np.float64)
    if p.shape != t.shape or p.size == 0:
        raise ValueError(f"ember.recsys.metrics.mae: expected two non-empty arrays of one shape, got "
                         f"{p.shape} and {t.shape}")
    return float(np.mean(np.abs(p - t)))


def rank_of_target(scores, target=0):
    """0-based rank of each row's target candidate: how many other candidates score ``>=`` it.

    Args:
        scores: ``(n_users, n_candidates)`` scores, higher is better.
        target: the column of each row's relevant item, an int or ``(n_users,)`` ints.
    """
    s = _numpy(scores).astype(np.float64)
    if s.ndim != 2 or s.shape[1] < 1:
        raise ValueError(f"ember.recsys.metrics: expected scores of shape (n_users, n_candidates), got "
                         f"{s.shape}")
    t = np.broadcast_to(np.asarray(target, dtype=np.int64), (s.shape[0],))
    if t.size and (t.min() < 0 or t.max() >= s.shape[1]):
        raise ValueError(f"ember.recsys.metrics: target columns must be in [0, {s.shape[1] - 1}], got "
                         f"{int(t.min())}..{int(t.max())}")
    rows = np.arange(s.shape[0])
    own = s[rows, t][:, None]
    # ">=" counts the target itself once; ties count against it.
    return (s >= own).sum(axis=1) - 1


def hit_rate_at_k(scores, k=10, target=0):
    """HR@k: the fraction of rows whose target is among the ``k`` best-scored candidates."""
    if k < 1:
        raise ValueError(f"ember.recsys.metrics.hit_rate_at_k: expected k >= 1, got {k}")
    return float(np.mean(rank_of_target(scores, target) < k))


def ndcg_at_k(scores, k=10, target=0):
    """NDCG@k with one relevant item per row: ``mean([rank < k] / log2(rank + 2))``."""
    if k < 1:
        raise ValueError(f"ember.recsys.metrics.ndcg_at_k: expected k >= 1, got {k}")
    rank = rank_of_target(scores, target)
    return float(np.mean(np.where(rank < k, 1.0 / np.log2(rank + 2.0), 0.0)))
