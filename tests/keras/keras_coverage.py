"""How much of Keras 3's public API ``ember.keras`` has: for each Keras namespace, the share of its public
names (``dir()``, no leading underscore) that the matching ``ember.keras`` namespace also has, less a
written list of names that belong to another backend (TensorFlow or JAX) or to Keras's internals.

Run as a script to print the table and every missing name (or the missing names of the namespaces given)::

    KERAS_BACKEND=torch python tests/keras/keras_coverage.py
    KERAS_BACKEND=torch python tests/keras/keras_coverage.py losses metrics
"""
import importlib
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

NAMESPACES = ["", "layers", "ops", "losses", "metrics", "optimizers", "optimizers.schedules", "utils", "callbacks",
              "activations", "initializers", "random", "datasets", "applications", "backend", "config", "regularizers",
              "constraints", "saving", "models", "mixed_precision", "dtype_policies", "tree", "quantizers",
              "visualization"]

# Names left out of the count, each with the reason it does not apply to ember.
EXCLUDED = {
    "": {
        "src": "Keras's private implementation package",
        "legacy": "tf.keras 2 compatibility shims (TensorFlow only)",
        "distribution": "JAX's device-mesh distribution API",
        "export": "ExportArchive writes TensorFlow SavedModels",
    },
    "layers": {
        "TFSMLayer": "loads a TensorFlow SavedModel",
        "JaxLayer": "wraps a JAX function",
        "FlaxLayer": "wraps a Flax module (JAX)",
    },
    "optimizers": {
        "legacy": "tf.keras 2 optimizers (TensorFlow only)",
    },
    "utils": {
        "legacy": "tf.keras 2 serialization shims (TensorFlow only)",
    },
    "callbacks": {
        "OrbaxCheckpoint": "checkpoints through Orbax (JAX)",
    },
}


def _public(module):
    return sorted(n for n in dir(module) if not n.startswith("_"))


def _module(root, path):
    mod = root
    for part in filter(None, path.split(".")):
        mod = getattr(mod, part, None)
        if mod is None:
            return None
    return mod


def coverage():
    """``{namespace: (have, total, missing names)}`` over ``NAMESPACES``."""
    import keras

    from ember import keras as ek
    out = {}
    for ns in NAMESPACES:
        kmod = importlib.import_module("keras." + ns) if ns else keras
        names = [n for n in _public(kmod) if n not in EXCLUDED.get(ns, {})]
        emod = _module(ek, ns)
        missing = [n for n in names if emod is None or not hasattr(emod, n)]
        out[ns or "keras"] = (len(names) - len(missing), len(names), missing)
    return out


def table(cov):
    lines = [f"{'namespace':<24}{'ember':>7}{'keras':>7}{'%':>8}"]
    for ns, (have, total, _) in cov.items():
        pct = 100.0 * have / total if total else 100.0
        lines.append(f"{ns:<24}{have:>7}{total:>7}{pct:>7.1f}%")
    have = sum(v[0] for v in cov.values())
    total = sum(v[1] for v in cov.values())
    lines.append(f"{'all':<24}{have:>7}{total:>7}{100.0 * have / total:>7.1f}%")
    return "\n".join(lines)


def main(argv):
    cov = coverage()
    print(table(cov))
    wanted = [a if a != "keras" else "keras" for a in argv] or list(cov)
    for ns in wanted:
        key = ns if ns in cov else ("keras" if ns in ("", "keras") else ns)
        if key not in cov:
            print(f"\nunknown namespace {ns!r}; expected one of {list(cov)}")
            continue
        missing = cov[key][2]
        print(f"\n{key}: {len(missing)} missing")
        for name in missing:
            print(f"  {name}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    main(sys.argv[1:])
