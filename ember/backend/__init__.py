"""The array library behind ember: NumPy. The one place another array library would plug in."""
import numpy as np

# Tensor math follows IEEE 754 silently, as PyTorch's does: log(-1) is nan and 1/0 is inf
# without a warning on every such element.
np.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")

from . import dtypes

__all__ = ["np", "dtypes"]
