"""``ember.distributed.checkpoint`` (``torch.distributed.checkpoint``): every rank saves and loads its own pieces
of a state dict at once (:mod:`._save_load`); :mod:`.state_dict` makes model and optimizer state dicts that do not
depend on how the model is wrapped or sharded."""
from ._save_load import (save, load, async_save, FileSystemWriter, FileSystemReader, Stateful, Metadata,
                         save_state_dict, load_state_dict)
from . import state_dict, stateful, filesystem, state_dict_saver, state_dict_loader, default_planner
from .default_planner import DefaultSavePlanner, DefaultLoadPlanner

__all__ = ["save", "load", "async_save", "FileSystemWriter", "FileSystemReader", "Stateful", "Metadata",
           "save_state_dict", "load_state_dict", "state_dict", "DefaultSavePlanner", "DefaultLoadPlanner"]
