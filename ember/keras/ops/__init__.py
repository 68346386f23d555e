"""``keras.ops`` on ember: every op of Keras 3's backend-agnostic namespace, taking ember tensors,
NumPy arrays and Python scalars, returning ember tensors, differentiable through ember's autograd.

The submodules follow Keras's: ``numpy`` (NumPy-like ops), ``nn``, ``linalg``, ``image``, ``core``
and ``math``; everything is also at the top level, as in ``keras.ops``. Dtypes follow Keras's
rules on its PyTorch backend (``ops.convert_to_tensor(1.0)`` is float32, ``ops.mean`` of ints is
float). Beside them are the channels-last kernels that ember's Keras layers call
(``conv2d``, ``depthwise_conv2d``, ``conv2d_transpose``, ``max_pool2d``, ``avg_pool2d``).

>>> from ember.keras import ops
>>> ops.softmax(ops.array([0.0, 0.0])).tolist()
[0.5, 0.5]
"""
from . import core, dtypes, image, linalg, math, nn, numpy  # noqa: F401
from .conv import conv2d, conv2d_transpose, depthwise_conv2d, conv_output_length, deconv_output_length  # noqa: F401
from .pooling import max_pool2d, avg_pool2d  # noqa: F401
from .core import (associative_scan, cast, cond, convert_to_numpy, convert_to_tensor, custom_gradient,  # noqa: F401
                   dtype, fori_loop, is_tensor, map, saturate_cast, scan, scatter, scatter_update, shape, slice,
                   slice_update, stop_gradient, switch, unstack, vectorized_map, while_loop)
from .math import (cdist, erf, erfc, erfinv, extract_sequences, fft, fft2, ifft2, in_top_k, irfft,  # noqa: F401
                   istft, logdet, logsumexp, rfft, rsqrt, segment_max, segment_min, segment_prod, segment_sum, stft,
                   top_k, view_as_complex, view_as_real)
from .linalg import (cholesky, cholesky_inverse, det, eig, eigh, inv, jvp, lstsq, lu_factor,  # noqa: F401
                     matrix_rank, norm, pinv, qr, solve, solve_triangular, svd)
from .nn import (adaptive_average_pool, adaptive_max_pool, average_pool, batch_normalization,  # noqa: F401
                 binary_crossentropy, categorical_crossentropy, celu, conv, conv_transpose, ctc_decode, ctc_loss,
                 depth_to_space, depthwise_conv, dot_product_attention, elu, fold, gelu, glu, hard_shrink,
                 hard_sigmoid, hard_silu, hard_swish, hard_tanh, layer_normalization, leaky_relu, log_sigmoid,
                 log_softmax, max_pool, moments, multi_hot, normalize, one_hot, polar, psnr, relu, relu6,
                 rms_normalization, selu, separable_conv, sigmoid, silu, soft_shrink, softmax, softplus, softsign,
                 space_to_depth, sparse_categorical_crossentropy, sparse_plus, sparse_sigmoid, sparsemax,
                 squareplus, swish, tanh_shrink, threshold, unfold)
from .numpy import *  # noqa: F401,F403
from .numpy import abs, all, any, max, min, round, sum  # noqa: F401,A004
from .einops import rearrange  # noqa: F401

# Every op records a graph node when given symbolic tensors (functional models), as in Keras.
from .symbolic import wrap_namespace as _wrap_namespace  # noqa: E402
_wrap_namespace(globals(), (core, image, linalg, math, nn, numpy))
# and the ops only the sub-namespaces hold (keras.ops.image.resize ...), those Keras has operations for
from ._keras_operations import OPERATIONS as _OPERATIONS  # noqa: E402
for _module in (core, image, linalg, math, nn, numpy):
    _wrap_namespace({k: v for k, v in vars(_module).items() if k in _OPERATIONS}, (_module,))
del _module
