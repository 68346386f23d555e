"""Seeded, bounded fuzzing of the file readers: every malformed input gives the reader's own
error (SafetensorsError, IDXError) naming the file, never a TypeError, KeyError, MemoryError
or RecursionError from deep inside, and never a hang or a huge allocation."""
import gzip
import json
import random
import struct

import numpy as np
import pytest

from ember.io import safetensors as st
from ember.vision.datasets import idx

N_CASES = 600


def _mutations(data, rng):
    """Byte flips, truncations, insertions, splices and length-field rewrites of ``data``."""
    data = bytearray(data)
    kind = rng.randrange(6)
    if kind == 0:
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind == 1:
        del data[rng.randrange(len(data)):]
    elif kind == 2:
        at = rng.randrange(len(data))
        data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif kind == 3:
        a, b = sorted(rng.randrange(len(data)) for _ in range(2))
        del data[a:b]
    elif kind == 4:
        data[:8] = struct.pack("<Q", rng.choice([0, 1, 7, 2 ** 63, 2 ** 64 - 1, len(data), rng.randrange(2 ** 40)]))
    else:
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


def _header_cases():
    """Hand-made hostile headers: wrong types, huge shapes, overflowing products, deep nesting."""
    def make(header, buf=b""):
        raw = json.dumps(header).encode() if not isinstance(header, bytes) else header
        return struct.pack("<Q", len(raw)) + raw + buf
    return [
        make({"w": {"dtype": "F32", "shape": [2 ** 62, 2 ** 62], "data_offsets": [0, 0]}}),
        make({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4),
        make({"w": {"dtype": "F32", "shape": "3", "data_offsets": [0, 4]}}),
        make({"w": {"dtype": "X9", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
        make({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, b"\0" * 4),
        make({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 2 ** 70]}}, b"\0" * 4),
        make({"w": [1, 2, 3]}),
        make([1, 2]),
        make(b"[" * 100000 + b"]" * 100000),
        make(b"{" + b'"a":' * 1 + b"[" * 100000 + b"]" * 100000 + b"}"),
        make({"__metadata__": {"a": 1}}),
        make({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4 + b"extra"),
        struct.pack("<Q", 2 ** 64 - 1) + b"{}",
        b"",
        b"\0" * 7,
    ]


def test_safetensors_reader_fuzz(tmp_path):
    good = st.save({"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(3, np.int64),
                    "h": np.zeros((2, 2), np.float16)}, metadata={"k": "v"})
    rng = random.Random(1234)
    cases = [_mutations(good, rng) for _ in range(N_CASES)] + _header_cases()
    clean = loaded = 0
    path = tmp_path / "f.safetensors"
    for case in cases:
        for reader in (lambda: st.load(case), lambda: st.load_file(path)):
            path.write_bytes(case)
            try:
                out = reader()
            except st.SafetensorsError as e:
                assert "f.safetensors" in str(e) or "<bytes>" in str(e)
                clean += 1
            else:
                assert isinstance(out, dict)
                loaded += 1
    print(f"safetensors fuzz: {len(cases) * 2} inputs, {clean} clean errors, {loaded} loaded")
    assert clean > len(cases)          # most mutations must be detected, not silently loaded


def test_safetensors_does_not_read_a_file_whose_header_lies(tmp_path, monkeypatch):
    path = tmp_path / "big.safetensors"
    header = json.dumps({"w": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 40)
    allocated = []
    real = bytearray
    monkeypatch.setattr(st, "bytearray", lambda *a: allocated.append(a) or real(*a), raising=False)
    with pytest.raises(st.SafetensorsError, match="only 40 bytes"):
        st.load_file(path)
    assert not allocated, "the file's buffer was allocated before its header was checked"


def _idx_bytes(array, gz):
    data = idx.encode_idx(array)
    return gzip.compress(data, mtime=0) if gz else data


@pytest.mark.parametrize("gz", [False, True])
def test_idx_reader_fuzz(tmp_path, gz):
    good = _idx_bytes(np.arange(60, dtype=np.uint8).reshape(3, 4, 5), gz)
    rng = random.Random(99 + gz)
    path = tmp_path / "images-idx3-ubyte"
    clean = loaded = 0
    for _ in range(N_CASES):
        case = bytearray(_mutations(good, rng))
        if not gz and len(case) >= 4 and rng.random() < 0.3:
            case[:4] = bytes([0, 0, 8, 3])   # keep a valid magic so the dimension checks run
        path.write_bytes(bytes(case))
        try:
            idx.read_idx(path)
        except idx.IDXError as e:
            assert str(path) in str(e)
            clean += 1
        else:
            loaded += 1
    print(f"idx fuzz (gzip={gz}): {N_CASES} inputs, {clean} clean errors, {loaded} loaded")
    assert clean > N_CASES // 2


def test_idx_gzip_bomb_is_capped(tmp_path):
    # A valid header declaring 3 x 2^31 x 2^31 bytes, then a stream of zeros that would inflate forever.
    head = bytes([0, 0, 8, 3]) + struct.pack(">III", 3, 2 ** 31, 2 ** 31)
    path = tmp_path / "bomb-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(head + b"\0" * (64 << 20), compresslevel=9))
    assert path.stat().st_size < 1 << 20
    with pytest.raises(idx.IDXError, match="limit"):
        idx.read_idx(path)
    # Within the limit but shorter than declared: reads only what the header allows, then names the truncation.
    head = bytes([0, 0, 8, 1]) + struct.pack(">I", 1 << 20)
    path.write_bytes(gzip.compress(head + b"\0" * (8 << 20)))
    with pytest.raises(idx.IDXError, match="trailing"):
        idx.read_idx(path)
