"""Pipeline parallelism against torch's: jobs/pipeline_job.py (a 4-block token model split by hand, 3 Adam steps in
4 microbatches with ScheduleGPipe, Schedule1F1B (also with a tuple of activations and integer ids between the
stages), GPipe with scale_grads=False, GPipe with every stage's input_args and output_args (static), GPipe on
a DistributedDataParallel model, ScheduleLoopedBFS and ScheduleInterleaved1F1B, then eval()) on 2 gloo ranks
under torch and under ember, from the same weights and tokens, records the same per-microbatch losses, merged
outputs, gradients and final weights; so does jobs/pipeline3_job.py (3 stages on 3 ranks, the middle one calling
step() without arguments); jobs/pipeline_errors_job.py (1 rank) raises the same exception types for misuse;
microbatch splitting and merging cut the same chunks as torch's."""
import json

import numpy as np
import pytest
import torch

import ember
import ember.distributed as dist
from ember.distributed.pipelining import PipelineStage, SplitPoint, build_stage, pipe_split, pipeline
from ember.distributed.pipelining import ScheduleInterleavedZeroBubble
from ember.distributed.pipelining.microbatch import TensorChunkSpec, merge_chunks, split_args_kwargs_into_chunks

from ._launch import torch_and_ember
from .test_fsdp import _same

SCHEDULES = ["GPipe", "1F1B", "1F1B_tuple", "GPipe_sum", "GPipe_static", "GPipe_ddp", "LoopedBFS", "Interleaved1F1B"]


@pytest.fixture(scope="module")
def init_npz(tmp_path_factory):
    """The 4-block model's initial weights, for every job."""
    path = tmp_path_factory.mktemp("pp_init") / "init.npz"
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.ModuleList([nn.ModuleDict(dict(emb=nn.Embedding(10, 8))), nn.ModuleDict(dict(fc=nn.Linear(8, 8))),
                           nn.ModuleDict(dict(fc=nn.Linear(8, 8))), nn.ModuleDict(dict(fc=nn.Linear(8, 10)))])
    np.savez(path, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory, init_npz):
    tmp = tmp_path_factory.mktemp("pp")
    torch_and_ember("pipeline_job.py", init_npz, tmp / "{lib}.json")
    return json.loads((tmp / "ember.json").read_text()), json.loads((tmp / "torch.json").read_text())


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("what", ["losses", "outputs", "grads", "eval", "weights"])
def test_pipeline_program_records_what_torch_records(runs, schedule, what):
    ours, theirs = runs
    for rank in (0, 1):
        _same(ours[rank][schedule][what], theirs[rank][schedule][what], f"rank{rank}.{schedule}.{what}")
    losses = ours[1][schedule]["losses"]
    assert len(losses) == 3 and all(len(step) == 4 for step in losses)       # one loss per microbatch
    if schedule == "GPipe_ddp":                                              # both ranks are whole pipelines
        assert ours[0][schedule]["grads"] == ours[1][schedule]["grads"]      # that average their gradients
        assert ours[0][schedule]["losses"] != losses
    else:
        assert ours[0][schedule]["losses"] == [[], [], []]                   # the first stage gets none


def test_three_stages_with_a_middle_rank_record_what_torch_records(init_npz, tmp_path):
    torch_and_ember("pipeline3_job.py", init_npz, tmp_path / "{lib}.json", n=3)
    ours, theirs = (json.loads((tmp_path / f"{lib}.json").read_text()) for lib in ("ember", "torch"))
    _same(ours, theirs, "3 ranks")
    assert [len(step) for step in ours[2]["ScheduleGPipe"]["losses"]] == [4, 4]
    assert ours[1]["Schedule1F1B"]["grads"][0]                               # the middle stage has gradients


def test_gradients_are_scaled_by_the_number_of_microbatches(runs):
    ours, _ = runs
    for rank in (0, 1):
        mean, summed = ours[rank]["GPipe"]["grads"][0], ours[rank]["GPipe_sum"]["grads"][0]
        for name in mean:
            np.testing.assert_allclose(np.asarray(summed[name]), 4 * np.asarray(mean[name]), rtol=1e-5, atol=1e-6)


