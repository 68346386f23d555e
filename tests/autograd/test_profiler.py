"""torch.profiler / torch.autograd.profiler and the anomaly-mode switches against PyTorch: the
schedule's actions, which ranges and steps a profile records (names and counts), how often
on_trace_ready runs, the Chrome trace file, and the anomaly flags."""
import json

import pytest
import torch

import ember
from ember import profiler
from ember.autograd import profiler as autograd_profiler


@pytest.mark.parametrize("kw", [dict(wait=1, warmup=1, active=2), dict(wait=0, warmup=0, active=1, repeat=2),
                                dict(wait=2, warmup=1, active=3, repeat=1, skip_first=2),
                                dict(wait=1, warmup=2, active=1, skip_first_wait=1)])
def test_schedule_gives_torchs_actions(kw):
    ours, theirs = profiler.schedule(**kw), torch.profiler.schedule(**kw)
    assert [ours(i).name for i in range(20)] == [theirs(i).name for i in range(20)]


def _train(lib, prof_factory, steps):
    with prof_factory() as prof:
        for _ in range(steps):
            with lib.profiler.record_function("forward"):
                with lib.profiler.record_function("matmul"):
                    lib.ones(4, 4) @ lib.ones(4, 4)
            with lib.profiler.record_function("backward"):
                pass
            prof.step()
    return prof


def _user_keys(prof, names):
    return sorted((e.key, e.count) for e in prof.key_averages() if e.key in names or e.key.startswith("ProfilerStep"))


def test_a_scheduled_profile_records_the_same_ranges_and_cycles():
    ready = {"ours": [], "theirs": []}
    kw = dict(wait=1, warmup=1, active=2, repeat=2)

    def make(lib, key):
        return lambda: lib.profiler.profile(activities=[lib.profiler.ProfilerActivity.CPU],
                                            schedule=lib.profiler.schedule(**kw),
                                            on_trace_ready=lambda p: ready[key].append(_user_keys(p, NAMES)))
    NAMES = {"forward", "matmul", "backward"}
    _train(ember, make(ember, "ours"), 10)
    _train(torch, make(torch, "theirs"), 10)
    assert len(ready["ours"]) == len(ready["theirs"]) == 2
    assert ready["ours"] == ready["theirs"]


def test_an_unscheduled_profile_records_everything(tmp_path):
    names = {"forward", "matmul", "backward"}
    ours = _train(ember, lambda: ember.profiler.profile(record_shapes=True), 3)
    theirs = _train(torch, lambda: torch.profiler.profile(record_shapes=True), 3)
    assert _user_keys(ours, names) == _user_keys(theirs, names)
    table = ours.key_averages().table(sort_by="cpu_time_total", row_limit=10)
    for column in ("Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"):
        assert column in table
    path = tmp_path / "trace.json"
    ours.export_chrome_trace(str(path))
    events = json.loads(path.read_text())["traceEvents"]
    assert sorted(e["name"] for e in events if e["name"] in names) == sorted(["forward", "matmul", "backward"] * 3)
    forward = [e for e in events if e["name"] == "forward"][0]
    matmul = [e for e in events if e["name"] == "matmul"][0]
    assert forward["ts"] <= matmul["ts"] and matmul["ts"] + matmul["dur"] <= forward["ts"] + forward["dur"]


def test_autograd_profiler_nesting_self_time_and_decorator():
    @autograd_profiler.record_function("decorated")
    def work():
        with autograd_profiler.record_function("inner"):
            sum(range(1000))

    with autograd_profiler.profile() as prof:
        work()
        work()
    averages = {e.key: e for e in prof.key_averages()}
    assert averages["decorated"].count == 2 and averages["inner"].count == 2
    assert averages["decorated"].self_cpu_time_total <= averages["decorated"].cpu_time_total
    outer = [e for e in prof.function_events if e.name == "decorated"][0]
    assert [c.name for c in outer.cpu_children] == ["inner"]
    with pytest.raises(RuntimeError, match="didn't finish"):
        autograd_profiler.profile().key_averages()
    with pytest.raises(ValueError, match="sort_by"):
        prof.key_averages().table(sort_by="gpu_time")


def test_anomaly_switches_match_torch():
    for lib in (torch, ember):
        assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
    for lib in (torch, ember):
        with lib.autograd.detect_anomaly(check_nan=False):
            assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
        with lib.autograd.set_detect_anomaly(True):
            assert lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
        lib.set_anomaly_enabled(True, check_nan=False)
        assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
        lib.set_anomaly_enabled(False)
        assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
        with lib.inference_mode():
            assert lib.is_inference_mode_enabled()
        assert not lib.is_inference_mode_enabled()


def test_anomaly_mode_without_nan_check_lets_nan_through():
    x = ember.tensor([0.0], requires_grad=True)
    with ember.autograd.detect_anomaly(check_nan=False):
        ember.sqrt(x).sum().backward()
    assert not bool(x.grad.isfinite().all())
    with pytest.raises(RuntimeError, match="SqrtBackward0"):
        with ember.autograd.detect_anomaly():
            ember.sqrt(ember.tensor([0.0], requires_grad=True)).sum().backward()
