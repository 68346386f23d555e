"""Graph passes over FX GraphModules (``torch.fx.passes``): :mod:`.shape_prop`."""
from . import shape_prop  # noqa: F401
