"""The printed progress output follows Keras's format (captured)."""
import re

import numpy as np
import pytest

from ember import keras
from ember.keras import layers
from ember.keras.utils import Progbar

NUM = r"\d+\.\d{4}(e[-+]\d+)?"


def _fit(verbose, monkeypatch=None, epochs=2, capsys=None):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=10, verbose=verbose)
    return model, x, y


def test_fit_verbose_1_without_a_terminal_prints_one_plain_line_per_epoch(capsys):
    _fit(1)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    pattern = rf"^4/4 ━━━━━━━━━━━━━━━━━━━━ \d+s \d+(ms|us|s)/step - accuracy: {NUM} - loss: {NUM}$"
    assert re.match(pattern, lines[1]), lines[1]
    assert re.match(pattern, lines[3]), lines[3]
    assert "\x1b" not in out and "\r" not in out


def test_fit_verbose_2_prints_one_line_per_epoch(capsys):
    _fit(2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2"
    assert re.match(rf"^4/4 - \d+s - \d+(ms|us|s)/step - accuracy: {NUM} - loss: {NUM}$", lines[1]), lines[1]
    assert len(lines) == 4


def test_fit_verbose_0_is_silent(capsys):
    _fit(0)
    assert capsys.readouterr().out == ""


def test_single_epoch_has_no_epoch_header(capsys):
    _fit(1, epochs=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("4/4 ━")


def test_evaluate_verbose_2_line(capsys):
    model, x, y = _fit(0)
    loss, acc = model.evaluate(x, y, verbose=2)
    line = capsys.readouterr().out.splitlines()[-1]
    assert re.match(rf"^2/2 - \d+s - \d+(ms|us|s)/step - accuracy: {acc:.4f} - loss: {loss:.4f}$", line), line


def test_terminal_output_redraws_one_line_with_keras_colors(monkeypatch, capsys):
    monkeypatch.setenv("EMBER_PROGBAR_FORCE_TTY", "1")
    _fit(1, epochs=1)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.endswith("\n")
    final = out.split("\r")[-1]
    assert final.startswith("\x1b[1m4/4\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m")
    assert re.search(rf"/step - accuracy: {NUM} - loss: {NUM}\s*\n$", final)


def test_progbar_averages_values_over_steps_and_formats_small_numbers():
    import io
    stream = io.StringIO()
    bar = Progbar(4, verbose=2, stream=stream)
    bar.update(1, [("loss", 1.0), ("tiny", 1e-5)])
    bar.update(2, [("loss", 3.0), ("tiny", 1e-5)])
    bar.update(4, [("loss", 5.0), ("tiny", 1e-5)])
    line = stream.getvalue()
    # Finalizing shows the last values as given; small values in scientific notation.
    assert re.match(r"^4/4 - \d+s - \d+(ms|us|s)/step - loss: 5\.0000 - tiny: 1\.0000e-05\n$", line), line
    stream = io.StringIO()
    bar = Progbar(10, verbose=1, stream=stream, interval=0)
    bar.update(2, [("loss", 1.0)])
    bar.update(4, [("loss", 3.0)])
    bar.update(10, [("loss", 2.0)])
    assert re.match(r"^10/10 ━{20} \d+s \d+(ms|us|s)/step - loss: 2\.0000\n$", stream.getvalue())


@pytest.mark.parametrize("seconds,expected", [(2.5, " 2s/step"), (0.012, " 12ms/step"), (0.0004, " 400us/step")])
def test_time_per_step_units(seconds, expected):
    from ember.keras.utils.progbar import format_time
    assert format_time(seconds, "step") == expected
