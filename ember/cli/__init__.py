"""The ``ember`` command line: ``ember train`` (also ``python -m ember train``)."""
import argparse
import sys


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="ember", description="ember: deep learning on NumPy")
    sub = parser.add_subparsers(dest="command")
    from . import train
    train.add_parser(sub)
    args = parser.parse_args(argv or ["train"])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
