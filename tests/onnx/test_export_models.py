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


def test_vision_models_resnet18_and_vit():
    from ember.vision import models
    from ember.vision.models.vision_transformer import VisionTransformer
    check_export(models.resnet18(num_classes=5), randn(3, 16, 16), batches=(1, 2), atol=1e-4)
    vit = VisionTransformer(image_size=16, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32,
                            num_classes=5)
    with ember.no_grad():
        vit.heads.head.weight.copy_(ember.randn(5, 16))     # torchvision's init is zeros: make the output informative
    check_export(vit, randn(3, 16, 16), batches=(1, 3))


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


# One row per Keras layer: a Sequential model of the layer(s) on inputs of this shape.
KERAS_LAYERS = {
    "Conv1D": ([L.Conv1D(3, 3, padding="causal", dilation_rate=2)], (6, 2)),
    "Conv1D_same": ([L.Conv1D(3, 3, padding="same", strides=2)], (7, 2)),
    "Conv2D_valid_strides": ([L.Conv2D(3, 3, strides=2)], (7, 7, 2)),
    "Conv2D_same_strides": ([L.Conv2D(3, 3, strides=2, padding="same")], (7, 7, 2)),
    "Conv3D": ([L.Conv3D(2, 2)], (4, 4, 4, 1)),
    "Conv2DTranspose": ([L.Conv2DTranspose(2, 3, strides=2, padding="same")], (4, 4, 3)),
    "Conv1DTranspose": ([L.Conv1DTranspose(2, 3, strides=2)], (4, 3)),
    "DepthwiseConv2D": ([L.DepthwiseConv2D(3, padding="same")], (5, 5, 3)),
    "SeparableConv2D": ([L.SeparableConv2D(4, 3)], (5, 5, 3)),
    "MaxPooling1D": ([L.MaxPooling1D(2)], (6, 3)),
    "AveragePooling1D": ([L.AveragePooling1D(2, padding="same")], (5, 3)),
    "MaxPooling3D": ([L.MaxPooling3D(2)], (4, 4, 4, 2)),
    "GlobalMaxPooling2D": ([L.GlobalMaxPooling2D()], (4, 4, 3)),
    "GlobalAveragePooling1D": ([L.GlobalAveragePooling1D()], (4, 3)),
    "GlobalMaxPooling1D": ([L.GlobalMaxPooling1D()], (4, 3)),
    "UpSampling2D": ([L.UpSampling2D(2)], (3, 3, 2)),
    "UpSampling2D_bilinear": ([L.UpSampling2D(2, interpolation="bilinear")], (3, 3, 2)),
    "UpSampling1D": ([L.UpSampling1D(2)], (3, 2)),
    "ZeroPadding2D": ([L.ZeroPadding2D(1)], (3, 3, 2)),
    "Cropping2D": ([L.Cropping2D(1)], (5, 5, 2)),
    "Reshape": ([L.Reshape((3, 4))], (12,)),
    "Permute": ([L.Permute((2, 1))], (3, 4)),
    "Flatten": ([L.Flatten()], (3, 4)),
    "RepeatVector": ([L.RepeatVector(3)], (4,)),
    "Activation_gelu": ([L.Activation("gelu")], (4,)),
    "Activation_swish": ([L.Activation("swish")], (4,)),
    "Activation_elu": ([L.Activation("elu")], (4,)),
    "Activation_selu": ([L.Activation("selu")], (4,)),
    "Activation_softplus": ([L.Activation("softplus")], (4,)),
    "Activation_hard_sigmoid": ([L.Activation("hard_sigmoid")], (4,)),
    "Activation_leaky": ([L.Activation("leaky_relu")], (4,)),
    "Activation_log_softmax": ([L.Activation("log_softmax")], (4,)),
    "LeakyReLU": ([L.LeakyReLU(0.1)], (4,)),
    "PReLU": ([L.PReLU()], (4,)),
    "ReLU": ([L.ReLU(max_value=1.0)], (4,)),
    "ELU": ([L.ELU()], (4,)),
    "Softmax": ([L.Softmax()], (4,)),
    "Dense_3d": ([L.Dense(3, activation="tanh")], (2, 4)),
    "EinsumDense": ([L.EinsumDense("ab,bc->ac", output_shape=3, bias_axes="c")], (4,)),
    "GroupNormalization": ([L.GroupNormalization(2)], (3, 4)),
    "UnitNormalization": ([L.UnitNormalization()], (4,)),
    "Normalization": ([L.Normalization(mean=0.5, variance=2.0)], (4,)),
    "Rescaling": ([L.Rescaling(0.5, 1.0)], (4,)),
    "BatchNormalization_3d": ([L.BatchNormalization()], (3, 4)),
    "LayerNormalization_rms": ([L.LayerNormalization(rms_scaling=True)], (4,)),
    "Bidirectional_LSTM": ([L.Bidirectional(L.LSTM(3))], (5, 2)),
    "TimeDistributed": ([L.TimeDistributed(L.Dense(2))], (3, 4)),
    "LSTM_return_state": ([L.LSTM(3, return_sequences=True, go_backwards=True)], (5, 2)),
    "GRU_reset_before": ([L.GRU(3, reset_after=False)], (5, 2)),
    "SpatialDropout1D": ([L.SpatialDropout1D(0.3)], (5, 2)),
    "GaussianNoise": ([L.GaussianNoise(0.3)], (4,)),
    "ActivityRegularization": ([L.ActivityRegularization()], (4,)),
    "Identity": ([L.Identity()], (4,)),
    "Embedding": ([L.Embedding(10, 3), L.Flatten()], (4,), True),
}


