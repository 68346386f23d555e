"""``gain``: a waveform scaled by ``gain_db`` decibels, ``x * 10 ** (gain_db / 20)`` (no clipping).

>>> import ember
>>> from ember.audio import functional as AF
>>> AF.gain(ember.tensor([0.1, -0.2]), 20.0)
tensor([ 1., -2.])
"""
__all__ = ["gain"]


def gain(waveform, gain_db=1.0):
    """``waveform * 10 ** (gain_db / 20)``; ``gain_db=0`` returns ``waveform`` itself."""
    if gain_db == 0:
        return waveform
    return waveform * (10.0 ** (gain_db / 20.0))
