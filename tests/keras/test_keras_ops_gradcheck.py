"""Every differentiable row of the keras.ops tables through ``ember.autograd.gradcheck`` in float64: the
analytic gradient of a fixed random projection of the outputs against central differences."""
import numpy as np
import pytest

import ember
from ember.keras import ops as eops
from tests.keras import (test_keras_ops_core, test_keras_ops_image, test_keras_ops_linalg_math,
                         test_keras_ops_nn, test_keras_ops_numpy, test_keras_ops_shape)
from tests.keras.ops_oracle import _flat, _to_ember

# Rows whose outputs have kinks or jumps at the sampled points, or that are too large for central
# differences to be quick, are left to the comparison with PyTorch's gradients; so are stop_gradient
# (its numerical derivative sees the stopped path) and cholesky (it reads one triangle, its gradient is
# the symmetric one; checked through a symmetric input in test_keras_ops_linalg_math).
SKIP = ("round", "ceil", "floor", "trunc", "sign", "clip", "max_pool", "median", "quantile", "percentile",
        "sort", "top_k", "abs", "fabs", "relu", "hard", "soft_shrink", "threshold", "sparse", "maximum", "minimum",
        "fmax", "fmin", "amax", "amin", "max", "min", "ptp", "nan", "3d", "segment_max", "segment_min", "istft",
        "stft", "ctc", "conv_transpose", "leaky", "elu", "selu", "celu", "cbrt", "sparsemax", "glu", "where",
        "select", "divide_no_nan", "affine", "perspective", "map_coordinates", "resize-nearest", "resize",
        "adaptive_max", "unique", "cdist", "norm", "lstsq", "pinv", "eigh", "svd", "logdet", "slogdet",
        "average_pool", "angle", "sinc", "cond", "i0", "crop", "pad", "scatter", "take", "stop_gradient",
        "cholesky")


def _rows():
    out = []
    for mod in (test_keras_ops_numpy, test_keras_ops_shape, test_keras_ops_nn, test_keras_ops_linalg_math,
                test_keras_ops_core, test_keras_ops_image):
        for name, fn, args, kw in mod.ROWS:
            floats = [a for a in args if isinstance(a, np.ndarray) and a.dtype == np.float64]
            if kw.get("grad") and floats and not any(s in name for s in SKIP) and sum(a.size for a in floats) <= 80:
                out.append(pytest.param(fn, args, id=f"{mod.__name__.split('_ops_')[-1]}-{name}"))
    return out


@pytest.mark.parametrize("fn,args", _rows())
def test_gradcheck(fn, args):
    eargs = [_to_ember(a, True) for a in args]
    leaves = [a for a in eargs if isinstance(a, ember.Tensor) and a.requires_grad]
    probe = [w for w in _flat(fn(eops, *eargs)) if isinstance(w, ember.Tensor) and w.is_floating_point()]
    rng = np.random.default_rng(7)
    weights = [ember.tensor(rng.standard_normal(tuple(w.shape))) for w in probe]

    def f(*inputs):
        call, k = list(eargs), 0
        for i, a in enumerate(call):
            if isinstance(a, ember.Tensor) and a.requires_grad:
                call[i] = inputs[k]
                k += 1
        outs = [w for w in _flat(fn(eops, *call)) if isinstance(w, ember.Tensor) and w.is_floating_point()]
        return sum(((o.double() * w).sum() for o, w in zip(outs, weights)), ember.tensor(0.0, dtype=ember.float64))
    # eps 1e-3: several keras.ops compute float64 inputs in float32 (Keras's 64 -> 32-bit result rule), so
    # finer differences would measure float32 rounding; a wrong rule is off by far more than 1e-3.
    assert ember.autograd.gradcheck(f, tuple(leaves), eps=1e-3, atol=1e-3, rtol=1e-3)
