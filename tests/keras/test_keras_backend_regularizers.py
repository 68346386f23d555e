"""keras.backend's dtype helpers and uids, OrthogonalRegularizer and keras.saving's functional
save/load, each against Keras 3 (torch backend) on the same inputs."""
import os

import keras
import numpy as np
import pytest
import torch

from ember import keras as ek

DTYPES = ["float32", "int8", "uint8", "bool", "bfloat16", "float16", np.float64, int, float, bool, None, "complex64",
          np.dtype("int32"), "int64"]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_dtype_helpers_equal_keras(dtype):
    kb, eb = keras.backend, ek.backend
    assert eb.standardize_dtype(dtype) == kb.standardize_dtype(dtype)
    assert eb.is_float_dtype(dtype) == kb.is_float_dtype(dtype)
    assert eb.is_int_dtype(dtype) == kb.is_int_dtype(dtype)


@pytest.mark.parametrize("dtypes", [(), ("int32", "float16"), ("int8", "uint8"), ("bool", "int32"), ("float32", int),
                                    ("int8", float), ("uint8", "int64")], ids=str)
def test_result_type_equals_keras(dtypes):
    assert ek.backend.result_type(*dtypes) == keras.backend.result_type(*dtypes)


def test_backend_uids_and_keras_tensors():
    assert ek.backend.backend() == keras.backend.backend() == "torch"
    ek.backend.clear_session()
    assert [ek.backend.get_uid("x"), ek.backend.get_uid("x"), ek.backend.get_uid()] == [1, 2, 1]
    assert ek.backend.is_keras_tensor(ek.Input((2,))) and not ek.backend.is_keras_tensor(np.ones(2))


@pytest.mark.parametrize("mode", ["rows", "columns"])
@pytest.mark.parametrize("shape", [(4, 3), (3, 5)])
def test_orthogonal_regularizer_value_and_gradient_equal_keras(mode, shape):
    w = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    kt = torch.tensor(w, requires_grad=True)
    kv = keras.regularizers.OrthogonalRegularizer(factor=0.3, mode=mode)(kt)
    kv.backward()
    import ember
    et = ember.tensor(w, requires_grad=True)
    ev = ek.regularizers.OrthogonalRegularizer(factor=0.3, mode=mode)(et)
    ev.backward()
    np.testing.assert_allclose(float(ev), float(kv), rtol=1e-5)
    np.testing.assert_allclose(et.grad.numpy(), kt.grad.numpy(), rtol=1e-4, atol=1e-6)
    reg = ek.regularizers.deserialize(ek.regularizers.serialize(ek.regularizers.OrthogonalRegularizer(0.2, mode)))
    assert reg.get_config() == {"factor": 0.2, "mode": mode}
    with pytest.raises(ValueError, match="must have rank 2"):
        ek.regularizers.OrthogonalRegularizer()(ember.ones(2, 2, 2))


def test_saving_functions_round_trip(tmp_path):
    model = ek.Sequential([ek.Input((3,)), ek.layers.Dense(2)])
    path = os.fspath(tmp_path / "m.weights.h5")
    ek.saving.save_weights(model, path)
    other = ek.Sequential([ek.Input((3,)), ek.layers.Dense(2)])
    ek.saving.load_weights(other, path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert ek.saving.get_custom_objects() is ek.utils.get_custom_objects()
