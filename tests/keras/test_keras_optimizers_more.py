"""ScheduleFreeAdamW against Keras 3, step by step (the harness of ``test_keras_optimizers``)."""
import numpy as np
import pytest

from ember import keras as ek
from tests.keras.test_keras_optimizers import _ember_run, _keras_run

CASES = [dict(), dict(learning_rate=0.01, warmup_steps=5), dict(weight_decay=0.1, beta_1=0.8),
         dict(clipnorm=0.5, epsilon=1e-6), dict(use_ema=True, ema_momentum=0.9)]


@pytest.mark.parametrize("kwargs", CASES, ids=[str(i) for i in range(len(CASES))])
def test_schedule_free_adamw_steps_match_keras(kwargs):
    kopt, kvs, kout = _keras_run("ScheduleFreeAdamW", kwargs)
    eopt, evs, eout = _ember_run("ScheduleFreeAdamW", kwargs)
    for step, (k, e) in enumerate(zip(kout, eout)):
        for kw, ew in zip(k, e):
            np.testing.assert_allclose(ew, kw, rtol=2e-5, atol=2e-6, err_msg=f"step {step + 1}")
    assert eopt.iterations == int(kopt.iterations.numpy()) == 20


def test_schedule_free_adamw_config_matches_keras():
    import keras
    kcfg = keras.optimizers.ScheduleFreeAdamW(learning_rate=0.01, warmup_steps=3).get_config()
    opt = ek.optimizers.ScheduleFreeAdamW.from_config({k: v for k, v in kcfg.items() if k != "name"})
    ecfg = opt.get_config()
    for key, value in kcfg.items():
        if key != "name":
            assert ecfg[key] == pytest.approx(value) if isinstance(value, float) else ecfg[key] == value, key
    assert type(ek.optimizers.deserialize(ek.optimizers.serialize(opt))) is ek.optimizers.ScheduleFreeAdamW


def _multi_run(K, tensor):
    import numpy as np
    rng = np.random.default_rng(0)
    w0 = [rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal(3).astype(np.float32),
          rng.standard_normal(2).astype(np.float32)]
    grads = [[rng.standard_normal(w.shape).astype(np.float32) for w in w0] for _ in range(6)]
    vs = [K.Variable(w.copy(), name=name) for w, name in zip(w0, ["kernel", "bias", "gamma"])]
    omap = K.optimizers.OptimizerMap(K.optimizers.SGD(0.1, momentum=0.9),
                                     {"bias": K.optimizers.Adam(0.01), "g.*a": K.optimizers.RMSprop(0.05)})
    opt = K.optimizers.MultiOptimizer(omap)
    out = []
    for g in grads:
        opt.apply([tensor(x) for x in g], vs)
        out.append([np.array(K.ops.convert_to_numpy(v)) for v in vs])
    return opt, out


def test_multi_optimizer_steps_match_keras():
    import keras
    import torch

    import ember
    kopt, kout = _multi_run(keras, torch.tensor)
    eopt, eout = _multi_run(ek, ember.tensor)
    for k, e in zip(kout, eout):
        for kw, ew in zip(k, e):
            np.testing.assert_allclose(ew, kw, rtol=1e-5, atol=1e-6)
    assert eopt.iterations == int(kopt.iterations.numpy()) == 6
    assert [type(o).__name__ for o in eopt.optimizers] == [type(o).__name__ for o in kopt.optimizers]
    with pytest.raises(AttributeError, match="individual sub-optimizers"):
        eopt.learning_rate
    again = ek.optimizers.MultiOptimizer.from_config(eopt.get_config())
    assert sorted(type(o).__name__ for o in again.optimizers) == ["Adam", "RMSprop", "SGD"]


def test_optimizer_map_lookup_and_errors():
    omap = ek.optimizers.OptimizerMap(ek.optimizers.SGD(), {"dense.*": ek.optimizers.Adam(), "d.*": ek.optimizers.Adam()})
    with pytest.raises(ValueError, match="Multiple optimizers"):
        omap["dense/kernel"]
    assert type(omap["conv/kernel"]).__name__ == "SGD"
    with pytest.raises(TypeError, match="default_optimizer"):
        ek.optimizers.OptimizerMap("sgd")
    with pytest.raises(ValueError, match="already exists"):
        omap["d.*"] = ek.optimizers.SGD()


def test_multi_optimizer_trains_a_model_with_fit():
    model = ek.Sequential([ek.Input((3,)), ek.layers.Dense(2, name="head")], name="net")
    # the map is read with the variable's path, which starts with the Sequential's name (as in Keras)
    opt = ek.optimizers.MultiOptimizer(ek.optimizers.OptimizerMap(ek.optimizers.SGD(0.0),
                                                                  {"net/head/bias": ek.optimizers.SGD(0.5)}))
    model.compile(opt, "mse")
    kernel = model.layers[0].kernel.numpy()
    model.fit(np.ones((4, 3), np.float32), np.ones((4, 2), np.float32), epochs=1, verbose=0)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), kernel)  # lr 0 for the kernel
    assert np.all(model.layers[0].bias.numpy() > 0) and opt.iterations == 1
