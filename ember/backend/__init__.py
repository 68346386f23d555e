"""The array library behind ember: NumPy. The one place another array library would plug in."""
import numpy as np

from . import dtypes

__all__ = ["np", "dtypes"]
