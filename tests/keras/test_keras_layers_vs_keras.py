"""ember.keras layers against Keras 3 itself (torch backend) as the oracle.

One row per layer configuration. For each row the shared harness builds the Keras layer and the
ember layer from the same arguments, checks that the ember layer can also be built from Keras's own
``get_config()``, copies Keras's weights into ember (same order, same names: ``kernel``, ``bias``,
``gamma`` ...), runs the same channels-last input, and compares the outputs, the gradients of a
scalar loss with respect to the inputs and to every weight (Keras's torch tensors carry torch
autograd), ``compute_output_shape``, and the ember config round trip.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ember  # noqa: E402
from ember import keras as ek  # noqa: E402

# (id, layer class name, constructor kwargs, input shapes, options)
# options: call (extra call kwargs), training (bool), tol, int_input (vocabulary size), grad (bool)
ROWS = [
    ("conv3d", "Conv3D", dict(filters=3, kernel_size=2), [(2, 4, 5, 4, 2)], {}),
    ("conv3d_same_strided", "Conv3D", dict(filters=4, kernel_size=3, strides=2, padding="same",
                                           activation="relu"), [(2, 5, 6, 5, 3)], {}),
    ("conv3d_dilated_groups", "Conv3D", dict(filters=4, kernel_size=(2, 3, 2), dilation_rate=(1, 2, 1), groups=2,
                                             padding="same"), [(1, 4, 6, 5, 4)], {}),
    ("conv3d_channels_first", "Conv3D", dict(filters=2, kernel_size=2, data_format="channels_first"),
     [(2, 3, 4, 4, 4)], {}),
    ("conv1d_transpose", "Conv1DTranspose", dict(filters=3, kernel_size=3, strides=2), [(2, 5, 4)], {}),
    ("conv1d_transpose_same", "Conv1DTranspose", dict(filters=2, kernel_size=4, strides=3, padding="same"),
     [(2, 5, 3)], {}),
    ("conv3d_transpose", "Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2), [(1, 3, 3, 2, 3)], {}),
    ("conv3d_transpose_same", "Conv3DTranspose", dict(filters=3, kernel_size=3, strides=(1, 2, 2),
                                                      padding="same"), [(2, 3, 4, 3, 2)], {}),
    ("depthwise_conv1d", "DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2), [(2, 7, 3)], {}),
    ("depthwise_conv1d_same", "DepthwiseConv1D", dict(kernel_size=4, strides=2, padding="same"), [(2, 9, 3)], {}),
    ("separable_conv1d", "SeparableConv1D", dict(filters=4, kernel_size=3, depth_multiplier=2, padding="same"),
     [(2, 8, 3)], {}),
    ("upsampling1d", "UpSampling1D", dict(size=3), [(2, 4, 3)], {}),
    ("upsampling2d", "UpSampling2D", dict(size=(2, 3)), [(2, 3, 4, 2)], {}),
    ("upsampling2d_bilinear", "UpSampling2D", dict(size=(2, 3), interpolation="bilinear"), [(2, 3, 4, 2)], {}),
    ("upsampling2d_channels_first", "UpSampling2D", dict(size=2, data_format="channels_first"),
     [(2, 2, 3, 4)], {}),
    ("upsampling3d", "UpSampling3D", dict(size=(2, 1, 2)), [(1, 2, 3, 2, 2)], {}),
    ("zeropadding1d", "ZeroPadding1D", dict(padding=(1, 2)), [(2, 4, 3)], {}),
    ("zeropadding2d", "ZeroPadding2D", dict(padding=((1, 0), (2, 3))), [(2, 3, 4, 2)], {}),
    ("zeropadding3d", "ZeroPadding3D", dict(padding=1), [(1, 2, 3, 2, 2)], {}),
    ("cropping1d", "Cropping1D", dict(cropping=(1, 2)), [(2, 6, 3)], {}),
    ("cropping2d", "Cropping2D", dict(cropping=((1, 0), (1, 2))), [(2, 4, 5, 2)], {}),
    ("cropping3d", "Cropping3D", dict(cropping=1), [(1, 4, 4, 5, 2)], {}),
    ("maxpooling3d", "MaxPooling3D", dict(pool_size=2), [(2, 4, 5, 4, 3)], {}),
    ("maxpooling3d_same", "MaxPooling3D", dict(pool_size=(2, 3, 2), strides=(1, 2, 2), padding="same"),
     [(2, 3, 5, 4, 2)], {}),
    ("avgpooling3d", "AveragePooling3D", dict(pool_size=2), [(2, 4, 4, 4, 2)], {}),
    # 'same' average pooling leaves padded voxels out of the count (TensorFlow's and JAX's rule); Keras's torch
    # backend counts them when the padding is uneven, so the oracle row uses sizes with even padding.
    ("avgpooling3d_same", "AveragePooling3D", dict(pool_size=3, strides=2, padding="same"), [(1, 5, 5, 3, 2)], {}),
    ("global_avg3d", "GlobalAveragePooling3D", dict(), [(2, 3, 4, 2, 3)], {}),
    ("global_max3d_keepdims", "GlobalMaxPooling3D", dict(keepdims=True), [(2, 3, 4, 2, 3)], {}),
    ("global_avg2d_keepdims", "GlobalAveragePooling2D", dict(keepdims=True), [(2, 3, 4, 3)], {}),
    ("group_norm", "GroupNormalization", dict(groups=2), [(2, 5, 4)], {}),
    ("group_norm_images", "GroupNormalization", dict(groups=3, epsilon=1e-5), [(2, 3, 4, 6)], {}),
    ("group_norm_channels_first", "GroupNormalization", dict(groups=2, axis=1), [(2, 4, 3, 3)], {}),
    ("unit_norm", "UnitNormalization", dict(), [(3, 5)], {}),
    ("unit_norm_axes", "UnitNormalization", dict(axis=[1, 2]), [(2, 3, 4)], {}),
    ("attention", "Attention", dict(), [(2, 3, 4), (2, 5, 4)], {}),
    ("attention_scale_key", "Attention", dict(use_scale=True), [(2, 3, 4), (2, 5, 4), (2, 5, 4)], {}),
    ("attention_concat", "Attention", dict(score_mode="concat", use_scale=True), [(2, 3, 4), (2, 5, 4)], {}),
    ("attention_causal", "Attention", dict(), [(2, 4, 3), (2, 4, 3)], dict(call=dict(use_causal_mask=True))),
    ("additive_attention", "AdditiveAttention", dict(), [(2, 3, 4), (2, 5, 4)], {}),
    ("additive_attention_noscale", "AdditiveAttention", dict(use_scale=False), [(2, 3, 4), (2, 5, 4)], {}),
    ("group_query_attention", "GroupQueryAttention", dict(head_dim=3, num_query_heads=4, num_key_value_heads=2),
     [(2, 3, 5), (2, 4, 5)], dict(spread=True)),
    ("group_query_attention_gate_causal", "GroupQueryAttention",
     dict(head_dim=2, num_query_heads=2, num_key_value_heads=1, use_gate=True, use_bias=False),
     [(2, 4, 3), (2, 4, 3)], dict(spread=True, call=dict(use_causal_mask=True))),
    ("group_query_attention_window_key", "GroupQueryAttention",
     dict(head_dim=2, num_query_heads=3, num_key_value_heads=3, sliding_window=2),
     [(1, 4, 3), (1, 4, 3), (1, 4, 3)], dict(spread=True)),
    ("multi_head_attention_causal", "MultiHeadAttention", dict(num_heads=2, key_dim=3),
     [(2, 4, 5), (2, 4, 5)], dict(spread=True, call=dict(use_causal_mask=True))),
    ("multi_head_attention_value_dim", "MultiHeadAttention", dict(num_heads=3, key_dim=2, value_dim=4,
                                                                  output_shape=6),
     [(2, 3, 5), (2, 4, 5), (2, 4, 3)], dict(spread=True)),
    ("einsum_dense", "EinsumDense", dict(equation="ab,bc->ac", output_shape=4, bias_axes="c"), [(3, 5)], {}),
    ("einsum_dense_3d", "EinsumDense", dict(equation="abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de",
                                            activation="tanh"), [(2, 4, 5)], {}),
    ("einsum_dense_ellipsis", "EinsumDense", dict(equation="...b,bc->...c", output_shape=3, bias_axes="c"),
     [(2, 3, 4)], {}),
    ("activity_regularization", "ActivityRegularization", dict(l1=0.1, l2=0.2), [(3, 4)], {}),
    ("alpha_dropout_inference", "AlphaDropout", dict(rate=0.4), [(3, 4)], {}),
    ("gaussian_dropout_inference", "GaussianDropout", dict(rate=0.4), [(3, 4)], {}),
    ("spatial_dropout3d_inference", "SpatialDropout3D", dict(rate=0.4), [(1, 2, 2, 2, 3)], {}),
    ("masking", "Masking", dict(mask_value=0.0), [(2, 4, 3)], dict(zero_steps=True)),
    ("softmax", "Softmax", dict(axis=-1), [(2, 3, 5)], {}),
    ("layer_norm_rms", "LayerNormalization", dict(rms_scaling=True), [(2, 3, 5)], {}),
    ("batch_norm_training", "BatchNormalization", dict(momentum=0.5, epsilon=1e-3), [(6, 4)],
     dict(training=True)),
    ("embedding", "Embedding", dict(input_dim=7, output_dim=3), [(2, 5)], dict(int_input=7)),
    ("embedding_mask_zero", "Embedding", dict(input_dim=7, output_dim=3, mask_zero=True,
                                              embeddings_initializer="glorot_uniform"), [(2, 5)], dict(int_input=7)),
    ("batch_norm_no_center_scale", "BatchNormalization", dict(center=False, scale=False), [(4, 3)], {}),
    ("batch_norm_axis1", "BatchNormalization", dict(axis=1, momentum=0.9), [(4, 3, 2)], dict(training=True)),
    ("simple_rnn_backwards_sequences", "SimpleRNN", dict(units=4, return_sequences=True, go_backwards=True),
     [(2, 5, 3)], {}),
    ("lstm_return_state", "LSTM", dict(units=3, return_state=True), [(2, 4, 3)], {}),
    ("lstm_no_bias_unrolled", "LSTM", dict(units=3, use_bias=False, unroll=True, unit_forget_bias=False),
     [(2, 4, 3)], {}),
    ("gru_reset_before", "GRU", dict(units=3, reset_after=False, return_sequences=True), [(2, 4, 3)], {}),
    ("gru_state_backwards", "GRU", dict(units=3, return_state=True, go_backwards=True), [(2, 4, 3)], {}),
    ("gru_activations", "GRU", dict(units=2, activation="relu", recurrent_activation="hard_sigmoid"),
     [(2, 4, 3)], {}),
    *[(f"bidirectional_{mode}", "Bidirectional",
       (lambda K, mode=mode: dict(layer=K.layers.LSTM(3, return_sequences=True), merge_mode=mode)),
       [(2, 4, 3)], {}) for mode in ("concat", "sum", "mul", "ave", None)],
    ("bidirectional_gru_state", "Bidirectional", lambda K: dict(layer=K.layers.GRU(2, return_state=True)),
     [(2, 4, 3)], {}),
    ("time_distributed_dense", "TimeDistributed", lambda K: dict(layer=K.layers.Dense(3, activation="relu")),
     [(2, 4, 5)], {}),
    ("time_distributed_conv", "TimeDistributed", lambda K: dict(layer=K.layers.Conv2D(2, 3, padding="same")),
     [(2, 3, 5, 5, 2)], {}),
    ("rnn_stacked_cells", "RNN", lambda K: dict(cell=K.layers.StackedRNNCells([K.layers.LSTMCell(3),
                                                                              K.layers.GRUCell(2)]),
                                                return_sequences=True), [(2, 4, 3)], {}),
    ("rnn_list_of_cells", "RNN", lambda K: dict(cell=[K.layers.SimpleRNNCell(3), K.layers.LSTMCell(2)]),
     [(2, 4, 3)], {}),
    ("rnn_custom_cell", "RNN", lambda K: dict(cell=_minimal_cell(K)(4), return_sequences=True), [(2, 5, 3)],
     dict(config=False)),
    ("conv_lstm1d", "ConvLSTM1D", dict(filters=2, kernel_size=3, padding="same", return_sequences=True),
     [(2, 3, 5, 2)], {}),
    ("conv_lstm2d", "ConvLSTM2D", dict(filters=3, kernel_size=(2, 3), strides=(1, 2)), [(2, 3, 4, 5, 2)], {}),
    ("conv_lstm2d_state_backwards", "ConvLSTM2D", dict(filters=2, kernel_size=3, padding="same", return_state=True,
                                                       go_backwards=True), [(1, 3, 4, 4, 2)], {}),
    ("conv_lstm2d_channels_first", "ConvLSTM2D", dict(filters=2, kernel_size=2, data_format="channels_first",
                                                      return_sequences=True), [(2, 3, 2, 4, 4)], {}),
    ("conv_lstm3d", "ConvLSTM3D", dict(filters=2, kernel_size=2, use_bias=False), [(1, 2, 3, 3, 3, 2)], {}),
    ("rms_norm", "RMSNormalization", dict(), [(2, 3, 5)], {}),
    ("rms_norm_axes", "RMSNormalization", dict(axis=[1, 2], epsilon=1e-3), [(2, 3, 4)], {}),
    ("identity", "Identity", dict(), [(2, 3)], {}),
    ("flatten_channels_first", "Flatten", dict(data_format="channels_first"), [(2, 3, 4, 2)], {}),
    ("reshape_minus_one", "Reshape", dict(target_shape=(-1, 2)), [(2, 3, 4)], {}),
]


def _minimal_cell(K):
    """A Keras-style custom recurrent cell (state_size, build, call(inputs, states)), for either framework."""
    class MinimalRNNCell(K.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform",
                                          name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="orthogonal",
                                                    name="recurrent_kernel")

        def call(self, inputs, states):
            h = K.ops.matmul(inputs, self.kernel) + K.ops.tanh(K.ops.matmul(states[0], self.recurrent_kernel))
            return h, [h]
    return MinimalRNNCell


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


def _flat(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _same_config_value(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_config_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return all(_same_config_value(a[k], b[k]) for k in a if k in b and k != "registered_name")
    return a == b


def check_layer_against_keras(name, kwargs, shapes, call=None, training=False, tol=1e-5, zero_steps=False,
                              grad=True, int_input=None, config=True, spread=False):
    """The shared harness: one layer configuration, Keras 3 vs ember.

    ``kwargs`` is a dict, or a function of the Keras module (``keras`` or ``ember.keras``) for arguments
    that are layers themselves; ``int_input=n`` feeds integers in [0, n) instead of normal floats;
    ``config=False`` skips the config checks (custom classes that neither registry knows); ``spread=True``
    passes the inputs as separate arguments (``layer(query, value)``) instead of one list."""
    rng = np.random.default_rng(0)
    if int_input:
        xs = [rng.integers(0, int_input, s).astype(np.int64) for s in shapes]
    else:
        xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    if zero_steps:
        xs[0][0, 1] = 0.0
        xs[0][1, 3] = 0.0
    call = dict(call or {})
    if training:
        call["training"] = True
    kl = getattr(keras.layers, name)(**(kwargs(keras) if callable(kwargs) else kwargs))
    el = getattr(ek.layers, name)(**(kwargs(ek) if callable(kwargs) else kwargs))

    # Keras's own config builds the ember layer too.
    if config:
        kcfg = kl.get_config()
        from_keras = getattr(ek.layers, name).from_config(dict(kcfg))
        ecfg = from_keras.get_config()
        for key, value in ecfg.items():
            if key in kcfg and key not in ("name", "dtype", "trainable", "layer", "backward_layer", "cell", "cells"):
                assert _same_config_value(value, kcfg[key]), (key, value, kcfg[key])

    # Build both by an inference call, give ember Keras's weights, then make the call under test.
    with torch.no_grad():
        if spread:
            kl(*[torch.tensor(x) for x in xs])
        else:
            kl([torch.tensor(x) for x in xs] if len(xs) > 1 else torch.tensor(xs[0]))
    ein = [ember.tensor(x, requires_grad=not int_input) for x in xs]
    ein_arg = ein if len(ein) > 1 else ein[0]
    with ember.no_grad():
        if spread:
            el(*[ember.tensor(x) for x in xs])
        else:
            el([ember.tensor(x) for x in xs] if len(xs) > 1 else ember.tensor(xs[0]))
    kw, ew = kl.weights, el.weights
    assert [w.name for w in ew] == [w.name for w in kw]
    for e, k in zip(ew, kw):
        assert tuple(e.shape) == tuple(k.shape), (k.path, e.shape, k.shape)
        e.assign(_np(k.value))
    kin = [torch.tensor(x, requires_grad=not int_input) for x in xs]
    ky = _flat(kl(*kin, **call) if spread else kl(kin if len(kin) > 1 else kin[0], **call))
    ey = _flat(el(*ein, **call) if spread else el(ein_arg, **call))
    assert len(ey) == len(ky)
    for e, k in zip(ey, ky):
        assert tuple(e.shape) == tuple(k.shape)
        np.testing.assert_allclose(e.numpy(force=True), _np(k), rtol=tol, atol=tol)
    for e, k in zip(ew, kw):
        np.testing.assert_allclose(e.numpy(), _np(k.value), rtol=tol, atol=tol, err_msg=k.path)

    # Output shapes (batch unknown).
    in_shapes = [(None,) + tuple(s[1:]) for s in shapes]
    if spread:
        kshape, eshape = kl.compute_output_shape(*in_shapes), el.compute_output_shape(*in_shapes)
    else:
        kshape = kl.compute_output_shape(in_shapes if len(in_shapes) > 1 else in_shapes[0])
        eshape = el.compute_output_shape(in_shapes if len(in_shapes) > 1 else in_shapes[0])
    assert _same_config_value(eshape, kshape), (eshape, kshape)

    # Gradients of one scalar loss with respect to the inputs and the weights.
    if grad:
        rs = [rng.standard_normal(tuple(k.shape)).astype(np.float32) for k in ky]
        sum(((k * torch.tensor(r)).sum() for k, r in zip(ky, rs) if k.requires_grad), torch.zeros(())).backward()
        loss = None
        for e, r in zip(ey, rs):
            if e.requires_grad:
                term = (e * ember.tensor(r)).sum()
                loss = term if loss is None else loss + term
        if loss is not None:
            loss.backward()
        for e, k in zip(ein, kin):
            if k.grad is None:
                assert e.grad is None or not np.any(e.grad.numpy())
            else:
                np.testing.assert_allclose(e.grad.numpy(), _np(k.grad), rtol=tol * 10, atol=tol * 10)
        for e, k in zip(ew, kw):
            kg = k.value.grad
            if kg is None:
                assert e.grad is None or not np.any(e.grad.numpy()), k.path
            else:
                np.testing.assert_allclose(e.grad.numpy(), _np(kg), rtol=tol * 10, atol=tol * 10, err_msg=k.path)

    # The ember config round trip.
    if not config:
        return
    again = type(el).from_config(el.get_config()).get_config()
    cfg = el.get_config()
    again.pop("name")
    cfg.pop("name")
    assert again == cfg


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_layer_matches_keras(row):
    _, name, kwargs, shapes, options = row
    check_layer_against_keras(name, kwargs, shapes, **options)


# Every name in keras.layers is in ember.keras.layers, except these (each with its reason).
_PREPROCESSING = ("owned by the preprocessing-layers work (ember/keras/layers/preprocessing*), not yet landed")
NOT_IN_EMBER = {
    **{n: _PREPROCESSING for n in (
        "AugMix", "AutoContrast", "CategoryEncoding", "CenterCrop", "ContrastLimitedAdaptiveHistogramEqualization",
        "CutMix", "Discretization", "Equalization", "HashedCrossing", "Hashing", "IntegerLookup",
        "MaxNumBoundingBoxes", "MelSpectrogram", "MixUp", "Pipeline", "RandAugment", "RandomBrightness",
        "RandomColorDegeneration", "RandomColorJitter", "RandomContrast", "RandomCrop", "RandomElasticTransform",
        "RandomErasing", "RandomGaussianBlur", "RandomGrayscale", "RandomHue", "RandomInvert", "RandomPerspective",
        "RandomPosterization", "RandomSaturation", "RandomSharpness", "RandomShear", "RandomTranslation",
        "RandomZoom", "Resizing", "STFTSpectrogram", "Solarization", "StringLookup", "TextVectorization")},
    "TFSMLayer": "loads a TensorFlow SavedModel: needs TensorFlow",
    "JaxLayer": "wraps a JAX function: needs JAX",
    "FlaxLayer": "wraps a Flax module: needs JAX and Flax",
}


def test_every_keras_layer_is_in_ember_or_excluded_with_a_reason():
    keras_names = {n for n in dir(keras.layers) if not n.startswith("_")}
    missing = sorted(n for n in keras_names - set(dir(ek.layers)) if n not in NOT_IN_EMBER)
    assert missing == []
    stale = sorted(n for n, why in NOT_IN_EMBER.items()
                   if why != _PREPROCESSING and (n in dir(ek.layers) or n not in keras_names))
    assert stale == [], "remove these from NOT_IN_EMBER: they are in ember now (or gone from Keras)"


_CONSTRAINED = {
    "LSTM": (lambda K, c: K.layers.LSTM(3, kernel_constraint=c, recurrent_constraint=c, bias_constraint=c), (4, 2)),
    "GRU": (lambda K, c: K.layers.GRU(3, kernel_constraint=c, recurrent_constraint=c, bias_constraint=c), (4, 2)),
    "SimpleRNN": (lambda K, c: K.layers.SimpleRNN(3, kernel_constraint=c, recurrent_constraint=c, bias_constraint=c),
                  (4, 2)),
    "ConvLSTM2D": (lambda K, c: K.layers.ConvLSTM2D(2, 3, kernel_constraint=c, recurrent_constraint=c,
                                                    bias_constraint=c), (2, 5, 5, 1)),
    "BatchNormalization": (lambda K, c: K.layers.BatchNormalization(beta_constraint=c, gamma_constraint=c), (3,)),
    "LayerNormalization": (lambda K, c: K.layers.LayerNormalization(beta_constraint=c, gamma_constraint=c), (3,)),
    "GroupNormalization": (lambda K, c: K.layers.GroupNormalization(1, beta_constraint=c, gamma_constraint=c), (3,)),
    "EinsumDense": (lambda K, c: K.layers.EinsumDense("ab,bc->ac", 4, bias_axes="c", kernel_constraint=c,
                                                      bias_constraint=c), (3,)),
    "DepthwiseConv2D": (lambda K, c: K.layers.DepthwiseConv2D(3, depthwise_constraint=c, bias_constraint=c),
                        (5, 5, 2)),
    "SeparableConv2D": (lambda K, c: K.layers.SeparableConv2D(2, 3, depthwise_constraint=c, pointwise_constraint=c,
                                                              bias_constraint=c), (5, 5, 2)),
    "DepthwiseConv1D": (lambda K, c: K.layers.DepthwiseConv1D(3, depthwise_constraint=c, bias_constraint=c), (6, 2)),
    "SeparableConv1D": (lambda K, c: K.layers.SeparableConv1D(2, 3, depthwise_constraint=c, pointwise_constraint=c,
                                                              bias_constraint=c), (6, 2)),
    "PReLU": (lambda K, c: K.layers.PReLU(alpha_constraint=c, alpha_regularizer="l2"), (3,)),
}


@pytest.mark.parametrize("name", sorted(_CONSTRAINED))
def test_weight_constraints_apply_after_each_step_and_are_in_the_config_like_keras(name):
    """A layer's constraint arguments constrain its weights after every optimizer step and appear in its config,
    as in Keras (ember accepted and dropped them for RNN and ConvLSTM cells, the normalizations, EinsumDense,
    depthwise and separable convolutions, MultiHeadAttention and PReLU, whose regularizer was dropped too)."""
    make, shape = _CONSTRAINED[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4,) + shape).astype("float32")
    got = []
    for K in (keras, ek):
        layer = make(K, K.constraints.NonNeg())
        model = K.Sequential([K.Input(shape), layer, K.layers.Flatten(), K.layers.Dense(1)])
        w_rng = np.random.default_rng(1)
        model.set_weights([w_rng.standard_normal(w.shape).astype("float32") for w in model.get_weights()])
        model.compile(K.optimizers.SGD(0.1), "mse")
        model.fit(x, np.ones((4, 1), "float32"), batch_size=2, epochs=1, shuffle=False, verbose=0)
        config = {k: v for k, v in layer.get_config().items() if "constraint" in k or "regularizer" in k}
        got.append((model.get_weights(), config))
    assert got[1][1] == got[0][1]
    for e, k in zip(*(g[0] for g in got[::-1])):
        np.testing.assert_allclose(e, k, rtol=1e-4, atol=1e-5)


def test_multi_head_attention_constraints_like_keras():
    q = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    got = []
    for K in (keras, ek):
        layer = K.layers.MultiHeadAttention(2, 2, kernel_constraint=K.constraints.NonNeg(),
                                            bias_constraint=K.constraints.NonNeg())
        i = K.Input((3, 4))
        model = K.Model(i, layer(i, i))
        w_rng = np.random.default_rng(1)
        model.set_weights([w_rng.standard_normal(w.shape).astype("float32") for w in model.get_weights()])
        model.compile(K.optimizers.SGD(0.1), "mse")
        model.fit(q, np.ones((2, 3, 4), "float32"), epochs=1, verbose=0)
        got.append((model.get_weights(), {k: v for k, v in layer.get_config().items() if "constraint" in k}))
    assert got[1][1] == got[0][1]
    for e, k in zip(got[1][0], got[0][0]):
        np.testing.assert_allclose(e, k, rtol=1e-4, atol=1e-5)


def test_recurrent_activity_regularizer_adds_keras_losses():
    """LSTM(activity_regularizer=...) adds the regularizer of each output (states too with return_state), divided by
    the batch size, as Keras's Layer does (ember dropped the argument)."""
    got = []
    for K in (keras, ek):
        layer = K.layers.LSTM(2, activity_regularizer=K.regularizers.L2(0.5), kernel_initializer="ones",
                              recurrent_initializer="ones", return_state=True)
        layer(np.linspace(-1, 1, 24, dtype="float32").reshape(4, 2, 3))
        got.append(([float(K.ops.convert_to_numpy(v)) for v in layer.losses], layer.get_config()["activity_regularizer"]))
    assert got[1][1] == got[0][1]
    np.testing.assert_allclose(got[1][0], got[0][0], rtol=1e-5)


