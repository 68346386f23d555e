"""WAV files: ``load``, ``save`` and ``info`` with torchaudio's signatures, on the standard library alone.

A WAV file is a RIFF container: a ``fmt `` chunk (format tag, channels, sample rate, bits per
sample) and a ``data`` chunk of interleaved little-endian samples. Read and written here:

| encoding | bits | stored as | ``normalize=True`` gives |
| --- | --- | --- | --- |
| ``PCM_U`` | 8 | unsigned bytes, 128 = silence | ``(x - 128) / 128`` |
| ``PCM_S`` | 16, 24, 32 | signed integers | ``x / 2 ** (bits - 1)`` |
| ``PCM_F`` | 32, 64 | IEEE floats | ``x`` as float32 |

(``WAVE_FORMAT_EXTENSIBLE`` files, whose sub-format is PCM or float, read the same.)
Writing a float waveform as integers scales by ``2 ** (bits - 1)``, rounds and clips to the
integer range, so a waveform that was read from an integer file is written back bit for bit.
Files are written atomically (ember.io.atomic): a reader never sees half a file.

>>> import os, tempfile, ember, ember.audio
>>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
>>> wave = ember.sin(ember.arange(800.0) * 0.1)[None] * 0.5
>>> ember.audio.save(path, wave, 8000, bits_per_sample=16)
>>> back, rate = ember.audio.load(path)
>>> back.shape, rate, bool((back - wave).abs().max() < 1e-4)
(ember.Size([1, 800]), 8000, True)
>>> ember.audio.info(path)
AudioMetaData(sample_rate=8000, num_frames=800, num_channels=1, bits_per_sample=16, encoding='PCM_S')
"""
import os
import struct
from dataclasses import dataclass

import numpy as np

__all__ = ["AudioMetaData", "info", "load", "save"]

_PCM, _FLOAT, _EXTENSIBLE = 0x0001, 0x0003, 0xFFFE


@dataclass
class AudioMetaData:
    """What :func:`info` reports of an audio file (torchaudio's fields)."""
    sample_rate: int
    num_frames: int
    num_channels: int
    bits_per_sample: int
    encoding: str


def _read_header(f, path):
    """Parse the RIFF chunks up to ``data``: (AudioMetaData, data offset, data size in bytes)."""
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ValueError(f"ember.audio.load: {path!r} is not a WAV file (expected a 'RIFF....WAVE' header, "
                         f"got {head[:12]!r})")
    fmt = None
    while True:
        chunk = f.read(8)
        if len(chunk) < 8:
            raise ValueError(f"ember.audio.load: {path!r} has no 'data' chunk")
        cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if cid == b"fmt ":
            body = f.read(size + (size & 1))
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == _EXTENSIBLE and size >= 40:
                tag = struct.unpack("<H", body[24:26])[0]  # the sub-format GUID starts with the format tag
            fmt = tag, channels, rate, bits
        elif cid == b"data":
            if fmt is None:
                raise ValueError(f"ember.audio.load: {path!r} has its 'data' chunk before 'fmt '")
            tag, channels, rate, bits = fmt
            if tag == _PCM and bits in (8, 16, 24, 32):
                encoding = "PCM_U" if bits == 8 else "PCM_S"
            elif tag == _FLOAT and bits in (32, 64):
                encoding = "PCM_F"
            else:
                raise ValueError(f"ember.audio.load: {path!r} has format tag {tag:#06x} with {bits} bits per "
                                 "sample; supported: PCM 8/16/24/32-bit and IEEE float 32/64-bit")
            if channels < 1:
                raise ValueError(f"ember.audio.load: {path!r} declares {channels} channels")
            offset = f.tell()
            # Writers that stream (size 0 or 0xFFFFFFFF) leave the size open: take the rest of the file.
            available = os.fstat(f.fileno()).st_size - offset
            size = available if size in (0, 0xFFFFFFFF) or size > available else size
            frames = size // (channels * bits // 8)
            return AudioMetaData(rate, frames, channels, bits, encoding), offset, size
        else:
            f.seek(size + (size & 1), 1)


def info(uri):
    """The sample rate, frame count, channels, bits per sample and encoding of the WAV file ``uri``."""
    with open(uri, "rb") as f:
        return _read_header(f, os.fspath(uri))[0]


def _decode(raw, meta):
    bits = meta.bits_per_sample
    if meta.encoding == "PCM_F":
        return np.frombuffer(raw, "<f4" if bits == 32 else "<f8")
    if bits == 8:
        return np.frombuffer(raw, np.uint8)
    if bits == 24:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        # Put the three bytes in the top of an int32 and shift back down: sign extension for free.
        return ((b[:, 0] << 8) | (b[:, 1] << 16) | (b[:, 2] << 24)) >> 8
    return np.frombuffer(raw, "<i2" if bits == 16 else "<i4")


