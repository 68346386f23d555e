"""keras.ops.nn: activations, convolutions and pooling (1-D/2-D/3-D, both data formats, same/valid,
strides, dilation), normalization, losses, attention and CTC against Keras 3 (PyTorch backend)."""
import numpy as np
import pytest

from tests.keras.ops_oracle import f64, ints, pos, run, table_params

x = f64(2, 3, 5)
G = dict(grad=True)

ACT = ["relu", "relu6", "sigmoid", "sparse_sigmoid", "tanh", "tanh_shrink", "softplus", "softsign", "soft_shrink",
       "hard_shrink", "sparse_plus", "silu", "swish", "squareplus", "log_sigmoid", "leaky_relu", "hard_sigmoid",
       "hard_silu", "hard_swish", "elu", "selu", "gelu", "celu", "glu", "hard_tanh", "softmax", "log_softmax",
       "sparsemax"]
ROWS = [(a, lambda o, v, a=a: getattr(o, a)(v), [f64(2, 3, 4) * 2], G) for a in ACT]
ROWS += [
    ("gelu-exact", lambda o, v: o.gelu(v, approximate=False), [x], G),
    ("leaky_relu-slope", lambda o, v: o.leaky_relu(v, 0.1), [x], G),
    ("elu-alpha", lambda o, v: o.elu(v, 0.5), [x], G),
    ("celu-alpha", lambda o, v: o.celu(v, 2.0), [x], G),
    ("glu-axis", lambda o, v: o.glu(v, axis=1), [f64(2, 4, 3)], G),
    ("threshold", lambda o, v: o.threshold(v, 0.3, -1.0), [x], G),
    ("softmax-axis", lambda o, v: o.softmax(v, axis=1), [x], G),
    ("softmax-none", lambda o, v: o.softmax(v, axis=None), [x], G),
    ("softmax-axes", lambda o, v: o.softmax(v, axis=(1, 2)), [x], G),
    ("log_softmax-axis0", lambda o, v: o.log_softmax(v, axis=0), [x], G),
    ("squareplus-b", lambda o, v: o.squareplus(v, 1), [x], G),
    ("one_hot", lambda o, i: o.one_hot(i, 5), [ints(2, 3, lo=-1, hi=5)], {}),
    ("one_hot-axis", lambda o, i: o.one_hot(i, 4, axis=0, dtype="int32"), [ints(3, lo=0, hi=4)], {}),
    ("multi_hot", lambda o, i: o.multi_hot(i, 6), [ints(2, 3, lo=0, hi=6)], {}),
    ("multi_hot-1d", lambda o, i: o.multi_hot(i, 6), [ints(3, lo=0, hi=6)], {}),
    ("categorical_crossentropy", lambda o, t, p: o.categorical_crossentropy(t, p),
     [np.eye(4)[[0, 2, 3]], pos(3, 4)], G),
    ("categorical_crossentropy-logits", lambda o, t, p: o.categorical_crossentropy(t, p, from_logits=True),
     [np.eye(4)[[0, 2, 3]], f64(3, 4)], G),
    ("categorical_crossentropy-axis", lambda o, t, p: o.categorical_crossentropy(t, p, from_logits=True, axis=1),
     [np.eye(4)[[0, 2, 3]].T.copy(), f64(4, 3)], G),
    ("sparse_categorical_crossentropy", lambda o, t, p: o.sparse_categorical_crossentropy(t, p),
     [np.array([0, 2, 3]), pos(3, 4)], G),
    ("sparse_categorical_crossentropy-logits",
     lambda o, t, p: o.sparse_categorical_crossentropy(t, p, from_logits=True), [np.array([[1], [0], [3]]), f64(3, 4)],
     G),
    ("sparse_categorical_crossentropy-3d",
     lambda o, t, p: o.sparse_categorical_crossentropy(t, p, from_logits=True), [ints(2, 3, lo=0, hi=4), f64(2, 3, 4)],
     G),
    ("binary_crossentropy", lambda o, t, p: o.binary_crossentropy(t, p),
     [(f64(3, 2) > 0).astype(np.float64), pos(3, 2) / 2.5], G),
    ("binary_crossentropy-logits", lambda o, t, p: o.binary_crossentropy(t, p, from_logits=True),
     [(f64(3, 2) > 0).astype(np.float64), f64(3, 2)], G),
    ("moments", lambda o, v: o.moments(v, axes=[0, 2]), [x], G),
    ("moments-keep", lambda o, v: o.moments(v, axes=[1], keepdims=True), [x], G),
    ("batch_normalization", lambda o, v, m, s, b, g: o.batch_normalization(v, m, s, axis=1, offset=b, scale=g),
     [x, f64(3), pos(3), f64(3, seed=3), f64(3, seed=4)], G),
    ("batch_normalization-last", lambda o, v, m, s: o.batch_normalization(v, m, s, axis=-1, epsilon=0.01),
     [x, f64(5), pos(5)], G),
    ("normalize", lambda o, v: o.normalize(v), [x], G),
    ("normalize-order1", lambda o, v: o.normalize(v, axis=1, order=1), [x], G),
    ("rms_normalization", lambda o, v, s: o.rms_normalization(v, s), [x, pos(5)], G),
    ("rms_normalization-axis", lambda o, v: o.rms_normalization(v, axis=(1, 2)), [x], G),
    ("layer_normalization", lambda o, v, g, b: o.layer_normalization(v, g, b), [x, pos(5), f64(5, seed=1)], G),
    ("layer_normalization-axes", lambda o, v: o.layer_normalization(v, axis=(1, 2), epsilon=1e-5), [x], G),
    ("layer_normalization-rms", lambda o, v, g: o.layer_normalization(v, g, rms_scaling=True), [x, pos(5)], G),
    ("psnr", lambda o, a, b: o.psnr(a, b, 1.0), [pos(2, 4, 4, 1) / 2, pos(2, 4, 4, 1, seed=1) / 2], G),
    ("depth_to_space", lambda o, v: o.depth_to_space(v, 2), [f64(1, 2, 3, 8)], G),
    ("depth_to_space-cf", lambda o, v: o.depth_to_space(v, 2, data_format="channels_first"), [f64(1, 8, 2, 3)], G),
    ("space_to_depth", lambda o, v: o.space_to_depth(v, 2), [f64(1, 4, 6, 2)], G),
    ("space_to_depth-cf", lambda o, v: o.space_to_depth(v, 2, data_format="channels_first"), [f64(1, 2, 4, 6)], G),
    ("unfold", lambda o, v: o.unfold(v, 2, stride=1), [f64(1, 2, 4, 4)], G),
    ("fold", lambda o, v: o.fold(v, (3, 3), 2), [f64(1, 8, 4)], G),
    ("dot_product_attention", lambda o, q, k, v: o.dot_product_attention(q, k, v),
     [f64(2, 4, 2, 3), f64(2, 5, 2, 3, seed=1), f64(2, 5, 2, 3, seed=2)], G),
    ("dot_product_attention-causal-scale", lambda o, q, k, v: o.dot_product_attention(q, k, v, is_causal=True,
                                                                                       scale=0.3),
     [f64(2, 4, 2, 3), f64(2, 4, 2, 3, seed=1), f64(2, 4, 2, 3, seed=2)], G),
    ("dot_product_attention-mask", lambda o, q, k, v, m: o.dot_product_attention(q, k, v, mask=m),
     [f64(1, 3, 1, 2), f64(1, 4, 1, 2, seed=1), f64(1, 4, 1, 2, seed=2),
      np.array([[[[True, False, True, True]] * 3]])], G),
    ("dot_product_attention-bias-gqa", lambda o, q, k, v, b: o.dot_product_attention(q, k, v, bias=b),
     [f64(1, 3, 4, 2), f64(1, 3, 2, 2, seed=1), f64(1, 3, 2, 2, seed=2), f64(1, 4, 3, 3, seed=3)], G),
    ("ctc_loss", lambda o, t, p, tl, pl: o.ctc_loss(t, p, tl, pl),
     [np.array([[1, 2, 2], [3, 1, 0]]), f64(2, 7, 5), np.array([3, 2]), np.array([7, 6])], G),
    ("ctc_loss-blank", lambda o, t, p, tl, pl: o.ctc_loss(t, p, tl, pl, mask_index=4),
     [np.array([[1, 2], [0, 3]]), f64(2, 5, 5), np.array([2, 1]), np.array([5, 5])], G),
]

