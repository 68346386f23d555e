"""Keras layers against PyTorch (and ember's PyTorch-style layers) given the same weights, converted between
Keras's layouts (channels-last, kernels (in, out), LSTM gates i,f,c,o, GRU gates z,r,h) and PyTorch's."""
import numpy as np
import pytest
import torch

import ember
from ember import keras, nn
from ember.keras import layers

RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _close(a, b, tol=1e-5):
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol, atol=tol)


def test_dense_equals_torch_and_ember_linear():
    x = _x(5, 4)
    d = layers.Dense(3, activation="tanh")
    y = d(x)
    kernel, bias = d.get_weights()
    assert kernel.shape == (4, 3) and bias.shape == (3,)
    t = torch.nn.Linear(4, 3)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(kernel.T))
        t.bias.copy_(torch.tensor(bias))
    _close(y, torch.tanh(t(torch.tensor(x))))
    e = nn.Linear(4, 3)
    e.load_state_dict({"weight": kernel.T.copy(), "bias": bias})
    _close(y, ember.tanh(e(ember.tensor(x))))


def test_dense_default_initializers_are_glorot_uniform_and_zeros():
    d = layers.Dense(300)
    d(np.zeros((1, 200), np.float32))
    kernel, bias = d.get_weights()
    limit = np.sqrt(6 / (200 + 300))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.95 * limit
    assert abs(kernel.std() - limit / np.sqrt(3)) < 0.01 * limit
    assert not bias.any()


@pytest.mark.parametrize("padding,strides,dilation", [("valid", 1, 1), ("same", 2, 1), ("same", 1, 2)])
def test_conv2d_channels_last_equals_torch_conv_with_permuted_weights(padding, strides, dilation):
    x = _x(2, 9, 8, 3)
    conv = layers.Conv2D(4, (3, 3), strides=strides, padding=padding, dilation_rate=dilation, activation="relu")
    y = conv(x)
    kernel, bias = conv.get_weights()
    assert kernel.shape == (3, 3, 3, 4)
    t = torch.nn.Conv2d(3, 4, 3, stride=strides, dilation=dilation,
                        padding="same" if padding == "same" and strides == 1 else 0)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(kernel).permute(3, 2, 0, 1))
        t.bias.copy_(torch.tensor(bias))
    xt = torch.tensor(x).permute(0, 3, 1, 2)
    if padding == "same" and strides != 1:
        # TF's 'same' for 9x8, k=3, s=2: rows padded 1 and 1, columns 0 and 1 (the odd pixel after).
        xt = torch.nn.functional.pad(xt, (0, 1, 1, 1))
    expected = torch.relu(t(xt)).permute(0, 2, 3, 1)
    _close(y, expected)
    assert conv.compute_output_shape((None, 9, 8, 3)) == (None,) + tuple(y.shape[1:])
    if padding == "valid":
        e = nn.Conv2d(3, 4, 3)
        e.load_state_dict({"weight": kernel.transpose(3, 2, 0, 1).copy(), "bias": bias})
        _close(y, ember.relu(e(ember.tensor(x).permute(0, 3, 1, 2))).permute(0, 2, 3, 1))


