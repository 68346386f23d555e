"""The safetensors reader/writer against the `safetensors` package, both directions, and
its validation of corrupt files."""
import json
import struct

import numpy as np
import pytest
import safetensors.numpy as st_numpy
import torch
from safetensors.torch import load_file as torch_load_file, save_file as torch_save_file

from ember.io import safetensors as st

ARRAYS = {
    "f64": np.arange(6, dtype=np.float64).reshape(2, 3) / 7,
    "f32": np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 2, 2),
    "f16": np.array([0.5, -2.0, 65504], dtype=np.float16),
    "i64": np.array([-(2 ** 40), 0, 2 ** 40], dtype=np.int64),
    "i32": np.array([[1, -2]], dtype=np.int32),
    "i16": np.array([-3], dtype=np.int16),
    "i8": np.array([-128, 127], dtype=np.int8),
    "u8": np.arange(5, dtype=np.uint8),
    "u16": np.array([65535], dtype=np.uint16),
    "bool": np.array([True, False, True]),
    "scalar": np.array(3.5, dtype=np.float32),
    "empty": np.zeros((0, 4), dtype=np.float32),
}


def assert_same(a, b):
    assert list(sorted(a)) == list(sorted(b))
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        np.testing.assert_array_equal(a[k], b[k])


def test_ours_is_read_by_the_safetensors_package(tmp_path):
    path = tmp_path / "a.safetensors"
    st.save_file(ARRAYS, path, metadata={"who": "ember"})
    assert_same(st_numpy.load_file(str(path)), ARRAYS)
    assert_same(st_numpy.load(st.save(ARRAYS)), ARRAYS)


def test_theirs_is_read_by_ours(tmp_path):
    path = tmp_path / "b.safetensors"
    st_numpy.save_file(ARRAYS, str(path), metadata={"format": "np"})
    assert_same(st.load_file(path), ARRAYS)
    assert st.read_metadata(path) == {"format": "np"}
    assert_same(st.load(st_numpy.save(ARRAYS)), ARRAYS)


def test_bfloat16_is_read_as_bfloat16_and_written_back_as_torch_reads_it(tmp_path):
    values = torch.tensor([1.0, -2.5, 3.140625, 1e30], dtype=torch.bfloat16)
    path = tmp_path / "bf16.safetensors"
    torch_save_file({"w": values}, str(path))
    out = st.load_file(path)["w"]
    assert out.dtype.name == "bfloat16"  # ml_dtypes' (a test dependency)
    np.testing.assert_array_equal(out.astype(np.float32), values.float().numpy())
    again = tmp_path / "again.safetensors"
    st.save_file({"w": out}, again)
    assert torch.equal(torch_load_file(str(again))["w"], values)


def test_layout_follows_spec():
    data = st.save({"b": np.zeros(1, np.int8), "a": np.ones(2, np.float64)}, {"k": "v"})
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0 and len(data) == 8 + n + 8 * 2 + 1
    header = json.loads(data[8:8 + n])
    assert header["__metadata__"] == {"k": "v"}
    assert header["a"] == {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}
    assert header["b"] == {"dtype": "I8", "shape": [1], "data_offsets": [16, 17]}


def test_loaded_arrays_are_writable():
    out = st.load(st.save({"x": np.zeros(3, np.float32)}))["x"]
    out[0] = 1.0
    assert out.tolist() == [1.0, 0.0, 0.0]


def build(header, buffer=b""):
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + buffer


@pytest.mark.parametrize("data, message", [
    (b"\x01\x02", "expected an 8-byte header length, found 2 bytes"),
    (struct.pack("<Q", 50) + b"{}", "runs past the end"),
    (struct.pack("<Q", 2) + b"[]", "starting with '{'"),
    (struct.pack("<Q", 3) + b"{x}", "not valid UTF-8 JSON"),
    (build({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(4)),
     "ends at byte 8 of the data buffer, which has only 4 bytes"),
    (build({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8)),
     "needs 12 bytes, but data_offsets [0, 8] span 8"),
    (build({"x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8)),
     "starts at byte 4, expected 0: it leaves a hole"),
    (build({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, bytes(6)),
     "tensors cover 4 bytes, but the data buffer has 6"),
    (build({"x": {"dtype": "Q7", "shape": [1], "data_offsets": [0, 1]}}, bytes(1)),
     "unknown dtype 'Q7'"),
    (build({"x": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}}, bytes(1)),
     "dtype F8_E4M3, which ember cannot represent"),
    (build({"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}),
     "shape must be a list of non-negative ints"),
    (build({"__metadata__": {"a": 1}}), "__metadata__ must map strings to strings"),
])
def test_corrupt_files_raise_naming_the_problem(tmp_path, data, message):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(st.SafetensorsError, match=message.replace("[", r"\[").replace("]", r"\]")) \
            as info:
        st.load_file(path)
    assert str(path) in str(info.value)


def test_writer_errors():
    with pytest.raises(TypeError, match="complex128"):
        st.save({"z": np.zeros(2, np.complex128)})
    with pytest.raises(TypeError, match="metadata must map str to str"):
        st.save({}, {"a": 1})
    with pytest.raises(ValueError, match="reserved"):
        st.save({"__metadata__": np.zeros(1)})


def test_big_endian_and_non_contiguous_inputs_are_stored_little_endian_c_order():
    x = np.arange(12, dtype=">i4").reshape(3, 4)[:, ::2]
    out = st_numpy.load(st.save({"x": x}))["x"]
    np.testing.assert_array_equal(out, x)


_TORCH_API_SCRIPT = r"""
import json, sys, torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
extra = {"i32": torch.arange(4, dtype=torch.int32), "f16": torch.ones(3, dtype=torch.float16) / 3,
         "bf16": torch.full((2,), 1.5, dtype=torch.bfloat16)}
save_file({**m.state_dict(), **extra}, sys.argv[1], metadata={"format": "pt"})
back = load_file(sys.argv[1])
m.load_state_dict({k: v for k, v in back.items() if k not in extra})
with safe_open(sys.argv[1], framework="pt") as f:
    info = [sorted(f.keys()), f.metadata(), list(f.get_slice("0.weight")[:1].shape)]
print(json.dumps({"dtypes": {k: str(v.dtype) for k, v in sorted(back.items())},
                  "values": {k: v.float().flatten().tolist() for k, v in sorted(back.items())}, "info": info}))
"""


def test_the_safetensors_torch_api_runs_on_ember(tmp_path):
    # safetensors.torch under python -m ember.torch_compat: save_file, and load_file / safe_open, which map the
    # file with torch.UntypedStorage.from_file and read each tensor as asarray(storage[a:b], uint8).view(dtype)
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = tmp_path / "st.py"
    script.write_text(_TORCH_API_SCRIPT)
    outs = []
    for runner in ([sys.executable], [sys.executable, "-m", "ember.torch_compat"]):
        proc = subprocess.run(runner + [str(script), str(tmp_path / f"m{len(outs)}.safetensors")], capture_output=True,
                              text=True, timeout=120, env=dict(os.environ, PYTHONPATH=root))
        assert proc.returncode == 0, proc.stderr[-3000:]
        outs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert outs[1] == outs[0]