def test_misuse_raises_torchs_exception_types(tmp_path):
    torch_and_ember("pipeline_errors_job.py", tmp_path / "{lib}.json", n=1)
    ours, theirs = (json.loads((tmp_path / f"{lib}.json").read_text()) for lib in ("ember", "torch"))
    assert ours == theirs
    assert all(v is not None for v in ours.values()), ours


def _plain(value):
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value.tolist() if hasattr(value, "tolist") else value


def _chunks(split, args, kwargs, n, args_spec=None):
    return _plain(split(args, kwargs, n, args_spec))


def test_microbatches_are_torchs_chunks():
    from torch.distributed.pipelining import microbatch as tm
    cases = [(lambda m: (m.arange(10), 3, [m.ones(10, 2)]), lambda m: {"mask": m.zeros(10, 2), "s": "x"}, 4, None),
             (lambda m: (m.arange(12).reshape(3, 4),), lambda m: {}, 4, (1,)),
             (lambda m: (m.arange(3), m.arange(10)), lambda m: None, 4, None)]
    for args, kwargs, n, dims in cases:
        theirs = _chunks(tm.split_args_kwargs_into_chunks, args(torch), kwargs(torch), n,
                         None if dims is None else tm.TensorChunkSpec.from_tuple(dims))
        ours = _chunks(split_args_kwargs_into_chunks, args(ember), kwargs(ember), n,
                       None if dims is None else TensorChunkSpec.from_tuple(dims))
        assert ours == theirs
    pieces = ember.tensor_split(ember.arange(10.0).reshape(5, 2), 3)
    assert merge_chunks(list(pieces), None).tolist() == ember.arange(10.0).reshape(5, 2).tolist()
    assert str(TensorChunkSpec(1)) == str(tm.TensorChunkSpec(1))


def test_traced_front_end_names_the_manual_path():
    with pytest.raises(NotImplementedError, match="PipelineStage"):
        pipeline(ember.nn.Linear(2, 2), (ember.ones(1, 2),), split_spec={"0": SplitPoint.BEGINNING})
    with pytest.raises(NotImplementedError, match="PipelineStage"):
        build_stage(ember.nn.Linear(2, 2), 0, None, "cpu")
    assert pipe_split() is None and SplitPoint.END.value == 2
    with pytest.raises(NotImplementedError, match="Schedule1F1B"):
        ScheduleInterleavedZeroBubble([], 4)


def test_schedule_classes_by_name_as_torch():
    from torch.distributed.pipelining import schedules as ts
    from ember.distributed.pipelining import schedules as es
    for name in ("1f1b", "GPipe", "interleaved1f1b", "LoopedBFS", "DualPipeV"):
        assert es.get_schedule_class(name).__name__ == ts.get_schedule_class(name).__name__
    for lib in (ts, es):
        with pytest.raises(ValueError, match="Unknown schedule name 'nope'"):
            lib.get_schedule_class("nope")


def test_p2p_op_and_batch_refuse_what_torch_refuses():
    for make in (lambda d, t: d.P2POp(print, t.ones(2), 1), lambda d, t: d.batch_isend_irecv([1])):
        with pytest.raises(ValueError) as theirs:
            make(torch.distributed, torch)
        with pytest.raises(ValueError) as ours:
            make(dist, ember)
        assert str(ours.value).split("``")[1] == str(theirs.value).split("``")[1]


def test_single_stage_pipeline_equals_one_whole_batch_step():
    dist.init_process_group("gloo", rank=0, world_size=1, store=dist.HashStore())
    try:
        ember.manual_seed(0)
        model = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Tanh(), ember.nn.Linear(8, 3))
        x, y = ember.randn(8, 4), ember.randint(0, 3, (8,))
        ember.nn.functional.cross_entropy(model(x), y).backward()
        whole = [p.grad.clone() for p in model.parameters()]
        model.zero_grad()
        from ember.distributed.pipelining import Schedule1F1B
        schedule = Schedule1F1B(PipelineStage(model, 0, 1, "cpu"), 4, loss_fn=ember.nn.functional.cross_entropy)
        losses = []
        out = schedule.step(x, target=y, losses=losses)
        assert out.shape == (8, 3) and len(losses) == 4
        for p, g in zip(model.parameters(), whole):
            np.testing.assert_allclose(p.grad.numpy(), g.numpy(), rtol=1e-5, atol=1e-7)
    finally:
        dist.destroy_process_group()
