"""Pipeline misuse, written for torch (torchrun's environment, 1 rank: one stage that is first and last): a
first step without a target, a batch shorter than the number of microbatches (with a target, and without
a loss), a step without a target after a good step, step() under no_grad, too few microbatches for 1F1B,
a stage index past the stages, input_args that do not describe the microbatch, a stage returning a
dict, and losses that are not a list. Records each exception's type and whether it is a RuntimeError."""
import json
import os
import sys

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.distributed.pipelining import PipelineStage, Schedule1F1B, ScheduleGPipe

out = sys.argv[1]
dist.init_process_group("gloo")
torch.manual_seed(0)
device = torch.device("cpu")
x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))


def fresh(loss_fn=F.cross_entropy, cls=ScheduleGPipe, n=4):
    return cls(PipelineStage(nn.Linear(4, 3), 0, 1, device), n, loss_fn=loss_fn)


def first_step_without_target():
    fresh().step(x)


def short_batch_with_target():
    fresh().step(x[:3], target=y[:3])


def short_batch_forward_only():
    fresh(loss_fn=None).step(x[:3])


def no_target_after_a_step():
    schedule = fresh()
    schedule.step(x, target=y)
    schedule.step(x)


def step_under_no_grad():
    with torch.no_grad():
        fresh().step(x, target=y)


def too_few_microbatches_for_1f1b():
    Schedule1F1B(PipelineStage(nn.Linear(4, 3), 0, 2, device), 1, loss_fn=F.cross_entropy)


def stage_index_out_of_range():
    PipelineStage(nn.Linear(4, 3), 2, 2, device)


def input_args_of_another_shape():
    schedule = ScheduleGPipe(PipelineStage(nn.Linear(4, 3), 0, 1, device, input_args=torch.zeros(3, 4)), 4,
                             loss_fn=F.cross_entropy)
    schedule.step(x, target=y)


class DictOutput(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return {"logits": self.fc(x)}


def dict_output():
    schedule = ScheduleGPipe(PipelineStage(DictOutput(), 0, 1, device), 4,
                             loss_fn=lambda out, target: F.cross_entropy(out["logits"], target))
    schedule.step(x, target=y)


def losses_not_a_list():
    fresh().step(x, target=y, losses=())


record = {}
for case in (first_step_without_target, short_batch_with_target, short_batch_forward_only, no_target_after_a_step,
             step_under_no_grad, too_few_microbatches_for_1f1b, stage_index_out_of_range, input_args_of_another_shape,
             dict_output, losses_not_a_list):
    try:
        case()
        record[case.__name__] = None
    except Exception as e:           # noqa: BLE001 - the type is what is compared
        record[case.__name__] = [type(e).__name__, isinstance(e, RuntimeError)]
with open(out, "w") as fh:
    json.dump(record, fh)
dist.barrier()
dist.destroy_process_group()
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
