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
import contextlib
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402

import torch  # noqa: E402

import ember  # noqa: E402

from .programs_dlwp import (ch03_linear_classifier, ch04_classification_regression, ch07_custom_train_step,  # noqa: E402
                            ch07_metrics_callbacks, ch07_model_apis, ch08_convnet_from_directory)
from .test_keras_programs import _compare  # noqa: E402

def test_dlwp_convnet_from_directory_program_runs_the_same_under_ember(tmp_path):
    with _keras_standins():
        expected = ch08_convnet_from_directory.main(keras, str(tmp_path / "keras"))
    got = ch08_convnet_from_directory.main(ek, str(tmp_path / "ember"))
    _compare(got, expected, "ch08_convnet_from_directory")


# ------------------------------------------------------------- stand-ins for Keras's TensorFlow utilities

def _Batches(batches):
    """Ready batches as Keras's ``fit`` takes them in fixed order, as it takes a tf.data dataset (which needs
    TensorFlow): a torch DataLoader of the batches, which Keras's torch backend does not shuffle either."""
    return torch.utils.data.DataLoader(batches, batch_size=None, shuffle=False)


def _image_dataset_from_directory(directory, image_size, batch_size=32, shuffle=True, **kwargs):
    """Keras's documented behaviour for labels='inferred', label_mode='int', color_mode='rgb', unshuffled:
    class folders in alphanumeric order, each folder's files in order, float32 (batch, h, w, 3) images and
    int32 labels (the images are already ``image_size``: no resizing)."""
    from PIL import Image
    assert not shuffle and not kwargs, (shuffle, kwargs)
    class_names = sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))
    paths, labels = [], []
    for label, name in enumerate(class_names):
        files = sorted(f for f in os.listdir(os.path.join(directory, name)) if f.endswith(".png"))
        paths += [os.path.join(directory, name, f) for f in files]
        labels += [label] * len(files)
    images = np.stack([np.asarray(Image.open(p).convert("RGB"), "float32") for p in paths])
    assert images.shape[1:3] == tuple(image_size)
    labels = np.array(labels, "int32")
    return _Batches([(images[i:i + batch_size], labels[i:i + batch_size]) for i in range(0, len(paths), batch_size)])


def _timeseries_dataset_from_array(data, targets, sequence_length, sampling_rate=1, sequence_stride=1,
                                   batch_size=128, shuffle=False, start_index=None, end_index=None):
    """Keras's documented windows, unshuffled: window ``i`` is ``data[start + i * sequence_stride + k *
    sampling_rate]`` for ``k < sequence_length``, its target ``targets[start + i * sequence_stride]``, every window
    lying before ``end_index`` (default: the end of ``data``)."""
    assert not shuffle
    start = start_index or 0
    end = len(data) if end_index is None else end_index
    last = end - (sequence_length - 1) * sampling_rate   # first index a window may not start at
    starts = list(range(start, last, sequence_stride))
    if targets is not None:
        starts = [p for p in starts if p < len(targets)]
    windows = np.stack([data[p:p + sequence_length * sampling_rate:sampling_rate] for p in starts])
    batches = []
    for i in range(0, len(starts), batch_size):
        x = windows[i:i + batch_size]
        batches.append(x if targets is None else (x, np.asarray(targets)[starts[i:i + batch_size]]))
    return _Batches(batches)


