"""``ember.distributed.elastic``: the parts of ``torch.distributed.elastic`` that training scripts use.

``multiprocessing.errors.record`` decorates a script's ``main`` so that an exception on a worker is
written to the error file the launcher (``python -m ember.distributed.run``) gave it, and the launcher
can name the root cause of a failed job.
"""
