"""``torch.distributed.checkpoint.state_dict_saver``: :func:`save` and :func:`async_save`."""
from ._save_load import save, async_save, save_state_dict

__all__ = ["save", "async_save", "save_state_dict"]