class _TextVectorization:
    """Keras's documented TextVectorization for the modes the programs use: lower-case, strip ASCII punctuation,
    split on whitespace, with ``ngrams=2`` the bigrams after the unigrams; the vocabulary is the most frequent
    tokens (ties: the larger token first) after '' (int mode) and '[UNK]', ``max_tokens`` counting those;
    tf_idf weighs counts by log(1 + docs / (1 + doc_freq)), the OOV slot by the mean idf; int pads with 0 and
    cuts to ``output_sequence_length``."""

    def __init__(self, max_tokens=None, output_mode="int", ngrams=None, output_sequence_length=None):
        self.max_tokens, self.output_mode, self.ngrams = max_tokens, output_mode, ngrams
        self.output_sequence_length = output_sequence_length

    def _tokens(self, text):
        import re
        import string
        words = re.sub("[%s]" % re.escape(string.punctuation), "", str(text).lower()).split()
        return words + ([" ".join(p) for p in zip(words, words[1:])] if self.ngrams == 2 else [])

    def adapt(self, texts):
        counts, docs = {}, {}
        for text in texts:
            tokens = self._tokens(text)
            for t in tokens:
                counts[t] = counts.get(t, 0) + 1
            for t in set(tokens):
                docs[t] = docs.get(t, 0) + 1
        self.special = ["", "[UNK]"] if self.output_mode == "int" else ["[UNK]"]
        learned = sorted(counts, key=lambda t: (counts[t], t), reverse=True)[:self.max_tokens - len(self.special)]
        self.index = {t: i + len(self.special) for i, t in enumerate(learned)}
        idf = np.array([np.log(1 + len(texts) / (1 + docs[t])) for t in learned], "float32")
        self.idf = np.concatenate([[idf.mean()], idf]).astype("float32")
        self.learned = learned

    def get_vocabulary(self):
        return self.special + self.learned

    def __call__(self, texts):
        oov = self.special.index("[UNK]")
        rows = [[self.index.get(t, oov) for t in self._tokens(text)] for text in texts]
        if self.output_mode == "int":
            n = self.output_sequence_length
            return np.array([r[:n] + [0] * (n - len(r[:n])) for r in rows], "int64")
        out = np.zeros((len(texts), len(self.special) + len(self.learned)), "float32")
        for i, r in enumerate(rows):
            for j in r:
                out[i, j] += 1
        return (out > 0).astype("float32") if self.output_mode == "multi_hot" else out * self.idf


@contextlib.contextmanager
def _keras_standins():
    """Real Keras with the TensorFlow-only utilities replaced by the stand-ins above."""
    saved = {"image_dataset_from_directory": keras.utils.image_dataset_from_directory,
             "timeseries_dataset_from_array": keras.utils.timeseries_dataset_from_array}
    keras.utils.image_dataset_from_directory = _image_dataset_from_directory
    keras.utils.timeseries_dataset_from_array = _timeseries_dataset_from_array
    text_vectorization, keras.layers.TextVectorization = keras.layers.TextVectorization, _TextVectorization
    try:
        yield
    finally:
        for name, f in saved.items():
            setattr(keras.utils, name, f)
        keras.layers.TextVectorization = text_vectorization


EXACT = [ch03_linear_classifier.main, ch04_classification_regression.imdb, ch04_classification_regression.reuters,
         ch04_classification_regression.boston_housing, ch07_model_apis.main]


@pytest.mark.parametrize("program", EXACT, ids=[f"{p.__module__.split('.')[-1]}.{p.__name__}" for p in EXACT])
def test_dlwp_program_runs_the_same_under_ember(program):
    expected = program(keras)
    got = program(ek)
    _compare(got, expected, program.__name__)


def test_dlwp_metrics_and_callbacks_program_runs_the_same_under_ember(tmp_path):
    expected = ch07_metrics_callbacks.main(keras, str(tmp_path / "keras"))
    got = ch07_metrics_callbacks.main(ek, str(tmp_path / "ember"))
    _compare(got, expected, "ch07_metrics_callbacks")


def test_dlwp_custom_train_step_program_runs_the_same_under_ember_autograd():
    expected = ch07_custom_train_step.main(keras, torch)
    got = ch07_custom_train_step.main(ek, ember)
    _compare(got, expected, "ch07_custom_train_step")


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


def _bn_models(K):
    """A Functional and a Sequential model with batch normalization, same weights."""
    rng = np.random.default_rng(2)
    inputs = K.Input(shape=(4,))
    functional = K.Model(inputs, K.layers.Dense(2)(K.layers.BatchNormalization()(K.layers.Dense(3)(inputs))))
    sequential = K.Sequential([K.Input(shape=(4,)), K.layers.Dense(3), K.layers.BatchNormalization(),
                               K.layers.Dense(2)])
    for model in (functional, sequential):
        model.set_weights([(0.5 + rng.random(w.shape)).astype("float32") for w in model.get_weights()])
    return functional, sequential


