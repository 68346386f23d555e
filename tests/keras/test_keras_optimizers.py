"""Keras optimizers and learning-rate schedules against Keras 3 (PyTorch backend): the same weights and the
same 20 gradients give the same weights after every step, with each option (clipping, weight decay, EMA,
gradient accumulation, loss scaling)."""
import math

import numpy as np
import pytest
import torch

import keras

import ember
from ember import keras as ek

RNG = np.random.default_rng(3)
W0 = [RNG.standard_normal((4, 3)).astype(np.float32), RNG.standard_normal(3).astype(np.float32)]
GRADS = [[RNG.standard_normal(w.shape).astype(np.float32) * s for w in W0] for s in np.linspace(0.2, 3, 20)]

CASES = [
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Nadam", {"learning_rate": 0.01}),
    ("Nadam", {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-5}),
    ("Adamax", {"learning_rate": 0.01}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.9}),
    ("Adafactor", {"learning_rate": 0.1}),
    ("Adafactor", {"learning_rate": 0.5, "relative_step": False, "clip_threshold": 0.5}),
    ("Ftrl", {"learning_rate": 0.1}),
    ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
              "l2_shrinkage_regularization_strength": 0.01, "beta": 0.1, "learning_rate_power": -0.3}),
    ("Lion", {"learning_rate": 0.01}),
    ("Lamb", {"learning_rate": 0.01}),
    ("Lamb", {"learning_rate": 0.01, "weight_decay": 0.01}),
    ("Muon", {"learning_rate": 0.01}),
    ("Muon", {"learning_rate": 0.02, "nesterov": False, "rms_rate": None, "adam_lr_ratio": 0.5}),
    ("Adam", {"learning_rate": 0.01, "clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.01, "clipvalue": 0.5}),
    ("Nadam", {"learning_rate": 0.01, "global_clipnorm": 1.5}),
    ("Lion", {"learning_rate": 0.01, "weight_decay": 0.05}),
    ("Adam", {"learning_rate": 0.01, "use_ema": True, "ema_momentum": 0.9}),
    ("Adamax", {"learning_rate": 0.01, "use_ema": True, "ema_overwrite_frequency": 4}),
    ("Adam", {"learning_rate": 0.01, "gradient_accumulation_steps": 3}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.5, "gradient_accumulation_steps": 2, "use_ema": True}),
    ("Adam", {"learning_rate": 0.01, "loss_scale_factor": 8.0}),
]


def _keras_run(name, kwargs, api="apply"):
    opt = getattr(keras.optimizers, name)(**kwargs)
    vs = [keras.Variable(w.copy(), name=f"v{i}") for i, w in enumerate(W0)]
    out = []
    for grads in GRADS:
        g = [torch.tensor(x) for x in grads]
        if api == "apply":
            opt.apply(g, vs)
        else:
            opt.apply_gradients(zip(g, vs))
        out.append([v.numpy().copy() for v in vs])
    return opt, vs, out


