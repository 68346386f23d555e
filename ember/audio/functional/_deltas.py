"""``compute_deltas``: the local slope of each row of a spectrogram over time (torchaudio's, librosa's
``feature.delta`` with ``order=1``), the least-squares slope over a window of ``2n + 1`` frames:

    d[t] = sum_{k=-n..n} k * c[t + k] / sum_{k=-n..n} k^2,     n = (win_length - 1) // 2,

with ``c`` padded by ``n`` frames at both ends (``mode='replicate'`` repeats the edge frames).

>>> import ember
>>> from ember.audio import functional as AF
>>> AF.compute_deltas(ember.arange(6.0)[None], win_length=3)
tensor([[0.5000, 1.0000, 1.0000, 1.0000, 1.0000, 0.5000]])
"""
import ember

__all__ = ["compute_deltas"]


def compute_deltas(specgram, win_length=5, mode="replicate"):
    """Deltas of ``specgram`` ``(..., freq, time)`` along time: the same shape."""
    if win_length < 3:
        raise ValueError(f"ember.audio.functional.compute_deltas: win_length must be >= 3, got {win_length}")
    shape = tuple(specgram.shape)
    if not shape:
        raise ValueError("ember.audio.functional.compute_deltas: expected a (..., time) tensor, got a scalar")
    n = (win_length - 1) // 2
    denom = n * (n + 1) * (2 * n + 1) / 3
    flat = specgram.reshape(1, -1, shape[-1])
    padded = ember.nn.functional.pad(flat, (n, n), mode=mode)
    length = shape[-1]
    out = None
    for k in range(1, n + 1):  # the k and -k terms pair up; k = 0 contributes nothing
        term = (padded[..., n + k:n + k + length] - padded[..., n - k:n - k + length]) * float(k)
        out = term if out is None else out + term
    return (out / denom).reshape(shape)
