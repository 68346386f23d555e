"""default_collate / default_convert against torch.utils.data's, on the same nested inputs."""
import collections

import numpy as np
import pytest
import torch
from torch.utils.data import default_collate as torch_collate
from torch.utils.data import default_convert as torch_convert

import ember
from ember.utils.data import collate, default_collate, default_convert

Point = collections.namedtuple("Point", ["x", "y"])


def to_torch(sample):
    """The same sample with ember tensors replaced by torch tensors."""
    if isinstance(sample, ember.Tensor):
        return torch.from_numpy(sample.numpy().copy())
    if isinstance(sample, Point):
        return Point(*(to_torch(v) for v in sample))
    if isinstance(sample, dict):
        return {k: to_torch(v) for k, v in sample.items()}
    if isinstance(sample, (list, tuple)):
        return type(sample)(to_torch(v) for v in sample)
    return sample


def assert_same(ours, theirs):
    """Structure, container types, dtypes and values all equal."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ember.Tensor), type(ours)
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        return
    assert type(ours) is type(theirs), (type(ours), type(theirs))
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs)
        for k in theirs:
            assert_same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
    else:
        assert ours == theirs


SAMPLES = {
    "ints": [1, 2, 3],
    "floats": [0.5, 1.5, -2.0],
    "bools": [True, False, True],
    "strings": ["a", "bb", "c"],
    "bytes": [b"a", b"b", b"c"],
    "numpy arrays": [np.full((2, 3), i, dtype=np.float32) for i in range(3)],
    "numpy int arrays": [np.arange(4, dtype=np.int16) + i for i in range(3)],
    "numpy float scalars": [np.float32(1.5), np.float32(2.5), np.float32(0)],
    "numpy int scalars": [np.int64(1), np.int64(7), np.int64(3)],
    "numpy bool scalars": [np.bool_(True), np.bool_(False), np.bool_(True)],
    "tensors": [ember.ones(2, 2) * i for i in range(3)],
    "0-d tensors": [ember.tensor(i) for i in range(3)],
    "tuples": [(ember.zeros(3) + i, i, float(i)) for i in range(3)],
    "lists": [[ember.zeros(1) + i, i] for i in range(3)],
    "dicts": [{"image": ember.ones(1, 2, 2) * i, "label": i, "name": f"n{i}"} for i in range(3)],
    "namedtuples": [Point(ember.ones(2) * i, i) for i in range(3)],
    "nested": [{"a": (i, [0.5 * i, {"b": np.int32(i)}]), "c": Point(str(i), ember.zeros(1))}
               for i in range(3)],
}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_default_collate_matches_torch(name):
    batch = SAMPLES[name]
    assert_same(default_collate(batch), torch_collate(to_torch(batch)))


@pytest.mark.parametrize("name", ["ints", "floats", "strings", "numpy arrays", "numpy int scalars",
                                  "tuples", "dicts", "namedtuples", "nested"])
def test_default_convert_matches_torch(name):
    sample = SAMPLES[name][1]
    assert_same(default_convert(sample), torch_convert(to_torch(sample)))


def test_python_numbers_become_int64_float64_bool():
    assert default_collate([1, 2]).dtype == ember.int64
    assert default_collate([1.0, 2.0]).dtype == ember.float64
    assert default_collate([True, False]).dtype == ember.bool


def test_mutable_mapping_subclass_is_kept():
    batch = [collections.OrderedDict(a=1, b=2.0), collections.OrderedDict(a=3, b=4.0)]
    out = default_collate(batch)
    assert type(out) is collections.OrderedDict and list(out) == ["a", "b"]


def test_unequal_sequences_raise_like_torch():
    batch = [[1, 2], [3]]
    with pytest.raises(RuntimeError, match="equal size"):
        torch_collate(batch)
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate(batch)


def test_unequal_tensor_shapes_raise():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([ember.zeros(2), ember.zeros(3)])


def test_unsupported_type_raises_type_error_naming_it():
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="<U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_collate_fn_map_extension_point():
    def collate_none(batch, *, collate_fn_map=None):
        return "nones"

    out = collate([(None, 1), (None, 2)], collate_fn_map={type(None): collate_none, int:
                                                          lambda b, **kw: sum(b)})
    assert out == ["nones", 3]


def test_collated_tensor_requiring_grad_keeps_the_graph():
    a = ember.ones(2, requires_grad=True)
    out = default_collate([a, a * 2])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])
