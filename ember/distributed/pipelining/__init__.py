"""Pipeline parallelism (``torch.distributed.pipelining``): a model split into consecutive stages, one (or
several) per rank, that a schedule runs over the microbatches of each batch.

Split the model by hand (``pipeline()``/``SplitPoint`` need torch.export, which ember does not have), wrap the
part of each rank in a :class:`PipelineStage` and give it to a schedule::

    stage = PipelineStage(parts[rank], rank, world_size, "cpu")
    schedule = ScheduleGPipe(stage, n_microbatches=4, loss_fn=nn.functional.cross_entropy)
    opt.zero_grad()
    if rank == 0:
        schedule.step(x)                          # the first stage gets the batch
    elif rank == world_size - 1:
        losses = []
        schedule.step(target=y, losses=losses)   # the last gets the target, and the losses of each microbatch
    else:
        schedule.step()
    opt.step()

Activations travel forward and gradients backward with ``isend``/``irecv`` on the group; gradients accumulate
over the microbatches and are divided by their number (``scale_grads=True``). See ``docs/distributed.md``.
"""
from ._IR import Pipe, pipe_split, pipeline, SplitPoint
from ._utils import PipeliningMetadataError
from .microbatch import TensorChunkSpec, split_args_kwargs_into_chunks, merge_chunks
from .schedules import (PipelineScheduleSingle, PipelineScheduleMulti, Schedule1F1B, ScheduleGPipe,
                        ScheduleInterleaved1F1B, ScheduleLoopedBFS, ScheduleInterleavedZeroBubble,
                        ScheduleZBVZeroBubble, ScheduleDualPipeV)
from .stage import build_stage, PipelineStage

__all__ = ["Pipe", "pipe_split", "SplitPoint", "pipeline", "PipelineStage", "build_stage", "Schedule1F1B",
           "ScheduleGPipe", "ScheduleInterleaved1F1B", "ScheduleLoopedBFS", "ScheduleInterleavedZeroBubble",
           "ScheduleZBVZeroBubble", "ScheduleDualPipeV"]
