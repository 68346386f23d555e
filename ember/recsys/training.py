"""Training loops and evaluation for the recommenders, shared by the examples and ``ember train``.

``fit_ratings`` minimises the mean squared error of a rating model (``MatrixFactorization``)
with Adam; ``fit_implicit`` minimises the binary cross-entropy of a logit model (``GMF``,
``NCFMLP``, ``NeuMF``) on each training interaction (label 1) and ``num_negatives`` freshly
sampled unobserved items per interaction and epoch (label 0). ``predict`` and
``evaluate_ranking`` score in batches without gradients.

>>> from ember.recsys import MatrixFactorization, synthetic_ratings
>>> u, i, r = synthetic_ratings(30, 20, rank=2, density=0.5, noise=0.1, seed=0)
>>> model = MatrixFactorization(30, 20, embedding_dim=2, mean=float(r.mean()))
>>> losses = fit_ratings(model, u, i, r, epochs=2, batch_size=64, lr=0.05)
>>> len(losses), losses[-1] < losses[0]
(2, True)
"""
import numpy as np

import ember
from ember import nn, optim
from ember.recsys.metrics import hit_rate_at_k, ndcg_at_k
from ember.recsys.split import sample_negatives

__all__ = ["fit_ratings", "fit_implicit", "predict", "evaluate_ranking"]


def _long(x):
    return ember.from_numpy(np.ascontiguousarray(x, dtype=np.int64))


def predict(model, user, item, batch_size=8192):
    """``model(user, item)`` as a float64 NumPy array, in eval mode and without gradients."""
    was_training = model.training
    model.eval()
    out = []
    with ember.no_grad():
        for s in range(0, len(user), batch_size):
            out.append(model(_long(user[s:s + batch_size]), _long(item[s:s + batch_size])).numpy())
    model.train(was_training)
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def fit_ratings(model, user, item, rating, epochs=10, batch_size=256, lr=1e-2, weight_decay=0.0, seed=0,
                on_epoch=None):
    """Train ``model`` on explicit ratings with MSE and Adam; returns the mean loss of each epoch.

    ``on_epoch(epoch, loss)`` is called after every epoch (e.g. to print or evaluate).
    """
    rng = np.random.default_rng(seed)
    opt = optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.MSELoss()
    rating = np.asarray(rating, np.float32)
    losses = []
    model.train()
    for epoch in range(epochs):
        losses.append(_epoch(model, opt, loss_fn, user, item, rating, batch_size, rng))
        if on_epoch is not None:
            on_epoch(epoch, losses[-1])
    return losses


def _epoch(model, opt, loss_fn, user, item, target, batch_size, rng):
    """One pass over ``(user, item, target)`` in shuffled minibatches; returns the mean loss."""
    order = rng.permutation(len(user))
    total = 0.0
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        loss = loss_fn(model(_long(user[idx]), _long(item[idx])), ember.from_numpy(target[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    return total / len(order)


def fit_implicit(model, user, item, n_items, observed, epochs=10, batch_size=256, lr=1e-3, num_negatives=4,
                 weight_decay=0.0, seed=0, on_epoch=None):
    """Train a logit model on implicit feedback with BCE and negative sampling.

    Args:
        user, item: the training interactions.
        n_items (int): negatives are drawn from ``0..n_items-1``.
        observed (InteractionSet): every known pair (train and test), never drawn as a negative.
        num_negatives (int): sampled negatives per positive, redrawn every epoch.

    Returns the mean loss of each epoch.
    """
    rng = np.random.default_rng(seed)
    opt = optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.BCEWithLogitsLoss()
    user, item = np.asarray(user, np.int64), np.asarray(item, np.int64)
    losses = []
    model.train()
    for epoch in range(epochs):
        neg = sample_negatives(user, n_items, observed, num_negatives, rng).reshape(-1)
        all_user = np.concatenate([user, np.repeat(user, num_negatives)])
        all_item = np.concatenate([item, neg])
        label = np.concatenate([np.ones(len(user)), np.zeros(len(neg))]).astype(np.float32)
        losses.append(_epoch(model, opt, loss_fn, all_user, all_item, label, batch_size, rng))
        if on_epoch is not None:
            on_epoch(epoch, losses[-1])
    return losses


def evaluate_ranking(model, split, k=10):
    """``{"hr": HR@k, "ndcg": NDCG@k}`` of ``model`` on a ``LeaveOneOut`` split's candidates."""
    cand = split.candidates()
    users = np.repeat(split.test_user[:, None], cand.shape[1], axis=1)
    scores = predict(model, users.reshape(-1), cand.reshape(-1)).reshape(cand.shape)
    return {"hr": hit_rate_at_k(scores, k), "ndcg": ndcg_at_k(scores, k)}
