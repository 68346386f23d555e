"""``keras.ops.numpy``: the NumPy-like half of ``keras.ops`` (elementwise math, reductions, shapes).

>>> from ember.keras.ops import numpy as knp
>>> knp.add(1, 2).item(), knp.mean([1, 2]).dtype
(3, ember.float32)
"""
from .numpy_math import (abs, absolute, add, allclose, angle, arccos, arccosh, arcsin, arcsinh, arctan,  # noqa: F401
                         arctan2, arctanh, bitwise_and, bitwise_invert, bitwise_left_shift, bitwise_not,
                         bitwise_or, bitwise_right_shift, bitwise_xor, cbrt, ceil, clip, conj, conjugate, cos, cosh,
                         deg2rad, divide, divide_no_nan, equal, exp, exp2, expm1, fabs, floor, floor_divide, fmax,
                         fmin, fmod, gcd, greater, greater_equal, heaviside, hypot, i0, imag, isclose, isfinite,
                         isinf, isnan, isneginf, isposinf, isreal, lcm, ldexp, left_shift, less, less_equal, log,
                         log10, log1p, log2, logaddexp, logaddexp2, logical_and, logical_not, logical_or,
                         logical_xor, maximum, minimum, mod, multiply, nan_to_num, negative, nextafter, not_equal,
                         power, rad2deg, real, reciprocal, right_shift, round, sign, signbit, sin, sinc, sinh, sqrt,
                         square, subtract, tan, tanh, true_divide, trunc)
from .numpy_reduce import (all, amax, amin, any, argmax, argmin, argpartition, argsort, average,  # noqa: F401
                           bincount, corrcoef, count_nonzero, cumprod, cumsum, digitize, histogram, max, mean,
                           median, min, nanargmax, nanargmin, nancumprod, nancumsum, nanmax, nanmean, nanmedian,
                           nanmin, nanpercentile, nanprod, nanquantile, nanstd, nansum, nanvar, nonzero, percentile,
                           prod, ptp, quantile, searchsorted, sort, std, sum, trace, trapezoid, unique, var)
from .numpy_shape import (append, arange, array, array_split, bartlett, blackman, broadcast_to,  # noqa: F401
                          concatenate, copy, correlate, cross, diag, diagflat, diagonal, diff, dot, dsplit, dstack,
                          einsum, empty, empty_like, expand_dims, eye, flip, fliplr, flipud, full, full_like,
                          geomspace, get_item, hamming, hanning, hsplit, hstack, identity, inner, isin, kaiser, kron,
                          linspace, logspace, matmul, meshgrid, moveaxis, ndim, ones, ones_like, outer, pad, ravel,
                          repeat, reshape, roll, rot90, select, size, slogdet, split, squeeze, stack, swapaxes, take,
                          take_along_axis, tensordot, tile, transpose, tri, tril, triu, unravel_index, vander, vdot,
                          vectorize, view, vsplit, vstack, where, zeros, zeros_like)
