"""``torch.return_types``: the named tuples of ops with several results (see :mod:`ember.autograd.return_types`).

>>> import ember
>>> from ember.return_types import max as max_result
>>> isinstance(ember.max(ember.ones(2, 2), 1), max_result)
True
"""
from .autograd.return_types import *  # noqa: F401,F403
from .autograd.return_types import __all__, _lu_with_info, _unpack_dual  # noqa: F401
