"""The join context manager: training on uneven inputs (``torch.distributed.algorithms.join``).

When ranks hold different numbers of batches, a rank that runs out first would leave the others
waiting forever in their next collective (DDP's gradient all-reduce). Inside ``Join(joinables)``
a rank that has left its loop "joins": at the block's exit it keeps answering the collectives of
the ranks still training, by running each joinable's ``JoinHook.main_hook()`` once per
iteration they make, until every rank has joined; then every rank runs ``post_hook``.

How a rank learns, each iteration, how many ranks still train: the first joinable calls
``Join.notify_join_context(self)`` at the start of its per-iteration collectives (DDP does so
at the start of ``forward``), which all-reduces a one; a joined rank all-reduces a zero in the
matching call, so the sum

    n_active = sum over ranks of [rank has not joined]

is the number still training, and the joined ranks stop shadowing when it reaches 0. With
``throw_on_early_termination=True`` the first rank to run out raises ``RuntimeError`` (after a
second all-reduce telling the others, which raise too) instead of shadowing.

Example (2 ranks, rank ``r`` with ``3 + r`` batches)::

    model = DistributedDataParallel(net)
    with Join([model]):
        for x, y in batches:
            loss_fn(model(x), y).backward()
            opt.step()
    # every rank gets here; the replicas are equal (the last rank to join broadcast its weights)
"""
import warnings
from abc import ABC, abstractmethod
from typing import NamedTuple

__all__ = ["JoinHook", "Joinable", "Join"]


class JoinHook:
    """What a joined rank runs for a joinable: ``main_hook()`` once per iteration of the ranks still training
    (shadowing that iteration's collectives), ``post_hook(is_last_joiner)`` once when all have joined."""

    def main_hook(self):
        """Shadow one iteration's collectives of the ranks that have not joined (default: nothing)."""

    def post_hook(self, is_last_joiner):
        """Run once all ranks have joined; ``is_last_joiner`` tells whether this rank was among the last."""


class _JoinConfig(NamedTuple):
    enable: bool
    throw_on_early_termination: bool
    is_first_joinable: bool

    @staticmethod
    def construct_disabled_join_config():
        return _JoinConfig(enable=False, throw_on_early_termination=False, is_first_joinable=False)


class Joinable(ABC):
    """A class whose per-iteration collectives a joined rank can shadow: it gives a :class:`JoinHook`, the
    device and the process group its collectives use, and calls ``Join.notify_join_context(self)`` before them."""

    @abstractmethod
    def __init__(self):
        super().__init__()
        self._join_config = _JoinConfig.construct_disabled_join_config()

    @abstractmethod
    def join_hook(self, **kwargs):
        """The :class:`JoinHook` for this joinable; ``kwargs`` are the ones given to :class:`Join`."""

    @property
    @abstractmethod
    def join_device(self):
        """The device of the join context's collectives."""

    @property
    @abstractmethod
    def join_process_group(self):
        """The process group of the join context's collectives."""


class _GroupJoinable(Joinable):
    """A joinable whose collectives run on ``self.process_group`` of CPU ranks (DDP, ZeroRedundancyOptimizer)."""

    @property
    def join_device(self):
        from ember.autograd.tensor import device
        return device("cpu")

    @property
    def join_process_group(self):
        return self.process_group


def _all_reduce(value, group, async_op=False):
    """A one-element float tensor holding ``value``, summed over ``group`` (and the work handle if async)."""
    from ember.creation import full
    from ember.distributed.collectives import all_reduce
    t = full((1,), float(value))
    work = all_reduce(t, group=group, async_op=async_op)
    return t, work


class Join:
    """Context manager for uneven inputs (see the module docstring).

    Args:
        joinables (list of Joinable): at least one; the first one does the per-iteration notification.
        enable (bool): ``False`` makes the block do nothing special (default ``True``).
        throw_on_early_termination (bool): raise on every rank as soon as one runs out (default ``False``).
        **kwargs: passed to every joinable's ``join_hook`` (DDP takes ``divide_by_initial_world_size``).
    """

    def __init__(self, joinables, enable=True, throw_on_early_termination=False, **kwargs):
        if len(joinables) == 0:
            raise ValueError("The join context manager requires at least one joinable")
        self._joinables = joinables
        self._join_hooks = [joinable.join_hook(**kwargs) for joinable in self._joinables]
        self._enable = enable
        self._throw_on_early_termination = throw_on_early_termination
        for i, joinable in enumerate(self._joinables):
            joinable._join_config = _JoinConfig(enable=enable, throw_on_early_termination=throw_on_early_termination,
                                                is_first_joinable=i == 0)
        self._process_group, self._device = None, None
        for joinable in self._joinables:
            if self._process_group is None:
                self._process_group = joinable.join_process_group
            elif self._process_group != joinable.join_process_group:
                raise ValueError("Using join context manager with multiple process groups")
            if self._device is None:
                self._device = joinable.join_device
        from ember.distributed.process_group import get_rank
        self._rank = get_rank(self._process_group)

    def __enter__(self):
        return self

    def __exit__(self, type, value, traceback):
        """Shadow the other ranks' iterations until all have joined, then run the post-hooks."""
        if not self._enable or type:
            return      # an exception in the block propagates as it is
        all_joined, is_last_joiner, i = False, True, 0
        while not all_joined:
            if i == 1000:
                warnings.warn(f"Detected uneven input skew of greater than 1000. This means that rank {self._rank} "
                              f"has at least 1000 fewer inputs than other currently-active ranks. This level of "
                              f"skew could lead to performance degradation during training.", stacklevel=2)
            if self._count(0.0) == 0:
                all_joined = True
            else:
                if self._throw_on_early_termination:
                    self._count(1.0)      # answers the ranks' check in notify_join_context: they raise too
                    raise RuntimeError(f"Rank {self._rank} exhausted all inputs.")
                for hook in self._join_hooks:
                    hook.main_hook()
                is_last_joiner = False
                i += 1
        for hook in self._join_hooks:
            hook.post_hook(is_last_joiner)

    def _count(self, mine):
        return _all_reduce(mine, self._process_group)[0].item()

    @staticmethod
    def notify_join_context(joinable):
        """Tell the join context that this rank has not joined (an all-reduced one); only the first joinable
        communicates. Returns the all-reduce's work handle (``work.result()[0]`` is then the number of ranks
        still training), or ``None``. With ``throw_on_early_termination`` raises if a rank has run out."""
        if not hasattr(joinable, "_join_config"):
            raise AssertionError(f"Check that the {type(joinable)} constructor calls the ``Joinable`` constructor")
        config = joinable._join_config
        if not config.is_first_joinable or not config.enable:
            return None
        group = joinable.join_process_group
        _, work = _all_reduce(1.0, group, async_op=True)
        if config.throw_on_early_termination:
            if _all_reduce(0.0, group)[0].item():
                raise RuntimeError("Detected at least one rank that exhausted inputs. Throwing across all ranks.")
        return work
