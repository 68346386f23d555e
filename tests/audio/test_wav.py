"""ember.audio.load/save/info against scipy.io.wavfile (an independent WAV reader and writer)."""
import numpy as np
import pytest
from scipy.io import wavfile

import ember
import ember.audio


def _signal(dtype, frames=257, channels=2, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        return rng.integers(0, 256, (frames, channels)).astype(np.uint8)
    if dtype in (np.int16, np.int32):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, (frames, channels), endpoint=True).astype(dtype)
    return rng.uniform(-1, 1, (frames, channels)).astype(dtype)


@pytest.mark.parametrize("dtype,bits,encoding", [(np.uint8, 8, "PCM_U"), (np.int16, 16, "PCM_S"),
                                                 (np.int32, 32, "PCM_S"), (np.float32, 32, "PCM_F"),
                                                 (np.float64, 64, "PCM_F")])
def test_load_reads_what_scipy_writes(tmp_path, dtype, bits, encoding):
    data = _signal(dtype)
    path = tmp_path / "x.wav"
    wavfile.write(path, 22050, data)
    meta = ember.audio.info(path)
    assert (meta.sample_rate, meta.num_frames, meta.num_channels, meta.bits_per_sample, meta.encoding) == \
        (22050, 257, 2, bits, encoding)
    raw, rate = ember.audio.load(path, normalize=False)
    assert rate == 22050
    expected = data.T.astype(np.float32) if dtype == np.float64 else data.T
    np.testing.assert_array_equal(raw.numpy(), expected)
    wave, _ = ember.audio.load(path)
    assert wave.dtype == ember.float32
    if dtype == np.uint8:
        ref = (data.T.astype(np.float64) - 128) / 128
    elif dtype in (np.int16, np.int32):
        ref = data.T.astype(np.float64) / 2.0 ** (bits - 1)
    else:
        ref = data.T
    np.testing.assert_allclose(wave.numpy(), ref, rtol=0, atol=1e-7)
    assert wave.numpy().min() >= -1 and wave.numpy().max() <= 1


def test_24_bit_is_read_as_scipy_reads_it(tmp_path):
    # scipy writes no 24-bit files: build one by hand and compare with scipy's reader (int32, left-justified).
    rng = np.random.default_rng(1)
    ints = rng.integers(-2 ** 23, 2 ** 23, (100, 1))
    path = tmp_path / "x24.wav"
    ember.audio.save(path, ember.from_numpy((ints.T / 2 ** 23).astype(np.float64)), 8000, bits_per_sample=24)
    rate, ref = wavfile.read(path)
    assert rate == 8000 and ref.dtype == np.int32
    np.testing.assert_array_equal(ref.reshape(-1), (ints.reshape(-1) << 8).astype(np.int32))
    raw, _ = ember.audio.load(path, normalize=False)
    np.testing.assert_array_equal(raw.numpy().reshape(-1), ref.reshape(-1))
    wave, _ = ember.audio.load(path)
    np.testing.assert_allclose(wave.numpy().reshape(-1), ints.reshape(-1) / 2 ** 23, atol=1e-7)


@pytest.mark.parametrize("bits", [8, 16, 32])
def test_save_writes_what_scipy_reads(tmp_path, bits):
    rng = np.random.default_rng(bits)
    wave = rng.uniform(-1.2, 1.2, (2, 300))  # beyond full scale: clipped
    path = tmp_path / "y.wav"
    ember.audio.save(path, ember.from_numpy(wave.astype(np.float32)), 16000, bits_per_sample=bits)
    rate, data = wavfile.read(path)
    assert rate == 16000 and data.shape == (300, 2)
    scale = 2.0 ** (bits - 1)
    expected = np.clip(np.round(wave.astype(np.float32).astype(np.float64) * scale), -scale, scale - 1)
    if bits == 8:
        expected = expected + 128
    np.testing.assert_array_equal(data.T.astype(np.float64), expected)


def test_float_default_and_round_trip_is_bit_exact(tmp_path):
    wave = ember.from_numpy(_signal(np.float32, channels=1).T.copy())
    path = tmp_path / "f.wav"
    ember.audio.save(path, wave, 44100)                       # torchaudio's default for float32: 32-bit float
    assert ember.audio.info(path).encoding == "PCM_F"
    np.testing.assert_array_equal(wavfile.read(path)[1], wave.numpy()[0])
    # int16 audio read as float and saved as 16-bit comes back bit for bit
    ints = _signal(np.int16, channels=1)
    wavfile.write(tmp_path / "i.wav", 8000, ints)
    w, _ = ember.audio.load(tmp_path / "i.wav")
    ember.audio.save(tmp_path / "j.wav", w, 8000, bits_per_sample=16)
    np.testing.assert_array_equal(wavfile.read(tmp_path / "j.wav")[1], ints[:, 0])


def test_offset_frames_and_channels_last(tmp_path):
    data = _signal(np.int16, frames=50, channels=3)
    wavfile.write(tmp_path / "c.wav", 8000, data)
    w, _ = ember.audio.load(tmp_path / "c.wav", frame_offset=10, num_frames=5, normalize=False, channels_first=False)
    np.testing.assert_array_equal(w.numpy(), data[10:15])


def test_errors_name_the_problem(tmp_path):
    (tmp_path / "bad.wav").write_bytes(b"not a wav file at all")
    with pytest.raises(ValueError, match="not a WAV file"):
        ember.audio.load(tmp_path / "bad.wav")
    with pytest.raises(ValueError, match="2D waveform"):
        ember.audio.save(tmp_path / "z.wav", ember.zeros(10), 8000)
    with pytest.raises(ValueError, match="PCM_S 16/24/32"):
        ember.audio.save(tmp_path / "z.wav", ember.zeros(1, 10), 8000, encoding="PCM_S", bits_per_sample=12)
