"""``keras.distillation``: knowledge distillation (Hinton et al., 2015) as in Keras 3.

A :class:`Distiller` trains a ``student`` model to match a frozen ``teacher``: its loss is
``w * student_loss(y, student(x)) + (1 - w) * sum_i weight_i * distillation_loss_i(teacher, student)``
with ``w = student_loss_weight``. The distillation losses are :class:`LogitsDistillation` (the
temperature-softened outputs, KL divergence scaled by ``T^2``) and :class:`FeatureDistillation` (a loss
between two named intermediate layers, or the final outputs); subclass :class:`DistillationLoss` for others.
"""
from .distillation_loss import DistillationLoss, FeatureDistillation, LogitsDistillation
from .distiller import Distiller

__all__ = ["DistillationLoss", "FeatureDistillation", "LogitsDistillation", "Distiller"]
