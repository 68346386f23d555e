"""``ember.audio``: audio I/O, features and keyword spotting, with torchaudio's API.

- ``load``, ``save``, ``info``: WAV files (PCM 8/16/24/32-bit, float 32/64-bit), standard library only.
- ``ember.audio.functional``: ``spectrogram``, ``melscale_fbanks``, ``create_dct``, ``amplitude_to_DB``,
  ``resample``, ``mask_along_axis``...
- ``ember.audio.transforms``: ``Spectrogram``, ``MelSpectrogram``, ``MFCC``, ``AmplitudeToDB``,
  ``Resample``, ``FrequencyMasking``, ``TimeMasking``.
- ``ember.audio.datasets``: ``SPEECHCOMMANDS``, ``YESNO`` (torchaudio's layouts and URLs).
- ``ember.audio.wakeword``: the bundled wake-word sample ("ember", synthesized with espeak-ng), the
  keyword-spotting CNN and streaming detection over long recordings (``python -m ember.audio.detect``).

>>> import ember, ember.audio
>>> from ember.audio import transforms as T
>>> T.MFCC(sample_rate=16000, n_mfcc=13, melkwargs={"n_mels": 40})(ember.zeros(1, 16000)).shape
ember.Size([1, 13, 81])
"""
from ._wav import AudioMetaData, info, load, save
from . import functional, transforms

__all__ = ["AudioMetaData", "info", "load", "save", "functional", "transforms", "datasets"]


def __getattr__(name):
    # torchaudio.datasets on first use: the downloaders stay out of ``import ember.audio``
    if name == "datasets":
        import importlib
        return importlib.import_module(".datasets", __name__)
    raise AttributeError(f"module 'ember.audio' has no attribute {name!r}")
