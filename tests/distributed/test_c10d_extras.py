"""torch.distributed's less common calls on 2 gloo ranks, the same program on real torch 2.13 and on ember
(jobs/c10d_extras_job.py): init_device_mesh joining the default group, send_object_list/recv_object_list,
all_reduce_coalesced/all_gather_coalesced with their FutureWarning, new_subgroups(_by_enumeration), get_pg_count,
is_backend_available, get_default_backend_for_device, a comm hook's GradBucket; and the debug level in one
process."""
import json

import pytest
import torch.distributed as tdist

import ember.distributed as dist

from ._launch import torch_and_ember


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("c10d_extras")
    for lib in ("torch", "ember"):
        (tmp / lib).mkdir()
    torch_and_ember("c10d_extras_job.py", tmp / "{lib}")
    return {lib: [json.load(open(tmp / lib / f"rank{r}.json")) for r in range(2)] for lib in ("torch", "ember")}


def test_every_rank_sees_what_torch_sees(records):
    for r in range(2):
        ours, theirs = records["ember"][r], records["torch"][r]
        assert ours.keys() == theirs.keys()
        for key in theirs:
            assert ours[key] == theirs[key], (r, key)
    theirs = records["torch"]
    assert theirs[1]["got"] == ["foo", 12, {"a": [1, 2.5]}, None] and theirs[0]["got"] == [{"rank": 1}]
    assert theirs[0]["subgroups2"][2] == [3.0] and theirs[0]["subgroups1"][2] == [1.0]


def test_debug_level_as_torch(monkeypatch):
    before = tdist.get_debug_level()
    try:
        for value in ("DETAIL", "info", "OFF"):
            monkeypatch.setenv("TORCH_DISTRIBUTED_DEBUG", value)
            dist.set_debug_level_from_env()
            tdist.set_debug_level_from_env()
            assert repr(dist.get_debug_level()) == repr(tdist.get_debug_level())
        monkeypatch.setenv("TORCH_DISTRIBUTED_DEBUG", "bogus")
        with pytest.raises(ValueError) as ours:
            dist.set_debug_level_from_env()
        with pytest.raises(ValueError) as theirs:
            tdist.set_debug_level_from_env()
        assert str(ours.value) == str(theirs.value)
        dist.set_debug_level(dist.DebugLevel.INFO)
        tdist.set_debug_level(tdist.DebugLevel.INFO)
        assert str(dist.get_debug_level()) == str(tdist.get_debug_level()) == "DebugLevel.INFO"
        assert [int(v) for v in dist.DebugLevel] == [int(tdist.DebugLevel.__members__[n]) for n in
                                                     ("OFF", "INFO", "DETAIL")]
        assert (dist.DebugLevel.INFO == 1) is (tdist.DebugLevel.INFO == 1) is False
    finally:
        dist.set_debug_level(dist.DebugLevel.OFF)
        tdist.set_debug_level(before)


def test_pg_count_and_backend_helpers_before_init_as_torch():
    assert dist.get_pg_count() == tdist.get_pg_count() == 0
    with pytest.raises(ValueError) as ours:
        dist.get_default_backend_for_device("meta")
    with pytest.raises(ValueError) as theirs:
        tdist.get_default_backend_for_device("meta")
    assert str(ours.value) == str(theirs.value)
    assert dist.is_backend_available("cpu:gloo") is tdist.is_backend_available("cpu:gloo") is True
