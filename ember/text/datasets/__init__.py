"""Text datasets: Shakespeare that ships with ember, and torchtext's downloadable sets.

- ``load_shakespeare``, ``ShakespearePlays`` (offline, in the package);
- ``AG_NEWS`` and ``WikiText2`` with torchtext's signatures (``root=".data"``, ``split``), their
  real URLs and md5 checks; ``import torchtext`` under ``ember.compat`` finds them here.
"""
from ember.text.datasets.ag_news import AG_NEWS
from ember.text.datasets.shakespeare import (_DIR, PLAYS, WORKS, ShakespearePlays, load_shakespeare,  # noqa: F401
                                             shakespeare_speeches)
from ember.text.datasets.wikitext import WikiText2

__all__ = ["WORKS", "PLAYS", "load_shakespeare", "shakespeare_speeches", "ShakespearePlays", "AG_NEWS",
           "WikiText2"]
