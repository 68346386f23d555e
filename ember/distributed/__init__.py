"""``ember.distributed``: data-parallel training over MPI or TCP, with ``torch.distributed``'s API.

Start N processes with ``ember run -n N script.py`` (it wraps ``mpiexec``), with
``python -m ember.distributed.run --nproc_per_node N script.py`` (torchrun's launcher; no MPI needed),
or from the script with ``ember.multiprocessing.spawn``; in the script::

    import ember.distributed as dist
    dist.init_process_group("mpi")           # "gloo" is accepted as a name for it
    rank, world = dist.get_rank(), dist.get_world_size()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)  # in place, on every rank
    model = ember.nn.parallel.DistributedDataParallel(model)
    ...
    dist.destroy_process_group()

Under an MPI launcher the transport is MPI through mpi4py (``pip install "ember[mpi]"`` brings mpi4py
and the MPICH wheel, whose ``mpiexec`` ``ember run`` calls); otherwise ``"gloo"`` is ember's own TCP
transport (:mod:`ember.distributed.tcp`, standard library only), meeting at ``MASTER_ADDR:MASTER_PORT``
through a :class:`TCPStore` (or ``tcp://``/``file://`` init methods). mpi4py is imported only by
``init_process_group`` (and the calls that need an initialized group), never by
``import ember`` or ``import ember.distributed``. See ``docs/distributed.md``.

- process group: ``init_process_group``, ``destroy_process_group``, ``is_initialized``,
  ``is_available`` (mpi4py installed), ``get_rank``, ``get_world_size``, ``get_backend``,
  ``new_group``, ``get_process_group_ranks``, ``get_global_rank``, ``get_group_rank``.
- tensors (in place; ``async_op=True`` returns a :class:`Work`): ``all_reduce``, ``broadcast``,
  ``all_gather``, ``all_gather_into_tensor``, ``reduce_scatter``, ``reduce_scatter_tensor``,
  ``reduce``, ``gather``, ``scatter``, ``all_to_all``, ``all_to_all_single``, ``barrier``,
  ``send``/``recv``/``isend``/``irecv``, ``P2POp``/``batch_isend_irecv``.
- objects (JSON, never pickle): ``all_gather_object``, ``broadcast_object_list``,
  ``gather_object``, ``scatter_object_list``, ``send_object_list``/``recv_object_list``.
- groups and meshes: ``new_subgroups``, ``new_subgroups_by_enumeration``, ``get_pg_count``,
  ``init_device_mesh``/``DeviceMesh``; ``all_reduce_coalesced``/``all_gather_coalesced`` (deprecated in
  PyTorch); ``DebugLevel`` with ``get_debug_level``/``set_debug_level``/``set_debug_level_from_env``;
  ``is_backend_available``, ``get_default_backend_for_device``; ``GradBucket`` (DDP comm hooks).

>>> import ember.distributed as dist
>>> dist.is_initialized(), dist.ReduceOp.SUM == 0
(False, True)
"""
from .reduce_op import ReduceOp
from .process_group import (ProcessGroup, GroupMember, Backend, is_available, is_mpi_available, is_gloo_available,
                            is_nccl_available, is_ucc_available, is_xccl_available, is_initialized,
                            is_torchelastic_launched, init_process_group, destroy_process_group, get_rank,
                            get_world_size, get_backend, new_group, get_process_group_ranks, get_global_rank,
                            get_group_rank, get_node_local_rank, default_pg_timeout, is_backend_available,
                            get_default_backend_for_device, get_pg_count, new_subgroups,
                            new_subgroups_by_enumeration)
from .collectives import (Work, all_reduce, broadcast, all_gather, all_gather_into_tensor, reduce_scatter,
                          reduce_scatter_tensor, reduce, gather, scatter, barrier, monitored_barrier, all_to_all,
                          all_to_all_single, send, recv, isend, irecv, P2POp, batch_isend_irecv,
                          all_reduce_coalesced, all_gather_coalesced)
from .objects import (all_gather_object, broadcast_object_list, gather_object, scatter_object_list,
                      send_object_list, recv_object_list)
from .device_mesh import DeviceMesh, init_device_mesh
from .debug_level import DebugLevel, get_debug_level, set_debug_level, set_debug_level_from_env
from .grad_bucket import GradBucket
from .store import (DistError, DistStoreError, DistNetworkError, Store, HashStore, TCPStore, FileStore,
                    PrefixStore)

group = GroupMember   # torch.distributed.group.WORLD

__all__ = ["ReduceOp", "ProcessGroup", "GroupMember", "Backend", "Work", "group", "is_available", "is_mpi_available",
           "is_gloo_available", "is_nccl_available", "is_ucc_available", "is_xccl_available", "is_initialized",
           "is_torchelastic_launched", "init_process_group", "destroy_process_group", "get_rank", "get_world_size",
           "get_backend", "new_group", "get_process_group_ranks", "get_global_rank", "get_group_rank",
           "get_node_local_rank", "default_pg_timeout", "all_reduce", "broadcast", "all_gather",
           "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor", "reduce", "gather", "scatter",
           "barrier", "monitored_barrier", "all_to_all", "all_to_all_single", "send", "recv", "isend", "irecv",
           "P2POp", "batch_isend_irecv",
           "all_gather_object", "broadcast_object_list", "gather_object", "scatter_object_list", "DistError",
           "DistStoreError", "DistNetworkError", "Store", "HashStore", "TCPStore", "FileStore", "PrefixStore",
           "is_backend_available", "get_default_backend_for_device", "get_pg_count", "new_subgroups",
           "new_subgroups_by_enumeration", "all_reduce_coalesced", "all_gather_coalesced", "send_object_list",
           "recv_object_list", "DeviceMesh", "init_device_mesh", "DebugLevel", "get_debug_level", "set_debug_level",
           "set_debug_level_from_env", "GradBucket"]