def load(uri, frame_offset=0, num_frames=-1, normalize=True, channels_first=True, format=None):
    """Read a WAV file: ``(waveform, sample_rate)``.

    Args:
        uri (str or path): the file.
        frame_offset (int): frames to skip at the start.
        num_frames (int): frames to read (-1: to the end).
        normalize (bool): float32 in [-1, 1] (True), or the stored integers (int16, int32 for 24 and 32
            bits, uint8) when False; float files always give float32.
        channels_first (bool): shape ``(channels, frames)`` (True) or ``(frames, channels)``.

    Returns:
        ``(Tensor, int)``.
    """
    import ember
    path = os.fspath(uri)
    if frame_offset < 0:
        raise ValueError(f"ember.audio.load: frame_offset must be >= 0, got {frame_offset}")
    with open(path, "rb") as f:
        meta, offset, size = _read_header(f, path)
        width = meta.num_channels * meta.bits_per_sample // 8
        first = min(frame_offset, meta.num_frames)
        count = meta.num_frames - first if num_frames < 0 else min(num_frames, meta.num_frames - first)
        f.seek(offset + first * width)
        raw = f.read(count * width)
    data = _decode(raw, meta).reshape(-1, meta.num_channels)
    if normalize or meta.encoding == "PCM_F":
        if meta.encoding == "PCM_F":
            data = data.astype(np.float32)
        elif meta.bits_per_sample == 8:
            data = (data.astype(np.float32) - 128.0) / 128.0
        else:
            data = (data.astype(np.float64) / 2.0 ** (meta.bits_per_sample - 1)).astype(np.float32)
    elif meta.bits_per_sample == 24:
        data = data << 8  # torchaudio returns 24-bit audio as int32 at full scale
    data = np.ascontiguousarray(data.T if channels_first else data)
    return ember.from_numpy(data), meta.sample_rate


def _encode(data, encoding, bits):
    """Samples (frames, channels) as the bytes of a WAV data chunk."""
    if encoding == "PCM_F":
        return np.ascontiguousarray(data, "<f4" if bits == 32 else "<f8").tobytes()
    if data.dtype.kind == "f":
        scale = 2.0 ** (bits - 1)
        ints = np.clip(np.round(data.astype(np.float64) * scale), -scale, scale - 1).astype(np.int64)
    elif data.dtype == np.uint8:
        ints = data.astype(np.int64) - 128
        ints <<= bits - 8
    else:
        native = data.dtype.itemsize * 8
        ints = data.astype(np.int64)
        ints = ints << (bits - native) if bits >= native else ints >> (native - bits)
    if bits == 8:
        return (ints + 128).astype(np.uint8).tobytes()
    if bits == 24:
        u = (ints & 0xFFFFFF).astype("<u4")
        return u.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    return ints.astype("<i2" if bits == 16 else "<i4").tobytes()


def save(uri, src, sample_rate, channels_first=True, format=None, encoding=None, bits_per_sample=None):
    """Write ``src`` (``(channels, frames)``, or ``(frames, channels)`` with ``channels_first=False``) as a
    WAV file at ``sample_rate``.

    ``encoding`` ('PCM_S', 'PCM_U', 'PCM_F') and ``bits_per_sample`` default as in torchaudio: from the
    tensor's dtype (float32 -> 32-bit float, float64 -> 64-bit float, int16 -> 16-bit, int32 -> 32-bit,
    uint8 -> 8-bit); giving only ``bits_per_sample`` picks PCM (unsigned at 8 bits).
    """
    from ..io.atomic import atomic_write
    if format not in (None, "wav", "WAV"):
        raise ValueError(f"ember.audio.save: only format 'wav' is supported, got {format!r}")
    data = src.detach().numpy() if hasattr(src, "detach") else np.asarray(src)
    if data.ndim != 2:
        raise ValueError(f"ember.audio.save: expected a 2D waveform (channels, frames), got shape {data.shape}")
    if channels_first:
        data = data.T
    kind = data.dtype
    if encoding is None:
        if bits_per_sample is not None:
            encoding = "PCM_U" if bits_per_sample == 8 else "PCM_S"
        elif kind.kind == "f":
            encoding = "PCM_F"
        else:
            encoding = "PCM_U" if kind == np.uint8 else "PCM_S"
    if bits_per_sample is None:
        bits_per_sample = {"PCM_F": 64 if kind == np.float64 else 32, "PCM_U": 8}.get(
            encoding, 16 if kind in (np.int16, np.dtype(bool)) or kind.kind == "f" else 32)
    allowed = {"PCM_S": (16, 24, 32), "PCM_U": (8,), "PCM_F": (32, 64)}
    if encoding not in allowed or bits_per_sample not in allowed[encoding]:
        raise ValueError(f"ember.audio.save: unsupported encoding {encoding!r} with bits_per_sample="
                         f"{bits_per_sample}; supported: PCM_S 16/24/32, PCM_U 8, PCM_F 32/64")
    if int(sample_rate) <= 0:
        raise ValueError(f"ember.audio.save: sample_rate must be a positive integer, got {sample_rate}")
    body = _encode(data, encoding, bits_per_sample)
    channels = data.shape[1]
    tag = _FLOAT if encoding == "PCM_F" else _PCM
    block = channels * bits_per_sample // 8
    fmt = struct.pack("<HHIIHH", tag, channels, int(sample_rate), int(sample_rate) * block, block, bits_per_sample)
    pad = b"\x00" if len(body) & 1 else b""
    header = (b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(body) + len(pad)) + b"WAVE"
              + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(body)))
    with atomic_write(uri) as f:
        f.write(header + body + pad)
