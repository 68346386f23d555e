"""``ember.nn.functional``: the same functions as :mod:`ember.functional` (``import ember.nn.functional as F``).

>>> import ember
>>> import ember.nn.functional as F
>>> F.relu(ember.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""
from .. import functional as _impl
from ..functional import *  # noqa: F401,F403

globals().update({k: v for k, v in vars(_impl).items() if not k.startswith("__")})
from .layers.mha_functional import multi_head_attention_forward  # noqa: E402  (needs MultiheadAttention)
from . import grad  # noqa: E402,F401  (torch.nn.functional.grad is torch.nn.grad)


def __getattr__(name):
    # Names added to ember.functional later (optional families) resolve here too.
    try:
        return getattr(_impl, name)
    except AttributeError:
        raise AttributeError(f"module 'ember.nn.functional' has no attribute '{name}'") from None


def __dir__():
    return sorted(set(globals()) | set(dir(_impl)))
