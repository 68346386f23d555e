"""``keras.saving.KerasFileEditor`` in ember against real Keras 3.15's editor on the same files (saved by Keras
and by ember, ``.keras`` and ``.weights.h5``): the same ``weights_dict``, printed summary, ``compare`` results
and messages, the same edits and errors, and edited files that load in both."""
import contextlib
import io
import re

import numpy as np
import pytest

from ember import keras as ek

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def keras():
    import keras
    return keras


def _model(K, units=2, extra=False):
    layers = [K.Input((4,)), K.layers.Dense(3), K.layers.BatchNormalization(), K.layers.Dense(units)]
    if extra:
        layers.append(K.layers.Dense(2))
    return K.Sequential(layers)


@pytest.fixture(scope="module")
def files(keras, tmp_path_factory):
    """The same weights saved by Keras and by ember, as .keras and as .weights.h5."""
    d = tmp_path_factory.mktemp("editor")
    km, em = _model(keras), _model(ek)
    rng = np.random.default_rng(0)
    km.set_weights([rng.standard_normal(w.shape).astype("float32") for w in km.get_weights()])
    em.set_weights(km.get_weights())
    paths = {"keras.keras": km.save, "ember.keras": em.save, "keras.weights.h5": km.save_weights,
             "ember.weights.h5": em.save_weights}
    for name, save in paths.items():
        save(str(d / name))
    return {name: str(d / name) for name in paths}


def _run(fn):
    """``(stdout, result or (error type, message))`` of ``fn()``."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            result = fn()
        except Exception as e:  # compared with the oracle's exception
            result = (type(e).__name__, str(e))
    return out.getvalue(), result


def _tree(tree):
    return {k: _tree(v) if isinstance(v, dict) else (v.dtype.str, v.shape, v.tobytes()) for k, v in tree.items()}


@pytest.mark.parametrize("name", ["keras.keras", "ember.keras", "keras.weights.h5", "ember.weights.h5"])
def test_open_summary_compare_match_keras(keras, files, name):
    outs = []
    for K in (keras, ek):
        def go():
            editor = K.saving.KerasFileEditor(files[name])
            editor.summary()
            return editor, [editor.compare(_model(K)), editor.compare(_model(K, units=5)),
                            editor.compare(_model(K, extra=True))]
        text, (editor, results) = _run(go)
        outs.append((text, _tree(editor.weights_dict), results))
    (k_text, k_tree, k_res), (e_text, e_tree, e_res) = outs
    assert e_tree == k_tree
    assert e_res == k_res
    assert " ".join(e_text.split()) == " ".join(k_text.split())   # rich wraps long lines


def test_edits_and_errors_match_keras(keras, files, tmp_path):
    kernel, bias = np.full((3, 5), 0.5, "float32"), np.arange(5, dtype="float32")

    def edit(K, out):
        editor = K.saving.KerasFileEditor(files["keras.keras"])
        errors = [_run(f)[1] for f in (
            lambda: editor.rename_object("nope", "x"), lambda: editor.rename_object("dense", "a/b"),
            lambda: editor.delete_weight("dense", "7"), lambda: editor.add_object("x/y", {}),
            lambda: editor.add_weights("dense", [1]), lambda: editor.save("x.h5"),
            lambda: editor.delete_object("layers/zz"), lambda: editor.add_object("layers/d", [1]))]
        editor.delete_object("layers/dense_1")
        editor.add_object("layers/dense_1", {"0": kernel, "1": bias})
        editor.add_weights("dense", {"2": np.ones(1, "float32")})
        editor.delete_weight("layers/dense", "2")
        editor.rename_object("batch_normalization", "bn")
        editor.rename_object("layers/bn", "batch_normalization")
        editor.save(str(out))
        return errors, _tree(editor.weights_dict)

    k_out, e_out = tmp_path / "k.weights.h5", tmp_path / "e.weights.h5"
    _, (k_errors, k_tree) = _run(lambda: edit(keras, k_out))
    _, (e_errors, e_tree) = _run(lambda: edit(ek, e_out))
    assert e_errors == k_errors and e_tree == k_tree
    for src in (k_out, e_out):   # each editor's file loads in both
        km, em = _model(keras, units=5), _model(ek, units=5)
        km.load_weights(str(src))
        em.load_weights(str(src))
        for kw, ew in zip(km.get_weights(), em.get_weights()):
            np.testing.assert_array_equal(ew, kw)
        np.testing.assert_array_equal(em.layers[-1].get_weights()[0], kernel)
        np.testing.assert_array_equal(em.layers[-1].get_weights()[1], bias)


def test_quantized_file_compares_with_quantized_model(keras, tmp_path):
    km = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    km.quantize("int8")
    km.save(str(tmp_path / "q.keras"))
    results = []
    for K in (keras, ek):
        model = K.Sequential([K.Input((4,)), K.layers.Dense(3)])
        model.quantize("int8")
        text, result = _run(lambda: K.saving.KerasFileEditor(str(tmp_path / "q.keras")).compare(model))
        # rich (Keras's printer) wraps long lines at the terminal width: compare the words
        results.append((" ".join(re.sub(r"date: \S+", "", text).split()), result))
    assert results[0] == results[1]
    assert results[1][1]["status"] == "success"
