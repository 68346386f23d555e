"""The traced front end of torch's pipelining (``pipeline()``, ``Pipe``, ``SplitPoint``): ember has no
``torch.export`` to trace a model with, so only the names exist; split the model by hand instead."""
from enum import Enum

__all__ = ["Pipe", "pipe_split", "SplitPoint", "pipeline"]

_MANUAL = ("split the model by hand into consecutive submodules and wrap each in "
           "PipelineStage(submodule, stage_index, num_stages, device), then run a schedule such as "
           "ScheduleGPipe(stage, n_microbatches, loss_fn=...)")


class SplitPoint(Enum):
    """Where a split goes relative to a submodule: ``BEGINNING`` (before it runs) or ``END`` (after)."""
    BEGINNING = 1
    END = 2


def pipe_split():
    """Marks a stage boundary inside ``forward`` for ``pipeline()``; when the module runs eagerly it does nothing."""
    return None


class Pipe:
    def __init__(self, *args, **kwargs):
        raise NotImplementedError(f"ember.distributed.pipelining.Pipe comes from pipeline(), which needs "
                                  f"torch.export (not in ember): {_MANUAL}")


def pipeline(module, mb_args, mb_kwargs=None, split_spec=None, split_policy=None):
    """Not available: it traces ``module`` with torch.export, which ember does not have."""
    raise NotImplementedError(f"ember.distributed.pipelining.pipeline() traces the model with torch.export, which "
                              f"ember does not have: {_MANUAL}")
