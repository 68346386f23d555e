"""Small helpers shared by the model builders."""


def make_divisible(v, divisor, min_value=None):
    """Round a channel count to a multiple of ``divisor`` without losing more than 10% of it
    (MobileNet's rule, so every layer width suits vectorised kernels)."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v
