"""``keras.mixed_precision``: Keras 2's names for the dtype policies and loss scaling.

``Policy`` is :class:`~ember.keras.dtype_policies.DTypePolicy`; ``global_policy`` / ``set_global_policy``
are ``keras.config.dtype_policy`` / ``set_dtype_policy``; ``LossScaleOptimizer`` is
``keras.optimizers.LossScaleOptimizer``.

>>> from ember.keras import mixed_precision
>>> mixed_precision.global_policy().name
'float32'
"""
from .dtype_policies import DTypePolicy, dtype_policy, set_dtype_policy
from .optimizers import LossScaleOptimizer

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy

__all__ = ["DTypePolicy", "Policy", "dtype_policy", "global_policy", "set_dtype_policy", "set_global_policy",
           "LossScaleOptimizer"]