# Convolutions: (name, input shape, kernel shape, kwargs); kernel (*k, C_in / groups, C_out).
CONV = [
    ("1d", (2, 7, 3), (3, 3, 4), dict()),
    ("1d-same-s2", (2, 8, 2), (3, 2, 3), dict(strides=2, padding="same")),
    ("1d-dil", (1, 9, 2), (3, 2, 2), dict(dilation_rate=2, padding="same")),
    ("2d", (2, 6, 5, 3), (3, 2, 3, 4), dict()),
    ("2d-same-s2", (1, 7, 6, 2), (3, 3, 2, 3), dict(strides=2, padding="same")),
    ("2d-cf", (1, 3, 6, 5), (3, 3, 3, 2), dict(data_format="channels_first", padding="same")),
    ("2d-groups", (1, 5, 5, 4), (3, 3, 2, 6), dict()),
    ("2d-dil", (1, 8, 8, 2), (3, 3, 2, 2), dict(dilation_rate=2)),
    ("3d", (1, 4, 5, 4, 2), (2, 3, 2, 2, 3), dict()),
    ("3d-same", (1, 5, 4, 4, 2), (3, 3, 3, 2, 2), dict(padding="same", strides=(2, 1, 2))),
]
for name, xs, ks, kw in CONV:
    ROWS.append((f"conv-{name}", lambda o, v, k, kw=kw: o.conv(v, k, **kw), [f64(*xs), f64(*ks, seed=5)], G))

