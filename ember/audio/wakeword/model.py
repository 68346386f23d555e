"""``KeywordSpotter``: a small temporal CNN over log-mel features that tells the wake word from other
speech and from background noise in one second of 16 kHz audio.

Front end (no parameters): ``MelSpectrogram(16000, n_fft=480, hop_length=320, n_mels=40, center=False)``
(30 ms windows every 20 ms: 49 frames a second), then ``log(mel + 1e-6)``. The network treats the 40 mel
bands as channels and convolves over time (as TC-ResNet does), which is far cheaper than 2-D convolution:

    Conv1d(40, 32, 5) -> Conv1d(32, 48, 5, stride 2) -> Conv1d(48, 64, 3, stride 2)
    -> Conv1d(64, 64, 3, dilation 2) -> Conv1d(64, 64, 3, dilation 4) -> max over time -> Dropout -> Linear(64, 3)

(each convolution followed by BatchNorm and ReLU; about 50k parameters; the input starts with a BatchNorm1d
over the 40 bands, which learns the features' scale). The dilated layers widen what each output sees to 61
frames (1.2 s), so that it hears the whole word: with only 13 frames (0.26 s) "emb" of "emblem" and of
"ember" look alike. The max over time makes the answer the same wherever in the second the word is. ``forward`` takes
waveforms ``(N, 16000)`` and returns logits ``(N, 3)`` for ``("ember", "speech", "background")``;
``features`` and ``classify`` are its two halves, so that a long recording's features are computed once
and windowed (ember.audio.wakeword.detect).

>>> import ember
>>> from ember.audio.wakeword import KeywordSpotter
>>> KeywordSpotter()(ember.zeros(2, 16000)).shape
ember.Size([2, 3])
"""
import ember
from ember import nn

from ..transforms import MelSpectrogram

__all__ = ["KeywordSpotter"]

N_MELS, N_FFT, HOP = 40, 480, 320


def _block(cin, cout, kernel, stride=1, dilation=1):
    return [nn.Conv1d(cin, cout, kernel, stride=stride, padding=dilation * (kernel // 2), dilation=dilation),
            nn.BatchNorm1d(cout), nn.ReLU()]


class KeywordSpotter(nn.Module):
    """Wake word / other speech / background, from one second of audio at ``sample_rate`` (16 kHz)."""

    sample_rate = 16000
    labels = ("ember", "speech", "background")

    def __init__(self, n_classes=3, dropout=0.2):
        super().__init__()
        self.melspec = MelSpectrogram(sample_rate=self.sample_rate, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS,
                                      center=False)
        self.net = nn.Sequential(nn.BatchNorm1d(N_MELS), *_block(N_MELS, 32, 5), *_block(32, 48, 5, stride=2),
                                 *_block(48, 64, 3, stride=2), *_block(64, 64, 3, dilation=2),
                                 *_block(64, 64, 3, dilation=4), nn.AdaptiveMaxPool1d(1), nn.Flatten(),
                                 nn.Dropout(dropout), nn.Linear(64, n_classes))

    @property
    def frames_per_window(self):
        """Feature frames in one second: ``1 + (16000 - n_fft) // hop``."""
        return 1 + (self.sample_rate - N_FFT) // HOP

    def features(self, waveform):
        """Log-mel features ``(..., 40, frames)`` of a waveform ``(..., time)``."""
        return ember.log(self.melspec(waveform) + 1e-6)

    def classify(self, feats):
        """Logits ``(N, 3)`` of feature windows ``(N, 40, frames_per_window)``."""
        return self.net(feats)

    def forward(self, waveform):
        if waveform.ndim != 2 or waveform.shape[-1] != self.sample_rate:
            raise ValueError(f"KeywordSpotter expected waveforms of shape (N, {self.sample_rate}) (one second at "
                             f"{self.sample_rate} Hz), got {tuple(waveform.shape)}")
        return self.classify(self.features(waveform))
