"""Keras 3's public API in ember.keras: the share of each namespace's names ember has (less the written
exclusions of ``keras_coverage.EXCLUDED``) may not fall below the floors set when the test was last
raised. ``python tests/keras/keras_coverage.py`` prints the missing names."""
from tests.keras import keras_coverage

# Percentages at the last raise, rounded down; raise them as coverage grows.
FLOORS = {
    "keras": 100, "layers": 100, "ops": 100, "losses": 100, "metrics": 100, "optimizers": 100,
    "optimizers.schedules": 100, "utils": 100, "callbacks": 100, "activations": 100, "initializers": 100,
    "random": 100, "datasets": 100, "applications": 100, "backend": 100, "config": 100, "regularizers": 100,
    "constraints": 100, "saving": 92, "models": 100, "mixed_precision": 100, "dtype_policies": 54, "tree": 100,
    "quantizers": 57, "visualization": 100,
}


def test_every_namespace_is_counted_and_exclusions_are_real_keras_names():
    import importlib

    import keras
    assert set(FLOORS) == {ns or "keras" for ns in keras_coverage.NAMESPACES}
    for ns, names in keras_coverage.EXCLUDED.items():
        mod = importlib.import_module("keras." + ns) if ns else keras
        for name, reason in names.items():
            assert hasattr(mod, name), f"exclusion keras.{ns}.{name} is not a Keras name"
            assert reason, f"exclusion keras.{ns}.{name} needs a reason"


def test_keras_coverage_floors():
    cov = keras_coverage.coverage()
    print("\n" + keras_coverage.table(cov))
    below = {}
    for ns, (have, total, missing) in cov.items():
        pct = 100.0 * have / total
        if pct < FLOORS[ns]:
            below[ns] = (round(pct, 1), FLOORS[ns], missing[:20])
    assert not below, f"coverage fell below its floor (percent, floor, first missing names): {below}"
