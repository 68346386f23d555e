"""torch.hub, torch.jit, torch.testing and torch.multiprocessing under ember."""
import io
import os

import numpy as np
import pytest
import torch

import ember
from ember import hub, jit, nn
from ember.testing import assert_close, make_tensor
from tests.compat import _spawn_targets


# -- hub ----------------------------------------------------------------------------------------------------

def test_hub_dir_follows_set_dir_and_torch_home(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "_hub_dir", [None])
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert hub.get_dir() == str(tmp_path / "th" / "hub")
    hub.set_dir(tmp_path / "mine")
    assert hub.get_dir() == str(tmp_path / "mine")


def test_hub_downloads_fail_offline_naming_the_url(tmp_path):
    url = "http://127.0.0.1:9/weights/resnet-abc123.safetensors"  # the discard port: nothing listens
    with pytest.raises(hub.HubError, match=r"could not download http://127\.0\.0\.1:9/weights/resnet-abc123"):
        hub.load_state_dict_from_url(url, model_dir=tmp_path)
    with pytest.raises(hub.HubError, match="could not download http://127.0.0.1:9/x.bin"):
        hub.download_url_to_file("http://127.0.0.1:9/x.bin", tmp_path / "x.bin")
    assert not os.path.exists(tmp_path / "x.bin")


def test_hub_cached_checkpoints_load_and_pickled_objects_are_refused(tmp_path):
    state = nn.Linear(3, 2).state_dict()
    ember.save(state, tmp_path / "lin.safetensors")
    back = hub.load_state_dict_from_url("https://example.invalid/models/lin.safetensors", model_dir=tmp_path)
    assert list(back) == list(state)
    np.testing.assert_array_equal(back["weight"].numpy(), state["weight"].numpy())
    torch_state = torch.nn.Linear(3, 2).state_dict()
    torch.save(torch_state, tmp_path / "lin.pth")  # PyTorch's own format: read without unpickling
    back = hub.load_state_dict_from_url("https://example.invalid/lin.pth", model_dir=tmp_path)
    np.testing.assert_array_equal(back["weight"].numpy(), torch_state["weight"].numpy())
    torch.save(torch.nn.Linear(3, 2), tmp_path / "whole.pth")  # a pickled module: refused, never built
    with pytest.raises(hub.HubError, match="whole.pth .* is neither a safetensors file nor a PyTorch checkpoint"):
        hub.load_state_dict_from_url("https://example.invalid/whole.pth", model_dir=tmp_path)


def test_hub_downloads_a_pytorch_checkpoint_and_checks_its_hash_prefix(tmp_path):
    import hashlib
    from tests._http import FileServer
    torch_state = torch.nn.Linear(3, 2).state_dict()
    buf = io.BytesIO()
    torch.save(torch_state, buf)
    body = buf.getvalue()
    name = f"lin-{hashlib.sha256(body).hexdigest()[:8]}.pth"  # torchvision's naming: the sha256 prefix
    with FileServer({f"/models/{name}": body, "/models/bad-0123abcd.pth": body}) as server:
        back = hub.load_state_dict_from_url(f"{server.url}/models/{name}", model_dir=tmp_path, check_hash=True)
        assert server.requests == [f"/models/{name}"]
        hub.load_state_dict_from_url(f"{server.url}/models/{name}", model_dir=tmp_path, check_hash=True)
        assert len(server.requests) == 1  # cached
        with pytest.raises(hub.HubError, match="invalid hash value .*expected a SHA-256 starting with '0123abcd'"):
            hub.load_state_dict_from_url(f"{server.url}/models/bad-0123abcd.pth", model_dir=tmp_path,
                                         check_hash=True)
        assert not os.path.exists(tmp_path / "bad-0123abcd.pth")
    for k in torch_state:
        np.testing.assert_array_equal(back[k].numpy(), torch_state[k].numpy())


def test_hub_load_from_a_local_repository(tmp_path):
    (tmp_path / "hubconf.py").write_text(
        "from ember import nn\n\ndef tiny(width=4):\n    '''A tiny model.'''\n    return nn.Linear(2, width)\n")
    model = hub.load(str(tmp_path), "tiny", source="local", width=3)
    assert isinstance(model, nn.Linear) and model.out_features == 3
    assert hub.list(str(tmp_path), source="local") == ["tiny"]
    assert hub.help(str(tmp_path), "tiny", source="local") == "A tiny model."
    with pytest.raises(hub.HubError, match="cannot find callable nope in hubconf"):
        hub.load(str(tmp_path), "nope", source="local")


