"""ember.io.restricted_pickle and ember.io.npz: the plain-data pickles of CIFAR batches and NumPy object arrays
read without the pickle module, equal to Keras's restricted unpickler on the same bytes (the oracle); every
global but NumPy's array names refused; seeded, bounded fuzzing gives only the reader's own errors."""
import io
import os
import pickle
import random
import struct
import zipfile

import numpy as np
import pytest

from ember.io.npz import load_npz, read_npy
from ember.io.restricted_pickle import RestrictedPickleError, loads
from tests.reliability.test_loader_fuzz import _mutations

N_CASES = 400


def _oracle_loads(data):
    """Keras's restricted unpickler; for the spellings it refuses (protocols 0-2 and 5 as Python 3 writes them:
    _codecs.encode, _frombuffer) the pickle module itself, on data this test made."""
    from keras.src.datasets.npz_utils import RestrictedUnpickler
    try:
        return RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    except pickle.UnpicklingError:
        return pickle.loads(data, encoding="bytes")


def _python2_cifar_batch():
    """A batch as Python 2's cPickle wrote CIFAR (protocol 2, str as SHORT_BINSTRING, numpy.core names)."""
    raw = bytes(range(6))
    return (b"\x80\x02}q\x00(U\x04dataq\x01cnumpy.core.multiarray\n_reconstruct\nq\x02cnumpy\nndarray\nq\x03"
            b"K\x00\x85U\x01b\x87Rq\x04(K\x01K\x02K\x03\x86cnumpy\ndtype\nq\x05U\x02u1K\x00K\x01\x87R"
            b"(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89T" + struct.pack("<i", len(raw)) + raw +
            b"tbU\x06labelsq\x06](K\x07K\x08eU\x0bbatch_labelU\x05batchu.")


def _samples():
    ragged = np.empty(3, dtype=object)
    ragged[0], ragged[1], ragged[2] = [1, 2, 3], [4], list(range(300))
    values = [
        {b"data": np.arange(24, dtype=np.uint8).reshape(2, 12), b"labels": [1, 2], b"filenames": [b"a", b"b"]},
        ragged,
        np.asfortranarray(np.arange(6, dtype=">f8").reshape(2, 3)),
        {"s": "h\xe9llo", "f": -1.5, "big": 2 ** 70, "neg": -5, "t": (1, (2,)), "b": True, "n": None, "e": []},
        [np.zeros((0, 3), np.float32), np.int64(0).dtype, np.array([True, False, True])],
    ]
    return [pickle.dumps(v, protocol=p) for v in values for p in range(6)] + [_python2_cifar_batch()]


def _same(a, b):
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.shape == b.shape
        assert a.dtype.newbyteorder("=") == b.dtype.newbyteorder("=") and a.dtype.isnative
        if a.dtype == object:
            assert [list(v) for v in a.ravel()] == [list(v) for v in b.ravel()]
        else:
            np.testing.assert_array_equal(a, b)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    else:
        assert type(a) is type(b) and a == b


@pytest.mark.parametrize("index", range(len(_samples())))
def test_values_equal_the_unpicklers(index):
    data = _samples()[index]
    _same(loads(data), _oracle_loads(data))


def test_python2_cifar_batch():
    out = loads(_python2_cifar_batch())
    assert out[b"labels"] == [7, 8] and out[b"batch_label"] == b"batch"
    np.testing.assert_array_equal(out[b"data"], np.arange(6, dtype=np.uint8).reshape(2, 3))


class _Call:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


@pytest.mark.parametrize("protocol", range(6))
def test_code_and_objects_are_refused(protocol):
    for payload, name in ((_Call(os.getpid), "posix.getpid"), (_Call(eval, "1"), ".eval"),
                          (_Call(np.load, "x"), "numpy.load"), (_Call, "_Call")):
        with pytest.raises(RestrictedPickleError, match="refusing") as info:
            loads(pickle.dumps([1, payload], protocol=protocol))
        assert name in str(info.value) or "opcode" in str(info.value)
    with pytest.raises(RestrictedPickleError, match="not a plain numeric"):
        loads(pickle.dumps(np.zeros(2, dtype=[("a", "i4")]), protocol=protocol))


def test_sizes_are_checked_before_allocating():
    # an array header announcing 2^40 elements with 6 bytes of data, and an object array longer than its list
    big = _python2_cifar_batch().replace(b"K\x02K\x03\x86", b"J\x00\x00\x00\x40J\x00\x00\x00\x40\x86")
    with pytest.raises(RestrictedPickleError, match="needs"):
        loads(big)
    ragged = np.empty(2, dtype=object)
    ragged[:] = [[1], [2]]
    data = pickle.dumps(ragged, protocol=2).replace(b"K\x02\x85", b"J\x00\x00\x00\x7f\x85")
    with pytest.raises(RestrictedPickleError, match="needs a list"):
        loads(data)


def _npz(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_npz_object_arrays_and_limits():
    ragged = np.empty(2, dtype=object)
    ragged[:] = [[1, 2], [3]]
    out = load_npz(io.BytesIO(_npz(x=ragged, y=np.arange(2))))
    assert out["x"].tolist() == [[1, 2], [3]] and out["y"].tolist() == [0, 1]
    with pytest.raises(ValueError, match="above the limit"):
        load_npz(io.BytesIO(_npz(y=np.arange(100))), max_member_bytes=64)
    with pytest.raises(ValueError, match="not an .npz"):
        load_npz(io.BytesIO(b"not a zip"))
    member = zipfile.ZipFile(io.BytesIO(_npz(y=np.arange(100)))).read("y.npy")
    with pytest.raises(ValueError, match="holds"):
        read_npy(member[:-8])


def test_fuzz_gives_only_clean_errors():
    rng = random.Random(2024)
    seeds = _samples()
    ragged = np.empty(3, dtype=object)
    ragged[:] = [[1, 2], [3], [4, 5, 6]]
    npy = zipfile.ZipFile(io.BytesIO(_npz(x=ragged))).read("x.npy")
    clean = loaded = 0
    for i in range(N_CASES):
        case = _mutations(rng.choice(seeds), rng)
        try:
            loads(case)
            loaded += 1
        except RestrictedPickleError:
            clean += 1
        case = _mutations(npy, rng)
        try:
            read_npy(case)
            loaded += 1
        except ValueError:
            clean += 1
    print(f"restricted pickle / npy fuzz: {2 * N_CASES} inputs, {clean} clean errors, {loaded} loaded")
    assert clean > N_CASES
