"""Synthetic ratings and interactions drawn from known latent factors, for offline work.

Explicit feedback (``synthetic_ratings``): each user ``u`` and item ``i`` has a latent vector
``p_u, q_i ~ N(0, I / sqrt(rank))`` (so ``p_u . q_i`` has variance about 1) and a bias
``b_u, b_i ~ N(0, 0.3^2)``; a rating is

    r_ui = mean + b_u + b_i + p_u . q_i + eps,    eps ~ N(0, noise^2),

observed for a random ``density`` fraction of the (user, item) pairs (every user and item at
least once). Because the generating model is itself a biased matrix factorization of rank
``rank``, a fitted ``MatrixFactorization`` can reach a test RMSE close to ``noise``, and no model
can do better on average: ``noise`` is the floor to compare with.

Implicit feedback (``synthetic_interactions``): each user picks ``interactions_per_user``
distinct items without replacement, item ``i`` with probability proportional to
``exp((p_u . q_i + b_i) / temperature)``; a low temperature makes preferences sharp (easy to
learn), a high one makes them close to uniform.

>>> user, item, rating = synthetic_ratings(20, 10, rank=2, density=0.5, noise=0.1, seed=0)
>>> user.dtype, item.dtype, rating.dtype
(dtype('int64'), dtype('int64'), dtype('float32'))
>>> bool(len(user) == len(item) == len(rating) == 100)
True
"""
import numpy as np

__all__ = ["synthetic_ratings", "synthetic_interactions"]


def _check(name, value, ok, expected):
    if not ok:
        raise ValueError(f"ember.recsys.{name}: expected {expected}, got {value!r}")


def _factors(rng, n_users, n_items, rank):
    scale = 1.0 / np.sqrt(np.sqrt(rank))
    p = rng.normal(0.0, scale, (n_users, rank))
    q = rng.normal(0.0, scale, (n_items, rank))
    return p, q


def synthetic_ratings(n_users=500, n_items=300, rank=5, density=0.1, noise=0.5, mean=3.5, seed=0,
                      return_factors=False):
    """Explicit ratings ``(user, item, rating)`` from a known biased rank-``rank`` model.

    Args:
        n_users, n_items (int): how many users and items (ids ``0..n-1``).
        rank (int): size of the latent vectors.
        density (float): fraction of all (user, item) pairs that are rated, in (0, 1].
        noise (float): standard deviation of the rating noise: the RMSE floor.
        mean (float): the global mean rating.
        seed (int): seed of the generator; the same seed gives the same data.
        return_factors (bool): also return ``dict(p, q, user_bias, item_bias, mean)``.

    Returns:
        ``user`` (int64), ``item`` (int64), ``rating`` (float32) arrays of the same length
        ``round(density * n_users * n_items)``, in random order.
    """
    _check("synthetic_ratings", n_users, isinstance(n_users, (int, np.integer)) and n_users >= 1,
           "n_users >= 1")
    _check("synthetic_ratings", n_items, isinstance(n_items, (int, np.integer)) and n_items >= 1,
           "n_items >= 1")
    _check("synthetic_ratings", rank, isinstance(rank, (int, np.integer)) and rank >= 1, "rank >= 1")
    _check("synthetic_ratings", density, 0 < density <= 1, "density in (0, 1]")
    _check("synthetic_ratings", noise, noise >= 0, "noise >= 0")
    rng = np.random.default_rng(seed)
    p, q = _factors(rng, n_users, n_items, rank)
    bu = rng.normal(0.0, 0.3, n_users)
    bi = rng.normal(0.0, 0.3, n_items)
    n = max(int(round(density * n_users * n_items)), max(n_users, n_items))
    n = min(n, n_users * n_items)
    # Every user and every item is rated at least once (a diagonal sweep), the rest at random.
    k = np.arange(max(n_users, n_items))
    cover = (k % n_users) * n_items + (k % n_items)
    rest = np.setdiff1d(np.arange(n_users * n_items), cover)
    pairs = np.concatenate([cover, rng.choice(rest, n - len(cover), replace=False)])
    pairs = rng.permutation(pairs)
    user, item = pairs // n_items, pairs % n_items
    rating = mean + bu[user] + bi[item] + np.einsum("nk,nk->n", p[user], q[item]) \
        + rng.normal(0.0, noise, n)
    out = (user.astype(np.int64), item.astype(np.int64), rating.astype(np.float32))
    if return_factors:
        return out + (dict(p=p, q=q, user_bias=bu, item_bias=bi, mean=mean),)
    return out


def synthetic_interactions(n_users=500, n_items=300, rank=5, interactions_per_user=20, temperature=0.3,
                           seed=0, return_factors=False):
    """Implicit feedback ``(user, item, timestamp)``: which items each user interacted with, and when.

    Args:
        n_users, n_items (int): how many users and items.
        rank (int): size of the latent vectors.
        interactions_per_user (int): distinct items per user, ``< n_items``.
        temperature (float): softness of the preferences (> 0).
        seed (int): seed of the generator.
        return_factors (bool): also return ``dict(p, q, item_bias)``.

    Returns:
        ``user``, ``item``, ``timestamp`` int64 arrays, ``n_users * interactions_per_user`` long,
        sorted by user; each user's timestamps are a random order of its items (the last one is
        what a leave-one-out split holds out).
    """
    _check("synthetic_interactions", interactions_per_user,
           isinstance(interactions_per_user, (int, np.integer)) and 1 <= interactions_per_user < n_items,
           f"1 <= interactions_per_user < n_items={n_items}")
    _check("synthetic_interactions", temperature, temperature > 0, "temperature > 0")
    rng = np.random.default_rng(seed)
    p, q = _factors(rng, n_users, n_items, rank)
    bi = rng.normal(0.0, 0.5, n_items)
    logits = (p @ q.T + bi) / temperature
    # Gumbel top-k: sampling k items without replacement with probabilities softmax(logits).
    keys = logits + rng.gumbel(size=logits.shape)
    chosen = np.argsort(-keys, axis=1)[:, :interactions_per_user]
    user = np.repeat(np.arange(n_users), interactions_per_user)
    item = chosen.reshape(-1)
    timestamp = np.concatenate([rng.permutation(interactions_per_user) for _ in range(n_users)])
    out = (user.astype(np.int64), item.astype(np.int64), timestamp.astype(np.int64))
    if return_factors:
        return out + (dict(p=p, q=q, item_bias=bi),)
    return out
