"""Errors a Keras or PyTorch user commonly causes get the oracle's error type and a message that says
what was expected, what was given and what to do."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ember  # noqa: E402
from ember import keras as ek  # noqa: E402


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return info.value


def test_one_hot_labels_with_sparse_categorical_crossentropy():
    y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0]]
    p = np.full((4, 3), 1 / 3, np.float32)
    k = _error(lambda: keras.losses.SparseCategoricalCrossentropy()(y, p))
    e = _error(lambda: ek.losses.SparseCategoricalCrossentropy()(y, p))
    assert type(e) is type(k) is ValueError
    prefix = "Arguments `target` and `output` must have the same shape up until the last dimension"
    assert str(k).startswith(prefix) and str(e).startswith(prefix)
    assert "target.shape=(4, 3), output.shape=(4, 3)" in str(e) and "categorical_crossentropy" in str(e)

    def fit(K):
        model = K.Sequential([K.Input((4,)), K.layers.Dense(3, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(np.ones((4, 4), np.float32), y, verbose=0)
    k, e = _error(lambda: fit(keras)), _error(lambda: fit(ek))
    assert type(e) is type(k) and "one-hot" in str(e)
    # Integer labels of the right shape still work, with a trailing 1 as in Keras.
    loss = ek.losses.sparse_categorical_crossentropy(np.array([[0], [2]]), np.full((2, 3), 1 / 3, np.float32))
    np.testing.assert_allclose(loss.numpy(), np.log(3.0) * np.ones(2), rtol=1e-6)


@pytest.mark.parametrize("make", [lambda nn: nn.Linear(3, 2), lambda nn: nn.ReLU(),
                                  lambda nn: nn.Sequential(nn.Linear(3, 2), nn.Tanh())],
                         ids=["linear", "relu", "sequential"])
def test_numpy_array_passed_to_an_nn_module(make):
    x = np.ones((2, 3), np.float32)
    k = _error(lambda: make(torch.nn)(x))
    e = _error(lambda: make(ember.nn)(x))
    assert type(e) is type(k) is TypeError
    assert "must be Tensor, not numpy.ndarray" in str(k) and "must be Tensor, not numpy.ndarray" in str(e)
    assert "ember.from_numpy" in str(e)
    assert ("Linear" in str(e)) == ("relu" not in str(k).lower())


def test_numpy_error_names_the_submodule_path():
    class Net(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = ember.nn.Linear(3, 2)

        def forward(self, x):
            return self.fc1(x)
    e = _error(lambda: Net()(np.ones((2, 3), np.float32)))
    assert isinstance(e, TypeError) and str(e).startswith("Net.fc1 (Linear(in_features=3")


@pytest.mark.parametrize("case", ["reshape", "reshape_minus_one", "concatenate", "add", "multiply_broadcast_ok",
                                  "fit_uncompiled"])
def test_graph_building_shape_errors_and_uncompiled_fit_like_keras(case):
    """Wrong shapes are caught when the functional graph is built, with Keras's messages (ember built Reshape((4,))
    of 6 values, Concatenate of (2, 3) and (4, 3) and Add of (3,) and (4,) without a word), and fit before
    compile raises Keras's ValueError (ember: RuntimeError)."""
    def build(K):
        L = K.layers
        if case == "reshape":
            return L.Reshape((4,))(K.Input((6,)))
        if case == "reshape_minus_one":
            return L.Reshape((-1, 4))(K.Input((6,)))
        if case == "concatenate":
            return L.Concatenate()([K.Input((2, 3)), K.Input((4, 3))])
        if case == "add":
            return L.Add()([K.Input((3,)), K.Input((4,))])
        if case == "multiply_broadcast_ok":
            return tuple(L.Multiply()([K.Input((5, 1)), K.Input((5, 3))]).shape)
        model = K.Sequential([K.Input((3,)), L.Dense(2)])
        model.fit(np.ones((2, 3), np.float32), np.ones((2, 2), np.float32), verbose=0)
    if case == "multiply_broadcast_ok":
        assert build(ek) == build(keras) == (None, 5, 3)
        return
    k, e = _error(lambda: build(keras)), _error(lambda: build(ek))
    assert type(e) is type(k) is ValueError
    core = {"reshape": "The total size of the tensor must be unchanged. Received: input_shape=(6,), target_shape=(4,)",
            "reshape_minus_one": "The total size of the tensor must be unchanged, however, the input size cannot by "
                                 "divided by the specified dimensions in target_shape. Received: input_shape=(6,), "
                                 "target_shape=(-1, 4)",
            "concatenate": "A `Concatenate` layer requires inputs with matching shapes except for the concatenation "
                           "axis. Received: input_shape=[(None, 2, 3), (None, 4, 3)]",
            "add": "Inputs have incompatible shapes. Received shapes (3,) and (4,)",
            "fit_uncompiled": "You must call `compile()` before using the model."}[case]
    assert core in str(k) and core in str(e)


@pytest.mark.parametrize("spec, shape", [({"ndim": 2, "axes": {-1: 3}}, (2, 3, 1)), ({"ndim": 2, "axes": {-1: 3}}, (2, 4)),
                                         ({"min_ndim": 3}, (2, 3)), ({"max_ndim": 2}, (2, 3, 4)),
                                         ({"shape": (None, 5)}, (2, 4)), ({"dtype": "int32"}, (2, 3))])
def test_a_custom_layers_input_spec_is_enforced_like_keras(spec, shape):
    """A layer that sets self.input_spec = InputSpec(...) has its first argument checked when called, eagerly and
    on KerasTensors, with Keras's messages (ember ignored input_spec)."""
    def call(K, symbolic):
        K.backend.clear_session()

        class Checked(K.layers.Layer):
            def __init__(self):
                super().__init__(name="checked")
                self.input_spec = K.layers.InputSpec(**spec)

            def call(self, x):
                return x
        x = K.Input(shape[1:]) if symbolic else np.ones(shape, "float32")
        return Checked()(x)
    for symbolic in (False, True):
        k, e = _error(lambda: call(keras, symbolic)), _error(lambda: call(ek, symbolic))
        assert type(e) is type(k) is ValueError
        assert str(e) == str(k)