@pytest.mark.parametrize("name, args", [("Dense", (4,)), ("EinsumDense", ("ab,bc->ac", 4)), ("Embedding", (10, 3)),
                                        ("LSTM", (3,)), ("GRU", (3,)), ("BatchNormalization", ()),
                                        ("LayerNormalization", ()), ("GroupNormalization", ()), ("PReLU", ()),
                                        ("DepthwiseConv2D", (3,)), ("SeparableConv1D", (2, 3)),
                                        ("MultiHeadAttention", (2, 4)), ("ConvLSTM2D", (2, 3)), ("SimpleRNN", (3,)),
                                        ("ZeroPadding1D", ()), ("RandomContrast", (0.1,)), ("RandomBrightness", (0.1,)),
                                        ("AutoContrast", ()), ("Solarization", ()), ("RandomGrayscale", ()),
                                        ("CategoryEncoding", (4,))])
def test_default_layer_config_has_keras_keys_and_values(name, args):
    """get_config of a default layer equals Keras's (ember's Dense wrote activity_regularizer: None, which Keras
    leaves out, and no quantization_config; other layers lacked their constraint keys; SimpleRNN, RandomGrayscale
    and CategoryEncoding wrote keys Keras does not; ZeroPadding1D and the colour layers left out data_format)."""
    import json

    def config(K):
        K.backend.clear_session()   # the automatic name ('dense') counts from a fresh session
        c = getattr(K.layers, name)(*args).get_config()
        c.pop("dtype", None)
        return json.loads(json.dumps(c))   # as a saved file holds it (tuples are lists)
    assert config(ek) == config(keras)


