"""``torch.distributed.checkpoint.state_dict_loader``: :func:`load`."""
from ._save_load import load, load_state_dict

__all__ = ["load", "load_state_dict"]
