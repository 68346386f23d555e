"""Run a PyTorch program on ember without editing it: ``python -m ember.torch_compat script.py [args]``.

The :mod:`ember.compat` alias is installed first, so the program's ``import torch``,
``import torch.nn as nn`` and ``from torchvision import datasets`` get ember's modules. The
program then runs as ``python script.py [args]`` would run it: ``sys.argv`` is
``[script.py, args...]``, ``sys.path[0]`` is the script's directory, ``__name__`` is
``"__main__"``, an uncaught exception prints its traceback (starting at the script, without
this runner's frames) and exits with status 1, and ``sys.exit(n)`` exits with ``n``.
``python -m ember.torch_compat -m package.module [args]`` runs a module as ``python -m`` would,
and ``-c "code"`` runs a string as ``python -c`` would.
"""
import builtins
import importlib.machinery
import io
import os
import runpy
import sys
import types

USAGE = "usage: python -m ember.torch_compat (script.py | -m module | -c code) [args ...]"


def _own_frame(tb):
    frame = tb.tb_frame
    return frame.f_code.co_filename == __file__ or frame.f_globals.get("__name__") == "runpy"


def _run_main(code, filename=None):
    # As the interpreter runs a script or ``-c``: a fresh ``__main__`` module; for a file,
    # ``__file__`` is absolute and its loader a SourceFileLoader.
    main = types.ModuleType("__main__")
    main.__dict__.update(__builtins__=builtins, __spec__=None, __package__=None)
    if filename is not None:
        main.__dict__.update(__file__=filename, __cached__=None,
                             __loader__=importlib.machinery.SourceFileLoader("__main__", filename))
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def _run_script(path):
    if not os.path.isfile(path) or path.endswith((".zip", ".pyz")):
        return runpy.run_path(path, run_name="__main__")  # a directory or zip with __main__.py
    filename = os.path.abspath(path)
    with io.open_code(filename) as f:
        code = compile(f.read(), filename, "exec")
    _run_main(code, filename)


def _report(exc):
    tb = exc.__traceback__
    while tb is not None and _own_frame(tb):
        tb = tb.tb_next
    sys.excepthook(type(exc), exc.with_traceback(tb), tb)


def run(argv):
    """Run ``argv`` (``[script, args...]``, ``["-m", module, args...]`` or ``["-c", code, args...]``)
    with the alias installed."""
    if not argv or (argv[0] in ("-m", "-c") and len(argv) < 2):
        print(USAGE, file=sys.stderr)
        return 2
    if argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    from ember import compat
    compat.install()
    compat.present_as_torch()
    try:
        if argv[0] == "-m":
            sys.argv = argv[1:]
            sys.path[0] = os.getcwd()
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        elif argv[0] == "-c":
            sys.argv = ["-c", *argv[2:]]
            sys.path[0] = ""
            _run_main(compile(argv[1], "<string>", "exec"))
        else:
            if not os.path.exists(argv[0]):
                print(f"{sys.executable}: can't open file {os.path.abspath(argv[0])!r}: "
                      f"[Errno 2] No such file or directory", file=sys.stderr)
                return 2
            sys.argv = list(argv)
            sys.path[0] = os.path.dirname(os.path.realpath(argv[0]))
            _run_script(argv[0])
    except SystemExit:
        raise
    except KeyboardInterrupt as e:
        _report(e)
        return 130
    except BaseException as e:  # noqa: BLE001 (reported as the interpreter would, then exit 1)
        _report(e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
