"""``torch.distributed``'s debug level: ``DebugLevel`` (OFF, INFO, DETAIL), read from ``TORCH_DISTRIBUTED_DEBUG``.

The level is recorded for programs that set or read it; ember's collectives report the same either way
(they already name the rank, the operation and the timeout when a job fails).

>>> import ember.distributed as dist
>>> dist.set_debug_level(dist.DebugLevel.INFO); dist.get_debug_level()
<DebugLevel.INFO: 1>
>>> dist.set_debug_level(dist.DebugLevel.OFF)
"""
import enum
import os

__all__ = ["DebugLevel", "get_debug_level", "set_debug_level", "set_debug_level_from_env"]


class DebugLevel(enum.Enum):
    """``OFF`` (0), ``INFO`` (1), ``DETAIL`` (2); ``int(level)`` is the number, as PyTorch's."""
    OFF = 0
    INFO = 1
    DETAIL = 2

    def __int__(self):
        return self.value

    __index__ = __int__


_level = [None]


def _from_env():
    value = os.environ.get("TORCH_DISTRIBUTED_DEBUG")
    if value is None:
        return DebugLevel.OFF
    try:
        return DebugLevel[value.upper()]
    except KeyError:
        raise ValueError("The value of TORCH_DISTRIBUTED_DEBUG must be OFF, INFO, or DETAIL.") from None


def get_debug_level():
    """The debug level (at first, ``TORCH_DISTRIBUTED_DEBUG``'s, or OFF)."""
    if _level[0] is None:
        try:
            _level[0] = _from_env()
        except ValueError:
            _level[0] = DebugLevel.OFF
    return _level[0]


def set_debug_level(level):
    if not isinstance(level, DebugLevel):
        raise TypeError(f"set_debug_level(): expected a DebugLevel, got {type(level).__name__}")
    _level[0] = level


def set_debug_level_from_env():
    """Set the level from ``TORCH_DISTRIBUTED_DEBUG`` (OFF, INFO or DETAIL, any case; unset is OFF)."""
    _level[0] = _from_env()
