"""``ember.distributed.algorithms``: DistributedDataParallel communication hooks (:mod:`.ddp_comm_hooks`)."""
