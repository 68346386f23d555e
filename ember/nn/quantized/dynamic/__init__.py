"""``ember.nn.quantized.dynamic``: the older name of :mod:`ember.ao.nn.quantized.dynamic`."""
from ember.ao.nn.quantized.dynamic import *  # noqa: F401,F403
