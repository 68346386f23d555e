"""``ember.backends.mps``: Apple's Metal backend is not part of ember (``is_available()`` is False)."""


def is_available():
    return False


def is_built():
    """False: ember is not built with MPS support."""
    return False


def is_macos_or_newer(major, minor):
    return False


def is_macos13_or_newer(minor=0):
    return False
