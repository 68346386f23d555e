"""``torch.distributed.checkpoint.filesystem``: where a checkpoint is written and read (a directory)."""
from ._save_load import FileSystemWriter, FileSystemReader

__all__ = ["FileSystemWriter", "FileSystemReader"]
