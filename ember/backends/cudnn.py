"""``ember.backends.cudnn``: PyTorch's cuDNN flags; ember has no cuDNN, so they change nothing."""
enabled = False
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    """None: there is no cuDNN library."""
    return None
