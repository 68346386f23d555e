"""Data-parallel ``fit`` when the program runs under MPI (``ember run -n N`` or ``mpiexec -n N``).

``model.fit`` needs no change: launched as N processes (the MPI launcher's ``PMI_SIZE`` /
``OMPI_COMM_WORLD_SIZE`` > 1), it joins the MPI process group (``init_process_group("mpi")``
unless the program already did) and trains data-parallel:

- rank 0's weights are copied to every rank once the model is built, and rank 0's shuffling seed
  is used by all, so every rank draws the same global batches;
- ``batch_size`` is the global batch, as with Keras's distribution strategies: each rank takes
  the rows ``rank, rank + N, ...`` of each batch (so the ranks' shards make up the batch);
- after each backward pass the gradients, weighted by each rank's row count, are summed over the
  ranks in one all-reduce (with the rows and the loss), so every rank applies

      grad = sum over ranks r of (n_r / n) * grad_r,   n = sum of n_r

  which is the gradient of the mean loss over the global batch: N ranks step exactly as one
  process would with the same ``batch_size``. The logged ``loss`` is the global batch's;
  other training metrics are computed on rank 0's shard (validation runs on every rank on the
  full validation data, so its metrics are the global ones);
- only rank 0 prints progress and runs the callbacks that write (``ModelCheckpoint``,
  ``CSVLogger``, ``TensorBoard``, ``BackupAndRestore``, ``RemoteMonitor``); ``stop_training`` set by a
  callback on any rank stops every rank (so ``EarlyStopping`` cannot leave one rank waiting).

The training step runs eagerly under data parallelism (the all-reduce is not graph-captured).
``evaluate`` and ``predict`` run whole on every rank (the weights agree) and print on rank 0 only.
"""
import numpy as np

__all__ = ["DataParallelFit", "setup", "quiet"]

_WRITERS = ("ModelCheckpoint", "CSVLogger", "TensorBoard", "BackupAndRestore", "RemoteMonitor", "ProgbarLogger")


def quiet(verbose):
    """``verbose``, or 0 on the ranks other than 0 of an MPI job (evaluate and predict print on rank 0 only)."""
    from ember.distributed.process_group import launched_under_mpi
    env = launched_under_mpi()
    return 0 if env is not None and env[1] > 1 and env[0] != 0 else verbose


def setup():
    """A :class:`DataParallelFit` when this process is one of several MPI ranks, else None."""
    from ember import distributed as dist
    from ember.distributed.process_group import get_default_group, launched_under_mpi
    if not dist.is_initialized():
        env = launched_under_mpi()
        if env is None or env[1] <= 1:
            return None
        dist.init_process_group("mpi")
    if dist.get_world_size() <= 1:
        return None
    return DataParallelFit(get_default_group())


class DataParallelFit:
    """What ``fit`` does differently on one of ``pg.size()`` ranks (see the module docstring)."""

    def __init__(self, pg):
        self.pg = pg
        self.rank = pg.rank()
        self.size = pg.size()
        self._global_rows = None

    def _allreduce(self, array, op="SUM"):
        from ember.distributed.process_group import wait, _mpi
        MPI = _mpi()
        wait(self.pg.comm.Iallreduce(MPI.IN_PLACE, array, getattr(MPI, op)), self.pg, "fit")
        return array

    def agree(self, seed):
        """Rank 0's ``seed`` on every rank (so that all shuffle alike)."""
        buf = np.array([seed], np.int64)
        from ember.distributed.process_group import wait
        wait(self.pg.comm.Ibcast(buf, root=0), self.pg, "fit")
        return int(buf[0])

    def sync_weights(self, model):
        """Copy rank 0's weights (trainable and not) to every rank."""
        from ember.distributed.process_group import wait
        for v in model.weights:
            arr = v._data
            buf = np.ascontiguousarray(arr)
            wait(self.pg.comm.Ibcast(buf, root=0), self.pg, "fit")
            if buf is not arr:
                arr[...] = buf

    def shard(self, batch):
        """This rank's rows of a global batch ``(x, y, sample_weight)``: rows ``rank::size``."""
        from ..graph import map_structure
        from .trainer import _batch_size_of
        n = _batch_size_of(batch[0])
        if n < self.size:
            raise ValueError(f"fit: a global batch of {n} rows cannot be split over {self.size} ranks; use a "
                             f"batch_size of at least {self.size} (batch_size is the global batch under MPI)")
        return tuple(map_structure(lambda a: a[self.rank::self.size] if a is not None else None, part)
                     if part is not None else None for part in batch)

    def reduce_gradients(self, params, loss, rows):
        """Average ``params``' gradients over the ranks, weighted by ``rows`` (this rank's batch rows); returns
        the global batch's loss. One all-reduce carries the gradients, which ranks had them, the loss and rows."""
        from ember.autograd.tensor import make
        sizes = [p._data.size for p in params]
        flat = np.zeros(sum(sizes) + len(params) + 2, np.float64)
        at = 0
        for i, p in enumerate(params):
            if p._grad is not None:
                flat[at:at + sizes[i]] = p._grad._data.reshape(-1)
                flat[at:at + sizes[i]] *= rows
                flat[sum(sizes) + i] = 1
            at += sizes[i]
        flat[-2] = float(loss._data) * rows
        flat[-1] = rows
        self._allreduce(flat)
        total = self._global_rows = flat[-1]
        at = 0
        for i, p in enumerate(params):
            if flat[sum(sizes) + i]:
                p._grad = make((flat[at:at + sizes[i]] / total).reshape(p._data.shape).astype(p._data.dtype))
            at += sizes[i]
        return make(np.asarray(flat[-2] / total, dtype=loss._data.dtype))

    def rows_of(self, x):
        """The rows the loss just logged stands for: the global batch's after a training step (so that the
        epoch's mean loss weighs batches as one process would), else ``x``'s (validation is not sharded)."""
        from .trainer import _batch_size_of
        rows, self._global_rows = self._global_rows, None
        return int(rows) if rows is not None else _batch_size_of(x)

    def any(self, flag):
        """True on every rank when ``flag`` is true on any."""
        return bool(self._allreduce(np.array([int(bool(flag))], np.int64), "MAX")[0])

    def rank0_only(self, callbacks, verbose):
        """The callbacks and verbosity of this rank: rank 0 keeps all; the others drop those that write."""
        if self.rank == 0:
            return callbacks, verbose
        keep = [c for c in (callbacks or []) if type(c).__name__ not in _WRITERS]
        return keep, 0
