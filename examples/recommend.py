"""Recommendation with ember.recsys: matrix factorization for ratings, NeuMF for implicit feedback.

On synthetic data from known latent factors (the default: no download), or on MovieLens-100k
(``--root DIR``, with ``--download`` to fetch it from GroupLens once, md5 checked):

1. explicit ratings: a random 90/10 split; ``MatrixFactorization`` trained with MSE; test RMSE
   against the global mean (and, on synthetic data, against the noise level, the floor);
2. implicit feedback: every rating is an interaction; each user's latest is held out and ranked
   against 99 items the user never rated; ``NeuMF`` trained with BCE on 4 sampled negatives per
   positive; HR@10 and NDCG@10 against popularity and random (0.10);
3. the five movies the model ranks highest for the first user, among those not yet rated.

Run: ``python examples/recommend.py`` (seconds) or
``python examples/recommend.py --root ~/data --download`` (MovieLens; a few minutes on a CPU).
"""
import argparse

import numpy as np

import ember
from ember import recsys
from ember.recsys.datasets import MovieLens100K

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--root", default=None, help="folder with ml-100k/ (default: synthetic data)")
parser.add_argument("--download", action="store_true", help="fetch MovieLens-100k into --root")
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
ember.manual_seed(args.seed)

if args.root:
    ds = MovieLens100K(args.root, download=args.download)
    n_users, n_items, dim = ds.num_users, ds.num_items, 16
    user, item, rating = ds.users, ds.items, ds.ratings.astype(np.float32)
    implicit = (ds.users, ds.items, ds.timestamps)
    titles = ds.titles
    print(f"MovieLens-100k: {len(ds)} ratings, {n_users} users, {n_items} movies")
else:
    # Uniformly sampled ratings carry no signal about *which* items a user picks, so the implicit
    # part has its own data: users choosing items by their latent preferences.
    n_users, n_items, dim = 300, 400, 4
    user, item, rating = recsys.synthetic_ratings(n_users, n_items, rank=4, density=0.15, noise=0.3, seed=args.seed)
    implicit = recsys.synthetic_interactions(n_users, n_items, rank=4, interactions_per_user=20, seed=args.seed)
    titles = [f"item {k}" for k in range(n_items)]
    print(f"synthetic: {len(user)} ratings of {n_items} items by {n_users} users (rank 4, noise 0.3), "
          f"{len(implicit[0])} interactions")

perm = np.random.default_rng(args.seed).permutation(len(user))
test, train = perm[:len(user) // 10], perm[len(user) // 10:]
mf = recsys.MatrixFactorization(n_users, n_items, embedding_dim=dim, mean=float(rating[train].mean()))
recsys.fit_ratings(mf, user[train], item[train], rating[train], epochs=args.epochs, batch_size=256, lr=2e-2,
                   weight_decay=1e-5)
rmse = recsys.rmse(np.clip(recsys.predict(mf, user[test], item[test]), 1, 5) if args.root
                   else recsys.predict(mf, user[test], item[test]), rating[test])
print(f"MF: test RMSE {rmse:.4f} (global mean {recsys.rmse(np.full(len(test), rating[train].mean()), rating[test]):.4f})")

iuser, iitem, itime = implicit
split = recsys.leave_one_out_split(iuser, iitem, itime, n_items=n_items, num_negatives=99, seed=args.seed)
neumf = recsys.NeuMF(n_users, n_items, gmf_dim=16, mlp_layers=(64, 32, 16))
recsys.fit_implicit(neumf, iuser[split.train_index], iitem[split.train_index], n_items, split.observed,
                    epochs=args.epochs, batch_size=256, lr=2e-3, num_negatives=4,
                    on_epoch=lambda e, loss: print(f"  NeuMF epoch {e + 1}: BCE {loss:.4f}, "
                                                   f"HR@10 {recsys.evaluate_ranking(neumf, split)['hr']:.4f}"))
result = recsys.evaluate_ranking(neumf, split)
popularity = np.bincount(iitem[split.train_index], minlength=n_items)[split.candidates()].astype(float)
print(f"NeuMF: HR@10 {result['hr']:.4f}, NDCG@10 {result['ndcg']:.4f} (popularity HR@10 "
      f"{recsys.hit_rate_at_k(popularity):.4f}, random 0.10)")

seen = set(iitem[iuser == 0].tolist())
scores = recsys.predict(neumf, np.zeros(n_items, np.int64), np.arange(n_items))
top = [k for k in np.argsort(-scores) if k not in seen][:5]
print("top 5 for user 0 (not yet seen):", "; ".join(titles[k] for k in top))
