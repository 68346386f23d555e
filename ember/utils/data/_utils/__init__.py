"""PyTorch's ``torch.utils.data._utils`` path: older programs import ``default_collate`` from
``torch.utils.data._utils.collate``."""
from . import collate  # noqa: F401