def test_conv2d_groups_and_channels_first():
    x = _x(2, 6, 6, 4)
    conv = layers.Conv2D(6, 3, groups=2)
    y = conv(x)
    kernel, bias = conv.get_weights()
    assert kernel.shape == (3, 3, 2, 6)
    t = torch.nn.Conv2d(4, 6, 3, groups=2)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(kernel).permute(3, 2, 0, 1))
        t.bias.copy_(torch.tensor(bias))
    _close(y, t(torch.tensor(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1))
    cf = layers.Conv2D(6, 3, data_format="channels_first")
    cf(np.zeros((1, 4, 6, 6), np.float32))
    cf.set_weights([kernel[:, :, :1].repeat(4, 2), bias])
    t2 = torch.nn.Conv2d(4, 6, 3)
    with torch.no_grad():
        t2.weight.copy_(torch.tensor(kernel[:, :, :1].repeat(4, 2)).permute(3, 2, 0, 1))
        t2.bias.copy_(torch.tensor(bias))
    xc = x.transpose(0, 3, 1, 2).copy()
    _close(cf(xc), t2(torch.tensor(xc)))


def test_conv1d_and_causal_padding():
    x = _x(2, 10, 3)
    conv = layers.Conv1D(5, 3, padding="causal", dilation_rate=2)
    y = conv(x)
    assert tuple(y.shape) == (2, 10, 5)
    kernel, bias = conv.get_weights()
    assert kernel.shape == (3, 3, 5)
    t = torch.nn.Conv1d(3, 5, 3, dilation=2)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(kernel).permute(2, 1, 0))
        t.bias.copy_(torch.tensor(bias))
    xt = torch.nn.functional.pad(torch.tensor(x).permute(0, 2, 1), (4, 0))
    _close(y, t(xt).permute(0, 2, 1))


