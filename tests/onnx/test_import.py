"""ember.onnx.load on models exported by real PyTorch: outputs and gradients match torch's.

Each model is exported with ``torch.onnx.export(..., dynamo=False)`` (the TorchScript exporter,
no onnxscript needed), loaded with ``ember.onnx.load`` and run on the same input: the forward
outputs, the gradient of a weighted sum with respect to the input, and (for the initializers
that keep their PyTorch names) the parameter gradients are compared with PyTorch's.
"""
import io
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.onnx


def _export(model, args, opset=17, **kw):
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(model, args, f, dynamo=False, opset_version=opset, **kw)
    return f.getvalue()


def _compare(model, xs, out_weights_seed=0, rtol=1e-4, atol=1e-5, **export_kw):
    model = model.eval()
    data = _export(model, tuple(torch.from_numpy(x) for x in xs), **export_kw)
    mine = ember.onnx.load(data)

    tx = [torch.from_numpy(x).requires_grad_(True) for x in xs]
    t_out = model(*tx)
    t_outs = _flatten(t_out)
    rng = np.random.default_rng(out_weights_seed)
    weights = [rng.standard_normal(tuple(o.shape)).astype(np.float32) for o in t_outs]
    sum(((o * torch.from_numpy(w)).sum() for o, w in zip(t_outs, weights))).backward()

    ex = [ember.tensor(x, requires_grad=True) for x in xs]
    e_out = mine(*ex)
    e_outs = list(e_out) if isinstance(e_out, tuple) else [e_out]
    assert len(e_outs) == len(t_outs)
    for e, t in zip(e_outs, t_outs):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
    sum(((o * ember.tensor(w)).sum() for o, w in zip(e_outs, weights))).backward()
    for e, t in zip(ex, tx):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
    named = dict(model.named_parameters())
    matched = 0
    for onnx_name, attr in mine.onnx_parameters.items():
        if onnx_name in named:
            p = getattr(mine, attr)
            np.testing.assert_allclose(p.grad.numpy(), named[onnx_name].grad.numpy(), rtol=rtol,
                                       atol=atol, err_msg=onnx_name)
            matched += 1
    return mine, matched


def _flatten(out):
    if isinstance(out, torch.Tensor):
        return [out]
    flat = []
    for o in out:
        flat += _flatten(o)
    return flat


class SmallCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 6, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(6)
        self.conv2 = torch.nn.Conv2d(6, 8, 3, stride=2, groups=2)
        self.pool = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(8, 5)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.bn(self.conv1(x))), 2, ceil_mode=True)
        x = torch.nn.functional.hardswish(self.conv2(x))
        x = self.pool(x).flatten(1)
        return torch.log_softmax(self.fc(x), dim=1)


def test_small_cnn_matches_torch_forward_and_backward():
    torch.manual_seed(0)
    model = SmallCNN()
    with torch.no_grad():  # non-trivial running statistics
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 2.0)
    x = np.random.default_rng(1).standard_normal((2, 3, 11, 11)).astype(np.float32)
    mine, matched = _compare(model, [x], do_constant_folding=False)
    assert matched >= 4  # conv1, conv2, fc weights and biases keep their names
    ops = {s.ctx.op_type for s in mine._steps}
    assert {"Conv", "BatchNormalization", "MaxPool", "GlobalAveragePool", "Gemm", "LogSoftmax"} <= ops


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_matches_torch(bidirectional):
    torch.manual_seed(0)
    model = torch.nn.LSTM(4, 6, num_layers=2, batch_first=True, bidirectional=bidirectional)
    x = np.random.default_rng(2).standard_normal((3, 5, 4)).astype(np.float32)
    mine, _ = _compare(model, [x])
    assert "LSTM" in {s.ctx.op_type for s in mine._steps}


def test_gru_matches_torch():
    torch.manual_seed(0)
    model = torch.nn.GRU(3, 5)
    x = np.random.default_rng(3).standard_normal((4, 2, 3)).astype(np.float32)
    mine, _ = _compare(model, [x])
    assert "GRU" in {s.ctx.op_type for s in mine._steps}


