"""ember.io.save / load: state dicts, optimizer-style nesting with int keys, interop with the
`safetensors` package, atomic writes, and loading that never runs code."""
import collections
import io
import json
import math
import os

import numpy as np
import pytest
import safetensors.numpy as st_numpy

import ember
from ember.io import load, save
from ember.io.safetensors import SafetensorsError


def test_flat_state_dict_is_a_plain_safetensors_file(tmp_path):
    state = collections.OrderedDict(
        [("fc1.weight", ember.randn(4, 3)), ("fc1.bias", ember.zeros(4)),
         ("bn.num_batches_tracked", ember.tensor(7))])
    path = tmp_path / "model.safetensors"
    ember.save(state, path)
    raw = st_numpy.load_file(str(path))
    assert sorted(raw) == sorted(state)
    for k, v in state.items():
        np.testing.assert_array_equal(raw[k], v.numpy())
    back = ember.load(path)
    assert type(back) is collections.OrderedDict and list(back) == list(state)
    for k, v in state.items():
        assert isinstance(back[k], ember.Tensor) and back[k].dtype == v.dtype
        np.testing.assert_array_equal(back[k].numpy(), v.numpy())


def test_files_written_by_the_safetensors_package_load_as_tensor_dicts(tmp_path):
    path = tmp_path / "theirs.safetensors"
    st_numpy.save_file({"w": np.ones((2, 2), np.float32), "n": np.array([1, 2], np.int64)},
                       str(path))
    back = load(path)
    assert set(back) == {"w", "n"} and back["n"].dtype == ember.int64
    assert back["w"].numpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_optimizer_state_dict_round_trips_with_int_keys(tmp_path):
    state = {
        "state": {0: {"step": 3, "exp_avg": ember.ones(2), "exp_avg_sq": ember.zeros(2)},
                  1: {"step": 3, "momentum_buffer": None}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False,
                          "weight_decay": 0, "params": [0, 1], "name": "default",
                          "maximize": False, "foreach": None}],
    }
    path = tmp_path / "optim.safetensors"
    save(state, path)
    back = load(path)
    assert list(back["state"]) == [0, 1]
    assert back["state"][0]["step"] == 3 and back["state"][1]["momentum_buffer"] is None
    np.testing.assert_array_equal(back["state"][0]["exp_avg"].numpy(), [1.0, 1.0])
    group = back["param_groups"][0]
    assert group == {**state["param_groups"][0]}
    assert type(group["betas"]) is tuple and type(group["weight_decay"]) is int
    assert type(group["lr"]) is float and group["foreach"] is None


def test_every_supported_leaf_round_trips():
    obj = {
        "tensor": ember.arange(6).reshape(2, 3),
        "float16": ember.ones(2, dtype=ember.float16),
        "bool": ember.tensor([True, False]),
        "array": np.arange(4, dtype=np.int16),
        "np scalar": np.float32(2.5),
        "py": [1, -2.5, True, None, "text", float("inf"), float("-inf"), 2 ** 70],
        "tuple keys": {(1, "a"): "x", 2.5: "y", None: "z", False: "w"},
        "nested": [[{"deep": (ember.zeros(1),)}]],
        "dtype": ember.float64,
        "nan": float("nan"),
    }
    buffer = io.BytesIO()
    save(obj, buffer)
    buffer.seek(0)
    back = load(buffer)
    assert back["tensor"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back["float16"].dtype == ember.float16 and back["bool"].dtype == ember.bool
    assert isinstance(back["array"], np.ndarray) and back["array"].dtype == np.int16
    assert type(back["np scalar"]) is np.float32 and back["np scalar"] == 2.5
    assert back["py"] == obj["py"] and type(back["py"][2]) is bool
    assert back["tuple keys"] == obj["tuple keys"]
    assert isinstance(back["nested"][0][0]["deep"], tuple)
    assert back["dtype"] is ember.float64 and math.isnan(back["nan"])


def test_shared_tensor_is_stored_once_and_requires_grad_kept(tmp_path):
    w = ember.randn(3, requires_grad=True)
    path = tmp_path / "tied.safetensors"
    save({"enc": w, "dec": w}, path)
    assert len(st_numpy.load_file(str(path))) == 1
    back = load(path)
    assert back["enc"] is back["dec"] and back["enc"].requires_grad


def test_unsupported_values_name_their_place():
    with pytest.raises(TypeError, match=r"cannot store Generator at obj\['a'\]\[0\]"):
        save({"a": [np.random.default_rng(0)]}, io.BytesIO())
    with pytest.raises(TypeError, match="dict key of type frozenset"):
        save({frozenset(): 1}, io.BytesIO())


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    save({"v": ember.ones(2)}, path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        save({"v": ember.zeros(1000)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_load_never_executes_code(tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(SafetensorsError):
        load(path)
    assert not (tmp_path / "pwned").exists()


def test_corrupt_structure_is_reported(tmp_path):
    from ember.io import safetensors as st

    path = tmp_path / "x.safetensors"
    st.save_file({}, path, metadata={"ember.structure": json.dumps({"@": "tensor", "key": "q"})})
    with pytest.raises(ValueError, match="no tensor named 'q'"):
        load(path)
    st.save_file({}, path, metadata={"ember.structure": json.dumps({"@": "pickle"})})
    with pytest.raises(ValueError, match="unknown tag 'pickle'"):
        load(path)
