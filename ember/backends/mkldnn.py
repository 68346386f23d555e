"""``ember.backends.mkldnn``: oneDNN flags; ember's kernels are NumPy's, so they change nothing."""
enabled = False
deterministic = False
allow_tf32 = False


def is_available():
    return False
