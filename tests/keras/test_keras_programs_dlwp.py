"""Programs in the style of the listings of "Deep Learning with Python" (3rd edition: Keras 3, backend-agnostic,
``keras.ops``), in ``tests/keras/programs_dlwp/``, run unchanged under real Keras 3 (torch backend) and under
``ember.keras``: each program's ``main(keras, ...)`` takes the Keras module it runs on.

As in ``test_keras_programs``: weights get values from a fixed NumPy generator, the data is made with NumPy (the
book's downloads replaced by data of the same kind), ``fit`` does not shuffle, dropout rates are 0 in trained
models, and the returned losses, metrics, predictions, shapes and summaries are compared at float32 tolerance.
Where a program draws from ``keras.random`` (the VAE's sampler, the GAN's latent vectors) ember runs first and
Keras replays ember's draws (``test_keras_programs_vision``'s harness). Where Keras's utility needs TensorFlow
(``image_dataset_from_directory``, ``timeseries_dataset_from_array``, ``TextVectorization``), the Keras run gets a
NumPy stand-in written from Keras's documented behaviour (below), and ember's own utility runs in the ember run.

Also here: focused regression tests of the ember bugs these programs found, each against real Keras.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402

from .programs_dlwp import ch03_linear_classifier, ch04_classification_regression, ch07_model_apis  # noqa: E402
from .test_keras_programs import _compare  # noqa: E402

EXACT = [ch03_linear_classifier.main, ch04_classification_regression.imdb, ch04_classification_regression.reuters,
         ch04_classification_regression.boston_housing, ch07_model_apis.main]


@pytest.mark.parametrize("program", EXACT, ids=[f"{p.__module__.split('.')[-1]}.{p.__name__}" for p in EXACT])
def test_dlwp_program_runs_the_same_under_ember(program):
    expected = program(keras)
    got = program(ek)
    _compare(got, expected, program.__name__)


# ------------------------------------------------------------------------------------- regression tests

def _summary_calls(K, model):
    calls = []
    model.summary(print_fn=lambda *args, **kwargs: calls.append(args))
    return calls


def test_summary_hands_print_fn_one_string_and_cuts_long_words_with_an_ellipsis():
    """Keras gives print_fn rich's whole capture (one call, newline-terminated); rich cuts a word longer than
    its cell with '…' (ember wrapped it across lines): 'dense_features[0][0]' in the 17-wide 'Connected to'."""
    def build(K):
        inputs = K.Input(shape=(4,), name="x")
        features = K.layers.Dense(3, name="dense_features")(inputs)
        a = K.layers.Dense(1, name="a_rather_long_head_name_that_overflows")(features)
        b = K.layers.Dense(2, name="b")(features)
        return K.Model(inputs, [a, b], name="heads")
    assert _summary_calls(ek, build(ek)) == _summary_calls(keras, build(keras))


def _two_headed(K):
    class TwoHeads(K.Model):
        def __init__(self):
            super().__init__()
            self.price = K.layers.Dense(1)
            self.kind = K.layers.Dense(3, activation="softmax")

        def call(self, x):
            return self.price(x), self.kind(x)
    return TwoHeads()


def test_subclassed_model_with_a_tuple_of_outputs_names_logs_as_keras():
    """A subclassed model's outputs have no names: Keras names the per-output loss trackers after the losses
    ('mse_loss', 'my_loss_loss') and leaves the metrics unprefixed ('mae', 'accuracy'), and evaluate's list puts
    those metrics right after 'loss' (ember logged 'output_0_loss', 'output_0_mae', ...)."""
    def run(K):
        def my_loss(y, p):
            return K.ops.mean(K.ops.abs(y - p))
        rng = np.random.default_rng(0)
        x = rng.standard_normal((8, 2)).astype("float32")
        y = [rng.standard_normal((8, 1)).astype("float32"), rng.integers(0, 3, (8, 1))]
        out = {}
        for i, loss in enumerate((["mse", K.losses.SparseCategoricalCrossentropy()],
                                  [my_loss, "sparse_categorical_crossentropy"])):
            model = _two_headed(K)
            model(x)
            rng_w = np.random.default_rng(1)
            model.set_weights([rng_w.standard_normal(w.shape).astype("float32") for w in model.get_weights()])
            model.compile("sgd", loss=loss, metrics=[["mae", K.metrics.MeanSquaredError()], ["accuracy"]])
            out[f"fit{i}"] = model.fit(x, y, batch_size=4, shuffle=False, verbose=0).history
            out[f"evaluate{i}"] = model.evaluate(x, y, verbose=0)
            out[f"evaluate_dict{i}"] = model.evaluate(x, y, verbose=0, return_dict=True)
        return out
    _compare(run(ek), run(keras), "two_heads")
