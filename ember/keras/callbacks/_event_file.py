"""TensorBoard event files, written without TensorFlow.

An event file is a sequence of TFRecords, each::

    uint64 length (little endian) | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)

where ``masked_crc32c(x) = ((c >> 15) | (c << 17)) + 0xa282ead8 (mod 2^32)`` and ``c`` is the
CRC-32C (Castagnoli) of ``x``. Each record's data is a serialized ``tensorflow.Event``
protocol buffer, encoded here by hand:

* ``Event``: ``wall_time`` (1, double), ``step`` (2, int64), ``file_version`` (3, string) or
  ``summary`` (5, Summary);
* ``Summary``: repeated ``value`` (1, Summary.Value);
* ``Summary.Value``: ``tag`` (1, string), ``simple_value`` (2, float) or ``histo`` (5, HistogramProto);
* ``HistogramProto``: min (1), max (2), num (3), sum (4), sum_squares (5) as doubles,
  ``bucket_limit`` (6) and ``bucket`` (7) as packed doubles.

The first record is an Event with ``file_version = "brain.Event:2"``. Files are named
``events.out.tfevents.<unix time>.<host>.<pid>.<n>.v2`` as TensorFlow names them.

>>> import tempfile
>>> d = tempfile.mkdtemp()
>>> w = EventFileWriter(d); w.add_scalar("epoch_loss", 0.5, 0); w.close()
>>> [(e.get("tag"), e.get("value")) for e in read_events(w.path) if "tag" in e]
[('epoch_loss', 0.5)]
"""
import itertools
import os
import socket
import struct
import time

import numpy as np

_CASTAGNOLI = 0x82F63B78
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ _CASTAGNOLI if _c & 1 else _c >> 1
    _TABLE.append(_c)
_counter = itertools.count()


def crc32c(data):
    """The CRC-32C checksum of ``data`` (bytes)."""
    crc = 0xFFFFFFFF
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return _varint((field << 3) | wire)


def _bytes_field(field, data):
    return _key(field, 2) + _varint(len(data)) + data


def _double_field(field, value):
    return _key(field, 1) + struct.pack("<d", value)


def _float_field(field, value):
    return _key(field, 5) + struct.pack("<f", value)


def _int_field(field, value):
    return _key(field, 0) + _varint(int(value))


def encode_event(wall_time, step, file_version=None, summary=None):
    data = _double_field(1, wall_time) + _int_field(2, step)
    if file_version is not None:
        data += _bytes_field(3, file_version.encode())
    if summary is not None:
        data += _bytes_field(5, summary)
    return data


def encode_scalar_summary(tag, value):
    return _bytes_field(1, _bytes_field(1, tag.encode()) + _float_field(2, value))


def encode_histogram_summary(tag, values, bins=30):
    values = np.asarray(values, np.float64).ravel()
    if values.size == 0:
        values = np.zeros(1)
    counts, edges = np.histogram(values, bins=bins)
    histo = (_double_field(1, float(values.min())) + _double_field(2, float(values.max()))
             + _double_field(3, float(values.size)) + _double_field(4, float(values.sum()))
             + _double_field(5, float(np.square(values).sum()))
             + _bytes_field(6, struct.pack(f"<{len(edges) - 1}d", *edges[1:]))
             + _bytes_field(7, struct.pack(f"<{len(counts)}d", *counts.astype(np.float64))))
    return _bytes_field(1, _bytes_field(1, tag.encode()) + _bytes_field(5, histo))


def frame(data):
    """One TFRecord around ``data``."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


class EventFileWriter:
    """Appends events to a new event file in ``log_dir``."""

    def __init__(self, log_dir):
        os.makedirs(log_dir, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}.{next(_counter)}.v2"
        self.path = os.path.join(log_dir, name)
        self._f = open(self.path, "wb")
        self._write(encode_event(time.time(), 0, file_version="brain.Event:2"))

    def _write(self, event):
        self._f.write(frame(event))

    def add_scalar(self, tag, value, step):
        self._write(encode_event(time.time(), step, summary=encode_scalar_summary(tag, float(value))))

    def add_histogram(self, tag, values, step):
        self._write(encode_event(time.time(), step, summary=encode_histogram_summary(tag, values)))

    def flush(self):
        if self._f is not None:
            self._f.flush()

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None


def read_records(path):
    """The data of each TFRecord in ``path``, checking both CRCs (ValueError on a corrupt record)."""
    with open(path, "rb") as f:
        buf = f.read()
    pos, out = 0, []
    while pos < len(buf):
        header = buf[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (crc,) = struct.unpack("<I", buf[pos + 8:pos + 12])
        if crc != masked_crc32c(header):
            raise ValueError(f"{path}: corrupt record length at byte {pos}")
        data = buf[pos + 12:pos + 12 + length]
        (dcrc,) = struct.unpack("<I", buf[pos + 12 + length:pos + 16 + length])
        if dcrc != masked_crc32c(data):
            raise ValueError(f"{path}: corrupt record data at byte {pos}")
        out.append(data)
        pos += 16 + length
    return out


def _parse(data):
    """Fields of one protobuf message: {field: [(wire type, value)]}."""
    pos, fields = 0, {}
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(data, pos)
        elif wire == 1:
            value = struct.unpack("<d", data[pos:pos + 8])[0]
            pos += 8
        elif wire == 5:
            value = struct.unpack("<f", data[pos:pos + 4])[0]
            pos += 4
        elif wire == 2:
            n, pos = _read_varint(data, pos)
            value = data[pos:pos + n]
            pos += n
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        fields.setdefault(field, []).append(value)
    return fields


def _read_varint(data, pos):
    shift = result = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def read_events(path):
    """Decoded events: dicts with ``wall_time``, ``step`` and ``file_version`` or ``tag``/``value`` (scalars)
    or ``tag``/``histogram`` (a dict)."""
    events = []
    for data in read_records(path):
        ev = _parse(data)
        base = {"wall_time": ev[1][0], "step": ev.get(2, [0])[0]}
        if 3 in ev:
            events.append(dict(base, file_version=ev[3][0].decode()))
        for summary in ev.get(5, []):
            for value in _parse(summary).get(1, []):
                v = _parse(value)
                item = dict(base, tag=v[1][0].decode())
                if 2 in v:
                    item["value"] = v[2][0]
                if 5 in v:
                    h = _parse(v[5][0])
                    item["histogram"] = {"min": h[1][0], "max": h[2][0], "num": h[3][0], "sum": h[4][0]}
                events.append(item)
    return events
