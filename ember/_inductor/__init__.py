"""``torch._inductor``: the settings of PyTorch's compiler backend, :mod:`ember._inductor.config`.

Ember has no Inductor; ``torch.compile`` runs :mod:`ember.compiler` whatever the backend is
called. The package exists so that programs that tune ``torch._inductor.config`` run unchanged.

>>> import ember._inductor.config
>>> ember._inductor.config.fx_graph_cache
True
"""
from . import config  # noqa: F401

__all__ = ["config"]
