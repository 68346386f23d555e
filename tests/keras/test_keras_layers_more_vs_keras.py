"""More ember.keras layers against Keras 3 (torch backend), through the shared harness of
``test_keras_layers_vs_keras``: adaptive pooling and the other layers Keras 3.15 added."""
import pytest

from tests.keras.test_keras_layers_vs_keras import check_layer_against_keras

ROWS = [
    ("adaptive_avg1d", "AdaptiveAveragePooling1D", dict(output_size=3), [(2, 7, 3)], {}),
    ("adaptive_avg1d_grow", "AdaptiveAveragePooling1D", dict(output_size=5), [(2, 3, 2)], {}),
    ("adaptive_avg2d", "AdaptiveAveragePooling2D", dict(output_size=(2, 3)), [(2, 5, 7, 3)], {}),
    ("adaptive_avg2d_channels_first", "AdaptiveAveragePooling2D", dict(output_size=2, data_format="channels_first"),
     [(2, 3, 5, 4)], {}),
    ("adaptive_avg3d", "AdaptiveAveragePooling3D", dict(output_size=(2, 1, 3)), [(1, 4, 3, 5, 2)], {}),
    ("adaptive_max1d", "AdaptiveMaxPooling1D", dict(output_size=4), [(2, 9, 3)], {}),
    ("adaptive_max2d", "AdaptiveMaxPooling2D", dict(output_size=3), [(2, 7, 5, 2)], {}),
    ("adaptive_max2d_channels_first", "AdaptiveMaxPooling2D", dict(output_size=(2, 2), data_format="channels_first"),
     [(1, 3, 5, 6)], {}),
    ("adaptive_max3d", "AdaptiveMaxPooling3D", dict(output_size=2), [(1, 5, 4, 3, 2)], {}),
]


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_layer_matches_keras(row):
    _, name, kwargs, shapes, options = row
    check_layer_against_keras(name, kwargs, shapes, **options)


def test_adaptive_pooling_argument_errors():
    from ember import keras as ek
    with pytest.raises(TypeError, match="output_size"):
        ek.layers.AdaptiveMaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="expects inputs of rank 4"):
        ek.layers.AdaptiveAveragePooling2D(2)(ek.ops.ones((2, 3, 4)))
