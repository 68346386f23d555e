"""The classes and functions Keras 3 puts at the top level (``keras.Loss``, ``keras.name_scope`` ...),
collected from the modules that define them; ``ember.keras`` re-exports ``__all__``."""
from .dtype_policies import DTypePolicy, FloatDTypePolicy
from .function import Function, Operation
from .graph import KerasTensor
from .initializers import Initializer
from .layers.input_spec import InputSpec
from .losses import Loss
from .metrics import Metric
from .optimizers import Optimizer
from .quantizers import Quantizer
from .regularizers import Regularizer
from .remat import RematScope, remat
from .scopes import StatelessScope, SymbolicScope, device, name_scope

VERSION = "3.0.0-ember"


def version():
    """ember.keras's version string (``keras.__version__``)."""
    return VERSION


__all__ = ["DTypePolicy", "FloatDTypePolicy", "Function", "Operation", "KerasTensor", "Initializer", "InputSpec", "Loss", "Metric",
           "Optimizer", "Quantizer", "Regularizer", "RematScope", "remat", "StatelessScope", "SymbolicScope", "device",
           "name_scope", "version"]
