"""The recommenders reach stated metrics on synthetic data whose best achievable values are known:
matrix factorization's held-out RMSE comes within 1.2x of the noise level (the floor: the data is
a rank-4 factorization plus that noise); NeuMF's HR@10 under leave-one-out with 99 negatives is
far above random (0.10) and the popularity ranking, and close to the true factors' own ranking;
the two-tower model (dot product of separate towers) also beats popularity clearly."""
import numpy as np

import ember
from ember import recsys


def test_matrix_factorization_recovers_ratings_to_the_noise_floor():
    noise = 0.3
    u, i, r = recsys.synthetic_ratings(300, 200, rank=4, density=0.3, noise=noise, seed=0)
    perm = np.random.default_rng(0).permutation(len(u))
    test, train = perm[:len(u) // 10], perm[len(u) // 10:]
    ember.manual_seed(0)
    model = recsys.MatrixFactorization(300, 200, embedding_dim=4, mean=float(r[train].mean()))
    recsys.fit_ratings(model, u[train], i[train], r[train], epochs=15, batch_size=256, lr=0.02)
    test_rmse = recsys.rmse(recsys.predict(model, u[test], i[test]), r[test])
    mean_only = recsys.rmse(np.full(len(test), r[train].mean()), r[test])
    assert test_rmse < 1.2 * noise, test_rmse
    assert mean_only > 3 * noise            # the task is not trivial


def interactions():
    u, i, t, f = recsys.synthetic_interactions(300, 400, rank=4, interactions_per_user=20, temperature=0.3,
                                               seed=0, return_factors=True)
    return u, i, f, recsys.leave_one_out_split(u, i, t, n_items=400, num_negatives=99, seed=0)


def test_neumf_ranks_held_out_items_near_the_oracle():
    u, i, f, split = interactions()
    cand = split.candidates()
    oracle = (f["p"] @ f["q"].T + f["item_bias"])[split.test_user[:, None], cand]
    popularity = np.bincount(i[split.train_index], minlength=400)[cand].astype(float)
    ember.manual_seed(0)
    model = recsys.NeuMF(300, 400, gmf_dim=16, mlp_layers=(32, 16, 8))
    before = recsys.evaluate_ranking(model, split)
    recsys.fit_implicit(model, u[split.train_index], i[split.train_index], 400, split.observed, epochs=6,
                        batch_size=256, lr=5e-3, num_negatives=4)
    after = recsys.evaluate_ranking(model, split)
    assert before["hr"] < 0.2
    assert after["hr"] > 0.7 and after["ndcg"] > 0.45, after
    assert after["hr"] > recsys.hit_rate_at_k(popularity) + 0.2
    assert after["hr"] > 0.85 * recsys.hit_rate_at_k(oracle), (after, recsys.hit_rate_at_k(oracle))


def test_two_tower_beats_popularity():
    u, i, _, split = interactions()
    popularity = np.bincount(i[split.train_index], minlength=400)[split.candidates()].astype(float)
    ember.manual_seed(0)
    model = recsys.TwoTower(300, 400, embedding_dim=16, tower_layers=(16,))
    recsys.fit_implicit(model, u[split.train_index], i[split.train_index], 400, split.observed, epochs=6,
                        batch_size=256, lr=2e-2, num_negatives=4)
    after = recsys.evaluate_ranking(model, split)
    assert after["hr"] > 0.65 and after["hr"] > recsys.hit_rate_at_k(popularity) + 0.15, after
