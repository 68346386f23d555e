"""Distillation losses of ``keras.distillation``: ``DistillationLoss`` (the base), ``LogitsDistillation``
and ``FeatureDistillation``.

``compute_loss(teacher_outputs, student_outputs)`` returns a scalar; each loss may be one loss or a
structure of losses matching the outputs (``None`` entries skipped), the terms summed:

- ``LogitsDistillation(temperature=T, loss="kl_divergence")``: with ``t = teacher / T`` and
  ``s = student / T``, ``T^2 * mean(KL(softmax(t) || softmax(s)))`` for a ``KLDivergence`` object, else
  ``mean(loss(t, s))`` (a loss given by name is its function, as Keras resolves it: the default
  ``"kl_divergence"`` thus compares the scaled logits themselves, clipped to ``[epsilon, 1]``);
- ``FeatureDistillation(loss="mse", teacher_layer_name, student_layer_name)``: ``mean(loss(teacher_f,
  student_f))`` between the named layers' outputs (the final outputs when no names are given).

>>> import numpy as np
>>> from ember import keras
>>> logits = np.array([[2.0, 0.0, -1.0]], "float32")
>>> float(keras.distillation.LogitsDistillation(temperature=2.0).compute_loss(logits, logits))
0.0
"""
from .. import losses as _losses
from .. import ops
from .. import tree


def _to_loss(item):
    if item is None:
        return None
    if isinstance(item, str):
        # Keras resolves a name to its plain function (so "kl_divergence" compares the scaled logits as
        # they are; only a ``KLDivergence`` object takes the softmax path below).
        try:
            fn = _losses.deserialize(item)
        except (ValueError, KeyError):
            fn = None
        if fn is None:
            raise ValueError(f"Unknown loss function: '{item}'.")
        return fn
    return item


def _sum_terms(values):
    flat = [v if not isinstance(v, float) else ops.convert_to_tensor(v) for v in tree.flatten(values)]
    return ops.sum(ops.stack(flat))


class DistillationLoss:
    """The base of distillation losses: ``compute_loss(teacher_outputs, student_outputs)`` gives a scalar;
    ``validate_outputs`` checks the two structures agree; ``validate_model_compatibility(teacher, student)``
    runs when a ``Distiller`` is built."""

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        raise NotImplementedError("Subclasses must implement compute_loss")

    def validate_outputs(self, teacher_outputs, student_outputs):
        tree.assert_same_structure(teacher_outputs, student_outputs)

    def validate_model_compatibility(self, teacher, student):
        pass


class FeatureDistillation(DistillationLoss):
    """Match intermediate features: ``mean(loss(teacher_features, student_features))`` between the layers
    named ``teacher_layer_name`` and ``student_layer_name`` (functional or sequential models), or between
    the final outputs when both are ``None``."""

    def __init__(self, loss="mse", teacher_layer_name=None, student_layer_name=None):
        self.teacher_layer_name, self.student_layer_name = teacher_layer_name, student_layer_name
        self.loss = tree.map_structure(_to_loss, loss)
        if all(item is None for item in tree.flatten(self.loss)):
            raise ValueError("The `loss` argument in `FeatureDistillation` must contain at least one non-`None` "
                             "value.")

    def validate_model_compatibility(self, teacher, student):
        if self.teacher_layer_name is None and self.student_layer_name is None:
            return
        subclassed = [role for role, model in (("teacher", teacher), ("student", student))
                      if getattr(model, "inputs", None) is None]
        if subclassed:
            raise ValueError(f"FeatureDistillation with specific layer names requires Functional or Sequential "
                             f"models. The {' and '.join(subclassed)} model(s) appear to be subclassed (no symbolic "
                             f"inputs/outputs). Either use Functional/Sequential models, or use FeatureDistillation "
                             f"without layer names (to distill final outputs only), or use LogitsDistillation "
                             f"instead.")
        for role, model, name in (("teacher", teacher, self.teacher_layer_name),
                                  ("student", student, self.student_layer_name)):
            if name is not None:
                try:
                    model.get_layer(name=name)
                except ValueError as e:
                    raise ValueError(f"In {role} model: {e}") from e

    def validate_outputs(self, teacher_outputs, student_outputs):
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            tree.assert_same_structure(self.loss, teacher_outputs)
        except (ValueError, TypeError) as e:
            raise ValueError(f"Loss structure mismatch. Loss structure: {self.loss}, output structure: "
                             f"{type(teacher_outputs).__name__}. Error: {e}") from e

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        def term(fn, t, s):
            return 0.0 if fn is None else ops.mean(fn(t, s))
        return _sum_terms(tree.map_structure(term, self.loss, teacher_outputs, student_outputs))

    def get_config(self):
        return {"loss": _losses.serialize(self.loss), "teacher_layer_name": self.teacher_layer_name,
                "student_layer_name": self.student_layer_name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = _losses.deserialize(config["loss"])
        return cls(**config)


class LogitsDistillation(DistillationLoss):
    """Match temperature-softened outputs: both logits divided by ``temperature``; a KL-divergence loss
    compares their softmaxes and is scaled by ``temperature ** 2`` (so gradients keep their size as the
    temperature grows); another loss compares the scaled logits directly."""

    def __init__(self, temperature=3.0, loss="kl_divergence"):
        self.temperature = temperature
        self.loss = tree.map_structure(_to_loss, loss)
        if all(item is None for item in tree.flatten(self.loss)):
            raise ValueError("At least one loss must be non-`None`.")
        if not isinstance(temperature, (int, float)) or isinstance(temperature, bool):
            raise ValueError(f"temperature must be a number, got {type(temperature)}")
        if temperature <= 0.0:
            raise ValueError("temperature must be positive.")

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        t_scaled = tree.map_structure(lambda x: ops.divide(x, self.temperature), teacher_outputs)
        s_scaled = tree.map_structure(lambda x: ops.divide(x, self.temperature), student_outputs)

        def term(fn, t, s):
            if fn is None:
                return 0.0
            if isinstance(fn, _losses.KLDivergence):
                kl = ops.mean(fn(ops.softmax(t, axis=-1), ops.softmax(s, axis=-1)))
                return kl * (self.temperature ** 2)
            return ops.mean(fn(t, s))
        return _sum_terms(tree.map_structure(term, self.loss, t_scaled, s_scaled))

    def get_config(self):
        return {"temperature": self.temperature, "loss": _losses.serialize(self.loss)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = _losses.deserialize(config["loss"])
        return cls(**config)
