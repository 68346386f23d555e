"""Keras optimizers (``keras.optimizers.Adam(learning_rate=1e-3)``) as ember optimizers with Keras's math,
and their learning-rate ``schedules``.

>>> from ember import keras
>>> keras.optimizers.get("adam").learning_rate
0.001
"""
from . import schedules
from .base_optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .adam_family import Nadam, Adamax, Lamb, Lion
from .adaptive import Adadelta, Adafactor, Ftrl
from .muon_lso import Muon, LossScaleOptimizer
from .schedule_free import ScheduleFreeAdamW
from .multi_optimizer import MultiOptimizer, OptimizerMap

_CLASSES = {c.__name__: c for c in (SGD, Adam, AdamW, RMSprop, Adagrad, Nadam, Adamax, Lamb, Lion, Adadelta,
                                    Adafactor, Ftrl, Muon, LossScaleOptimizer, ScheduleFreeAdamW, MultiOptimizer)}
_BY_NAME = {name.lower(): c for name, c in _CLASSES.items()}


def get(identifier):
    """An optimizer from a name ('adam', 'sgd', 'rmsprop', 'adagrad', 'adamw'), a config dict or an instance.

    A PyTorch-style ``ember.optim`` optimizer is accepted as is.
    """
    from ... import optim
    if isinstance(identifier, optim.Optimizer):
        return identifier
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}; expected one of "
                             f"{sorted(_BY_NAME)}")
        return cls()
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown optimizer class {identifier.get('class_name')!r}")
        return cls.from_config(dict(identifier.get("config", {})))
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


def deserialize(config, custom_objects=None):
    """The optimizer a ``serialize`` config describes."""
    cls = _CLASSES.get(config.get("class_name")) or (custom_objects or {}).get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"Unknown optimizer class {config.get('class_name')!r}")
    return cls.from_config(dict(config.get("config", {})))


def serialize(optimizer):
    if type(optimizer).__name__ in _CLASSES and isinstance(optimizer, Optimizer):
        return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
                "config": optimizer.get_config(), "registered_name": None}
    return None


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Nadam", "Adamax", "Lamb", "Lion", "Adadelta",
           "Adafactor", "Ftrl", "Muon", "LossScaleOptimizer", "schedules", "get", "serialize", "deserialize"]
