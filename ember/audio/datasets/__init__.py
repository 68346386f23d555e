"""``ember.audio.datasets``: torchaudio.datasets' readers over torchaudio's own on-disk layouts (a folder a
torchaudio program downloaded works as is), downloading with SHA-256 checks.

- :class:`SPEECHCOMMANDS`: Google's Speech Commands (v0.01 / v0.02), one-second 16 kHz keyword clips,
  items ``(waveform, sample_rate, label, speaker_id, utterance_number)``.
- :class:`YESNO`: 60 eight-word recordings of "yes"/"no" in Hebrew, items ``(waveform, sample_rate, labels)``.
"""
from .speechcommands import SPEECHCOMMANDS
from .yesno import YESNO

__all__ = ["SPEECHCOMMANDS", "YESNO"]