def test_conv2d_transpose_equals_torch():
    x = _x(2, 4, 5, 3)
    layer = layers.Conv2DTranspose(6, 3, strides=2, padding="valid")
    y = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 6, 3) and tuple(y.shape) == (2, 9, 11, 6)
    t = torch.nn.ConvTranspose2d(3, 6, 3, stride=2)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(kernel).permute(3, 2, 0, 1))
        t.bias.copy_(torch.tensor(bias))
    _close(y, t(torch.tensor(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1))


def test_separable_conv2d_is_depthwise_then_pointwise():
    x = _x(2, 7, 7, 3)
    layer = layers.SeparableConv2D(5, 3, depth_multiplier=2, padding="same")
    y = layer(x)
    dk, pk, bias = layer.get_weights()
    assert dk.shape == (3, 3, 3, 2) and pk.shape == (1, 1, 6, 5)
    xt = torch.nn.functional.pad(torch.tensor(x).permute(0, 3, 1, 2), (1, 1, 1, 1))
    dw = torch.nn.functional.conv2d(xt, torch.tensor(dk).reshape(3, 3, 6).permute(2, 0, 1)[:, None], groups=3)
    pw = torch.nn.functional.conv2d(dw, torch.tensor(pk).permute(3, 2, 0, 1), torch.tensor(bias))
    _close(y, pw.permute(0, 2, 3, 1))
    dwl = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")
    dwl(x)
    dwl.set_weights([dk, np.zeros(6, np.float32)])
    _close(dwl(x), dw.permute(0, 2, 3, 1))


def test_pooling_layers():
    x = _x(2, 7, 7, 3)
    xt = torch.tensor(x).permute(0, 3, 1, 2)
    _close(layers.MaxPooling2D((2, 2))(x), torch.nn.functional.max_pool2d(xt, 2).permute(0, 2, 3, 1))
    _close(layers.AveragePooling2D(3, strides=2)(x), torch.nn.functional.avg_pool2d(xt, 3, 2).permute(0, 2, 3, 1))
    _close(layers.GlobalAveragePooling2D()(x), xt.mean((2, 3)))
    _close(layers.GlobalMaxPooling2D()(x), xt.amax((2, 3)))
    s = _x(2, 9, 4)
    _close(layers.MaxPooling1D(2)(s), torch.nn.functional.max_pool1d(torch.tensor(s).permute(0, 2, 1), 2)
           .permute(0, 2, 1))
    _close(layers.GlobalAveragePooling1D()(s), s.mean(1))
    assert layers.MaxPooling2D(2, padding="same").compute_output_shape((None, 7, 7, 3)) == (None, 4, 4, 3)


def test_batch_normalization_training_and_inference():
    x = _x(16, 5, 5, 3) * 2 + 1
    bn = layers.BatchNormalization()
    y = bn(x, training=True)
    gamma, beta, mean, var = bn.get_weights()
    t = torch.nn.BatchNorm2d(3, eps=1e-3, momentum=0.01)
    t.train()
    yt = t(torch.tensor(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    _close(y, yt, 1e-4)
    # Keras's moving variance uses the biased batch variance; PyTorch's the unbiased one.
    _close(mean, t.running_mean.numpy(), 1e-5)
    batch_var = x.reshape(-1, 3).var(0)
    _close(var, 0.99 + 0.01 * batch_var, 1e-5)
    assert [w.shape for w in bn.non_trainable_weights] == [(3,), (3,)]
    y_inf = bn(x)  # inference by default
    _close(y_inf, (x - mean) / np.sqrt(var + 1e-3), 1e-4)
    bn.trainable = False  # a frozen BatchNormalization runs in inference mode, even when training
    _close(bn(x, training=True), y_inf)


def test_layer_normalization_equals_torch():
    x = _x(4, 6, 8)
    ln = layers.LayerNormalization()
    t = torch.nn.LayerNorm(8, eps=1e-3)
    _close(ln(x), t(torch.tensor(x)), 1e-5)
    e = nn.LayerNorm(8, eps=1e-3)
    _close(ln(x), e(ember.tensor(x)), 1e-5)


def test_embedding_equals_torch_and_ember():
    idx = RNG.integers(0, 10, (3, 4))
    emb = layers.Embedding(10, 5)
    y = emb(idx)
    (table,) = emb.get_weights()
    assert np.abs(table).max() <= 0.05
    _close(y, torch.nn.functional.embedding(torch.tensor(idx), torch.tensor(table)))
    e = nn.Embedding(10, 5)
    e.load_state_dict({"weight": table})
    _close(y, e(ember.tensor(idx)))
    with pytest.raises(ValueError, match=r"input_dim=10\) got an index out of range"):
        emb(np.array([[10]]))


def _torch_lstm_from_keras(kernel, recurrent, bias, units):
    # Keras's gate order i, f, c, o is PyTorch's i, f, g, o: the weights only need transposing.
    t = torch.nn.LSTM(kernel.shape[0], units, batch_first=True)
    with torch.no_grad():
        t.weight_ih_l0.copy_(torch.tensor(kernel.T))
        t.weight_hh_l0.copy_(torch.tensor(recurrent.T))
        t.bias_ih_l0.copy_(torch.tensor(bias))
        t.bias_hh_l0.zero_()
    return t


def test_lstm_equals_torch_lstm():
    x = _x(3, 7, 4)
    lstm = layers.LSTM(5, return_sequences=True, return_state=True)
    seq, h, c = lstm(x)
    kernel, recurrent, bias = lstm.get_weights()
    assert kernel.shape == (4, 20) and recurrent.shape == (5, 20) and bias.shape == (20,)
    np.testing.assert_array_equal(bias[5:10], 1.0)  # unit_forget_bias
    t = _torch_lstm_from_keras(kernel, recurrent, bias, 5)
    seq_t, (h_t, c_t) = t(torch.tensor(x))
    _close(seq, seq_t)
    _close(h, h_t[0])
    _close(c, c_t[0])
    e = nn.LSTM(4, 5, batch_first=True)
    e.load_state_dict({"weight_ih_l0": kernel.T.copy(), "weight_hh_l0": recurrent.T.copy(), "bias_ih_l0": bias,
                       "bias_hh_l0": np.zeros(20, np.float32)})
    _close(seq, e(ember.tensor(x))[0])
    # The recurrent kernel starts orthogonal, as Keras's recurrent_initializer='orthogonal'.
    _close(recurrent @ recurrent.T, np.eye(5), 1e-5)


def _gru_to_torch(kernel, recurrent, bias, units, reset_after):
    # Keras's gates are z, r, h; PyTorch's r, z, n.
    u = units

    def reorder(w):
        return np.concatenate([w[..., u:2 * u], w[..., :u], w[..., 2 * u:]], -1)
    t = torch.nn.GRU(kernel.shape[0], units, batch_first=True)
    with torch.no_grad():
        t.weight_ih_l0.copy_(torch.tensor(reorder(kernel).T))
        t.weight_hh_l0.copy_(torch.tensor(reorder(recurrent).T))
        t.bias_ih_l0.copy_(torch.tensor(reorder(bias[0])))
        t.bias_hh_l0.copy_(torch.tensor(reorder(bias[1])))
    return t


def test_gru_reset_after_equals_torch_gru():
    x = _x(3, 6, 4)
    gru = layers.GRU(5, return_sequences=True, bias_initializer="random_normal")
    seq = gru(x)
    kernel, recurrent, bias = gru.get_weights()
    assert bias.shape == (2, 15)
    t = _gru_to_torch(kernel, recurrent, bias, 5, True)
    _close(seq, t(torch.tensor(x))[0])
    e = nn.GRU(4, 5, batch_first=True)
    e.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    _close(seq, e(ember.tensor(x))[0])


def test_gru_reset_before_follows_keras_formula():
    x = _x(2, 4, 3)
    gru = layers.GRU(2, reset_after=False, bias_initializer="random_normal")
    out = gru(x)
    W, U, b = gru.get_weights()
    assert b.shape == (6,)

    def sig(v):
        return 1 / (1 + np.exp(-v))
    h = np.zeros((2, 2))
    for t in range(4):
        xw = x[:, t] @ W + b
        z = sig(xw[:, :2] + h @ U[:, :2])
        r = sig(xw[:, 2:4] + h @ U[:, 2:4])
        hh = np.tanh(xw[:, 4:] + (r * h) @ U[:, 4:])
        h = z * h + (1 - z) * hh
    _close(out, h)


def test_simple_rnn_and_bidirectional():
    x = _x(2, 5, 3)
    rnn = layers.SimpleRNN(4, return_sequences=True)
    y = rnn(x)
    W, U, b = rnn.get_weights()
    t = torch.nn.RNN(3, 4, batch_first=True)
    with torch.no_grad():
        t.weight_ih_l0.copy_(torch.tensor(W.T))
        t.weight_hh_l0.copy_(torch.tensor(U.T))
        t.bias_ih_l0.copy_(torch.tensor(b))
        t.bias_hh_l0.zero_()
    _close(y, t(torch.tensor(x))[0])
    bi = layers.Bidirectional(layers.LSTM(4, return_sequences=True))
    yb = bi(x)
    assert tuple(yb.shape) == (2, 5, 8)
    fk, fr, fb, bk, br, bb = bi.get_weights()
    tb = torch.nn.LSTM(3, 4, batch_first=True, bidirectional=True)
    with torch.no_grad():
        tb.weight_ih_l0.copy_(torch.tensor(fk.T))
        tb.weight_hh_l0.copy_(torch.tensor(fr.T))
        tb.bias_ih_l0.copy_(torch.tensor(fb))
        tb.bias_hh_l0.zero_()
        tb.weight_ih_l0_reverse.copy_(torch.tensor(bk.T))
        tb.weight_hh_l0_reverse.copy_(torch.tensor(br.T))
        tb.bias_ih_l0_reverse.copy_(torch.tensor(bb))
        tb.bias_hh_l0_reverse.zero_()
    _close(yb, tb(torch.tensor(x))[0])


def test_masked_steps_keep_the_state():
    seq = np.array([[3, 5, 0, 0], [2, 0, 0, 0]])
    emb = layers.Embedding(8, 3, mask_zero=True)
    lstm = layers.LSTM(4)
    out = lstm(emb(seq))
    short = lstm(emb(seq[:, :2]))
    _close(out[0], short[0])
    _close(out[1], lstm(emb(seq[1:, :1]))[0])


def test_time_distributed_dense():
    x = _x(2, 5, 3)
    td = layers.TimeDistributed(layers.Dense(4))
    y = td(x)
    k, b = td.get_weights()
    _close(y, x @ k + b)


def test_multi_head_attention_equals_torch():
    B, T, S, D, H, K = 2, 5, 6, 8, 2, 4
    q, v = _x(B, T, D), _x(B, S, D)
    mha = layers.MultiHeadAttention(num_heads=H, key_dim=K)
    out, scores = mha(q, v, return_attention_scores=True)
    wq, bq, wk, bk, wv, bv, wo, bo = mha.get_weights()
    assert wq.shape == (D, H, K) and bq.shape == (H, K) and wo.shape == (H, K, D) and bo.shape == (D,)
    t = torch.nn.MultiheadAttention(D, H, batch_first=True)
    with torch.no_grad():
        t.in_proj_weight.copy_(torch.tensor(np.concatenate([w.reshape(D, H * K).T for w in (wq, wk, wv)])))
        t.in_proj_bias.copy_(torch.tensor(np.concatenate([b.reshape(-1) for b in (bq, bk, bv)])))
        t.out_proj.weight.copy_(torch.tensor(wo.reshape(H * K, D).T))
        t.out_proj.bias.copy_(torch.tensor(bo))
    out_t, w_t = t(torch.tensor(q), torch.tensor(v), torch.tensor(v), average_attn_weights=False)
    _close(out, out_t)
    _close(scores, w_t)
    causal = mha(q, q, use_causal_mask=True)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    _close(causal, t(torch.tensor(q), torch.tensor(q), torch.tensor(q), attn_mask=mask)[0])


def test_dropout_only_while_training():
    x = np.ones((200, 50), np.float32)
    drop = layers.Dropout(0.25)
    _close(drop(x), x)
    y = _np(drop(x, training=True))
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.02
    _close(y[kept], np.full(kept.sum(), 1 / 0.75))
    sd = _np(layers.SpatialDropout2D(0.5)(np.ones((4, 3, 3, 8), np.float32), training=True))
    assert all(len(np.unique(sd[n, :, :, c])) == 1 for n in range(4) for c in range(8))


def test_activation_layers():
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 8.0]], np.float32)
    _close(layers.ReLU(max_value=6.0)(x), np.clip(x, 0, 6))
    _close(layers.LeakyReLU()(x), np.where(x > 0, x, 0.3 * x))
    _close(layers.Softmax()(x), torch.softmax(torch.tensor(x), -1))
    _close(layers.Activation("sigmoid")(x), torch.sigmoid(torch.tensor(x)))
    _close(layers.Dense(2, activation="gelu", kernel_initializer="ones")(x),
           torch.nn.functional.gelu(torch.tensor(x).sum(-1, keepdim=True).repeat(1, 2)))


