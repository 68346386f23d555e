"""``ember.audio.functional``: the signal-processing functions behind ``ember.audio.transforms``, with
torchaudio.functional's names, arguments and defaults. Each is made of ember's differentiable ops.

>>> from ember.audio import functional as AF
>>> {"spectrogram", "lfilter", "griffinlim"} <= set(AF.__all__)
True
"""
from ._spectral import spectrogram, amplitude_to_DB, DB_to_amplitude
from ._filterbanks import melscale_fbanks, linear_fbanks, create_dct
from ._deltas import compute_deltas
from ._gain import gain, add_noise
from ._convolve import convolve, fftconvolve
from ._emphasis import preemphasis, deemphasis
from ._phase_vocoder import phase_vocoder
from ._pitch_shift import pitch_shift
from ._speed import speed
from ._spectral_features import spectral_centroid
from ._griffinlim import griffinlim
from ._filtering import (lfilter, filtfilt, biquad, lowpass_biquad, highpass_biquad, allpass_biquad, bandpass_biquad,
                         bandreject_biquad, equalizer_biquad, bass_biquad, treble_biquad)
from ._resample import resample
from ._masking import mask_along_axis, mask_along_axis_iid
from ._mulaw import mu_law_encoding, mu_law_decoding

__all__ = ["spectrogram", "amplitude_to_DB", "DB_to_amplitude", "melscale_fbanks", "create_dct", "resample",
           "mask_along_axis", "mask_along_axis_iid", "mu_law_encoding", "mu_law_decoding", "linear_fbanks",
           "compute_deltas", "gain", "spectral_centroid", "griffinlim", "lfilter", "biquad", "lowpass_biquad",
           "highpass_biquad", "filtfilt", "allpass_biquad", "bandpass_biquad", "bandreject_biquad", "equalizer_biquad",
           "add_noise", "convolve", "fftconvolve", "preemphasis", "deemphasis",
           "phase_vocoder", "pitch_shift", "speed", "bass_biquad",
           "treble_biquad"]
