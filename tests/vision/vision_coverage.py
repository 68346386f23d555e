"""How much of torchvision's public API ``ember.vision`` has: for each torchvision namespace, the
share of the public names torchvision 0.29 defines there (recorded in
fixtures/torchvision_names.json by make_torchvision_transforms_fixture.py, since torchvision
cannot be imported beside the torch oracle) that the matching ``ember.vision`` namespace also
has, less a written list of names that do not apply to ember.

Run as a script to print the table and the missing names (of all namespaces, or those given)::

    python tests/vision/vision_coverage.py
    python tests/vision/vision_coverage.py transforms.v2 utils
"""
import importlib
import json
import os
import sys

NAMES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures",
                     "torchvision_names.json")
NAMESPACES = ["transforms", "transforms.v2", "transforms.functional", "transforms.v2.functional",
              "utils", "io", "tv_tensors"]

# Names left out of the count, each with the reason it does not apply to ember.
EXCLUDED = {
    "transforms.functional": {
        "F_pil": "torchvision's private PIL kernel module, re-exported under a short name",
        "F_t": "torchvision's private tensor kernel module, re-exported under a short name",
    },
    "io": {
        "image": "torchvision's implementation submodule torchvision.io.image; its functions "
                 "are in ember.vision.io itself",
    },
    "transforms.v2.functional": {
        "register_kernel": "registers a kernel for a torchvision TVTensor subclass in "
                           "torchvision's dispatch table, which ember's per-kind ops do not use",
    },
}


def recorded_names():
    with open(NAMES) as f:
        return json.load(f)


def coverage():
    """``{namespace: (have, total, missing names)}`` over ``NAMESPACES``."""
    names = recorded_names()
    out = {}
    for ns in NAMESPACES:
        wanted = [n for n in names[ns] if n not in EXCLUDED.get(ns, {})]
        try:
            mod = importlib.import_module("ember.vision." + ns)
        except ImportError:
            mod = None
        missing = [n for n in wanted if mod is None or not hasattr(mod, n)]
        out[ns] = (len(wanted) - len(missing), len(wanted), missing)
    return out


def table(cov):
    lines = [f"{'namespace':<28}{'ember':>7}{'tv':>6}{'%':>8}"]
    for ns, (have, total, _) in cov.items():
        lines.append(f"{ns:<28}{have:>7}{total:>6}{100.0 * have / total:>7.1f}%")
    have, total = sum(v[0] for v in cov.values()), sum(v[1] for v in cov.values())
    lines.append(f"{'all':<28}{have:>7}{total:>6}{100.0 * have / total:>7.1f}%")
    return "\n".join(lines)


def main(argv):
    cov = coverage()
    print(table(cov))
    for ns in argv or list(cov):
        if ns not in cov:
            print(f"\nunknown namespace {ns!r}; expected one of {list(cov)}")
            continue
        print(f"\n{ns}: {len(cov[ns][2])} missing")
        for name in cov[ns][2]:
            print(f"  {name}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    main(sys.argv[1:])
