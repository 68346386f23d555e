"""ember.onnx.export over every nn layer family: onnx.checker passes and onnxruntime gives ember's outputs.

Each row builds a module and its inputs for a batch size; the model is exported with the batch
axis of every input and output dynamic, then run by onnxruntime on the export's batch size and on
another one, against ember's own eval-mode outputs on the same inputs.
"""
import io

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import ember
from ember import nn
import ember.nn.functional as F

RTOL = ATOL = 1e-5


def _flat(out):
    if isinstance(out, ember.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return []


def check_export(model, make_inputs, batches=(2, 3), dynamic=True, opset=None, batch_axes=None, atol=ATOL,
                 rtol=RTOL):
    """Export ``model`` on ``make_inputs(batches[0])`` and compare ORT with ember on every batch size."""
    model.eval()
    args = make_inputs(batches[0])
    n_in = len(_flat(args))
    in_names = [f"in{i}" for i in range(n_in)]
    with ember.no_grad():
        ref = _flat(model(*args))
    out_names = [f"out{i}" for i in range(len(ref))]
    axes = batch_axes or {}
    dyn = None
    if dynamic:
        dyn = {n: {axes.get(n, 0): "batch"} for n in in_names}
        dyn.update({n: {axes.get(n, 0): "batch"} for n in out_names})
    buf = io.BytesIO()
    ember.onnx.export(model, tuple(args), buf, input_names=in_names, output_names=out_names, dynamic_axes=dyn,
                      opset_version=opset)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    for b in (batches if dynamic else batches[:1]):
        args = make_inputs(b)
        with ember.no_grad():
            ref = [r.numpy() for r in _flat(model(*args))]
        got = sess.run(None, {n: a.numpy() for n, a in zip(in_names, _flat(args))})
        assert len(got) == len(ref)
        for g, r in zip(got, ref):
            assert g.shape == r.shape, (g.shape, r.shape)
            np.testing.assert_allclose(g, r, rtol=rtol, atol=atol)
    return proto


def randn(*shape):
    return lambda b: (ember.randn(b, *shape),)


class Custom(nn.Module):
    """Tensor methods and functions a hand-written forward uses."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 6)
        self.register_buffer("scale", ember.linspace(0.5, 1.5, 6))

    def forward(self, x):
        b = x.size(0)
        h = self.fc(x.view(b, -1)) * self.scale
        h = h.permute(1, 0).transpose(0, 1).contiguous()
        a, c = h[:, :3], h[:, 3:]
        y = ember.cat([a.exp(), c.abs() + 1.0, (a @ c.t()).mean(dim=1, keepdim=True)], dim=1)
        y = ember.where(y > 1.2, y, -y) + y.sum(-1, keepdim=True) / 4
        z = y.unsqueeze(1).expand(b, 2, y.shape[1]).reshape(b * 2, -1)
        z = z[::2, 1:-1] - z[::2].max(dim=1, keepdim=True).values
        return ember.stack([z.sqrt().clamp(0.1, 2.0), z.sigmoid() ** 2], dim=-1).flatten(1), y.softmax(-1)


class Custom2(nn.Module):
    """Indexing with None / Ellipsis / ints, chunk, squeeze, new tensors from sizes, masked_fill, bmm."""

    def forward(self, x):
        b, t, c = x.shape
        q, k = x.chunk(2, dim=-1)
        s = ember.bmm(q, k.transpose(1, 2)) / (c ** 0.5)
        mask = ember.ones(t, t).triu(1).bool()
        s = s.masked_fill(mask, float("-inf")).softmax(-1)
        z = ember.zeros(b, t, 1) + 0.5
        last = x[:, -1, None, ...] * x[:, :1, 0:1]
        return ember.cat([s, z, last.squeeze(1)[:, None, :].repeat(1, t, 1)], -1), x.amax(1), x.argmax(-1)


class Custom3(nn.Module):
    """In-place ops with ONNX forms: +=, *=, relu_, F.relu(inplace=True), scalar assignment into slices."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        y = self.fc(x)
        y += 1
        y.relu_()
        y = F.relu(y * 2 - 1, inplace=True)
        y *= x
        y[:, 0] = 0
        y[..., 1:3] = -1.0
        y[y.shape[0] - 1, -1] = 5
        return y.double().float()


class _InPlace(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        x = x.clone()
        self.fn(x)
        return x


LAYERS = {
    "Linear": (lambda: nn.Linear(5, 4), randn(5)),
    "Linear3d": (lambda: nn.Linear(5, 4, bias=False), randn(3, 5)),
    "Bilinear": (lambda: nn.Bilinear(3, 4, 2), lambda b: (ember.randn(b, 3), ember.randn(b, 4))),
    "Conv1d": (lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1), randn(3, 9)),
    "Conv2d": (lambda: nn.Conv2d(3, 4, 3, padding=1, dilation=1, groups=1), randn(3, 6, 6)),
    "Conv2d_groups_same": (lambda: nn.Conv2d(4, 4, 3, padding="same", groups=2, bias=False), randn(4, 5, 5)),
    "Conv2d_reflect": (lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), randn(2, 5, 5)),
    "Conv3d": (lambda: nn.Conv3d(2, 3, 2, stride=1), randn(2, 4, 4, 4)),
    "ConvTranspose1d": (lambda: nn.ConvTranspose1d(3, 2, 3, stride=2), randn(3, 5)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), randn(3, 4, 4)),
    "MaxPool1d": (lambda: nn.MaxPool1d(2), randn(3, 8)),
    "MaxPool2d": (lambda: nn.MaxPool2d(3, stride=2, padding=1), randn(2, 7, 7)),
    "MaxPool2d_ceil": (lambda: nn.MaxPool2d(2, ceil_mode=True), randn(2, 5, 5)),
    "MaxPool3d": (lambda: nn.MaxPool3d(2), randn(2, 4, 4, 4)),
    "AvgPool1d": (lambda: nn.AvgPool1d(3, stride=2, padding=1), randn(2, 8)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), randn(2, 6, 6)),
    "AvgPool2d_nopad": (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), randn(2, 6, 6)),
    "AvgPool3d": (lambda: nn.AvgPool3d(2), randn(2, 4, 4, 4)),
    "AvgPool2d_ceil": (lambda: nn.AvgPool2d(2, ceil_mode=True), randn(2, 5, 5)),
    "AvgPool1d_ceil_stride": (lambda: nn.AvgPool1d(3, stride=2, ceil_mode=True), randn(2, 8)),
    "AdaptiveAvgPool1d": (lambda: nn.AdaptiveAvgPool1d(4), randn(2, 8)),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d((1, 1)), randn(3, 5, 5)),
    "AdaptiveAvgPool2d_2": (lambda: nn.AdaptiveAvgPool2d(2), randn(3, 6, 6)),
    "AdaptiveMaxPool2d": (lambda: nn.AdaptiveMaxPool2d(3), randn(3, 6, 6)),
    "AdaptiveAvgPool3d": (lambda: nn.AdaptiveAvgPool3d(1), randn(2, 4, 4, 4)),
    "LPPool2d": (lambda: nn.LPPool2d(2, 2), randn(2, 4, 4)),
    "BatchNorm1d": (lambda: _bn(nn.BatchNorm1d(4)), randn(4)),
    "BatchNorm1d_3d": (lambda: _bn(nn.BatchNorm1d(4)), randn(4, 5)),
    "BatchNorm2d": (lambda: _bn(nn.BatchNorm2d(3)), randn(3, 4, 4)),
    "BatchNorm3d": (lambda: _bn(nn.BatchNorm3d(2)), randn(2, 3, 3, 3)),
    "LayerNorm": (lambda: nn.LayerNorm(6), randn(3, 6)),
    "LayerNorm2": (lambda: nn.LayerNorm([3, 4], elementwise_affine=False), randn(3, 4)),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), randn(4, 3, 3)),
    "InstanceNorm1d": (lambda: nn.InstanceNorm1d(3, affine=True), randn(3, 6)),
    "InstanceNorm2d": (lambda: nn.InstanceNorm2d(3), randn(3, 4, 4)),
    "LocalResponseNorm": (lambda: nn.LocalResponseNorm(3), randn(4, 3, 3)),
    "LocalResponseNorm_even": (lambda: nn.LocalResponseNorm(4, alpha=0.1), randn(6, 2, 2)),
    "CrossMapLRN2d": (lambda: nn.CrossMapLRN2d(3, alpha=0.1, beta=0.5, k=2), randn(4, 3, 3)),
    "CrossMapLRN2d_even": (lambda: nn.CrossMapLRN2d(4, alpha=0.1), randn(6, 2, 2)),
    "RMSNorm": (lambda: nn.RMSNorm(6), randn(3, 6)),
    "Embedding": (lambda: nn.Embedding(10, 4), lambda b: (ember.randint(0, 10, (b, 5)),)),
    "LSTM": (lambda: nn.LSTM(4, 5), randn(3, 4)),
    "LSTM_2layer_bi_bf": (lambda: nn.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True), randn(3, 4)),
    "LSTM_h0": (lambda: nn.LSTM(3, 4, batch_first=True),
                lambda b: (ember.randn(b, 5, 3), (ember.randn(1, b, 4), ember.randn(1, b, 4)))),
    "GRU": (lambda: nn.GRU(4, 5, batch_first=True), randn(3, 4)),
    "GRU_2layer_bi": (lambda: nn.GRU(4, 3, num_layers=2, bidirectional=True), randn(3, 4)),
    "RNN_tanh": (lambda: nn.RNN(4, 5, batch_first=True), randn(3, 4)),
    "RNN_relu_2layer": (lambda: nn.RNN(4, 5, num_layers=2, nonlinearity="relu", batch_first=True), randn(3, 4)),
    "MultiheadAttention": (lambda: _SelfAttn(nn.MultiheadAttention(8, 2, batch_first=True)), randn(5, 8)),
    "MultiheadAttention_seqfirst": (lambda: _CrossAttn(nn.MultiheadAttention(8, 4)),
                                    lambda b: (ember.randn(4, b, 8), ember.randn(6, b, 8))),
    "TransformerEncoderLayer": (lambda: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), randn(5, 8)),
    "TransformerEncoderLayer_gelu_normfirst": (
        lambda: nn.TransformerEncoderLayer(8, 2, 16, activation="gelu", norm_first=True, batch_first=True),
        randn(5, 8)),
    "TransformerDecoderLayer": (lambda: nn.TransformerDecoderLayer(8, 2, 16, batch_first=True),
                                lambda b: (ember.randn(b, 4, 8), ember.randn(b, 6, 8))),
    "TransformerEncoder": (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2),
                           randn(5, 8)),
    "Transformer": (lambda: nn.Transformer(8, 2, 1, 1, 16, batch_first=True),
                    lambda b: (ember.randn(b, 5, 8), ember.randn(b, 4, 8))),
    "ReLU": (nn.ReLU, randn(6)),
    "ReLU6": (nn.ReLU6, randn(6)),
    "GELU": (nn.GELU, randn(6)),
    "GELU_tanh": (lambda: nn.GELU(approximate="tanh"), randn(6)),
    "SiLU": (nn.SiLU, randn(6)),
    "Mish": (nn.Mish, randn(6)),
    "Softmax": (lambda: nn.Softmax(dim=-1), randn(6)),
    "LogSoftmax": (lambda: nn.LogSoftmax(dim=1), randn(6)),
    "Softmin": (lambda: nn.Softmin(dim=1), randn(6)),
    "Tanh": (nn.Tanh, randn(6)),
    "Sigmoid": (nn.Sigmoid, randn(6)),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.2), randn(6)),
    "ELU": (lambda: nn.ELU(0.7), randn(6)),
    "SELU": (nn.SELU, randn(6)),
    "CELU": (lambda: nn.CELU(1.3), randn(6)),
    "Hardswish": (nn.Hardswish, randn(6)),
    "Hardsigmoid": (nn.Hardsigmoid, randn(6)),
    "Hardtanh": (lambda: nn.Hardtanh(-0.5, 0.5), randn(6)),
    "Softplus": (lambda: nn.Softplus(beta=2.0, threshold=1.0), randn(6)),
    "Softsign": (nn.Softsign, randn(6)),
    "LogSigmoid": (nn.LogSigmoid, randn(6)),
    "Tanhshrink": (nn.Tanhshrink, randn(6)),
    "Softshrink": (nn.Softshrink, randn(6)),
    "Hardshrink": (nn.Hardshrink, randn(6)),
    "Threshold": (lambda: nn.Threshold(0.1, 20.0), randn(6)),
    "GLU": (nn.GLU, randn(6)),
    "PReLU": (lambda: nn.PReLU(3, 0.2), randn(3, 4, 4)),
    "Dropout": (lambda: nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 4), nn.AlphaDropout(0.3)), randn(4)),
    "Flatten": (nn.Flatten, randn(2, 3, 4)),
    "Unflatten": (lambda: nn.Unflatten(1, (2, 3)), randn(6)),
    "Identity": (lambda: nn.Sequential(nn.Identity(), nn.Tanh()), randn(3)),
    "Upsample_nearest": (lambda: nn.Upsample(scale_factor=2), randn(2, 3, 3)),
    "Upsample_bilinear": (lambda: nn.Upsample(size=(5, 7), mode="bilinear"), randn(2, 3, 3)),
    "Upsample_bilinear_ac": (lambda: nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True), randn(2, 3, 3)),
    "PixelShuffle": (lambda: nn.PixelShuffle(2), randn(8, 3, 3)),
    "PixelUnshuffle": (lambda: nn.PixelUnshuffle(2), randn(2, 4, 4)),
    "ChannelShuffle": (lambda: nn.ChannelShuffle(2), randn(4, 2, 2)),
    "ZeroPad2d": (lambda: nn.ZeroPad2d((1, 2, 0, 1)), randn(2, 3, 3)),
    "ReflectionPad1d": (lambda: nn.ReflectionPad1d(2), randn(2, 5)),
    "ReplicationPad2d": (lambda: nn.ReplicationPad2d(1), randn(2, 3, 3)),
    "ConstantPad1d": (lambda: nn.ConstantPad1d(2, 0.5), randn(2, 3)),
    "CosineSimilarity": (nn.CosineSimilarity, lambda b: (ember.randn(b, 4), ember.randn(b, 4))),
    "ConvTranspose3d": (lambda: nn.ConvTranspose3d(2, 2, 2, stride=2), randn(2, 2, 2, 2)),
    "Conv2d_replicate": (lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="replicate"), randn(2, 5, 5)),
    "Unfold": (lambda: nn.Unfold(2, padding=1, stride=2), randn(2, 4, 4)),
    "Fold": (lambda: nn.Fold((3, 3), 2), randn(8, 4)),
    "EmbeddingBag": (lambda: nn.EmbeddingBag(10, 3, mode="mean"), lambda b: (ember.randint(0, 10, (b, 4)),)),
    "RReLU": (nn.RReLU, randn(5)),
    "Softmax2d": (nn.Softmax2d, randn(3, 2, 2)),
    "Upsample_bicubic": (lambda: nn.Upsample(scale_factor=2, mode="bicubic"), randn(2, 3, 3)),
    "Upsample_nearest_exact": (lambda: nn.Upsample(size=5, mode="nearest-exact"), randn(2, 3, 3)),
    "Upsample_linear": (lambda: nn.Upsample(scale_factor=2, mode="linear"), randn(2, 3)),
    "Upsample_trilinear": (lambda: nn.Upsample(scale_factor=2, mode="trilinear"), randn(2, 2, 2, 2)),
    "UpsamplingBilinear2d": (lambda: nn.UpsamplingBilinear2d(scale_factor=2), randn(2, 3, 3)),
    "UpsamplingNearest2d": (lambda: nn.UpsamplingNearest2d(size=(4, 6)), randn(2, 3, 3)),
    "ReflectionPad2d": (lambda: nn.ReflectionPad2d(1), randn(2, 4, 4)),
    "ReplicationPad3d": (lambda: nn.ReplicationPad3d(1), randn(2, 2, 2, 2)),
    "LSTMCell": (lambda: nn.LSTMCell(3, 4), randn(3)),
    "LSTMCell_hx": (lambda: nn.LSTMCell(3, 4), lambda b: (ember.randn(b, 3), (ember.randn(b, 4), ember.randn(b, 4)))),
    "GRUCell": (lambda: nn.GRUCell(3, 4), lambda b: (ember.randn(b, 3), ember.randn(b, 4))),
    "RNNCell": (lambda: nn.RNNCell(3, 4, nonlinearity="relu"), randn(3)),
    "TransformerDecoder": (lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, batch_first=True), 2),
                           lambda b: (ember.randn(b, 4, 8), ember.randn(b, 3, 8))),
    "AdaptiveMaxPool1d": (lambda: nn.AdaptiveMaxPool1d(2), randn(2, 6)),
    "AdaptiveAvgPool2d_uneven": (lambda: nn.AdaptiveAvgPool2d((3, 4)), randn(2, 7, 5)),
    "AdaptiveMaxPool2d_uneven": (lambda: nn.AdaptiveMaxPool2d(3), randn(2, 5, 7)),
    "AdaptiveAvgPool2d_up": (lambda: nn.AdaptiveAvgPool2d(3), randn(2, 2, 2)),
    "InstanceNorm3d": (lambda: nn.InstanceNorm3d(2), randn(2, 3, 3, 3)),
    "BatchNorm2d_noaffine": (lambda: nn.BatchNorm2d(3, affine=False), randn(3, 2, 2)),
    "BatchNorm2d_batch_stats": (lambda: nn.BatchNorm2d(3, track_running_stats=False), randn(3, 2, 2)),
    "LazyLinear": (lambda: nn.LazyLinear(3), randn(4)),
    "MultiheadAttention_kdim": (lambda: _CrossAttn(nn.MultiheadAttention(8, 2, kdim=6, vdim=6, batch_first=True)),
                                lambda b: (ember.randn(b, 3, 8), ember.randn(b, 4, 6))),
    "PairwiseDistance": (nn.PairwiseDistance, lambda b: (ember.randn(b, 4), ember.randn(b, 4))),
    "MaxPool1d_dilation": (lambda: nn.MaxPool1d(2, stride=1, dilation=2), randn(2, 7)),
    "Custom": (Custom, randn(2, 4)),
    "Custom2": (Custom2, randn(4, 6)),
    "Custom3_inplace": (Custom3, randn(4)),
}


