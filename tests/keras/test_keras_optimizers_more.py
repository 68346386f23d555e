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
