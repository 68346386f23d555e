"""``ember.distributed.algorithms``: DistributedDataParallel communication hooks (:mod:`.ddp_comm_hooks`) and
the join context manager for uneven inputs (:mod:`.join`)."""
