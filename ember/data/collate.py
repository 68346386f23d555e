"""Turning a list of samples into a batch: ``default_collate`` and ``default_convert``.

``default_collate`` follows PyTorch's rules, recursively:

=================================  =================================================
each sample is                     the batch is
=================================  =================================================
``ember.Tensor`` of shape S        ``ember.stack(samples)``, shape ``(B, *S)``
NumPy array                        the same, after ``ember.as_tensor``
NumPy scalar                       a 1-D tensor of its dtype
``float``                          a float64 tensor of shape ``(B,)``
``int``                            an int64 tensor of shape ``(B,)``
``bool``                           a bool tensor of shape ``(B,)``
``str`` or ``bytes``               the samples, unchanged (the list, or the
                                   tuple of a column of a tuple or list)
mapping                            the same mapping type, each key collated
namedtuple                         the same namedtuple type, each field collated
tuple                              a *list*, each position collated (as PyTorch does)
other sequence                     the same sequence type, each position collated
=================================  =================================================

>>> batch = default_collate([(1, 0.5, "a"), (2, 1.5, "b")])
>>> batch[0].dtype, batch[1].dtype, batch[2]
(ember.int64, ember.float64, ('a', 'b'))
"""
import collections.abc
import copy

import numpy as np

import ember

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map"]

_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
          "found {}")
_NUMPY_STRING_KINDS = "SaUO"


def _tensor(array):
    return ember.from_numpy(np.ascontiguousarray(array))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    shapes = {tuple(t.shape) for t in batch}
    if len(shapes) > 1:
        raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, but "
                           f"got shapes {sorted(shapes)} in one batch")
    if any(t.requires_grad for t in batch):
        return ember.stack(list(batch), 0)
    return _tensor(np.stack([t._data for t in batch]))


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if elem.dtype.kind in _NUMPY_STRING_KINDS:
        raise TypeError(_ERROR.format(elem.dtype))
    shapes = {a.shape for a in batch}
    if len(shapes) > 1:
        raise RuntimeError(f"default_collate: stack expects each array to be equal size, but "
                           f"got shapes {sorted(shapes)} in one batch")
    return _tensor(np.stack(batch))


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return _tensor(np.array(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    return _tensor(np.array(batch, dtype=np.float64))


def collate_int_fn(batch, *, collate_fn_map=None):
    if all(isinstance(b, bool) for b in batch):
        return _tensor(np.array(batch, dtype=np.bool_))
    return _tensor(np.array(batch, dtype=np.int64))


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    ember.Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def _lookup(elem, collate_fn_map):
    elem_type = type(elem)
    if elem_type in collate_fn_map:
        return collate_fn_map[elem_type]
    for collate_type, fn in collate_fn_map.items():
        if isinstance(elem, collate_type):
            return fn
    return None


def collate(batch, *, collate_fn_map=None):
    """Collate ``batch`` (a list of samples) with per-type functions from ``collate_fn_map``.

    ``collate_fn_map`` maps a type to ``fn(batch, *, collate_fn_map)``; the exact type of the
    first sample is tried first, then each key with ``isinstance``. Containers (mappings,
    namedtuples, sequences) recurse. This is the extension point for custom collation:

    >>> def collate_none(batch, *, collate_fn_map=None):
    ...     return None
    >>> collate([None, None], collate_fn_map={type(None): collate_none}) is None
    True
    """
    collate_fn_map = default_collate_fn_map if collate_fn_map is None else collate_fn_map
    if not isinstance(batch, collections.abc.Sequence) or isinstance(batch, (str, bytes)):
        batch = list(batch)
    elem = batch[0]
    fn = _lookup(elem, collate_fn_map)
    if fn is not None:
        return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        return collate_numpy_scalar_fn(batch)
    if isinstance(elem, collections.abc.Mapping):
        values = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                  for key in elem}
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        try:
            return type(elem)(values)
        except TypeError:
            return values
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence) and not isinstance(elem, (str, bytes)):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError(f"each element in list of batch should be of equal size, got "
                               f"sizes {[len(e) for e in batch]}")
        # Each column stays the tuple zip gives, as in PyTorch (strings come back as a tuple).
        columns = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, column in enumerate(columns):
                clone[i] = column
            return clone
        try:
            return type(elem)(columns)
        except TypeError:
            return columns
    raise TypeError(_ERROR.format(type(elem)))


def default_collate(batch):
    """Stack a list of samples into a batch, following PyTorch's ``default_collate``.

    Args:
        batch (list): samples as a ``Dataset.__getitem__`` returns them.

    Returns:
        the batch: see the module docstring for the rules.

    >>> import ember
    >>> default_collate([ember.zeros(3), ember.ones(3)]).shape
    ember.Size([2, 3])
    >>> default_collate([{"x": 1}, {"x": 2}])["x"].tolist()
    [1, 2]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """Convert NumPy arrays inside one sample to tensors, leaving everything else as it is.

    The ``collate_fn`` when automatic batching is off (``DataLoader(batch_size=None)``).

    >>> default_convert({"x": np.zeros(2)})["x"].dtype
    ember.float64
    """
    if isinstance(data, ember.Tensor):
        return data
    if isinstance(data, np.ndarray):
        if data.dtype.kind in _NUMPY_STRING_KINDS:
            return data
        return ember.as_tensor(data)
    if isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_)):
        return ember.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        values = {key: default_convert(data[key]) for key in data}
        if isinstance(data, collections.abc.MutableMapping):
            clone = copy.copy(data)
            clone.update(values)
            return clone
        try:
            return type(data)(values)
        except TypeError:
            return values
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        converted = [default_convert(d) for d in data]
        if isinstance(data, collections.abc.MutableSequence):
            clone = copy.copy(data)
            for i, d in enumerate(converted):
                clone[i] = d
            return clone
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    return data
