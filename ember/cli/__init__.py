"""The ``ember`` command line: ``ember train`` (also ``python -m ember train``) and its siblings.

Each subcommand is one module of this package with an ``add_parser(subparsers)`` function; the
modules import their heavy dependencies inside the command, so ``ember --help`` stays quick.
"""
import argparse
import importlib
import sys

# The subcommand modules, in the order ``ember --help`` lists them.
COMMANDS = ["train", "export", "serve", "runs", "models", "run", "torchrun"]


def build_parser():
    from .. import __version__
    parser = argparse.ArgumentParser(prog="ember", description="ember: deep learning on NumPy")
    parser.add_argument("--version", action="version", version=f"ember {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            continue                      # a command this checkout does not have yet
        module.add_parser(sub)
    return parser


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "torchrun":     # torchrun's own options follow: its parser takes them all
        from .torchrun import main as torchrun_main
        return torchrun_main(argv[1:])
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
