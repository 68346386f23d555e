"""nn.utils.rnn: pad_sequence, pack_padded_sequence, pad_packed_sequence, pack_sequence against PyTorch."""
import numpy as np
import pytest
import torch

import ember
from ember.nn.utils import rnn as ernn

trnn = torch.nn.utils.rnn


def E(t):
    return ember.tensor(t.detach().numpy().copy(), requires_grad=t.requires_grad)


def seqs(lengths, feat=(3,)):
    return [torch.randn(n, *feat, dtype=torch.float64, requires_grad=True) for n in lengths]


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("feat", [(3,), (), (2, 2)])
def test_pad_sequence(batch_first, padding_side, feat):
    ts = seqs([2, 4, 1], feat)
    es = [E(t) for t in ts]
    pt = trnn.pad_sequence(ts, batch_first=batch_first, padding_value=-1.5, padding_side=padding_side)
    pe = ernn.pad_sequence(es, batch_first=batch_first, padding_value=-1.5, padding_side=padding_side)
    np.testing.assert_array_equal(pe.detach().numpy(), pt.detach().numpy())
    w = np.random.default_rng(0).standard_normal(tuple(pt.shape))
    (pt * torch.from_numpy(w)).sum().backward()
    (pe * ember.tensor(w)).sum().backward()
    for a, b in zip(es, ts):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_and_pad_round_trip(batch_first, enforce_sorted):
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    x = torch.randn(*((4, 5, 2) if batch_first else (5, 4, 2)), dtype=torch.float64, requires_grad=True)
    ex = E(x)
    pt = trnn.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    pe = ernn.pack_padded_sequence(ex, ember.tensor(lengths), batch_first=batch_first,
                                   enforce_sorted=enforce_sorted)
    np.testing.assert_array_equal(pe.data.detach().numpy(), pt.data.detach().numpy())
    np.testing.assert_array_equal(pe.batch_sizes.numpy(), pt.batch_sizes.numpy())
    for a, b in ((pe.sorted_indices, pt.sorted_indices), (pe.unsorted_indices, pt.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    out_t, len_t = trnn.pad_packed_sequence(pt, batch_first=batch_first, padding_value=9.0, total_length=7)
    out_e, len_e = ernn.pad_packed_sequence(pe, batch_first=batch_first, padding_value=9.0, total_length=7)
    np.testing.assert_array_equal(out_e.detach().numpy(), out_t.detach().numpy())
    np.testing.assert_array_equal(len_e.numpy(), len_t.numpy())
    assert len_e.dtype == ember.int64
    w = np.random.default_rng(0).standard_normal(tuple(out_t.shape))
    (out_t * torch.from_numpy(w)).sum().backward()
    (out_e * ember.tensor(w)).sum().backward()
    np.testing.assert_array_equal(ex.grad.numpy(), x.grad.numpy())


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack(enforce_sorted):
    ts = seqs([4, 2, 1] if enforce_sorted else [2, 4, 1])
    pt = trnn.pack_sequence(ts, enforce_sorted=enforce_sorted)
    pe = ernn.pack_sequence([E(t) for t in ts], enforce_sorted=enforce_sorted)
    np.testing.assert_array_equal(pe.data.detach().numpy(), pt.data.detach().numpy())
    for a, b in zip(ernn.unpack_sequence(pe), trnn.unpack_sequence(pt)):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_packed_sequence_is_a_tuple_with_fields():
    pe = ernn.pack_sequence([ember.ones(2, 1), ember.ones(1, 1)])
    data, batch_sizes, sorted_indices, unsorted_indices = pe
    assert data is pe.data and sorted_indices is None and unsorted_indices is None
    assert pe.double().data.dtype == ember.float64


def test_errors():
    x = ember.randn(3, 2, 1)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        ernn.pack_padded_sequence(x, [1, 3])
    with pytest.raises(RuntimeError, match="greater than 0"):
        ernn.pack_padded_sequence(x, [3, 0])
    with pytest.raises(RuntimeError, match="expected 2 lengths"):
        ernn.pack_padded_sequence(x, [3, 2, 1])
    with pytest.raises(ValueError, match="total_length"):
        ernn.pad_packed_sequence(ernn.pack_padded_sequence(x, [3, 2]), total_length=2)
    with pytest.raises(RuntimeError, match="sequence 1 has shape"):
        ernn.pad_sequence([ember.ones(2, 3), ember.ones(2, 4)])
