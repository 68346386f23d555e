"""``ember.backends.openmp``: ember threads through NumPy's BLAS and its own pool, not OpenMP."""


def is_available():
    return False