@pytest.mark.parametrize("name", sorted(KERAS_LAYERS))
def test_keras_layer_exports(name):
    layers, shape, *int_input = KERAS_LAYERS[name]
    model = keras.Sequential([keras.Input(shape, dtype="int64" if int_input else "float32")] + layers)
    _keras_check(model, shape, int_input=bool(int_input))


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



def test_cli_refuses_a_missing_file(tmp_path, capsys):
    from ember.cli import main
    assert main(["export", str(tmp_path / "nope.safetensors")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_keras_two_inputs_and_cli_on_a_keras_file(tmp_path):
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    out = L.Dense(2)(L.Concatenate()([L.Dense(5, activation="relu")(a), b]))
    model = keras.Model([a, b], out)
    path = tmp_path / "two.keras"
    model.save(str(path))
    from ember.cli import main
    assert main(["export", str(path), "--out", str(tmp_path / "two.onnx")]) == 0
    sess = ort.InferenceSession(str(tmp_path / "two.onnx"))
    assert [(i.name, i.shape) for i in sess.get_inputs()] == [("a", ["batch", 4]), ("b", ["batch", 3])]
    rng = np.random.default_rng(0)
    xa, xb = rng.standard_normal((3, 4)).astype("float32"), rng.standard_normal((3, 3)).astype("float32")
    np.testing.assert_allclose(sess.run(None, {"a": xa, "b": xb})[0], np.asarray(model.predict([xa, xb], verbose=0)),
                               rtol=1e-5, atol=1e-6)


def test_text_transformer_with_padding_mask_dynamic_batch_and_length():
    class TextClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(20, 8)
            self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2)
            self.fc = nn.Linear(8, 3)

        def forward(self, ids, pad):
            return self.fc(self.enc(self.emb(ids), src_key_padding_mask=pad).mean(1))

    model = TextClassifier().eval()

    def inputs(b, t):
        pad = ember.zeros(b, t, dtype=ember.bool)
        pad[:, -2:] = True
        return ember.randint(0, 20, (b, t)), pad
    buf = io.BytesIO()
    axes = {0: "batch", 1: "length"}
    ember.onnx.export(model, inputs(2, 5), buf, input_names=["ids", "pad"], dynamic_axes={"ids": axes, "pad": axes})
    onnx.checker.check_model(onnx.load_from_string(buf.getvalue()), full_check=True)
    sess = ort.InferenceSession(buf.getvalue())
    # As torch.onnx.export: the trace takes the plain path, not the nested-tensor one that zeros the
    # padded positions in eager inference (torch's exported graph too equals its use_nested_tensor=False run).
    model.enc.use_nested_tensor = False
    for b, t in ((2, 5), (3, 7)):
        ids, pad = inputs(b, t)
        with ember.no_grad():
            ref = model(ids, pad).numpy()
        np.testing.assert_allclose(sess.run(None, {"ids": ids.numpy(), "pad": pad.numpy()})[0], ref, rtol=1e-5,
                                   atol=1e-5)


def _example(name):
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).resolve().parents[2] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_models_char_gru_and_row_lstm():
    char_gru = _example("char_lm").CharGRU(vocab=12, embed=8, hidden=16)
    check_export(char_gru, lambda b: (ember.randint(0, 12, (b, 7)),), batch_axes={"out1": 1})
    check_export(_example("sequential_mnist_lstm").RowLSTM(hidden=8), randn(1, 28, 28))
