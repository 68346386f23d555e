"""ember.onnx.export on whole models (ember.vision, Keras), its torch-compatible API, the CLI and its errors.

The oracle is onnxruntime: the exported graph, run on the same inputs, gives ember's outputs.
"""
import io
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import ember
from ember import nn, keras
from ember.vision.models import MnistCNN, MnistMLP
from ember.vision.models.resnet import BasicBlock, conv1x1

from .test_export_layers import check_export, randn


def test_mnist_cnn_and_mlp():
    for model in (MnistCNN(), MnistMLP()):
        check_export(model, randn(1, 28, 28), batches=(2, 5))


def test_resnet_basic_blocks():
    down = nn.Sequential(conv1x1(4, 8, 2), nn.BatchNorm2d(8))
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), BasicBlock(4, 4), BasicBlock(4, 8, 2, down),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(ember.randn(m.num_features) * 0.2)
            m.running_var.copy_(ember.rand(m.num_features) + 0.5)
    check_export(model, randn(3, 8, 8))


def _keras_check(model, shape, int_input=False):
    buf = io.BytesIO()
    model.export(buf, format="onnx")
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    assert sess.get_inputs()[0].shape[0] == "batch"
    rng = np.random.default_rng(1)
    for b in (1, 3):
        x = rng.integers(0, 10, (b,) + shape) if int_input else rng.standard_normal((b,) + shape).astype("float32")
        np.testing.assert_allclose(sess.run(None, {name: x})[0], np.asarray(model.predict(x, verbose=0)),
                                   rtol=1e-5, atol=1e-5)


L = keras.layers

KERAS = {
    "dense_dropout": lambda: (keras.Sequential([keras.Input((8,)), L.Dense(6, activation="relu"), L.Dropout(0.5),
                                                L.Dense(3, activation="softmax")]), (8,)),
    "conv_bn_pool": lambda: (keras.Sequential([keras.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same",
                                                                                activation="relu"),
                                               L.BatchNormalization(), L.MaxPooling2D(), L.Conv2D(4, 3),
                                               L.AveragePooling2D(padding="same"), L.GlobalAveragePooling2D(),
                                               L.Dense(2)]), (8, 8, 3)),
    "lstm_gru": lambda: (keras.Sequential([keras.Input((5, 4)), L.LSTM(6, return_sequences=True),
                                           L.GRU(3, go_backwards=True, return_sequences=True), L.SimpleRNN(2)]),
                         (5, 4)),
    "layernorm_flatten": lambda: (keras.Sequential([keras.Input((5, 4)), L.LayerNormalization(), L.Flatten(),
                                                    L.Dense(2)]), (5, 4)),
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_keras_models_export(name):
    model, shape = KERAS[name]()
    _keras_check(model, shape)


def test_keras_functional_embedding_attention():
    ids = keras.Input((5,), dtype="int64")
    x = L.Embedding(10, 8)(ids)
    x = L.Add()([L.MultiHeadAttention(2, 4)(x, x), x])
    out = L.Dense(2)(L.GlobalAveragePooling1D()(L.LayerNormalization()(x)))
    _keras_check(keras.Model(ids, out), (5,), int_input=True)


def test_keras_tf_formats_raise():
    model = keras.Sequential([keras.Input((2,)), L.Dense(1)])
    with pytest.raises(ValueError, match="TensorFlow"):
        model.export("/tmp/never", format="tf_saved_model")


_COMPAT_SCRIPT = """
import sys
import ember.compat
ember.compat.install()
import torch
from torch import nn
model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
model.load_state_dict(torch.load(sys.argv[1]))
model.train()
torch.onnx.export(model, (torch.randn(2, 3),), sys.argv[2], dynamo=False, export_params=True,
                  do_constant_folding=True, input_names=["x"], output_names=["y"],
                  dynamic_axes={"x": [0], "y": [0]}, opset_version=17, verbose=False,
                  training=torch.onnx.TrainingMode.EVAL)
assert model.training and all(m.training for m in model.modules())   # the mode is given back
print(torch.onnx.is_in_onnx_export())
"""


def test_torch_compat_alias_and_file_targets(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    ember.save(model.state_dict(), str(tmp_path / "w.safetensors"))
    path = tmp_path / "m.onnx"
    r = subprocess.run([sys.executable, "-c", _COMPAT_SCRIPT, str(tmp_path / "w.safetensors"), str(path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"
    sess = ort.InferenceSession(str(path))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    with ember.no_grad():
        ref = model(ember.tensor(x)).numpy()
    np.testing.assert_allclose(sess.run(None, {"x": x})[0], ref, rtol=1e-5, atol=1e-6)
    assert sess.get_inputs()[0].shape[0] == "x_dynamic_axes_1"
    # A file object as f; keep_initializers_as_inputs lists the weights as graph inputs too.
    buf = io.BytesIO()
    proto = ember.onnx.export(model, ember.randn(2, 3), buf, keep_initializers_as_inputs=True)
    assert buf.getvalue() == proto.SerializeToString()
    assert {"0.weight", "0.bias"} <= {i.name for i in proto.graph.input}


def test_unsupported_op_names_layer_and_op():
    class Bad(nn.Module):
        def forward(self, x):
            return x[x > 0]

    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.ReLU(), Bad()))
    with pytest.raises(RuntimeError, match=r"model\.1\.1 \(Bad\).*getitem.*boolean mask"):
        ember.onnx.export(model, (ember.randn(2, 3),))


def test_numpy_work_in_forward_is_refused():
    class Sneaky(nn.Module):
        def forward(self, x):
            return ember.tensor(np.tanh(x.numpy())) + 1

    with pytest.raises(RuntimeError, match=r"model \(Sneaky\): its output was computed outside the ops"):
        ember.onnx.export(Sneaky(), (ember.randn(2, 3),))
    # A plain function: the graph's output is checked.
    with pytest.raises(RuntimeError, match=r"output 'output' \(shape \(2, 3\)\) was not computed by ops the "
                                           r"exporter traced"):
        ember.onnx.export(lambda x: ember.tensor(np.tanh(x.numpy())), (ember.randn(2, 3),))


def test_missing_onnx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"ember\[onnx\]"):
        ember.onnx.export(nn.Linear(2, 2), (ember.randn(1, 2),))


def test_opset_out_of_range():
    with pytest.raises(ValueError, match="opset_version must be between 13 and 21"):
        ember.onnx.export(nn.Linear(2, 2), (ember.randn(1, 2),), opset_version=9)


def test_cli_exports_the_trained_mnist_model(tmp_path):
    model = MnistCNN()
    weights = tmp_path / "ember-mnist-cnn.safetensors"
    ember.save(model.state_dict(), str(weights))
    out = tmp_path / "mnist.onnx"
    r = subprocess.run([sys.executable, "-m", "ember", "export", str(weights), "--format", "onnx", "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stdout
    sess = ort.InferenceSession(str(out))
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype("float32")
    model.eval()
    with ember.no_grad():
        ref = model(ember.tensor(x)).numpy()
    np.testing.assert_allclose(sess.run(["logits"], {"input": x})[0], ref, rtol=1e-5, atol=1e-5)
    bad = subprocess.run([sys.executable, "-m", "ember", "export", str(tmp_path / "nope.safetensors")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "no such file" in bad.stderr
