"""Model files as served models, in-process: the ONNX graph on ember vs onnxruntime, whole-module and
training checkpoints vs PyTorch on the same weights."""
import numpy as np
import onnxruntime as ort
import torch

import ember
from ember.serve import load_model
from ember.vision.models import MnistCNN

from .conftest import torch_mnist_cnn
from .mnist_onnx import mnist_cnn_onnx


def _x(n=3):
    return np.random.default_rng(4).standard_normal((n, 1, 28, 28)).astype(np.float32)


def test_onnx_on_ember_equals_onnxruntime(tmp_path):
    path = mnist_cnn_onnx(MnistCNN().eval(), str(tmp_path / "m.onnx"))
    served = load_model(path, onnx_backend="ember")
    reference = load_model(path, onnx_backend="onnxruntime")
    assert served.platform == "ember_onnx" and reference.platform == "onnxruntime_onnx"
    assert [t.metadata() for t in served.inputs + served.outputs] == \
        [t.metadata() for t in reference.inputs + reference.outputs]
    x = _x()
    expected = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(["logits"], {"input": x})[0]
    np.testing.assert_allclose(served.predict({"input": x})["logits"], expected, rtol=1e-5, atol=1e-6)


def test_whole_module_and_training_checkpoints_equal_torch(tmp_path):
    model = MnistCNN().eval()
    ember.save(model, str(tmp_path / "whole.safetensors"))
    # ember train's per-epoch checkpoint keeps the weights under "model", beside the optimizer's state.
    ember.save({"model": model.state_dict(), "epoch": 3}, str(tmp_path / "run.ckpt.safetensors"))
    x = _x(2)
    with torch.no_grad():
        expected = torch_mnist_cnn(model)(torch.from_numpy(x)).numpy()
    for name in ("whole.safetensors", "run.ckpt.safetensors"):
        served = load_model(str(tmp_path / name))
        np.testing.assert_allclose(served.predict({"input": x})["output"], expected, rtol=1e-4, atol=1e-5)


def test_keras_model_with_two_inputs_and_two_outputs(tmp_path):
    from ember import keras
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    joined = keras.layers.Concatenate()([a, b])
    total = keras.layers.Dense(4, name="total")(joined)
    gate = keras.layers.Dense(1, activation="sigmoid", name="gate")(b)
    model = keras.Model([a, b], [total, gate])
    path = str(tmp_path / "two.keras")
    model.save(path)
    served = load_model(path)
    assert [t.metadata() for t in served.inputs] == [{"name": "a", "datatype": "FP32", "shape": [-1, 3]},
                                                     {"name": "b", "datatype": "FP32", "shape": [-1, 2]}]
    assert [t.name for t in served.outputs] == ["total", "gate"]
    rng = np.random.default_rng(5)
    xa, xb = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 2)).astype(np.float32)
    w1, b1, w2, b2 = [w.astype(np.float64) for w in model.get_weights()]
    got = served.predict({"a": xa, "b": xb})
    np.testing.assert_allclose(got["total"], np.concatenate([xa, xb], 1) @ w1 + b1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["gate"], 1 / (1 + np.exp(-(xb @ w2 + b2))), rtol=1e-5, atol=1e-6)


def test_a_module_with_two_outputs(tmp_path):
    from .two_heads import TwoHeads
    model = TwoHeads()
    path = str(tmp_path / "heads.safetensors")
    ember.save(model.state_dict(), path)
    served = load_model(path, arch="tests.serve.two_heads.TwoHeads", input_shape=(3,))
    assert [t.metadata() for t in served.outputs] == [{"name": "output0", "datatype": "FP32", "shape": [-1, 2]},
                                                      {"name": "output1", "datatype": "FP32", "shape": [-1, 1]}]
    x = np.random.default_rng(6).standard_normal((4, 3)).astype(np.float32)
    w, b = model.linear.weight.detach().numpy().astype(np.float64), model.linear.bias.detach().numpy()
    got = served.predict({"input": x})
    np.testing.assert_allclose(got["output0"], x @ w.T + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["output1"], x.astype(np.float64).sum(1, keepdims=True), rtol=1e-6)