def test_merge_and_reshape_layers():
    a, b = _x(2, 3), _x(2, 3)
    _close(layers.Add()([a, b]), a + b)
    _close(layers.Multiply()([a, b]), a * b)
    _close(layers.Concatenate()([a, b]), np.concatenate([a, b], -1))
    x = _x(2, 3, 4)
    _close(layers.Permute((2, 1))(x), x.transpose(0, 2, 1))
    _close(layers.Reshape((-1, 2))(x), x.reshape(2, 6, 2))
    _close(layers.Flatten()(x), x.reshape(2, 12))
    with pytest.raises(ValueError, match="at least 2 inputs"):
        layers.Add()([a])


def test_preprocessing_layers():
    x = RNG.uniform(0, 255, (6, 4, 4, 3)).astype(np.float32)
    _close(layers.Rescaling(1 / 255, offset=-0.5)(x), x / 255 - 0.5)
    norm = layers.Normalization()
    norm.adapt(x)
    y = _np(norm(x))
    _close(y.reshape(-1, 3).mean(0), np.zeros(3), 1e-4)
    _close(y.reshape(-1, 3).std(0), np.ones(3), 1e-3)
    assert norm.count_params() == 7
    flip = layers.RandomFlip("horizontal")
    _close(flip(x, training=False), x)
    flipped = _np(flip(x, training=True))
    for n in range(6):
        assert np.allclose(flipped[n], x[n]) or np.allclose(flipped[n], x[n, :, ::-1])
    rot = layers.RandomRotation(0.25)
    _close(rot(x, training=False), x)
    img = np.zeros((1, 5, 5, 1), np.float32)
    img[0, 0, 2, 0] = 1.0
    quarter = layers.RandomRotation((0.25, 0.25), interpolation="nearest", fill_mode="constant")
    turned = _np(quarter(img, training=True))[0, :, :, 0]
    assert turned[2, 0] == 1.0 and turned.sum() == 1.0  # top centre -> left centre: counter-clockwise