def test_stateless_call_and_the_stateless_metric_api_match_keras():
    """``Layer.stateless_call`` and ``Metric.stateless_update_state`` / ``stateless_result`` /
    ``stateless_reset_state`` were missing in ember: values in, outputs and new state out, the layer's and
    metric's own variables untouched (with ``training=True`` batch normalization uses the batch's statistics
    and returns moved moving statistics); wrong lengths raise Keras's ValueError."""
    x = np.random.default_rng(4).standard_normal((5, 4)).astype("float32")

    def run(K):
        out = {}
        for name, model in zip(("functional", "sequential"), _bn_models(K)):
            trainable = [2.0 * np.asarray(K.ops.convert_to_numpy(v)) for v in model.trainable_variables]
            non_trainable = [np.asarray(K.ops.convert_to_numpy(v)) + 0.5 for v in model.non_trainable_variables]
            for training in (False, True):
                y, new = model.stateless_call(trainable, non_trainable, K.ops.convert_to_tensor(x), training=training)
                out[f"{name}_{training}"] = np.asarray(K.ops.convert_to_numpy(y))
                out[f"{name}_{training}_state"] = [np.asarray(K.ops.convert_to_numpy(v)) for v in new]
            out[name + "_own"] = [np.asarray(K.ops.convert_to_numpy(v)) for v in model.variables]
            with pytest.raises(ValueError, match="must be a list of tensors corresponding 1:1"):
                model.stateless_call(trainable[:1], non_trainable, x)
        metric = K.metrics.MeanSquaredError()
        state = metric.stateless_update_state(metric.variables, x[:, :2], x[:, 2:])
        state = metric.stateless_update_state(state, x[:, :2], x[:, :2] * 0.5)
        out["metric_state"] = [np.asarray(K.ops.convert_to_numpy(v)) for v in state]
        out["metric_result"] = float(K.ops.convert_to_numpy(metric.stateless_result(state)))
        out["metric_own"] = float(K.ops.convert_to_numpy(metric.result()))
        out["metric_reset"] = [np.asarray(K.ops.convert_to_numpy(v)) for v in metric.stateless_reset_state()]
        with pytest.raises(ValueError, match="corresponding 1:1 to MeanSquaredError"):
            metric.stateless_result(state[:1])
        return out
    _compare(run(ek), run(keras), "stateless")


def test_compute_metrics_updates_the_compiled_metrics_and_returns_the_results():
    """``Model.compute_metrics(x, y, y_pred, sample_weight)`` (a custom train_step's return value in Keras's
    guides) was missing in ember; as Keras it leaves the loss tracker alone."""
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((6, 3)).astype("float32"), rng.integers(0, 2, (6, 1)).astype("float32")

    def run(K):
        model = K.Sequential([K.Input((3,)), K.layers.Dense(1, activation="sigmoid")])
        model.set_weights([np.full((3, 1), 0.4, "float32"), np.zeros(1, "float32")])
        model.compile("sgd", loss="binary_crossentropy", metrics=["accuracy", K.metrics.AUC(name="auc")])
        logs = model.compute_metrics(x, y, model(x), sample_weight=None)
        return {k: float(K.ops.convert_to_numpy(v)) for k, v in logs.items()}
    _compare(run(ek), run(keras), "compute_metrics")


def test_fit_keeps_the_order_of_embers_tf_data_stand_ins():
    """Keras's fit ignores ``shuffle`` for a tf.data dataset (what image_dataset_from_directory & co. return);
    ember's stand-in for it (a PyDataset) was reshuffled batch by batch by fit's default shuffle=True."""
    seen = []

    class Recording(ek.Sequential):
        def train_step(self, data):
            seen.append(float(np.asarray(data[0])[0, 0, 0]))
            return super().train_step(data)
    series = np.arange(40, dtype="float32")[:, None]
    dataset = ek.utils.timeseries_dataset_from_array(series, series[:, 0], sequence_length=2, batch_size=8)
    model = Recording([ek.Input((2, 1)), ek.layers.Flatten(), ek.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(dataset, epochs=2, verbose=0)
    assert seen == [0.0, 8.0, 16.0, 24.0, 32.0] * 2
