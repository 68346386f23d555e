"""The data and sizes the training jobs and their tests share."""
import numpy as np

B = 4          # rows per rank per step
STEPS = 20
IN, HIDDEN, OUT = 6, 16, 3
LR, MOMENTUM = 0.1, 0.9


def data(rows, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, IN)).astype(np.float32)
    y = rng.standard_normal((rows, OUT)).astype(np.float32)
    return x, y


def rank_rows(step, rank, world, per_rank=B):
    """The dataset rows rank ``rank`` reads at ``step``: DistributedSampler(shuffle=False) takes every
    world-th row, so the ranks' rows at one step make up the global batch [step*B*world, (step+1)*B*world)."""
    lo = step * per_rank * world
    return list(range(lo + rank, lo + per_rank * world, world))