class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16,
                                                      dropout=0.0, batch_first=True, activation="gelu")

    def forward(self, x):
        return self.layer(x)


def test_transformer_encoder_layer_matches_torch():
    torch.manual_seed(0)
    model = Encoder()
    with torch.no_grad():  # distinct values: the exporter merges equal initializers (zero biases)
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    x = np.random.default_rng(4).standard_normal((2, 5, 8)).astype(np.float32)
    mine, matched = _compare(model, [x], rtol=1e-4, atol=2e-5)
    assert matched >= 8  # attention, feed-forward and norm parameters keep their names
    assert {"MatMul", "Softmax", "LayerNormalization"} <= {s.ctx.op_type for s in mine._steps}


def test_fine_tuning_an_imported_model_lowers_the_loss():
    torch.manual_seed(0)
    model = SmallCNN().eval()
    x = np.random.default_rng(5).standard_normal((4, 3, 11, 11)).astype(np.float32)
    target = np.array([0, 1, 2, 3])
    mine = ember.onnx.load(_export(model, (torch.from_numpy(x),)))
    params = list(mine.parameters())
    assert params and all(p.requires_grad for p in params)
    opt = ember.optim.SGD(mine.parameters(), lr=0.1)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = ember.nn.functional.nll_loss(mine(ember.tensor(x)), ember.tensor(target))
        loss.backward()
        assert all(p.grad is not None and np.isfinite(p.grad.numpy()).all() for p in params)
        opt.step()
        losses.append(loss.item())
    assert losses[2] < losses[1] < losses[0]
    # the first step's loss and gradients are torch's: the same loss on the same model
    t_loss = torch.nn.functional.nll_loss(model(torch.from_numpy(x)), torch.from_numpy(target))
    np.testing.assert_allclose(losses[0], t_loss.item(), rtol=1e-5)


def test_load_accepts_path_bytes_and_modelproto(tmp_path):
    import onnx
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh()).eval()
    data = _export(model, (torch.zeros(1, 3),))
    path = tmp_path / "m.onnx"
    path.write_bytes(data)
    x = np.ones((1, 3), np.float32)
    want = model(torch.from_numpy(x)).detach().numpy()
    for src in (str(path), path, data, onnx.load_from_string(data)):
        np.testing.assert_allclose(ember.onnx.load(src)(x).detach().numpy(), want, rtol=1e-6)
    with pytest.raises(TypeError, match="expected a path, bytes"):
        ember.onnx.load(3)


def test_unsupported_op_names_the_op_and_node():
    from onnx import helper, TensorProto
    node = helper.make_node("DeformConv", ["x", "x", "x"], ["y"], name="my_deform")
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])])
    with pytest.raises(NotImplementedError, match=r"DeformConv.*my_deform"):
        ember.onnx.load(helper.make_model(g))


def test_docstring_examples_run():
    import doctest
    import ember.onnx.backend
    import ember.onnx.importer
    import ember.onnx.ops
    for mod in (ember.onnx.importer, ember.onnx.backend, ember.onnx.ops):
        result = doctest.testmod(mod)
        assert result.attempted and not result.failed, mod.__name__


def test_dropout_nodes_follow_train_and_eval():
    from onnx import helper, TensorProto
    g = helper.make_graph([helper.make_node("Dropout", ["x"], ["y"], ratio=0.5)], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [200])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [200])])
    m = ember.onnx.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]))
    x = np.random.default_rng(0).uniform(1, 2, 200).astype(np.float32)
    assert not m.training
    np.testing.assert_array_equal(m(x).numpy(), x)  # load() gives eval mode: identity
    y = m.train()(x).numpy()
    dropped = y == 0
    assert 40 < dropped.sum() < 160  # about half, as ratio=0.5
    np.testing.assert_allclose(y[~dropped], 2 * x[~dropped], rtol=1e-6)  # kept ones scaled by 1/(1-p)