def test_layer_config_round_trip_and_training_step():
    """The layer harness: config round trip gives the same outputs; one gradient step changes every weight."""
    cases = [
        (layers.Dense(3, activation="relu", kernel_regularizer="l2"), (4, 5)),
        (layers.Conv2D(2, 3, padding="same"), (2, 5, 5, 3)),
        (layers.Conv1D(2, 2), (2, 6, 3)),
        (layers.Conv2DTranspose(2, 2, strides=2), (2, 3, 3, 2)),
        (layers.SeparableConv2D(3, 3), (2, 5, 5, 2)),
        (layers.DepthwiseConv2D(3), (2, 5, 5, 2)),
        (layers.BatchNormalization(), (4, 3)),
        (layers.LayerNormalization(), (4, 3)),
        (layers.LSTM(3), (2, 4, 2)),
        (layers.GRU(3, return_sequences=True), (2, 4, 2)),
        (layers.SimpleRNN(3), (2, 4, 2)),
        (layers.Bidirectional(layers.GRU(2)), (2, 4, 2)),
        (layers.TimeDistributed(layers.Dense(2)), (2, 4, 3)),
        (layers.PReLU(alpha_initializer="random_uniform"), (3, 4)),
    ]
    for layer, shape in cases:
        x = _x(*shape)
        y = _np(layer(x))
        clone = type(layer).from_config(layer.get_config())
        clone(x)
        clone.set_weights(layer.get_weights())
        _close(clone(x), y)
        before = layer.get_weights()
        out = layer(ember.tensor(x), training=True)
        loss = (out * out).sum()
        for term in layer.losses:
            loss = loss + term
        loss.backward()
        for w in layer.trainable_weights:
            assert w.grad is not None, f"{layer.name}: no gradient for a weight of shape {tuple(w.shape)}"
            w._data -= 0.1 * w.grad._data
        changed = [not np.allclose(a, b) for a, b in zip(before, layer.get_weights())]
        assert sum(changed) >= len(layer.trainable_weights), layer.name


