"""``torch.distributed.checkpoint.stateful``: the ``Stateful`` protocol (``state_dict()`` / ``load_state_dict()``)."""
from ._save_load import Stateful

__all__ = ["Stateful"]
