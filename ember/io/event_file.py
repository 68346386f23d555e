"""TensorBoard event files, written without TensorFlow (for ``SummaryWriter`` and the Keras callback).

An event file is a sequence of TFRecords, each::

    uint64 length (little endian) | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)

where ``masked_crc32c(x) = ((c >> 15) | (c << 17)) + 0xa282ead8 (mod 2^32)`` and ``c`` is the
CRC-32C (Castagnoli) of ``x``. Each record's data is a serialized ``tensorflow.Event``
protocol buffer, encoded here by hand:

* ``Event``: ``wall_time`` (1, double), ``step`` (2, int64), ``file_version`` (3, string),
  ``summary`` (5, Summary) or ``session_log`` (7, SessionLog: ``status`` 1, START = 1);
* ``Summary``: repeated ``value`` (1, Summary.Value);
* ``Summary.Value``: ``tag`` (1, string) and one of ``simple_value`` (2, float), ``image`` (4,
  Summary.Image), ``histo`` (5, HistogramProto) or ``tensor`` (8, TensorProto), with ``metadata``
  (9, SummaryMetadata: ``plugin_data`` 1 = PluginData: ``plugin_name`` 1, ``content`` 2);
* ``HistogramProto``: min (1), max (2), num (3), sum (4), sum_squares (5) as doubles,
  ``bucket_limit`` (6) and ``bucket`` (7) as packed doubles;
* ``Summary.Image``: height (1), width (2), colorspace (3: 1 gray, 3 RGB, 4 RGBA), PNG bytes (4);
* ``TensorProto`` for text: dtype (1, DT_STRING = 7), shape (2: ``dim`` 2 with ``size`` 1),
  ``string_val`` (8).

The first record is an Event with ``file_version = "brain.Event:2"``. Files are named
``events.out.tfevents.<unix time>.<host>.<pid>.<n>.v2`` as TensorFlow names them, with ``n``
zero-padded so that files written in the same second sort (and load) in the order written.

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
import zlib

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


def encode_event(wall_time, step, file_version=None, summary=None, session_start=False):
    data = _double_field(1, wall_time) + _int_field(2, step)
    if file_version is not None:
        data += _bytes_field(3, file_version.encode())
    if summary is not None:
        data += _bytes_field(5, summary)
    if session_start:  # SessionLog START: TensorBoard drops earlier events at this step and after
        data += _bytes_field(7, _int_field(1, 1))
    return data


def encode_scalar_summary(tag, value):
    return _bytes_field(1, _bytes_field(1, tag.encode()) + _float_field(2, value))


def _tensorflow_bucket_edges():
    """TensorFlow's default histogram buckets: 0 and +-1e-12 * 1.1**k below 1e20 (by repeated products,
    as TensorFlow and PyTorch compute them, so the edges agree to the last bit)."""
    count = int(np.ceil(np.log(1e20 / 1e-12) / np.log(1.1))) + 1
    positive = np.cumprod(np.concatenate([[1e-12], np.full(count, 1.1)]))
    positive = positive[positive < 1e20]
    return np.concatenate([-positive[::-1], [0.0], positive])


def encode_histogram(values, bins=30, max_bins=None):
    """A HistogramProto of ``values``; ``bins`` is NumPy's (a count, edges or a rule name) or
    ``"tensorflow"`` (TensorFlow's exponential buckets).

    Only the buckets from the first to the last non-empty one are kept, after one empty bucket
    (``bucket_limit[i]`` is the right edge of ``bucket[i]``); ``max_bins`` merges neighbours."""
    values = np.asarray(values, np.float64).ravel()
    if values.size == 0:
        raise ValueError("histogram: the input has no element")
    if isinstance(bins, str) and bins == "tensorflow":
        bins = _tensorflow_bucket_edges()
    counts, edges = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        group = len(counts) // max_bins
        counts = np.pad(counts, (0, -len(counts) % group)).reshape(-1, group).sum(axis=1)
        edges = np.append(edges[:-1:group], edges[-1])
    used = np.nonzero(counts)[0]
    first, last = (used[0], used[-1]) if used.size else (0, len(counts) - 1)
    counts = np.concatenate([[0], counts[:last + 1]]) if first == 0 else counts[first - 1:last + 1]
    edges = edges[first:last + 2]
    return (_double_field(1, float(values.min())) + _double_field(2, float(values.max()))
            + _double_field(3, float(values.size)) + _double_field(4, float(values.sum()))
            + _double_field(5, float(values.dot(values)))
            + _bytes_field(6, struct.pack(f"<{len(edges)}d", *edges))
            + _bytes_field(7, struct.pack(f"<{len(counts)}d", *counts.astype(np.float64))))


def encode_histogram_summary(tag, values, bins=30, max_bins=None):
    histo = encode_histogram(values, bins, max_bins)
    return _bytes_field(1, _bytes_field(1, tag.encode()) + _bytes_field(5, histo))


def encode_png(pixels):
    """PNG bytes of a ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or ``(H, W, 4)`` uint8 array (zlib only)."""
    a = np.ascontiguousarray(pixels, dtype=np.uint8)
    if a.ndim == 2:
        a = a[:, :, None]
    height, width, channels = a.shape
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    rows = np.concatenate([np.zeros((height, 1), np.uint8), a.reshape(height, width * channels)], axis=1)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
            + chunk(b"IEND", b""))


def encode_image_summary(tag, pixels):
    """A Summary with one PNG image of ``pixels`` (HWC uint8)."""
    a = np.asarray(pixels)
    height, width = a.shape[:2]
    channels = 1 if a.ndim == 2 else a.shape[2]
    image = (_int_field(1, height) + _int_field(2, width) + _int_field(3, channels)
             + _bytes_field(4, encode_png(a)))
    return _bytes_field(1, _bytes_field(1, tag.encode()) + _bytes_field(4, image))


def plugin_metadata(plugin_name, content=b""):
    """A SummaryMetadata naming the TensorBoard plugin that shows the value."""
    data = _bytes_field(1, plugin_name.encode()) + (_bytes_field(2, content) if content else b"")
    return _bytes_field(1, data)


def encode_text_summary(tag, text):
    """A Summary of a string tensor shown by the text plugin."""
    shape = _bytes_field(2, _int_field(1, 1))
    tensor = _int_field(1, 7) + _bytes_field(2, shape) + _bytes_field(8, text.encode())
    return _bytes_field(1, _bytes_field(1, tag.encode()) + _bytes_field(9, plugin_metadata("text"))
                        + _bytes_field(8, tensor))


def encode_plugin_summary(tag, plugin_name, content):
    """A Summary carrying only plugin metadata (how the hparams plugin stores its protos)."""
    return _bytes_field(1, _bytes_field(1, tag.encode()) + _bytes_field(9, plugin_metadata(plugin_name, content)))


def frame(data):
    """One TFRecord around ``data``."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


class EventFileWriter:
    """Appends events to a new event file in ``log_dir`` (``filename_suffix`` ends its name)."""

    def __init__(self, log_dir, filename_suffix=""):
        os.makedirs(log_dir, exist_ok=True)
        name = (f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}.{next(_counter):06d}.v2"
                f"{filename_suffix}")
        self.log_dir = log_dir
        self.path = os.path.join(log_dir, name)
        self._f = open(self.path, "wb")
        self._write(encode_event(time.time(), 0, file_version="brain.Event:2"))

    def _write(self, event):
        if self._f is None:
            raise ValueError(f"{self.path}: the event file is closed")
        self._f.write(frame(event))

    def add_summary(self, summary, step, walltime=None):
        """Append one serialized Summary at ``step``."""
        self._write(encode_event(time.time() if walltime is None else walltime, step or 0, summary=summary))

    def add_session_start(self, step, walltime=None):
        self._write(encode_event(time.time() if walltime is None else walltime, step, session_start=True))

    def add_scalar(self, tag, value, step, walltime=None):
        self.add_summary(encode_scalar_summary(tag, float(value)), step, walltime)

    def add_histogram(self, tag, values, step, bins=30, walltime=None, max_bins=None):
        self.add_summary(encode_histogram_summary(tag, values, bins, max_bins), step, walltime)

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
