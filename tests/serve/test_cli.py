"""`ember serve` refuses what it cannot serve before it listens, saying what to change."""
import numpy as np
import pytest

import ember
from ember.cli import main
from ember.serve import load_model, load_repository


def _fails(argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    return str(info.value)


def test_missing_path(tmp_path):
    message = _fails(["serve", str(tmp_path / "nothing.onnx")])
    assert message.startswith("ember serve: error:") and "neither a model file, a directory" in message


def test_state_dict_of_an_unknown_architecture(tmp_path):
    path = tmp_path / "odd.safetensors"
    ember.save({"w": ember.zeros(3, 3)}, str(path))
    message = _fails(["serve", str(path)])
    assert "matches none of" in message and "--arch package.module.Class" in message
    assert "is not an ember nn.Module class" in _fails(["serve", str(path), "--arch", "ember.zeros"])


def test_module_without_a_known_input_shape_asks_for_it(tmp_path):
    path = tmp_path / "lin.safetensors"
    ember.save(ember.nn.Linear(4, 2), str(path))
    assert "needs its input shape" in _fails(["serve", str(path)])
    model = load_model(str(path), input_shape=(4,))
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    lin = ember.load(str(path), weights_only=False)
    expected = x.astype(np.float64) @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()
    np.testing.assert_allclose(model.predict({"input": x})["output"], expected, rtol=1e-5, atol=1e-6)
    assert [t.metadata() for t in model.outputs] == [{"name": "output", "datatype": "FP32", "shape": [-1, 2]}]


def test_bad_options(tmp_path):
    assert "--max-batch-size must be >= 1, got 0" in _fails(["serve", str(tmp_path), "--max-batch-size", "0"])
    with pytest.raises(SystemExit):
        main(["serve", str(tmp_path), "--input-shape", "a,b"])


def test_empty_directory_and_ambiguous_version_folder(tmp_path):
    assert "holds no models" in _fails(["serve", str(tmp_path)])
    (tmp_path / "m" / "1").mkdir(parents=True)
    for name in ("a.onnx", "b.onnx"):
        (tmp_path / "m" / "1" / name).write_bytes(b"")
    with pytest.raises(ValueError, match=r"m/1/ should hold one model file .*\['a.onnx', 'b.onnx'\]"):
        load_repository(str(tmp_path))
