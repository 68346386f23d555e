"""SpecAugment: ``FrequencyMasking`` and ``TimeMasking`` (torchaudio's), over
:func:`ember.audio.functional.mask_along_axis` (``iid_masks=True``: one mask per example and channel of
a ``(batch, channel, freq, time)`` input).

>>> import ember
>>> from ember.audio import transforms as T
>>> _ = ember.manual_seed(0)
>>> T.TimeMasking(time_mask_param=10)(ember.ones(1, 40, 100)).shape
ember.Size([1, 40, 100])
"""
from ember import nn

from .. import functional as AF

__all__ = ["FrequencyMasking", "TimeMasking"]


class _AxisMasking(nn.Module):
    def __init__(self, mask_param, axis, iid_masks, p=1.0):
        super().__init__()
        self.mask_param, self.axis, self.iid_masks, self.p = mask_param, axis, iid_masks, p

    def forward(self, specgram, mask_value=0.0):
        # axis counts in a (batch, freq, time) layout; move it to the input's last two dims.
        axis = self.axis + specgram.ndim - 3
        if self.iid_masks:
            return AF.mask_along_axis_iid(specgram, self.mask_param, mask_value, axis, p=self.p)
        return AF.mask_along_axis(specgram, self.mask_param, mask_value, axis, p=self.p)


class FrequencyMasking(_AxisMasking):
    """Mask ``[f0, f0 + f)`` of the frequency axis, ``f`` uniform in ``[0, freq_mask_param)``."""

    def __init__(self, freq_mask_param, iid_masks=False):
        super().__init__(freq_mask_param, 1, iid_masks)


class TimeMasking(_AxisMasking):
    """Mask ``[t0, t0 + t)`` of the time axis, ``t`` uniform in ``[0, min(time_mask_param, p * time))``."""

    def __init__(self, time_mask_param, iid_masks=False, p=1.0):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"TimeMasking: p must be in [0, 1], got {p}")
        super().__init__(time_mask_param, 2, iid_masks, p=p)
