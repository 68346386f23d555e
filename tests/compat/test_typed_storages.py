"""The legacy typed storages (torch.FloatStorage ...) and Tensor.storage_type() against torch 2.13: the class of
each dtype, isinstance as a dtype check on TypedStorage, construction from sizes and lists, from_buffer, and
torch.tensor(FloatStorage)."""
import warnings

import pytest
import torch

import ember

NAMES = ["FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage",
         "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage", "ComplexFloatStorage", "ComplexDoubleStorage"]
DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool",
          "complex64", "complex128"]


def _probe(L):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")    # torch's TypedStorage deprecation warning
        out = {}
        for name, dt in zip(NAMES, DTYPES):
            cls = getattr(L, name)
            t = L.zeros(3, dtype=getattr(L, dt))
            values = [True, False, True] if dt == "bool" else [1, 2, 3]
            s = cls(values)
            out[name] = (str(cls.dtype).split(".")[-1], t.storage_type() is cls, t.storage_type().__name__,
                         isinstance(t.storage(), cls), isinstance(s, L.TypedStorage), cls(4).size(),
                         s.tolist(), s.element_size(), s.type().split(".")[-1], list(s))
        x = L.arange(6.0).reshape(2, 3)
        out["others"] = (isinstance(x.storage(), L.DoubleStorage), isinstance(x.storage(), L.FloatStorage),
                         L.FloatStorage.from_buffer(b"\x00\x00\x80?\x00\x00\x00@", "little").tolist(),
                         L.IntStorage.from_buffer(b"\x00\x00\x00\x05", "big").tolist(),
                         L.ShortStorage.from_buffer(bytes(range(8)), "little", count=2, offset=2).tolist(),
                         repr(L.FloatStorage).split(".")[-1], L.tensor(L.FloatStorage([1.5, 2.0])).tolist(),
                         str(L.tensor(L.FloatStorage([1.5])).dtype).split(".")[-1])
    return out


def test_typed_storages_as_torch():
    ours, theirs = _probe(ember), _probe(torch)
    assert ours == theirs


def test_from_buffer_byte_order_is_checked():
    with pytest.raises(ValueError, match="byte_order"):
        ember.FloatStorage.from_buffer(b"\x00" * 4, "middle")
