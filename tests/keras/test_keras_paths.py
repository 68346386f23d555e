"""Variable paths, automatic names and DTypePolicyMap lookups, against real Keras 3 (torch backend).

Each story runs twice in this process, once on ``keras`` and once on ``ember.keras``, after
``clear_session()`` on each, so the automatic names (``dense_3``, ``functional_1``, ``adam_1`` ...) are
numbered alike and every path (``sequential/dense/kernel``, ``my_model/block/dense/kernel``,
``adam/sequential_dense_kernel_momentum``, ``mean_absolute_error/total``) can be compared as a string.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest

from ember import keras as ek

keras = pytest.importorskip("keras")


def _both(story):
    """``story(K)`` on Keras and on ember, each from a fresh session."""
    keras.backend.clear_session()
    want = story(keras)
    ek.backend.clear_session()
    got = story(ek)
    return got, want


def _paths(variables):
    return [v.path for v in variables]


def _x(*shape):
    return np.random.default_rng(0).standard_normal(shape).astype("float32")


def _block_model(K):
    class Block(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = K.layers.Dense(3)
            self.norm = K.layers.BatchNormalization()

        def call(self, x):
            return self.norm(self.dense(x))

    class MyModel(K.Model):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.head = K.layers.Dense(1)

        def call(self, x):
            return self.head(self.block(x))
    return MyModel()


def test_sequential_functional_and_subclassed_paths_match_keras():
    def story(K):
        out = {}
        seq = K.Sequential([K.Input((4,)), K.layers.Dense(3), K.layers.Dense(2)])
        out["sequential"] = (seq.name, seq.path, _paths(seq.weights), [w.name for w in seq.weights])
        lazy = K.Sequential([K.layers.Dense(3), K.layers.Dense(2)])   # built on its first call
        lazy(_x(2, 4))
        out["lazy"] = (lazy.name, lazy.path, [layer.path for layer in lazy.layers], _paths(lazy.weights))
        i = K.Input((4,))
        fn = K.Model(i, K.layers.Dense(2)(K.layers.Dense(3)(i)))
        out["functional"] = (fn.name, fn.path, _paths(fn.weights))
        sub = _block_model(K)
        sub(_x(2, 4))
        out["subclassed"] = (sub.name, sub.path, sub.block.path, _paths(sub.weights), [w.name for w in sub.weights])
        # A Sequential inside a functional model keeps its own prefix; a later functional model is numbered
        # after the Functional that each Sequential build makes.
        inner = K.Sequential([K.Input((4,)), K.layers.Dense(3)], name="inner")
        j = K.Input((4,))
        outer = K.Model(j, K.layers.Dense(1)(inner(j)))
        out["nested"] = (outer.name, _paths(outer.weights))
        # A layer first used at top level keeps its path when a model later calls it.
        shared = K.layers.Dense(2)
        shared(_x(1, 3))
        k = K.Input((3,))
        out["shared"] = _paths(K.Model(k, shared(k)).weights)
        return out
    got, want = _both(story)
    for key in want:
        assert got[key] == want[key], key


def test_sublayer_paths_of_attention_recurrent_and_wrapped_layers_match_keras():
    def story(K):
        i = K.Input((5, 4))
        x = K.layers.MultiHeadAttention(2, 3)(i, i)
        x = K.layers.LSTM(3, return_sequences=True)(x)
        fn = K.Model(i, K.layers.GRU(2)(x))
        seq = K.Sequential([K.Input((5,)), K.layers.Embedding(10, 3), K.layers.SimpleRNN(2),
                            K.layers.LayerNormalization()])
        return _paths(fn.weights), _paths(seq.weights), [layer.cell.name for layer in fn.layers[2:]]
    got, want = _both(story)
    assert got == want


def test_variables_under_name_scope_match_keras():
    def story(K):
        with K.name_scope("outer"):
            v = K.Variable(1.0, name="w")
            dense = K.layers.Dense(2)
            dense.build((None, 3))
            with K.name_scope("inner"):
                u = K.Variable(np.zeros(2, "float32"), name="u")
        late = K.Variable(2.0, name="late")
        return v.path, u.path, late.path, dense.path, _paths(dense.weights)
    got, want = _both(story)
    assert got == want


@pytest.mark.parametrize("name,kwargs", [("SGD", {"momentum": 0.9}), ("Adam", {}), ("AdamW", {}),
                                         ("RMSprop", {"centered": True, "momentum": 0.5}), ("Adagrad", {}),
                                         ("Adadelta", {}), ("Adamax", {}), ("Ftrl", {}), ("Lion", {})])
def test_optimizer_variable_paths_and_names_match_keras(name, kwargs):
    def story(K):
        first = getattr(K.optimizers, name)(**kwargs)
        opt = getattr(K.optimizers, name)(**kwargs)   # the second one of a class is numbered ('adam_1')
        model = _block_model(K)
        model.compile(opt, "mse")
        model.fit(_x(4, 4), _x(4, 1), batch_size=2, epochs=1, verbose=0)
        variables = opt.variables
        return (first.name, opt.name, _paths(variables), [v.name for v in variables],
                [tuple(v.shape) for v in variables], int(K.ops.convert_to_numpy(variables[0])))
    got, want = _both(story)
    assert got == want


def test_metric_variable_paths_match_keras():
    def story(K):
        model = K.Sequential([K.Input((3,)), K.layers.Dense(2)])
        model.compile("adam", "mse", metrics=["mae", "mse", K.metrics.RootMeanSquaredError(),
                                              K.metrics.MeanMetricWrapper(K.losses.mean_squared_error, name="m2")])
        history = model.fit(_x(4, 3), _x(4, 2), epochs=1, verbose=0)
        return (_paths(model.metrics_variables), [v.name for v in model.metrics_variables],
                sorted(history.history), [m.name for m in model.metrics])
    got, want = _both(story)
    assert got == want


def test_clear_session_resets_the_automatic_names_like_keras():
    def story(K):
        names = [K.layers.Dense(1).name, K.layers.Dense(1).name, K.Sequential().name,
                 K.optimizers.Adam().name, K.optimizers.Adam().name]
        K.backend.clear_session()
        names += [K.layers.Dense(1).name, K.Sequential().name, K.optimizers.Adam().name]
        return names
    got, want = _both(story)
    assert got == want == ["dense", "dense_1", "sequential", "adam", "adam_1", "dense", "sequential", "adam"]


@pytest.mark.parametrize("key", ["q", "seq/q", "seq/.*"])
def test_dtype_policy_map_is_read_for_the_layer_path_like_keras(key):
    """Keras looks a DTypePolicyMap up with the layer's path, fixed when it builds: inside the Sequential
    'seq' a layer 'q' is 'seq/q', so the key 'q' does not match it."""
    def story(K):
        out = []
        for policy in ("float16", "int8_from_float32"):
            m = K.dtype_policies.DTypePolicyMap(default_policy="float32")
            m[key] = policy
            seq = K.Sequential([K.Input((4,)), K.layers.Dense(3, name="q", dtype=m)], name="seq")
            layer = seq.layers[0]
            out.append((layer.path, layer.compute_dtype, layer.quantization_mode, layer.dtype_policy.name,
                        [w.name for w in seq.weights], [K.backend.standardize_dtype(w.dtype) for w in seq.weights]))
        return out
    got, want = _both(story)
    assert got == want


def test_weights_files_still_load_by_structure_across_frameworks(tmp_path):
    """Paths changed, the files did not: a Keras weights file loads into ember and back."""
    keras.backend.clear_session()
    kmodel = _block_model(keras)
    kmodel(_x(2, 4))
    ek.backend.clear_session()
    emodel = _block_model(ek)
    emodel(_x(2, 4))
    assert _paths(emodel.weights) == _paths(kmodel.weights)
    rng = np.random.default_rng(1)
    for w in kmodel.weights:
        w.assign(rng.uniform(0.5, 1.5, tuple(w.shape)).astype("float32"))
    path = str(tmp_path / "m.weights.h5")
    kmodel.save_weights(path)
    emodel.load_weights(path)
    np.testing.assert_allclose(emodel.predict(_x(3, 4), verbose=0), kmodel.predict(_x(3, 4), verbose=0),
                               rtol=1e-5, atol=1e-6)
    back = str(tmp_path / "e.weights.h5")
    emodel.save_weights(back)
    kmodel2 = _block_model(keras)
    kmodel2(_x(2, 4))
    kmodel2.load_weights(back)
    for a, b in zip(kmodel2.weights, kmodel.weights):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