def _ember_run(name, kwargs, api="apply"):
    opt = getattr(ek.optimizers, name)(**kwargs)
    vs = [ek.Variable(w.copy(), name=f"v{i}") for i, w in enumerate(W0)]
    out = []
    for grads in GRADS:
        g = [ember.tensor(x) for x in grads]
        if api == "apply":
            opt.apply(g, vs)
        else:
            opt.apply_gradients(zip(g, vs))
        out.append([v.numpy().copy() for v in vs])
    return opt, vs, out


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_twenty_steps_match_keras(name, kwargs):
    kopt, kvs, kout = _keras_run(name, kwargs)
    eopt, evs, eout = _ember_run(name, kwargs)
    for step, (k, e) in enumerate(zip(kout, eout)):
        for kw, ew in zip(k, e):
            np.testing.assert_allclose(ew, kw, rtol=2e-4, atol=2e-5, err_msg=f"{name} step {step + 1}")
    assert eopt.iterations == int(kopt.iterations.numpy()) == 20 // kwargs.get("gradient_accumulation_steps", 1)
    if kwargs.get("use_ema"):
        kopt.finalize_variable_values(kvs)
        eopt.finalize_variable_values(evs)
        for kv, ev in zip(kvs, evs):
            np.testing.assert_allclose(ev.numpy(), kv.numpy(), rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("name,kwargs", CASES[:18:3])
def test_get_config_matches_keras(name, kwargs):
    kcfg = getattr(keras.optimizers, name)(**kwargs).get_config()
    ecfg = getattr(ek.optimizers, name)(**kwargs).get_config()
    for k, v in kcfg.items():
        if k in ("name", "is_legacy_optimizer"):
            continue
        assert k in ecfg, k
        assert ecfg[k] == pytest.approx(v) if isinstance(v, float) else ecfg[k] == v, k
    again = ek.optimizers.deserialize(ek.optimizers.serialize(getattr(ek.optimizers, name)(**kwargs)))
    # names are numbered per session ('sgd', 'sgd_1'), as in Keras: compare the rest
    assert type(again).__name__ == name and {**again.get_config(), "name": None} == {**ecfg, "name": None}


def test_apply_gradients_with_schedule_and_assignable_learning_rate():
    sched = {"class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 3,
                                                          "decay_rate": 0.5}}
    kopt = keras.optimizers.Adam(learning_rate=keras.optimizers.schedules.deserialize(sched))
    eopt = ek.optimizers.Adam(learning_rate=ek.optimizers.schedules.deserialize(sched))
    kvs = [keras.Variable(w.copy()) for w in W0]
    evs = [ek.Variable(w.copy()) for w in W0]
    for grads in GRADS[:7]:
        kopt.apply_gradients(zip([torch.tensor(g) for g in grads], kvs))
        eopt.apply_gradients(zip([ember.tensor(g) for g in grads], evs))
    for kv, ev in zip(kvs, evs):
        np.testing.assert_allclose(ev.numpy(), kv.numpy(), rtol=1e-5, atol=1e-5)
    assert math.isclose(eopt.learning_rate, float(kopt.learning_rate), rel_tol=1e-6)
    with pytest.raises(TypeError, match="not settable"):
        eopt.learning_rate = 0.1
    opt = ek.optimizers.SGD(0.1)
    opt.apply([ember.tensor(g) for g in GRADS[0]], evs)
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5 and opt.get_config()["learning_rate"] == 0.5
    before = [v.numpy() for v in evs]
    opt.apply([ember.tensor(g) for g in GRADS[1]])  # the built variables
    np.testing.assert_allclose(evs[0].numpy(), before[0] - 0.5 * GRADS[1][0], rtol=1e-6)
    with pytest.raises(ValueError, match="one-to-one"):
        opt.apply([ember.tensor(GRADS[1][0])])


def test_loss_scale_optimizer_matches_keras():
    grads = [list(g) for g in GRADS[:8]]
    grads[3] = [np.full_like(g, np.inf) for g in grads[3]]
    kopt = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.01), initial_scale=4.0,
                                               dynamic_growth_steps=2)
    eopt = ek.optimizers.LossScaleOptimizer(ek.optimizers.Adam(0.01), initial_scale=4.0, dynamic_growth_steps=2)
    kvs = [keras.Variable(w.copy()) for w in W0]
    evs = [ek.Variable(w.copy()) for w in W0]
    for g in grads:
        kopt.apply([torch.tensor(x * 4.0) for x in g], kvs)
        eopt.apply([ember.tensor(x * 4.0) for x in g], evs)
        assert float(eopt.dynamic_scale) == float(kopt.dynamic_scale.numpy())
        for kv, ev in zip(kvs, evs):
            np.testing.assert_allclose(ev.numpy(), kv.numpy(), rtol=1e-5, atol=1e-6)
    assert eopt.iterations == int(kopt.iterations.numpy())
    assert float(eopt.scale_loss(ember.tensor(2.0))) == float(kopt.scale_loss(torch.tensor(2.0)))


SCHEDULES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.6}),
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.6, "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [5, 12], "values": [0.1, 0.05, 0.01]}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 15, "end_learning_rate": 0.01,
                         "power": 2.0}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 6, "power": 0.5, "cycle": True}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5, "staircase": True}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 20, "alpha": 0.1}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 20, "warmup_target": 0.1, "warmup_steps": 5}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 5}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 4, "t_mul": 1.0, "m_mul": 0.5,
                             "alpha": 0.2}),
]


