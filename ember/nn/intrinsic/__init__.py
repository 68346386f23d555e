"""``ember.nn.intrinsic``: the older name of :mod:`ember.ao.nn.intrinsic` (fused modules)."""
from ember.ao.nn.intrinsic import *  # noqa: F401,F403
from ember.ao.nn.intrinsic import quantized, qat  # noqa: F401
