"""``ember.backends.mkl``: ember calls whatever BLAS NumPy was built with, not MKL directly."""
VERBOSE_OFF = 0
VERBOSE_ON = 1


def is_available():
    return False


class verbose:
    """``with torch.backends.mkl.verbose(level):`` accepted; there is no MKL log to switch."""

    def __init__(self, enable):
        self.enable = enable

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
