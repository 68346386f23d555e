"""``ember train --task recommend``: matrix factorization on explicit ratings (test RMSE) and NeuMF on
implicit feedback (HR@10 and NDCG@10, leave-one-out against 99 sampled items), on synthetic data
from known latent factors, or on MovieLens-100k with ``--data-root DIR`` holding ``ml-100k/``
(fetch it once with ``ember.recsys.datasets.MovieLens100K(DIR, download=True)``).

Ratings: a random 90/10 split, MF (``embedding_dim`` 8 on MovieLens, the true rank on synthetic
data) trained with MSE and Adam; the synthetic noise level is the best achievable RMSE.
Interactions: every rating (or synthetic interaction) counts as one; each user's latest is held
out; NeuMF is trained with binary cross-entropy on 4 sampled negatives per positive. Both
models are saved in one safetensors file (``{"mf": ..., "neumf": ...}``).
"""
import os
import time

import numpy as np

DEFAULTS = {"epochs": 15, "batch_size": 1024, "lr": 2e-2, "out": "ember-recommend.safetensors"}
NOISE = 0.3  # synthetic rating noise: the RMSE floor


def _fail(message):
    raise SystemExit(f"ember train --task recommend: error: {message}")


def _load(args):
    from ember import recsys
    if args.data_root is None:
        # Ratings of 200 items (30% observed) and interactions with 400 items, by the same 300 users.
        u, i, r = recsys.synthetic_ratings(300, 200, rank=4, density=0.3, noise=NOISE, seed=args.seed)
        iu, ii, it = recsys.synthetic_interactions(300, 400, rank=4, interactions_per_user=20, temperature=0.3,
                                                   seed=args.seed)
        return dict(source=f"synthetic data (300 users; 200 items rated, 400 interacted with; rank 4, rating "
                           f"noise {NOISE})", n_users=300, n_items=400, ratings=(u, i, r.astype(np.float32)),
                    interactions=(iu, ii, it), dim=4)
    from ember.recsys.datasets import MovieLens100K
    try:
        ds = MovieLens100K(args.data_root)
    except RuntimeError as exc:
        _fail(f"{exc} (fetch it once with ember.recsys.datasets.MovieLens100K({args.data_root!r}, download=True))")
    r = ds.ratings.astype(np.float32)
    return dict(source=f"MovieLens-100k in {ds.folder}", n_users=ds.num_users, n_items=ds.num_items,
                ratings=(ds.users, ds.items, r), interactions=(ds.users, ds.items, ds.timestamps), dim=8)


def run(args):
    import ember
    from ember import recsys
    from ..train import validate
    if getattr(args, "resume", False):
        _fail("--resume is not supported by this task (each run takes seconds)")
    validate(args)
    ember.manual_seed(args.seed)
    data = _load(args)
    print(f"ember {ember.__version__}: recommendation on {data['source']}")
    start = time.perf_counter()

    u, i, r = data["ratings"]
    perm = np.random.default_rng(args.seed).permutation(len(u))
    test, train = perm[:len(u) // 10], perm[len(u) // 10:]
    mf = recsys.MatrixFactorization(data["n_users"], data["n_items"], embedding_dim=data["dim"],
                                    mean=float(r[train].mean()))
    recsys.fit_ratings(mf, u[train], i[train], r[train], epochs=args.epochs, batch_size=args.batch_size,
                       lr=args.lr, weight_decay=1e-5 if args.data_root else 0.0, seed=args.seed,
                       on_epoch=lambda e, loss: print(f"MF epoch {e + 1}/{args.epochs}: train MSE {loss:.4f}"))
    prediction = recsys.predict(mf, u[test], i[test])
    if args.data_root:
        prediction = np.clip(prediction, 1, 5)   # MovieLens ratings are 1..5
    rmse = recsys.rmse(prediction, r[test])
    baseline = recsys.rmse(np.full(len(test), r[train].mean()), r[test])
    floor = f", noise floor {NOISE}" if args.data_root is None else ""
    print(f"MF test RMSE: {rmse:.4f} on {len(test)} held-out ratings (global mean: {baseline:.4f}{floor})")

    iu, ii, it = data["interactions"]
    split = recsys.leave_one_out_split(iu, ii, it, n_items=data["n_items"], num_negatives=99, seed=args.seed)
    neumf = recsys.NeuMF(data["n_users"], data["n_items"], gmf_dim=16, mlp_layers=(32, 16, 8))
    recsys.fit_implicit(neumf, iu[split.train_index], ii[split.train_index], data["n_items"], split.observed,
                        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, num_negatives=4, seed=args.seed,
                        on_epoch=lambda e, loss: print(f"NeuMF epoch {e + 1}/{args.epochs}: train BCE {loss:.4f}"))
    ranking = recsys.evaluate_ranking(neumf, split, k=10)
    popularity = np.bincount(ii[split.train_index], minlength=data["n_items"])[split.candidates()].astype(float)
    print(f"NeuMF HR@10: {ranking['hr']:.4f}, NDCG@10: {ranking['ndcg']:.4f} on {len(split.test_user)} users, "
          f"each latest item against 99 sampled ones (popularity: HR@10 {recsys.hit_rate_at_k(popularity):.4f}; "
          f"random: 0.10)")
    print(f"trained in {time.perf_counter() - start:.1f}s")
    if args.out:
        ember.save({"mf": mf.state_dict(), "neumf": neumf.state_dict()}, args.out)
        print(f"saved the models to {os.path.abspath(args.out)}")
    return 0