# -- jit ----------------------------------------------------------------------------------------------------

def test_jit_is_an_honest_no_op():
    model = nn.Linear(2, 2)
    assert jit.script(model) is model and jit.trace(model, ember.ones(1, 2)) is model

    @jit.ignore
    def a(x):
        return x

    @jit.ignore(drop=True)
    def b(x):
        return x

    assert a(1) == 1 and b(2) == 2 and jit.unused(a) is a and jit.export(a) is a
    assert jit.is_scripting() is False and jit.is_tracing() is False
    assert jit.fork(lambda x: x + 1, 1).wait() == 2 and jit.annotate(list, [1]) == [1]
    for call in (lambda: jit.save(model, io.BytesIO()), lambda: jit.load("m.pt")):
        with pytest.raises(RuntimeError, match=r"ember has no TorchScript.*ember.save\(model.state_dict\(\)"):
            call()


# -- testing ------------------------------------------------------------------------------------------------

def _pair(make, actual, expected):
    return make(actual), make(expected)


CLOSE_CASES = [
    # (actual, expected, dtype, kwargs): the same comparison in torch and ember must pass or fail alike.
    ([1.0, 2.0], [1.0, 2.0 + 1.1e-5], "float32", {}),
    ([1.0, 2.0], [1.0, 2.0 + 1.4e-5], "float32", {}),
    ([1.0, 2.0], [1.0, 2.0 + 1e-7], "float64", {}),
    ([1.0, 2.0], [1.0, 2.0 + 1e-6], "float64", {}),
    ([1.0, 2.0], [1.0, 2.0 + 1e-3], "float16", {}),
    ([100.0], [100.1], "float16", {}),
    ([1.0, 2.0], [1.0, 2.5], "float32", {"rtol": 0.3, "atol": 0.0}),
    ([1.0, float("nan")], [1.0, float("nan")], "float32", {}),
    ([1.0, float("nan")], [1.0, float("nan")], "float32", {"equal_nan": True}),
    ([float("inf"), -1.0], [float("inf"), -1.0], "float32", {}),
    ([float("inf")], [float("-inf")], "float32", {}),
    ([1, 2, 3], [1, 2, 3], "int64", {}),
    ([1, 2, 3], [1, 2, 4], "int64", {}),
    ([1, 2, 3], [1, 2, 4], "int64", {"rtol": 0.5, "atol": 0.0}),
    ([True, False], [True, True], "bool", {}),
]


@pytest.mark.parametrize("actual,expected,dtype,kwargs", CLOSE_CASES)
def test_assert_close_agrees_with_torch(actual, expected, dtype, kwargs):
    def outcome(fn, make):
        try:
            fn(*_pair(make, actual, expected), **kwargs)
            return None
        except AssertionError as e:
            return str(e).replace("torch.", "ember.")
    theirs = outcome(torch.testing.assert_close, lambda v: torch.tensor(v, dtype=getattr(torch, dtype)))
    ours = outcome(assert_close, lambda v: ember.tensor(v, dtype=getattr(ember, dtype)))
    assert ours == theirs


def test_assert_close_structure_shape_dtype_and_scalars():
    def message(fn, *args, **kwargs):
        with pytest.raises((AssertionError, ValueError)) as info:
            fn(*args, **kwargs)
        return str(info.value).replace("torch.", "ember.")
    pairs = [
        ((ember.zeros(2), ember.zeros(3)), (torch.zeros(2), torch.zeros(3)), {}),
        ((ember.zeros(2), ember.zeros(2, dtype=ember.float64)),
         (torch.zeros(2), torch.zeros(2, dtype=torch.float64)), {}),
        ((1.0, 1.5), (1.0, 1.5), {}),
        (([ember.zeros(1), ember.ones(2)], [ember.zeros(1), ember.zeros(2)]),
         ([torch.zeros(1), torch.ones(2)], [torch.zeros(1), torch.zeros(2)]), {}),
        ((ember.zeros(1), ember.zeros(1)), (torch.zeros(1), torch.zeros(1)), {"rtol": 1e-3}),
    ]
    for ours, theirs, kw in pairs:
        assert message(assert_close, *ours, **kw) == message(torch.testing.assert_close, *theirs, **kw)
    assert message(assert_close, 1, 1.0) == message(torch.testing.assert_close, 1, 1.0)
    for ours, theirs in (((ember.ones(2), np.ones(2, np.float32)), (torch.ones(2), np.ones(2, np.float32))),
                         ((ember.tensor(1.0), 1.0), (torch.tensor(1.0), 1.0))):
        with pytest.raises(TypeError, match="No comparison pair was able to handle inputs"):
            assert_close(*ours)
        with pytest.raises(TypeError, match="No comparison pair was able to handle inputs"):
            torch.testing.assert_close(*theirs)
    assert_close({"a": ember.ones(2), "b": [1, 2.0]}, {"a": ember.ones(2), "b": [1, 2.0]})
    assert_close(ember.zeros(2), ember.zeros(2, dtype=ember.float64), check_dtype=False)
    with pytest.raises(AssertionError, match="custom"):
        assert_close(ember.zeros(1), ember.ones(1), msg="custom")


