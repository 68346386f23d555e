"""``ember.audio.transforms``: torchaudio.transforms' feature modules (nn.Modules, differentiable).

>>> from ember.audio import transforms as T
>>> T.MelSpectrogram(n_mels=64).n_mels
64
"""
from ._spectrogram import Spectrogram, MelScale, MelSpectrogram, AmplitudeToDB, MFCC
from ._resample import Resample, Speed, SpeedPerturbation
from ._masking import FrequencyMasking, TimeMasking
from ._effects import Vol, Fade, Preemphasis, Deemphasis, AddNoise, Convolve, FFTConvolve, PitchShift
from ._inverse import GriffinLim, InverseMelScale, TimeStretch
from ._features import LFCC, SpectralCentroid, ComputeDeltas, MuLawEncoding, MuLawDecoding

__all__ = ["Spectrogram", "MelScale", "MelSpectrogram", "AmplitudeToDB", "MFCC", "Resample", "FrequencyMasking",
           "TimeMasking", "Vol", "Fade", "GriffinLim", "InverseMelScale", "LFCC", "SpectralCentroid", "ComputeDeltas",
           "MuLawEncoding", "MuLawDecoding", "Preemphasis", "Deemphasis", "AddNoise", "Convolve", "FFTConvolve",
           "TimeStretch", "PitchShift", "Speed", "SpeedPerturbation"]
