"""``ember.distributed.elastic.multiprocessing``: see :mod:`.errors`."""
from . import errors  # noqa: F401
