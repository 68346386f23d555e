"""``griffinlim``: a waveform from a magnitude (or power) spectrogram by the fast Griffin-Lim algorithm
(Perraudin, Balazs & Sondergaard, 2013), as torchaudio.functional.griffinlim:

    S = specgram ** (1 / power),  X_0 = S * angles_0
    repeat n_iter times:
        R_k = stft(istft(S * angles))                       (the nearest consistent spectrogram)
        angles = (R_k - momentum / (1 + momentum) * R_{k-1}) / (|...| + 1e-16)
    waveform = istft(S * angles, length=length)

``angles_0`` is uniform random complex (``rand_init=True``) or all ones. The STFTs are centred with reflect
padding and the given window, so the inverse is ember's ``istft`` (weighted overlap-add). Every step is an
ember op: gradients flow back to ``specgram``.

>>> import ember
>>> from ember.audio import functional as AF
>>> w = ember.hann_window(64)
>>> S = ember.stft(ember.randn(1, 640), 64, 16, window=w, return_complex=True).abs() ** 2
>>> AF.griffinlim(S, w, 64, 16, 64, 2.0, 4, 0.99, 640, False).shape
ember.Size([1, 640])
"""
import ember

__all__ = ["griffinlim"]


def griffinlim(specgram, window, n_fft, hop_length, win_length, power, n_iter, momentum, length, rand_init):
    """Reconstruct ``(..., time)`` from ``specgram`` ``(..., n_fft // 2 + 1, frames)``."""
    if not 0 <= momentum < 1:
        raise ValueError(f"ember.audio.functional.griffinlim: momentum must be in [0, 1), got {momentum}")
    if specgram.ndim < 2:
        raise ValueError(f"ember.audio.functional.griffinlim: expected (..., freq, frames), got shape "
                         f"{tuple(specgram.shape)}")
    shape = tuple(specgram.shape)
    specgram = specgram.reshape((-1,) + shape[-2:]).pow(1.0 / power)
    if rand_init:
        angles = ember.complex(ember.rand(specgram.shape, dtype=specgram.dtype),
                               ember.rand(specgram.shape, dtype=specgram.dtype))
    else:
        angles = ember.complex(ember.ones(specgram.shape, dtype=specgram.dtype),
                               ember.zeros(specgram.shape, dtype=specgram.dtype))
    stft_args = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window)
    previous = None
    for _ in range(n_iter):
        inverse = ember.istft(specgram * angles, length=length, **stft_args)
        rebuilt = ember.stft(inverse, center=True, pad_mode="reflect", normalized=False, onesided=True,
                             return_complex=True, **stft_args)
        angles = rebuilt
        if momentum and previous is not None:
            angles = angles - previous * (momentum / (1 + momentum))
        angles = angles / (angles.abs() + 1e-16)
        previous = rebuilt
    waveform = ember.istft(specgram * angles, length=length, **stft_args)
    return waveform.reshape(shape[:-2] + tuple(waveform.shape[-1:]))
