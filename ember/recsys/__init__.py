"""Recommendation: rating and interaction data, matrix factorization and neural collaborative
filtering, and the metrics to judge them.

- data: ``synthetic_ratings`` / ``synthetic_interactions`` (offline, from known latent
  factors) and ``ember.recsys.datasets.MovieLens100K`` (GroupLens's 100,000 ratings, downloaded
  with its md5 checked);
- models: ``MatrixFactorization`` (explicit ratings, MSE), ``GMF``, ``NCFMLP``, ``NeuMF`` and
  ``TwoTower`` (implicit feedback, BCE with sampled negatives);
- evaluation: ``rmse``, ``hit_rate_at_k``, ``ndcg_at_k`` and ``leave_one_out_split`` (the NCF
  protocol: each user's latest item against 99 sampled ones).

>>> from ember import recsys
>>> u, i, r = recsys.synthetic_ratings(50, 40, rank=3, density=0.3, noise=0.2, seed=1)
>>> model = recsys.MatrixFactorization(50, 40, embedding_dim=3, mean=float(r.mean()))
>>> recsys.rmse(recsys.predict(model, u, i), r) < 2.0
True
"""
from ember.recsys.metrics import hit_rate_at_k, mae, ndcg_at_k, rank_of_target, rmse
from ember.recsys.mf import MatrixFactorization
from ember.recsys.ncf import GMF, NCFMLP, NeuMF
from ember.recsys.split import InteractionSet, LeaveOneOut, leave_one_out_split, sample_negatives
from ember.recsys.two_tower import TwoTower
from ember.recsys.synthetic import synthetic_interactions, synthetic_ratings
from ember.recsys.training import evaluate_ranking, fit_implicit, fit_ratings, predict

__all__ = ["rmse", "mae", "rank_of_target", "hit_rate_at_k", "ndcg_at_k", "MatrixFactorization", "GMF",
           "NCFMLP", "NeuMF", "TwoTower", "InteractionSet", "LeaveOneOut", "leave_one_out_split", "sample_negatives",
           "synthetic_ratings", "synthetic_interactions", "fit_ratings", "fit_implicit", "predict",
           "evaluate_ranking"]
