"""load_model's errors and safe mode as in Keras 3: a missing file says "File not found" (not "not a zip"), and
keras.config.enable_unsafe_deserialization() lets load_model's default safe mode load a Lambda, in both."""
import keras
import numpy as np
import pytest

from ember import keras as ekeras
from ember.keras.saving import serialization_lib


@pytest.mark.parametrize("lib", [keras, ekeras], ids=["keras", "ember"])
def test_missing_file_is_named(lib, tmp_path):
    path = str(tmp_path / "absent.keras")
    with pytest.raises(ValueError, match="File not found: filepath=.*absent.keras"):
        lib.models.load_model(path)


@pytest.fixture
def restore_safe_mode():
    from keras.src.backend.common import global_state
    yield
    serialization_lib._safe_mode[0] = True
    global_state.set_global_attribute("safe_mode_saving", True)


@pytest.mark.parametrize("lib", [keras, ekeras], ids=["keras", "ember"])
def test_enable_unsafe_deserialization_allows_lambda(lib, tmp_path, restore_safe_mode):
    path = str(tmp_path / "lam.keras")
    lib.Sequential([lib.Input((2,)), lib.layers.Lambda(lambda x: x * 2)]).save(path)
    with pytest.raises(ValueError, match="safe_mode"):
        lib.models.load_model(path)
    lib.config.enable_unsafe_deserialization()
    out = lib.models.load_model(path).predict(np.ones((1, 2), "float32"), verbose=0)
    np.testing.assert_array_equal(np.asarray(out), [[2.0, 2.0]])
