"""Run several programs in one interpreter, each as ``python prog.py args`` would run it.

``python _runner.py spec.json out.json`` (or ``python -m ember.torch_compat _runner.py ...``)
reads ``[[name, script, [args...]], ...]`` and writes ``{name: {"ok", "stdout", "error",
"result", "seconds"}}``. One process for all the programs pays the import of torch once;
each program still gets its own ``__main__``, ``sys.argv`` and working directory.
"""
import contextlib
import io
import json
import os
import runpy
import sys
import time
import traceback


def run_one(script, args):
    out = io.StringIO()
    sys.argv = [script, *args]
    start = time.perf_counter()
    error = None
    with contextlib.redirect_stdout(out):
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit as exc:
            if exc.code not in (None, 0):
                error = f"SystemExit({exc.code!r})"
        except BaseException:  # noqa: B902 - the report must hold whatever the program raised
            error = traceback.format_exc()
    text = out.getvalue()
    result = None
    for line in text.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
    return {"ok": error is None and result is not None, "stdout": text[-4000:], "error": error,
            "result": result, "seconds": time.perf_counter() - start}


def main(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    report = {}
    cwd = os.getcwd()
    for name, script, args in spec:
        os.makedirs(os.path.join(cwd, name), exist_ok=True)
        os.chdir(os.path.join(cwd, name))
        try:
            report[name] = run_one(script, args)
        finally:
            os.chdir(cwd)
    with open(out_path, "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
