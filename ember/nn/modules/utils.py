"""``ember.nn.modules.utils``: the tuple helpers PyTorch layers use (``_pair(3) == (3, 3)``).

>>> from ember.nn.modules.utils import _pair, _triple
>>> _pair(3), _pair((1, 2)), _triple(2)
((3, 3), (1, 2), (2, 2, 2))
"""
import collections.abc
import itertools


def _ntuple(n, name="parse"):
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(itertools.repeat(x, n))
    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def consume_prefix_in_state_dict_if_present(state_dict, prefix):
    """Strip ``prefix`` from the keys of ``state_dict`` in place (and from its ``_metadata``), as a model
    saved through DataParallel / DistributedDataParallel (``"module."``) is loaded into a plain one.

    >>> sd = {"module.fc.weight": 1, "module.fc.bias": 2}
    >>> consume_prefix_in_state_dict_if_present(sd, "module.")
    >>> sorted(sd)
    ['fc.bias', 'fc.weight']
    """
    for key in list(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        for key in list(metadata.keys()):
            # '' belongs to the wrapper itself; 'module' (the wrapped model) and 'module.x.y' lose the prefix.
            if key and (key == prefix.replace(".", "") or key.startswith(prefix)):
                metadata[key[len(prefix):]] = metadata.pop(key)
