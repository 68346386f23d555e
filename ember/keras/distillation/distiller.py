"""``keras.distillation.Distiller``: a model that trains its ``student`` against a frozen ``teacher``.

The loss of a batch ``(x, y)``, with ``w = student_loss_weight``::

    student_loss = sum over outputs of loss(y, student(x))          (only when w > 0 and y is given)
    distillation = sum_i weight_i * distillation_losses[i](teacher features, student features)
    total = w * student_loss + (1 - w) * distillation                 (distillation only when w < 1)

The teacher runs in inference mode and is frozen (``trainable = False``); a ``FeatureDistillation``
with layer names reads those layers' outputs through feature-extractor models built on the teacher's
and student's graphs. ``fit`` logs ``loss`` (the total) and the trackers ``student_loss``,
``distillation_loss`` and ``total_loss``, with the compiled metrics of the student's predictions;
``predict`` and calling the distiller run the student.

>>> import numpy as np
>>> from ember import keras
>>> teacher = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
>>> student = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
>>> distiller = keras.distillation.Distiller(teacher, student, keras.distillation.LogitsDistillation())
>>> distiller.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
>>> history = distiller.fit(np.ones((4, 4), "float32"), np.zeros(4, "int64"), epochs=1, verbose=0)
>>> sorted(history.history)
['distillation_loss', 'loss', 'student_loss', 'total_loss']
"""
from .. import metrics as _metrics
from .. import ops
from .. import tree
from ..models.model import Model
from .distillation_loss import _to_loss, DistillationLoss, FeatureDistillation, LogitsDistillation


def _check_shapes(a, b, context):
    if len(a) != len(b):
        raise ValueError(f"Teacher and student {context} shapes have different dimensions. Teacher: {a}, "
                         f"Student: {b}.")
    for x, y in zip(a, b):
        if x is not None and y is not None and x != y:
            raise ValueError(f"Teacher and student {context} shapes are incompatible. Teacher: {a}, Student: {b}. "
                             "All dimensions must match.")


def _symbolic(model, attr):
    value = getattr(model, attr, None)
    return list(value) if isinstance(value, (list, tuple)) else ([value] if value is not None else None)


