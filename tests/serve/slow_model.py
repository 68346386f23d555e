"""A model that takes its time (``--arch tests.serve.slow_model.SlowScale``): keeps requests in flight
long enough for the graceful-shutdown test to send SIGTERM while they run."""
import time

import ember
from ember import nn


class SlowScale(nn.Module):
    """``x * scale`` after sleeping ``delay`` seconds per call."""

    delay = 0.4

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(ember.ones(1))

    def forward(self, x):
        time.sleep(self.delay)
        return x * self.scale