def _bn(m):
    # Running statistics that are not the initial ones.
    m.running_mean.copy_(ember.randn(m.num_features) * 0.3)
    m.running_var.copy_(ember.rand(m.num_features) + 0.5)
    with ember.no_grad():
        m.weight.copy_(ember.randn(m.num_features))
        m.bias.copy_(ember.randn(m.num_features))
    return m


class _SelfAttn(nn.Module):
    def __init__(self, mha):
        super().__init__()
        self.mha = mha

    def forward(self, x):
        return self.mha(x, x, x)


class _CrossAttn(nn.Module):
    def __init__(self, mha):
        super().__init__()
        self.mha = mha

    def forward(self, q, kv):
        out, w = self.mha(q, kv, kv, need_weights=True, average_attn_weights=False)
        return out, w


_SEQ_FIRST = {"MultiheadAttention_seqfirst", "GRU_2layer_bi", "LSTM"}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_exports_and_matches_onnxruntime(name):
    build, inputs = LAYERS[name]
    model = build()
    axes = None
    if name in _SEQ_FIRST:
        # (seq, batch, feature) inputs: the batch is axis 1 (weights of MHA keep batch first).
        axes = {"in0": 1, "in1": 1, "out0": 1, "out1": 0, "out2": 1}
        if name == "LSTM" or name == "GRU_2layer_bi":
            inputs = (lambda f: lambda b: (ember.randn(3, b, 4),))(inputs)
            axes = {"in0": 1, "out0": 1, "out1": 1, "out2": 1}
    if name == "LSTM_h0":
        axes = {"in1": 1, "in2": 1, "out1": 1, "out2": 1}
    check_export(model, inputs, batch_axes=axes)