class Distiller(Model):
    """Knowledge distillation from ``teacher`` to ``student`` (both ``keras.Model``s with matching input and
    output shapes and dtypes); ``distillation_losses`` one loss or a list, weighted by
    ``distillation_loss_weights`` (default 1 each); ``student_loss_weight`` in [0, 1]."""

    def __init__(self, teacher, student, distillation_losses, distillation_loss_weights=None,
                 student_loss_weight=0.5, name="distiller", **kwargs):
        super().__init__(name=name, **kwargs)
        for role, model in (("Teacher", teacher), ("Student", student)):
            if not isinstance(model, Model):
                raise ValueError(f"{role} must be a keras.Model, got {type(model)}")
        self._validate_models(teacher, student)
        self.teacher, self.student = teacher, student
        if not isinstance(student_loss_weight, (int, float)):
            raise ValueError(f"student_loss_weight must be a number, got {type(student_loss_weight)}")
        if not 0.0 <= student_loss_weight <= 1.0:
            raise ValueError(f"student_loss_weight must be between 0.0 and 1.0, got {student_loss_weight}")
        self.student_loss_weight = student_loss_weight
        if distillation_losses is None:
            raise ValueError("'distillation_losses' cannot be `None`. Provide a distillation loss (e.g., "
                             "LogitsDistillation or FeatureDistillation) or a list of distillation losses.")
        if not isinstance(distillation_losses, (list, tuple)):
            self.distillation_losses, self.distillation_loss_weights = [distillation_losses], [1.0]
        else:
            self.distillation_losses = list(distillation_losses)
            if distillation_loss_weights is None:
                distillation_loss_weights = [1.0] * len(self.distillation_losses)
            elif len(distillation_loss_weights) != len(self.distillation_losses):
                raise ValueError(f"Number of distillation_loss_weights ({len(distillation_loss_weights)}) must "
                                 f"match number of distillation_losses ({len(self.distillation_losses)})")
            self.distillation_loss_weights = list(distillation_loss_weights)
        for loss in self.distillation_losses:
            loss.validate_model_compatibility(teacher, student)
        self._teacher_features = self._feature_extractor(teacher, "teacher_layer_name")
        self._student_features = self._feature_extractor(student, "student_layer_name")
        self.teacher.trainable = False
        self.student_loss_tracker = _metrics.Mean(name="student_loss")
        self.distillation_loss_tracker = _metrics.Mean(name="distillation_loss")
        self.total_loss_tracker = _metrics.Mean(name="total_loss")

    # -- checks ----------------------------------------------------------------------------------
    def _validate_models(self, teacher, student):
        for attr, context in (("inputs", "input"), ("outputs", "output")):
            t, s = _symbolic(teacher, attr), _symbolic(student, attr)
            if t is None or s is None:
                continue
            for a, b in zip(t, s):
                _check_shapes(tuple(a.shape), tuple(b.shape), context)
            for a, b in zip(t, s):
                if str(a.dtype) != str(b.dtype):
                    raise ValueError(f"Teacher and student {context} dtypes must match. Teacher: {a.dtype}, "
                                     f"Student: {b.dtype}.")

    def _feature_extractor(self, model, attr):
        names = []
        for loss in self.distillation_losses:
            name = getattr(loss, attr, None)
            if name and name not in names:
                names.append(name)
        if not names:
            return None
        if getattr(model, "inputs", None) is None:
            raise ValueError(f"Cannot create feature extractor for {model.name}. The model has no symbolic inputs "
                             "attribute.")
        final = list(model.outputs)
        outputs = {"final_output": final[0] if len(final) == 1 else final}
        for name in names:
            outputs[name] = model.get_layer(name=name).output
        return Model(inputs=model.inputs, outputs=outputs, name=f"{model.name}_multi_feature_extractor")

    # -- training --------------------------------------------------------------------------------
    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        """``loss`` is the student's loss against ``y`` (required); ``metrics`` a list or tuple."""
        if loss is None:
            raise ValueError("'loss' cannot be `None`.")
        self._student_loss = tree.map_structure(_to_loss, loss)
        self._student_loss_for_serialization = loss
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"metrics must be a list or tuple, got {type(metrics)}")
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def call(self, inputs, training=None, **kwargs):
        return self.student(inputs, training=training, **kwargs)

    def _features(self, extractor, model, x, training, y_pred=None):
        if extractor is not None:
            return extractor(x, training=training)
        return {"final_output": y_pred if y_pred is not None else model(x, training=training)}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if y_pred is None:
            y_pred = self(x, training=training)
        self._last_output_losses = None
        student_loss = 0.0
        if self.student_loss_weight > 0.0 and y is not None:
            flat = tree.flatten(tree.map_structure(lambda fn, t, p: fn(t, p), self._student_loss, y, y_pred))
            student_loss = ops.sum(ops.stack(flat)) if len(flat) > 1 else flat[0]
            if len(getattr(student_loss, "shape", ())) > 0:
                student_loss = ops.mean(student_loss)
        distillation = 0.0
        if self.student_loss_weight < 1.0:
            teacher = self._features(self._teacher_features, self.teacher, x, False)
            student = self._features(self._student_features, self.student, x, True, y_pred=None
                                     if self._student_features is not None else y_pred)
            for loss, weight in zip(self.distillation_losses, self.distillation_loss_weights):
                if getattr(loss, "teacher_layer_name", None) is not None:
                    t_name = loss.teacher_layer_name
                    s_name = loss.student_layer_name or "final_output"
                    if t_name not in teacher or s_name not in student:
                        raise RuntimeError(f"Failed to extract features for {type(loss).__name__} targeting teacher "
                                           f"layer '{loss.teacher_layer_name}' and student layer "
                                           f"'{loss.student_layer_name}'.")
                    t_out, s_out = teacher[t_name], student[s_name]
                else:
                    t_out, s_out = teacher["final_output"], y_pred
                loss.validate_outputs(t_out, s_out)
                value = loss.compute_loss(t_out, s_out)
                if len(getattr(value, "shape", ())) > 0:
                    raise ValueError(f"Distillation loss {type(loss).__name__} returned a non-scalar loss with shape "
                                     f"{tuple(value.shape)}. The compute_loss method must return a scalar tensor.")
                distillation = ops.add(distillation, ops.multiply(weight, value))
        total = ops.add(ops.multiply(self.student_loss_weight, student_loss),
                        ops.multiply(1.0 - self.student_loss_weight, distillation))
        self.student_loss_tracker.update_state(student_loss)
        self.distillation_loss_tracker.update_state(distillation)
        self.total_loss_tracker.update_state(total)
        return total

    def reset_metrics(self):
        super().reset_metrics()
        for tracker in (self.student_loss_tracker, self.distillation_loss_tracker, self.total_loss_tracker):
            tracker.reset_state()

    # -- config ----------------------------------------------------------------------------------
    def get_config(self):
        from ..saving.serialization_lib import serialize_keras_object
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        config.update(teacher=serialize_keras_object(self.teacher), student=serialize_keras_object(self.student),
                      distillation_losses=[{"module": "keras.distillation", "class_name": type(loss).__name__,
                                            "config": loss.get_config(), "registered_name": None}
                                           for loss in self.distillation_losses],
                      distillation_loss_weights=self.distillation_loss_weights,
                      student_loss_weight=self.student_loss_weight)
        return config

    @classmethod
    def from_config(cls, config):
        from ..saving.serialization_lib import deserialize_keras_object
        config = dict(config)
        config["teacher"] = deserialize_keras_object(config["teacher"])
        config["student"] = deserialize_keras_object(config["student"])
        known = {c.__name__: c for c in (FeatureDistillation, LogitsDistillation)}
        losses = []
        for item in config["distillation_losses"]:
            loss_cls = known.get(item.get("class_name"))
            if loss_cls is None:
                raise ValueError(f"Distiller.from_config: unknown distillation loss {item.get('class_name')!r}; "
                                 f"expected one of {sorted(known)}")
            losses.append(loss_cls.from_config(item["config"]))
        config["distillation_losses"] = losses
        config.pop("dtype", None)
        return cls(**config)


__all__ = ["Distiller", "DistillationLoss"]