@pytest.mark.parametrize("output_padding, kernel, stride", [(1, 3, 2), (1, 4, 2), (2, 3, 3), (1, 2, 2), (0, 3, 2),
                                                            (None, 3, 2)])
def test_conv2d_transpose_same_with_output_padding_like_keras(output_padding, kernel, stride):
    """Conv2DTranspose(padding='same', output_padding=...) cuts the full output where Keras does (its JAX rule,
    which its torch backend follows); ember's layer cut one row and column more at the start for an odd kernel
    (output_padding=1, kernel 3, stride 2 gave Keras's output shifted by one). Outputs and one SGD step agree."""
    x = np.random.default_rng(1).random((2, 3, 3, 2)).astype("float32")
    got = []
    for K in (keras, ek):
        i = K.Input((3, 3, 2))
        model = K.Model(i, K.layers.Conv2DTranspose(2, kernel, strides=stride, padding="same",
                                                    output_padding=output_padding)(i))
        rng = np.random.default_rng(0)
        model.set_weights([rng.standard_normal(w.shape).astype("float32") for w in model.get_weights()])
        first = np.asarray(model.predict(x, verbose=0))
        model.compile(K.optimizers.SGD(0.1), "mse")
        model.fit(x, np.zeros_like(first), verbose=0)
        got.append((first, model.get_weights()))
    np.testing.assert_allclose(got[1][0], got[0][0], rtol=1e-5, atol=1e-5)
    for e, k in zip(got[1][1], got[0][1]):
        np.testing.assert_allclose(e, k, rtol=1e-4, atol=1e-5)
