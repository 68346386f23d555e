"""Train/test splits of interaction logs and negative sampling.

``leave_one_out_split`` is the NCF evaluation protocol: every user's latest interaction
(largest timestamp; ties broken by position) is held out for testing, and ``num_negatives``
items that user never interacted with (in train or test) are sampled as the other candidates.
``sample_negatives`` draws items a user has not interacted with, for training with a
binary cross-entropy loss (rejection sampling against a sorted table of the observed pairs).

>>> import numpy as np
>>> user = np.array([0, 0, 0, 1, 1]); item = np.array([2, 0, 1, 3, 0]); time = np.array([5, 9, 1, 2, 3])
>>> split = leave_one_out_split(user, item, time, n_items=6, num_negatives=2, seed=0)
>>> split.test_item.tolist(), sorted(item[split.train_index].tolist())
([0, 0], [1, 2, 3])
>>> split.negatives.shape
(2, 2)
"""
import numpy as np

__all__ = ["LeaveOneOut", "leave_one_out_split", "sample_negatives", "InteractionSet"]


class InteractionSet:
    """Fast membership test for (user, item) pairs: ``contains(users, items)`` -> bool array."""

    def __init__(self, user, item, n_items):
        self.n_items = int(n_items)
        self.keys = np.unique(np.asarray(user, np.int64) * self.n_items + np.asarray(item, np.int64))

    def contains(self, user, item):
        key = np.asarray(user, np.int64) * self.n_items + np.asarray(item, np.int64)
        pos = np.searchsorted(self.keys, key)
        pos = np.minimum(pos, len(self.keys) - 1)
        return self.keys[pos] == key


def sample_negatives(user, n_items, observed, num=1, rng=None, max_rounds=100):
    """``(len(user), num)`` items that each user has not interacted with.

    Args:
        user: int array of users.
        n_items (int): items are ``0..n_items-1``.
        observed (InteractionSet): the pairs that are not negatives.
        num (int): negatives per user.
        rng (numpy.random.Generator): the source of randomness.
    """
    rng = np.random.default_rng() if rng is None else rng
    user = np.repeat(np.asarray(user, np.int64)[:, None], num, axis=1)
    out = rng.integers(0, n_items, user.shape)
    bad = observed.contains(user, out)
    for _ in range(max_rounds):
        if not bad.any():
            return out
        out[bad] = rng.integers(0, n_items, int(bad.sum()))
        bad = observed.contains(user, out)
    raise RuntimeError(f"ember.recsys.sample_negatives: could not find {num} unobserved items for some "
                       f"users after {max_rounds} rounds (users that interacted with almost all "
                       f"{n_items} items?)")


class LeaveOneOut:
    """The result of ``leave_one_out_split``.

    Attributes:
        train_index: indices (into the input arrays) of the training interactions.
        test_user, test_item: one held-out (user, item) per user with at least two interactions.
        negatives: ``(n_test, num_negatives)`` sampled items per test user.
        observed: ``InteractionSet`` of every (user, item) pair in the input.
    """

    def __init__(self, train_index, test_user, test_item, negatives, observed):
        self.train_index, self.test_user, self.test_item = train_index, test_user, test_item
        self.negatives, self.observed = negatives, observed

    def candidates(self):
        """``(n_test, 1 + num_negatives)`` items: column 0 is the held-out one."""
        return np.concatenate([self.test_item[:, None], self.negatives], axis=1)


def leave_one_out_split(user, item, timestamp=None, n_items=None, num_negatives=99, seed=0):
    """Hold out each user's latest interaction and sample ``num_negatives`` unobserved items for it.

    Users with a single interaction keep it for training and are not tested.
    """
    user, item = np.asarray(user, np.int64), np.asarray(item, np.int64)
    if user.shape != item.shape or user.ndim != 1:
        raise ValueError(f"ember.recsys.leave_one_out_split: expected 1-D user and item arrays of one length, "
                         f"got shapes {user.shape} and {item.shape}")
    timestamp = np.arange(len(user)) if timestamp is None else np.asarray(timestamp)
    n_items = int(item.max()) + 1 if n_items is None else int(n_items)
    order = np.lexsort((np.arange(len(user)), timestamp, user))
    last = np.ones(len(order), bool)
    last[:-1] = user[order][1:] != user[order][:-1]
    counts = np.bincount(user)
    held = order[last & (counts[user[order]] >= 2)]
    train = np.setdiff1d(np.arange(len(user)), held)
    observed = InteractionSet(user, item, n_items)
    free = n_items - np.bincount(user, minlength=counts.size)[user[held]]
    if len(held) and free.min() < num_negatives:
        raise ValueError(f"ember.recsys.leave_one_out_split: a user has only {int(free.min())} unobserved "
                         f"items, fewer than num_negatives={num_negatives}")
    negatives = _distinct_negatives(user[held], n_items, observed, num_negatives, np.random.default_rng(seed))
    return LeaveOneOut(train, user[held], item[held], negatives, observed)


def _distinct_negatives(user, n_items, observed, num, rng):
    # Evaluation candidates must be distinct within a row, or a duplicate would count twice.
    out = np.empty((len(user), num), np.int64)
    for r, u in enumerate(user):
        picked = []
        seen = set()
        while len(picked) < num:
            draw = rng.integers(0, n_items, 2 * (num - len(picked)) + 8)
            ok = ~observed.contains(np.full(len(draw), u), draw)
            for v in draw[ok]:
                if v not in seen:
                    seen.add(int(v))
                    picked.append(int(v))
                    if len(picked) == num:
                        break
        out[r] = picked
    return out
