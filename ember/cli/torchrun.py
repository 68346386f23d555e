"""``ember torchrun [torchrun options] script.py [args...]``: ``python -m ember.distributed.run``.

The workers meet over ember's gloo (TCP) transport, with no MPI needed: see :mod:`ember.distributed.run`.

    ember torchrun --nproc_per_node 2 train.py --epochs 3
"""
import argparse


def add_parser(sub):
    p = sub.add_parser("torchrun", help="run a script on N local processes, as torchrun (gloo over TCP)",
                       description="torchrun's launcher: start --nproc_per_node workers of a script with torchrun's "
                                   "environment; init_process_group('gloo') connects them over TCP.",
                       add_help=False)
    p.add_argument("argv", nargs=argparse.REMAINDER, help="torchrun's options, the script and its arguments")
    p.set_defaults(func=run)
    return p


def main(argv):
    from ember.distributed.run import main as run_main
    return run_main(argv)


def run(args):
    return main(args.argv)
