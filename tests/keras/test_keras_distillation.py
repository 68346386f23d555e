"""``keras.distillation`` against Keras 3 (torch backend): the distillation losses' values, and whole
``Distiller`` programs (same weights, same data, no shuffling) giving the same history, evaluation and
predictions under both."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402

RNG = np.random.default_rng(0)


def _same_weights(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([(rng.standard_normal(tuple(w.shape)) * 0.3).astype(np.float32) for w in model.get_weights()])


@pytest.mark.parametrize("make", [
    lambda K: K.distillation.LogitsDistillation(),
    lambda K: K.distillation.LogitsDistillation(temperature=4.0, loss=K.losses.KLDivergence()),
    lambda K: K.distillation.LogitsDistillation(temperature=1.5, loss="mse"),
    lambda K: K.distillation.LogitsDistillation(loss=["kl_divergence", None]),
    lambda K: K.distillation.FeatureDistillation(),
    lambda K: K.distillation.FeatureDistillation(loss="cosine_similarity"),
    lambda K: K.distillation.FeatureDistillation(loss=K.losses.Huber(delta=0.5)),
], ids=["kl-name", "kl-object", "mse", "structured", "feature-mse", "feature-cosine", "feature-huber"])
def test_distillation_losses_equal_keras(make):
    teacher = RNG.standard_normal((5, 4)).astype("float32") * 2
    student = RNG.standard_normal((5, 4)).astype("float32")
    structured = isinstance(make(keras).loss, list)
    t, s = ([teacher, teacher[:, :3]], [student, student[:, :3]]) if structured else (teacher, student)
    expected = float(keras.ops.convert_to_numpy(make(keras).compute_loss(t, s)))
    got = float(ek.ops.convert_to_numpy(make(ek).compute_loss(t, s)))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def _functional(K, hidden_name, activation, out_name):
    inputs = K.Input((6,))
    h = K.layers.Dense(8, activation=activation, name=hidden_name)(inputs)
    return K.Model(inputs, K.layers.Dense(3, name=out_name)(h))


def _program(K, case):
    teacher = _functional(K, "t_hidden", "relu", "t_out")
    if case == "sequential":
        student = K.Sequential([K.Input((6,)), K.layers.Dense(8, activation="tanh", name="s_hidden"),
                                K.layers.Dense(3, name="s_out")])
    else:
        student = _functional(K, "s_hidden", "tanh", "s_out")
    _same_weights(teacher, 0)
    _same_weights(student, 1)
    losses = {
        "logits_and_features": dict(distillation_losses=[
            K.distillation.LogitsDistillation(temperature=2.0),
            K.distillation.FeatureDistillation(loss="mse", teacher_layer_name="t_hidden",
                                               student_layer_name="s_hidden")],
            distillation_loss_weights=[1.0, 0.5], student_loss_weight=0.3),
        "sequential": dict(distillation_losses=[
            K.distillation.FeatureDistillation(teacher_layer_name="t_hidden", student_layer_name="s_hidden"),
            K.distillation.LogitsDistillation(temperature=3.0, loss=K.losses.KLDivergence())]),
        "only_distillation": dict(distillation_losses=K.distillation.LogitsDistillation(
            loss=K.losses.KLDivergence()), student_loss_weight=0.0),
        "only_student": dict(distillation_losses=K.distillation.LogitsDistillation(), student_loss_weight=1.0),
    }[case]
    distiller = K.distillation.Distiller(teacher, student, **losses)
    distiller.compile(optimizer=K.optimizers.Adam(0.02),
                      loss=K.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 6)).astype("float32")
    y = rng.integers(0, 3, 16)
    history = distiller.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, validation_data=(x[:8], y[:8]))
    evaluated = distiller.evaluate(x, y, verbose=0, return_dict=True)
    return {"history": history.history, "evaluated": evaluated, "predicted": distiller.predict(x[:3], verbose=0),
            "student": [np.asarray(w) for w in student.get_weights()],
            "teacher_trainable": teacher.trainable, "config": sorted(distiller.get_config())}


@pytest.mark.parametrize("case", ["logits_and_features", "sequential", "only_distillation", "only_student"])
def test_distiller_program_runs_the_same_under_ember(case):
    expected, got = _program(keras, case), _program(ek, case)
    assert sorted(got["history"]) == sorted(expected["history"])
    for key in expected["history"]:
        np.testing.assert_allclose(got["history"][key], expected["history"][key], rtol=1e-4, atol=1e-6, err_msg=key)
    assert sorted(got["evaluated"]) == sorted(expected["evaluated"])
    for key in expected["evaluated"]:
        np.testing.assert_allclose(got["evaluated"][key], expected["evaluated"][key], rtol=1e-4, atol=1e-6,
                                   err_msg=key)
    np.testing.assert_allclose(got["predicted"], expected["predicted"], rtol=1e-4, atol=1e-5)
    for a, b in zip(got["student"], expected["student"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert got["teacher_trainable"] is expected["teacher_trainable"] is False
    assert got["config"] == expected["config"]


def test_distiller_errors_like_keras_and_config_round_trip():
    for K in (keras, ek):
        teacher = _functional(K, "t_hidden", "relu", "t_out")
        student = _functional(K, "s_hidden", "tanh", "s_out")
        wide = K.Sequential([K.Input((6,)), K.layers.Dense(4)])
        logits = K.distillation.LogitsDistillation()
        cases = [
            (lambda: K.distillation.Distiller(teacher, wide, logits), "shapes are incompatible"),
            (lambda: K.distillation.Distiller(teacher, student, logits, student_loss_weight=1.5),
             "student_loss_weight must be between 0.0 and 1.0"),
            (lambda: K.distillation.Distiller(teacher, student, None), "'distillation_losses' cannot be `None`"),
            (lambda: K.distillation.Distiller(teacher, student, [logits, logits], distillation_loss_weights=[1.0]),
             "must match number of distillation_losses"),
            (lambda: K.distillation.Distiller(teacher, student, K.distillation.FeatureDistillation(
                teacher_layer_name="nope")), "In teacher model"),
            (lambda: K.distillation.LogitsDistillation(temperature=0), "temperature must be positive"),
            (lambda: K.distillation.FeatureDistillation(loss=None), "at least one non-`None`"),
            (lambda: K.distillation.Distiller(teacher, student, logits).compile(loss=None), "'loss' cannot be `None`"),
        ]
        for build, message in cases:
            with pytest.raises(ValueError, match=message):
                build()
    teacher, student = _functional(ek, "t_hidden", "relu", "t_out"), _functional(ek, "s_hidden", "tanh", "s_out")
    distiller = ek.distillation.Distiller(teacher, student, [ek.distillation.LogitsDistillation(temperature=2.5),
                                                            ek.distillation.FeatureDistillation(
                                                                teacher_layer_name="t_hidden",
                                                                student_layer_name="s_hidden")],
                                          distillation_loss_weights=[0.7, 0.3], student_loss_weight=0.2)
    again = ek.distillation.Distiller.from_config(distiller.get_config())
    assert again.student_loss_weight == 0.2 and again.distillation_loss_weights == [0.7, 0.3]
    assert again.distillation_losses[0].temperature == 2.5
    assert again.distillation_losses[1].teacher_layer_name == "t_hidden"
