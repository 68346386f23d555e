"""The ``ember`` command line: ``ember train`` (also ``python -m ember train``)."""
import argparse
import sys


def build_parser():
    from .. import __version__
    parser = argparse.ArgumentParser(prog="ember", description="ember: deep learning on NumPy")
    parser.add_argument("--version", action="version", version=f"ember {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from . import train
    train.add_parser(sub)
    return parser


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
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
