"""The application tasks of ``ember train --task NAME``.

Each task is one module of this package with ``DEFAULTS`` (a dict of the options ``--epochs``,
``--batch-size``, ``--lr`` and ``--out`` it uses when the user leaves them out) and ``run(args)``,
which trains, prints its metrics and returns an exit code. ``mnist`` is ``ember train`` itself
(ember.cli.train).
"""
import importlib

# task name -> module of this package ("mnist" is handled by ember.cli.train)
TASKS = {"mnist": None}
TASKS["recommend"] = "recommend"
TASKS["text-classify"] = "text_classify"
TASKS["char-lm"] = "text_char_lm"
TASKS["wakeword"] = "wakeword"


def run_task(args):
    from ..train import fill_defaults
    module = importlib.import_module(f"{__name__}.{TASKS[args.task]}")
    fill_defaults(args, module.DEFAULTS)
    return module.run(args)