# Rows that need a newer opset (circular padding is Pad's mode "wrap" from opset 19).
NEW_OPSET = {
    "Conv2d_circular": (lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"), randn(2, 5, 5), 19),
    "CircularPad1d": (lambda: nn.CircularPad1d(1), randn(2, 4), 19),
}


@pytest.mark.parametrize("name", sorted(NEW_OPSET))
def test_layer_with_newer_opset(name):
    build, inputs, opset = NEW_OPSET[name]
    check_export(build(), inputs, opset=opset)


# What has no ONNX form: each raises, naming the layer and the reason.
UNSUPPORTED = {
    "AvgPool2d_ceil_padded": (lambda: nn.AvgPool2d(3, 2, padding=1, ceil_mode=True), randn(2, 6, 6),
                              r"model \(AvgPool2d\).*ceil_mode"),
    "MaxPool2d_indices": (lambda: nn.MaxPool2d(2, return_indices=True), randn(2, 4, 4), r"return_indices"),
    "LSTM_proj": (lambda: nn.LSTM(3, 4, proj_size=2), randn(2, 3), r"model \(LSTM\).*proj_size"),
    "setitem_tensor_value": (lambda: _InPlace(lambda x: x.__setitem__((slice(None), 0), x[:, 1])), randn(4),
                             r"model \(_InPlace\): the op 'setitem' with a tensor value"),
    "fill_": (lambda: _InPlace(lambda x: x.fill_(2.0)), randn(4),
              r"model \(_InPlace\): the in-place op 'fill_' on a traced tensor"),
    "circular_pad_opset17": (lambda: nn.CircularPad1d(1), randn(2, 4), r"circular.*opset_version >= 19"),
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_layers_raise_naming_the_layer(name):
    build, inputs, pattern = UNSUPPORTED[name]
    with pytest.raises(RuntimeError, match=pattern):
        ember.onnx.export(build(), inputs(2))


def test_training_mode_dropout_refused():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    with pytest.raises(RuntimeError, match=r"model\.1 \(Dropout\).*training mode"):
        ember.onnx.export(model, (ember.randn(2, 2),), training=ember.onnx.TrainingMode.TRAINING)
    assert model.training


@pytest.mark.parametrize("opset", [13, 15, 18, 21])
def test_opsets(opset):
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.LayerNorm(12),
                          nn.Linear(12, 4), nn.Hardswish())
    check_export(model, randn(2, 4, 4), opset=opset)
    check_export(Custom(), randn(2, 4), opset=opset)


def test_functional_ops_in_forward():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(ember.randn(4, 3, 3, 3))

        def forward(self, x):
            y = F.conv2d(x, self.w, padding=1)
            y = F.max_pool2d(F.relu(y), 2)
            y = F.interpolate(y, scale_factor=2.0, mode="nearest")
            y = F.gelu(F.layer_norm(y, y.shape[-2:]))
            y = F.pad(y, (1, 1))
            q = y.flatten(2).transpose(1, 2)
            a = F.scaled_dot_product_attention(q, q, q, is_causal=True)
            return F.log_softmax(F.normalize(a.mean(1), dim=-1), dim=-1), F.dropout(y, 0.5, training=False)
    check_export(Net(), randn(3, 4, 4))