DW = [("1d", (1, 7, 3), (3, 3, 2), dict()), ("2d", (2, 6, 6, 2), (3, 3, 2, 2), dict(padding="same")),
      ("2d-s2-cf", (1, 2, 7, 7), (3, 3, 2, 1), dict(strides=2, data_format="channels_first"))]
for name, xs, ks, kw in DW:
    ROWS.append((f"depthwise_conv-{name}", lambda o, v, k, kw=kw: o.depthwise_conv(v, k, **kw),
                 [f64(*xs), f64(*ks, seed=5)], G))
ROWS.append(("separable_conv", lambda o, v, d, p: o.separable_conv(v, d, p, padding="same"),
             [f64(1, 6, 6, 2), f64(3, 3, 2, 2, seed=1), f64(1, 1, 4, 3, seed=2)], G))

# Transposed convolutions: kernel (*k, C_out, C_in).
CT = [
    ("1d", (1, 5, 2), (3, 3, 2), dict()),
    ("1d-s2-same", (1, 5, 2), (3, 3, 2), dict(strides=2, padding="same")),
    ("2d-s2", (2, 3, 4, 2), (3, 3, 2, 2), dict(strides=2)),
    ("2d-s2-same", (1, 4, 4, 3), (3, 3, 2, 3), dict(strides=2, padding="same")),
    ("2d-outpad", (1, 3, 3, 2), (3, 3, 2, 2), dict(strides=2, output_padding=1)),
    ("2d-dil", (1, 4, 4, 1), (2, 2, 2, 1), dict(dilation_rate=2)),
    ("2d-cf", (1, 2, 3, 4), (2, 2, 3, 2), dict(strides=2, data_format="channels_first")),
    ("3d", (1, 2, 3, 2, 2), (2, 2, 2, 1, 2), dict(strides=2, padding="same")),
]
for name, xs, ks, kw in CT:
    # PyTorch's dilated conv_transpose2d backward fails ("grad_weight needs to be contiguous"): values only.
    ROWS.append((f"conv_transpose-{name}", lambda o, v, k, kw=kw: o.conv_transpose(v, k, **kw),
                 [f64(*xs), f64(*ks, seed=5)], {} if "dil" in name else G))

