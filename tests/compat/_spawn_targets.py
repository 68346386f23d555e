"""Functions run by ember.multiprocessing.spawn in the tests (importable by spawned children)."""
import os


def write_rank(i, directory):
    with open(os.path.join(directory, f"rank{i}"), "w") as f:
        f.write(str(i))


def fail_on_one(i, directory):
    if i == 1:
        raise ValueError(f"rank {i} failed on purpose")


def exit_hard(i):
    os._exit(3)