def test_layer_errors_name_the_layer_and_shapes():
    d = layers.Dense(3, name="fc1")
    d(np.zeros((1, 4), np.float32))
    with pytest.raises(ValueError, match=r"Dense layer fc1 \(units=3\) expects inputs with last dimension 4, got "
                                         r"inputs of shape \(2, 5\)"):
        d(np.zeros((2, 5), np.float32))
    with pytest.raises(TypeError, match="unrecognized keyword argument"):
        layers.Dense(3, kernel_size=4)
    with pytest.raises(ValueError, match="Conv2D layer .* expects inputs of rank 4"):
        layers.Conv2D(2, 3)(np.zeros((2, 5, 5), np.float32))


def test_keras_layers_are_ember_modules():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="a"), layers.Dense(2, name="b")])
    assert isinstance(model, nn.Module)
    assert [n for n, _ in model.named_parameters()] == ["a.kernel", "a.bias", "b.kernel", "b.bias"]
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    before = model.get_weights()
    model(ember.ones(2, 4)).sum().backward()
    opt.step()
    assert all(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))


def test_custom_layer_with_add_weight_in_keras_3_and_keras_2_order():
    class Affine(layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
            self.shift = self.add_weight("shift", (input_shape[-1],), initializer="zeros", trainable=False)

        def call(self, inputs):
            return inputs * self.scale + self.shift
    layer = Affine()
    x = _x(2, 3)
    _close(layer(x), x)
    assert [w.shape for w in layer.trainable_weights] == [(3,)] and len(layer.non_trainable_weights) == 1
    assert layer.name == "affine" or layer.name.startswith("affine_")
    with pytest.raises(TypeError, match="multiple values for argument 'shape'"):
        layer.add_weight((2,), shape=(2,))
