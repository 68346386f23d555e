"""``ember.nn.qat``: the older name of :mod:`ember.ao.nn.qat` (quantization-aware-training modules)."""
from ember.ao.nn.qat import *  # noqa: F401,F403
