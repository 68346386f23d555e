"""``ember.backends.cpu``: the CPU ember runs on."""


def get_cpu_capability():
    """``"DEFAULT"``: ember does not dispatch on instruction sets itself (NumPy's kernels do)."""
    return "DEFAULT"
