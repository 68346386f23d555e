"""Building blocks of the vision models, under torchvision.ops' names: ``Conv2dNormActivation``,
``SqueezeExcitation``, ``StochasticDepth`` / ``stochastic_depth`` and ``MLP``."""
from .misc import Conv2dNormActivation, SqueezeExcitation, MLP
from .stochastic_depth import StochasticDepth, stochastic_depth

__all__ = ["Conv2dNormActivation", "SqueezeExcitation", "MLP", "StochasticDepth", "stochastic_depth"]