@pytest.mark.parametrize("dtype,low,high,lo_ok,hi_ok", [
    ("float32", None, None, -9, 9), ("float64", 0, 1, 0, 1), ("int64", None, None, -9, 9), ("uint8", None, None, 0, 9),
    ("int32", -2, 3, -2, 2), ("bool", None, None, 0, 1),
])
def test_make_tensor_ranges_follow_torch(dtype, low, high, lo_ok, hi_ok):
    ours = make_tensor(500, dtype=getattr(ember, dtype), device="cpu", low=low, high=high)
    theirs = torch.testing.make_tensor(500, dtype=getattr(torch, dtype), device="cpu", low=low, high=high)
    assert ours.dtype == getattr(ember, dtype) and ours.shape == (500,)
    for t in (ours.numpy(), theirs.numpy()):
        assert t.min() >= lo_ok and t.max() <= hi_ok
    assert make_tensor((2, 3), dtype=ember.float32, requires_grad=True).requires_grad
    assert (make_tensor(200, dtype=ember.int64, low=-1, high=2, exclude_zero=True).numpy() != 0).all()


# -- multiprocessing ----------------------------------------------------------------------------------------

def test_multiprocessing_reexports_the_stdlib_and_spawns(tmp_path):
    import multiprocessing

    import ember.multiprocessing as mp
    assert mp.Process is multiprocessing.Process and mp.set_start_method == multiprocessing.set_start_method
    assert mp.get_sharing_strategy() == "file_descriptor"
    mp.spawn(_spawn_targets.write_rank, args=(str(tmp_path),), nprocs=2)
    assert sorted(os.listdir(tmp_path)) == ["rank0", "rank1"]
    with pytest.raises(mp.ProcessRaisedException, match="ValueError: rank 1 failed on purpose"):
        mp.spawn(_spawn_targets.fail_on_one, args=(str(tmp_path),), nprocs=2, start_method="fork")
    with pytest.raises(mp.ProcessExitedException, match="process 0 terminated with exit code 3"):
        mp.start_processes(_spawn_targets.exit_hard, nprocs=1, start_method="fork")


def test_sym_helpers_jagged_and_get_device_module_as_torch():
    # model code written for torch.compile calls these on plain sizes; ember has only plain sizes
    for lib in (torch, ember):
        got = [lib.sym_max(3, 5), lib.sym_max(1, 1.0), lib.sym_min(2, 3.5), lib.sym_max(True, 2), lib.sym_int(-2.7),
               lib.sym_float(2), lib.sym_not(True), lib.sym_ite(False, 1, 2), lib.sym_sum([1, 2, 3]),
               lib.sym_sum(1, 2), lib.sym_sqrt(4)]
        assert got == [5, 1.0, 2.0, 2, -2, 2.0, False, 2, 6, 3, 2.0]
        assert [type(v) for v in got[:3]] == [int, float, float]
        assert not isinstance(3, lib.SymInt) and not isinstance(3.0, lib.SymFloat) and not isinstance(True, lib.SymBool)
        with pytest.raises(AssertionError, match="type mismatch"):
            lib.sym_ite(True, 1, 2.0)
        assert lib.get_device_module().__name__.endswith(".cpu") and lib.get_device_module("cuda").__name__.endswith(
            ".cuda")
        assert repr(lib.jagged).endswith(".jagged") and lib.jagged != lib.strided


def test_config_report_and_cuda_queries_as_a_cpu_only_torch():
    for lib in (torch, ember):
        assert isinstance(lib.__config__.show(), str) and "get_num_threads" in lib.__config__.parallel_info()
        assert lib.cuda.is_bf16_supported() is False and lib.cuda.is_bf16_supported(including_emulation=False) is False
        with pytest.raises(AssertionError, match="not compiled with CUDA"):
            lib.cuda.mem_get_info()
