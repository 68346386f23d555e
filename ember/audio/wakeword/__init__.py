"""Wake-word ("ember") spotting: the bundled espeak-ng sample, a small CNN, training and streaming
detection. ``ember train --task wakeword`` runs it all; ``python -m ember.audio.detect MODEL WAV`` prints
the times of the wake words in a recording.

>>> from ember.audio.wakeword import KeywordSpotter, load_sample
>>> KeywordSpotter.labels
('ember', 'speech', 'background')
"""
from .model import KeywordSpotter
from .data import load_sample, make_clips, make_stream, noise
from .detect import posteriors, detect, score

__all__ = ["KeywordSpotter", "load_sample", "make_clips", "make_stream", "noise", "posteriors", "detect", "score"]
