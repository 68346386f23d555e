"""ONNX's own backend test suite run through ember: case collection, one runner, a report.

The cases are those ``onnx.backend.test`` ships: the node cases it generates in memory, and the
model directories pytorch-converted, pytorch-operator, simple and light (the ``real`` kind's
entries point at the light models, so they are run once, as ``light``, with ONNX's dummy inputs
and ONNX's stored expected outputs). Outputs are compared with ONNX's own
``Runner.assert_similar_outputs`` (shape, dtype, then rtol/atol of the case, 1e-3/1e-7 unless the
case says otherwise).

``python -m tests.onnx.backend_report`` prints passed/failed/unsupported per group, the time, and
which ops ember does not implement.
"""
import glob
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict

import numpy as np

GROUPS = ("node", "pytorch-converted", "pytorch-operator", "simple", "light")


def _data_dir():
    import onnx.backend.test.loader as loader
    return loader.DATA_DIR


class Case:
    """One suite case: its group, name, tolerances and a way to get (model, data sets)."""

    def __init__(self, group, name, rtol, atol, load):
        self.group, self.name, self.rtol, self.atol, self._load = group, name, rtol, atol, load

    def load(self):
        return self._load()

    def __repr__(self):
        return f"{self.group}/{self.name}"


def _read_proto(path, type_proto):
    import onnx
    from onnx import numpy_helper
    with open(path, "rb") as f:
        data = f.read()
    if type_proto.HasField("sequence_type"):
        seq = onnx.SequenceProto()
        seq.ParseFromString(data)
        return numpy_helper.to_list(seq)
    if type_proto.HasField("optional_type"):
        opt = onnx.OptionalProto()
        opt.ParseFromString(data)
        return numpy_helper.to_optional(opt)
    t = onnx.TensorProto()
    t.ParseFromString(data)
    return numpy_helper.to_array(t)


def _dir_loader(case_dir):
    def load():
        import onnx
        model = onnx.load(os.path.join(case_dir, "model.onnx"))
        sets = []
        for d in sorted(glob.glob(os.path.join(case_dir, "test_data_set*"))):
            n_in = len(glob.glob(os.path.join(d, "input_*.pb")))
            n_out = len(glob.glob(os.path.join(d, "output_*.pb")))
            ins = [_read_proto(os.path.join(d, f"input_{i}.pb"), model.graph.input[i].type) for i in range(n_in)]
            outs = [_read_proto(os.path.join(d, f"output_{i}.pb"), model.graph.output[i].type)
                    for i in range(n_out)]
            sets.append((ins, outs))
        return model, sets
    return load


def _light_loader(path):
    def load():
        import onnx
        from onnx import numpy_helper
        from onnx.backend.test.runner import Runner
        model = onnx.load(path)
        inits = {i.name for i in model.graph.initializer}
        ins = [Runner.generate_dummy_data(x, seed=0, name=path, random=False)
               for x in model.graph.input if x.name not in inits]
        prefix = os.path.splitext(path)[0]
        outs = []
        for i in range(len(model.graph.output)):
            t = onnx.TensorProto()
            with open(f"{prefix}_output_{i}.pb", "rb") as f:
                t.ParseFromString(f.read())
            outs.append(numpy_helper.to_array(t))
        return model, [(ins, outs)]
    return load


def collect(groups=GROUPS):
    """Every case of the requested groups, in a stable order."""
    cases = []
    root = _data_dir()
    if "node" in groups:
        from onnx.backend.test.loader import load_model_tests
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the generators overflow casts on purpose
            with np.errstate(all="ignore"):
                node_cases = load_model_tests(kind="node")
        for tc in sorted(node_cases, key=lambda t: t.name):
            cases.append(Case("node", tc.name, tc.rtol, tc.atol,
                              (lambda tc=tc: (tc.model, [(list(i), list(o)) for i, o in tc.data_sets]))))
    for g in ("pytorch-converted", "pytorch-operator", "simple"):
        if g not in groups:
            continue
        for name in sorted(os.listdir(os.path.join(root, g))):
            d = os.path.join(root, g, name)
            if not os.path.isdir(d):
                continue
            rtol, atol = 1e-3, 1e-7
            if os.path.exists(os.path.join(d, "data.json")):
                with open(os.path.join(d, "data.json")) as f:
                    meta = json.load(f)
                rtol, atol = meta.get("rtol", rtol), meta.get("atol", atol)
            cases.append(Case(g, name, rtol, atol, _dir_loader(d)))
    if "light" in groups:
        real = os.path.join(root, "real")
        for name in sorted(os.listdir(real)):
            with open(os.path.join(real, name, "data.json")) as f:
                meta = json.load(f)
            path = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(root)))),
                                meta["url"])
            cases.append(Case("light", name, meta.get("rtol", 1e-3), meta.get("atol", 1e-7), _light_loader(path)))
    return cases