POOL = [
    ("1d", (2, 7, 3), dict(pool_size=2)),
    ("1d-same", (1, 7, 2), dict(pool_size=3, strides=2, padding="same")),
    ("2d", (2, 6, 5, 2), dict(pool_size=2)),
    ("2d-s1-same", (1, 5, 5, 2), dict(pool_size=3, strides=1, padding="same")),
    ("2d-same-asym", (1, 6, 6, 1), dict(pool_size=2, strides=2, padding="same")),
    ("2d-asym-odd", (1, 5, 6, 1), dict(pool_size=2, strides=1, padding="same")),
    ("2d-cf", (1, 2, 6, 6), dict(pool_size=(2, 3), strides=(2, 1), data_format="channels_first")),
    ("3d", (1, 4, 4, 4, 2), dict(pool_size=2)),
    ("3d-same", (1, 3, 5, 4, 1), dict(pool_size=3, strides=1, padding="same")),
]
for name, xs, kw in POOL:
    ROWS.append((f"max_pool-{name}", lambda o, v, kw=kw: o.max_pool(v, **kw), [f64(*xs)], G))
    ROWS.append((f"average_pool-{name}", lambda o, v, kw=kw: o.average_pool(v, **kw), [f64(*xs)], G))
for name, xs, size, kw in [("1d", (2, 7, 3), 3, {}), ("2d", (1, 7, 5, 2), (3, 2), {}),
                           ("2d-cf", (1, 2, 6, 5), 2, dict(data_format="channels_first")),
                           ("3d", (1, 4, 5, 3, 1), (2, 2, 2), {})]:
    ROWS.append((f"adaptive_average_pool-{name}", lambda o, v, s=size, kw=kw: o.adaptive_average_pool(v, s, **kw),
                 [f64(*xs)], G))
    ROWS.append((f"adaptive_max_pool-{name}", lambda o, v, s=size, kw=kw: o.adaptive_max_pool(v, s, **kw),
                 [f64(*xs)], G))


@pytest.mark.parametrize("fn,args,kw", table_params(ROWS))
def test_nn_op_matches_keras(fn, args, kw):
    run(fn, args, **{"rtol": 1e-5, "atol": 1e-6, **kw})


def test_ctc_decode_greedy_matches_keras():
    from tests.keras.ops_oracle import eops, kops
    logits = f64(2, 6, 4)
    lens = np.array([6, 4])
    kd, ks = kops.ctc_decode(logits, lens, strategy="greedy")
    ed, es = eops.ctc_decode(logits, lens, strategy="greedy")
    np.testing.assert_array_equal(ed.numpy(), kops.convert_to_numpy(kd))
    np.testing.assert_allclose(es.numpy(), kops.convert_to_numpy(ks), rtol=1e-6)


def test_ctc_decode_beam_search_matches_keras():
    from tests.keras.ops_oracle import eops, kops
    logits = f64(2, 5, 4, seed=3) * 2
    lens = np.array([5, 3])
    kd, ks = kops.ctc_decode(logits, lens, strategy="beam_search", beam_width=30, top_paths=3)
    ed, es = eops.ctc_decode(logits, lens, strategy="beam_search", beam_width=30, top_paths=3)
    np.testing.assert_array_equal(ed.numpy(), kops.convert_to_numpy(kd))
    np.testing.assert_allclose(es.numpy(), kops.convert_to_numpy(ks), rtol=1e-5)
