"""How much of PyTorch 2.13's public API ember has, namespace by namespace.

``python -m tests.compat.coverage`` prints the table and, for each namespace, the names ember
lacks (``--namespace torch.linalg`` for one, ``--excluded`` to list what is not counted and why).
A name counts when PyTorch's namespace shows it (``dir``, no leading underscore) and
:mod:`tests.compat.torch_exclusions` gives no reason to leave it out; ember has it when the
corresponding ember object has an attribute of that name.
"""
import argparse
import importlib

from tests.compat import torch_exclusions

NAMESPACES = {
    "torch": "ember",
    "torch.nn": "ember.nn",
    "torch.nn.functional": "ember.nn.functional",
    "torch.optim": "ember.optim",
    "torch.utils.data": "ember.utils.data",
    "torch.linalg": "ember.linalg",
    "torch.special": "ember.special",
    "torch.fft": "ember.fft",
    "torch.distributions": "ember.distributions",
    "torch.Tensor": "ember.Tensor",
}


def _resolve(dotted):
    """A module, or a class inside one (``torch.Tensor``); None when ember has no such module yet."""
    try:
        return importlib.import_module(dotted)
    except ImportError:
        parent, _, attr = dotted.rpartition(".")
        try:
            return getattr(importlib.import_module(parent), attr)
        except (ImportError, AttributeError):
            return None


def _has(obj, name):
    if obj is None:
        return False
    try:
        return hasattr(obj, name)
    except Exception:  # noqa: BLE001 (a lazily imported module that fails to import does not have it)
        return False


def survey(namespace):
    """``(counted, missing, excluded)`` for one namespace: sorted names, and {name: reason}."""
    theirs, ours = _resolve(namespace), _resolve(NAMESPACES[namespace])
    counted, excluded = [], {}
    for name in sorted(dir(theirs)):
        if name.startswith("_"):
            continue
        why = torch_exclusions.reason(namespace, name, getattr(theirs, name, None))
        if why is None:
            counted.append(name)
        else:
            excluded[name] = why
    missing = [n for n in counted if not _has(ours, n)]
    return counted, missing, excluded


def table():
    """``{namespace: (percent, have, counted, excluded)}`` for every namespace."""
    rows = {}
    for namespace in NAMESPACES:
        counted, missing, excluded = survey(namespace)
        have = len(counted) - len(missing)
        rows[namespace] = (100.0 * have / len(counted) if counted else 100.0, have, len(counted), len(excluded))
    return rows


def format_table(rows):
    lines = [f"{'namespace':<22} {'coverage':>9} {'ember has':>10} {'counted':>8} {'excluded':>9}"]
    for namespace, (percent, have, counted, excluded) in rows.items():
        lines.append(f"{namespace:<22} {percent:>8.1f}% {have:>10} {counted:>8} {excluded:>9}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.compat.coverage", description=__doc__.splitlines()[0])
    parser.add_argument("--namespace", choices=list(NAMESPACES), help="report one namespace only")
    parser.add_argument("--excluded", action="store_true", help="list the names not counted, with the reason")
    args = parser.parse_args(argv)
    print(format_table(table()))
    for namespace in [args.namespace] if args.namespace else NAMESPACES:
        counted, missing, excluded = survey(namespace)
        print(f"\n{namespace}: {len(missing)} missing of {len(counted)}")
        for name in missing:
            print(f"  {name}")
        if args.excluded:
            print(f"  -- not counted ({len(excluded)}):")
            for name, why in excluded.items():
                print(f"  {name}: {why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