_OP_RE = re.compile(r"op (\w+) \(node|: (\w+) node ")


def run_case(case):
    """Run one case: returns ("passed" | "unsupported" | "failed", message)."""
    from onnx.backend.test.runner import Runner
    import onnx

    from ember.onnx.backend import EmberBackend
    model, sets = case.load()
    try:
        rep = EmberBackend.prepare(model, "CPU")
        for ins, outs in sets:
            ins = [onnx.numpy_helper.to_array(i) if isinstance(i, onnx.TensorProto) else i for i in ins]
            outs = [onnx.numpy_helper.to_array(o) if isinstance(o, onnx.TensorProto) else o for o in outs]
            with np.errstate(all="ignore"):
                got = rep.run(ins)
            got = list(got)
            assert len(got) == len(outs), f"{len(got)} outputs, expected {len(outs)}"
            for ref, out in zip(outs, got):
                # a sequence output is compared as a list of outputs: the harness's own recursion
                # into sequences hands 0-d arrays to len() and fails
                pair = (ref, out) if isinstance(ref, list) and isinstance(out, list) else ([ref], [out])
                Runner.assert_similar_outputs(*pair, rtol=case.rtol, atol=case.atol)
    except NotImplementedError as e:
        return "unsupported", str(e)
    except Exception as e:  # noqa: BLE001 - the report counts every other failure as failed
        return "failed", f"{type(e).__name__}: {str(e)[:300]}"
    return "passed", ""


def unsupported_op(message):
    """The op (or "dtype X", "sequence input") a NotImplementedError from ember.onnx names."""
    m = _OP_RE.search(message)
    if m:
        return m.group(1) or m.group(2)
    m = re.search(r"tensors of dtype (\w+)", message)
    if m:
        return f"dtype {m.group(1)}"
    if "sequence/map/optional" in message:
        return "sequence input"
    return message


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    groups = [g for g in GROUPS if not argv or g in argv]
    verbose = "-v" in argv
    t0 = time.perf_counter()
    cases = collect(groups)
    t_collect = time.perf_counter() - t0
    counts = defaultdict(Counter)
    times = Counter()
    missing = Counter()
    failures = []
    for case in cases:
        t = time.perf_counter()
        status, msg = run_case(case)
        times[case.group] += time.perf_counter() - t
        counts[case.group][status] += 1
        if status == "unsupported":
            missing[unsupported_op(msg)] += 1
        elif status == "failed":
            failures.append((case, msg))
        if verbose and status != "passed":
            print(f"{status:11s} {case}: {msg}")
    print(f"ONNX backend test suite through ember (onnx {__import__('onnx').__version__}); "
          f"collecting took {t_collect:.1f}s")
    print(f"| group | cases | passed | failed | unsupported (skipped) | time (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    tot = Counter()
    for g in groups:
        c = counts[g]
        n = sum(c.values())
        tot.update(c)
        print(f"| {g} | {n} | {c['passed']} | {c['failed']} | {c['unsupported']} | {times[g]:.1f} |")
    print(f"| total | {sum(tot.values())} | {tot['passed']} | {tot['failed']} | {tot['unsupported']} | "
          f"{sum(times.values()):.1f} |")
    print("real: the suite's 'real' entries are the light models above (data.json urls point at "
          "data/light); no download is needed or done.")
    if missing:
        print("\nunsupported ops (cases): " + ", ".join(f"{k} ({v})" for k, v in sorted(missing.items())))
    if failures:
        print("\nfailed:")
        for case, msg in failures:
            print(f"  {case}: {msg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