@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=[f"{c[0]}-{i}" for i, c in enumerate(SCHEDULES)])
def test_schedules_match_keras(name, kwargs):
    ks = getattr(keras.optimizers.schedules, name)(**kwargs)
    es = getattr(ek.optimizers.schedules, name)(**kwargs)
    for step in range(0, 40):
        assert math.isclose(float(es(step)), float(ks(step)), rel_tol=2e-5, abs_tol=1e-8), (name, step)
    kcfg = keras.optimizers.schedules.serialize(ks)
    ecfg = ek.optimizers.schedules.serialize(es)
    assert ecfg["class_name"] == kcfg["class_name"] and ecfg["config"] == kcfg["config"]
    assert ek.optimizers.schedules.deserialize(ecfg).get_config() == es.get_config()


def test_fit_with_new_optimizers_and_ema_trains():
    x = RNG.standard_normal((64, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], np.float32))[:, None]
    for opt in [ek.optimizers.Nadam(0.05), ek.optimizers.Lion(0.05), ek.optimizers.Lamb(0.05),
                ek.optimizers.Adam(0.05, use_ema=True), ek.optimizers.Adam(0.05, loss_scale_factor=4.0),
                ek.optimizers.LossScaleOptimizer(ek.optimizers.Adam(0.05), initial_scale=8.0)]:
        model = ek.Sequential([ek.layers.Input((4,)), ek.layers.Dense(1)])
        model.compile(optimizer=opt, loss="mse")
        h = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
        assert h.history["loss"][-1] < 0.5 * h.history["loss"][0], type(opt).__name__


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_iteration_counter_is_int32_as_keras(name):
    """optimizer.variables[0] ('iteration') is an int32 scalar as in Keras, so model.summary() counts its
    optimizer params in the same bytes (ember's int64 counter printed 'Optimizer params: 2 (12.00 B)' for SGD
    where Keras prints 8.00 B)."""
    import io
    lines = []
    for K in (keras, ek):
        K.backend.clear_session()   # optimizer names ('sgd_3') count from a fresh session
        model = K.Sequential([K.Input((2,)), K.layers.Dense(1)])
        model.compile(name, "mse")
        model.fit(np.ones((2, 2), "float32"), np.ones((2, 1), "float32"), verbose=0)
        iteration = model.optimizer.variables[0]
        buf = io.StringIO()
        model.summary(print_fn=lambda s, line_break=None: buf.write(s))
        lines.append((iteration.path, str(np.asarray(K.ops.convert_to_numpy(iteration)).dtype),
                      int(K.ops.convert_to_numpy(iteration)),
                      [line for line in buf.getvalue().splitlines() if "Optimizer params" in line]))
    assert lines[1] == lines[0]


def _keras_style_optimizer(K):
    class Scaled(K.optimizers.Optimizer):
        """update_step(gradient, variable, learning_rate) as Keras's guides write it."""

        def build(self, var_list):
            if self.built:
                return
            super().build(var_list)
            self.velocities = self.add_optimizer_variables(var_list, "velocity")
            self.step_count = self.add_variable((), initializer="zeros", dtype="float32", name="steps")

        def update_step(self, gradient, variable, learning_rate):
            v = self.velocities[self._get_variable_index(variable)]
            self.assign(v, 0.5 * v + gradient)
            self.assign_sub(variable, K.ops.cast(learning_rate, variable.dtype) * v)
            self.assign_add(self.step_count, 1.0)
    return Scaled(learning_rate=0.1, name="scaled")


def test_keras_style_optimizer_subclass_trains_like_keras():
    """An Optimizer subclass in Keras's style (add_optimizer_variables / add_variable in build, update_step with
    three arguments writing through assign, assign_add, assign_sub and _get_variable_index) trains as in Keras,
    with Keras's variable paths (ember had none of these methods and called update_step with a fourth argument)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3)).astype("float32")
    y = rng.standard_normal((8, 2)).astype("float32")
    got = []
    for K in (keras, ek):
        K.backend.clear_session()
        model = K.Sequential([K.Input((3,)), K.layers.Dense(2)])
        model.set_weights([np.full((3, 2), 0.1, "float32"), np.zeros(2, "float32")])
        opt = _keras_style_optimizer(K)
        model.compile(optimizer=opt, loss="mse")
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        got.append(([v.path for v in opt.variables], [np.asarray(K.ops.convert_to_numpy(v)) for v in opt.variables],
                    model.get_weights()))
    assert got[1][0] == got[0][0]
    for e, k in zip(got[1][1] + got[1][2], got[0][1] + got[0][2]):
        np.testing.assert_allclose(e, k, rtol=1e-5, atol=1e-6)
