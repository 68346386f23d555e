"""``ember.distributed``: ember trains in one process and has no distributed backend.

``is_available()`` is False, as PyTorch reports on a build without distributed support, so
the usual guard (``if dist.is_available() and dist.is_initialized():``) takes the
single-process path. ``is_initialized()`` is False; asking for a rank or world size fails as
in PyTorch before ``init_process_group``, and ``init_process_group`` says that ember cannot
start one.

>>> import ember
>>> ember.distributed.is_available(), ember.distributed.is_initialized()
(False, False)
"""

__all__ = ["is_available", "is_initialized", "is_torchelastic_launched", "get_rank", "get_world_size",
           "init_process_group", "destroy_process_group", "barrier"]


def is_available():
    """False: ember has no process-group backend (gloo, NCCL, MPI)."""
    return False


def is_initialized():
    return False


def is_torchelastic_launched():
    return False


def _not_initialized(group=None):
    raise ValueError("Default process group has not been initialized, please make sure to call "
                     "init_process_group.")


def get_rank(group=None):
    _not_initialized()


def get_world_size(group=None):
    _not_initialized()


def barrier(group=None, async_op=False, device_ids=None):
    _not_initialized()


def destroy_process_group(group=None):
    _not_initialized()


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    raise RuntimeError(f"ember.distributed.init_process_group(backend={backend!r}): ember has no distributed "
                       f"backend (ember.distributed.is_available() is False); train in one process, and shard "
                       f"data with DistributedSampler(num_replicas=..., rank=...) if you run several")
