"""PyTorch's pointwise names on ``Tensor`` and at the top level: the ops of ``ops/pointwise.py`` as
methods, every ``<op>_`` in-place form PyTorch has (as methods and as ``torch.<op>_``), the shift
and in-place operators, dtype aliases, constants and type predicates.

``bind()`` is called once by ``methods.py``; ``TOP_LEVEL`` is merged into the ``ember`` namespace by
the facade, and ``LAZY`` holds the aliases (``float``, ``int``) that the facade serves from its
``__getattr__`` so that ``ember/__init__.py``'s own code keeps Python's builtins.

>>> import ember
>>> x = ember.tensor([0.25, 4.0])
>>> x.log2_()
tensor([-2.,  2.])
>>> ember.float is ember.float32, ember.pi
(True, 3.141592653589793)
"""
import math

import numpy as np

from ..backend import dtypes as _dt
from ..backend import typeinfo as _ti
from . import settings as _settings
from .tensor import Tensor
from .ops import elementwise as E, pointwise as P, inplace as IP

# Out-of-place pointwise methods (x.hypot(y) ...); polygamma and mvlgamma take the tensor first here.
METHODS = """addcmul addcdiv hypot copysign logaddexp logaddexp2 lgamma digamma erfc i0 sinc deg2rad rad2deg
float_power frexp ldexp gcd lcm nextafter signbit sgn logit positive igamma igammac bitwise_left_shift
bitwise_right_shift hardshrink prelu""".split()

# In-place forms made from an out-of-place op of the same name (method x.<name>_ and torch.<name>_).
INPLACE_FROM_E = """abs absolute acos acosh arccos arccosh asin arcsin asinh arcsinh atan arctan atanh arctanh
arctan2 cos cosh sin sinh tan tanh exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square sigmoid erf erfinv
reciprocal neg negative sign floor ceil trunc fix frac round relu clamp clip clamp_min clamp_max xlogy
nan_to_num heaviside floor_divide bitwise_and bitwise_or bitwise_xor bitwise_not logical_and logical_or
logical_xor logical_not eq ne lt le gt ge greater greater_equal less less_equal not_equal""".split()
INPLACE_FROM_P = """hypot copysign lgamma digamma erfc i0 sinc deg2rad rad2deg ldexp gcd lcm nextafter sgn logit
igamma igammac bitwise_left_shift bitwise_right_shift""".split()

# torch.<name>_ at the top level (PyTorch has these and not every method's in-place form there).
TOP_INPLACE = """abs acos acosh arccos arccosh arcsin arcsinh arctan arctanh asin asinh atan atanh ceil clamp
clamp_max clamp_min clip cos cosh deg2rad erf erfc exp2 exp expm1 fill fix floor frac gcd i0 lcm ldexp log10
log1p log2 log logit nan_to_num neg negative rad2deg reciprocal relu round rsqrt sigmoid sin sinc sinh sqrt
square tan tanh trunc xlogy zero""".split()

# torch.nn.functional ops that PyTorch also exposes at the top level (served lazily by the facade from
# ember.functional.torch_aliases, with their ATen signatures).
FUNCTIONAL_ALIASES = frozenset("""conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d max_pool3d
ctc_loss dropout
dropout_ alpha_dropout alpha_dropout_ feature_alpha_dropout feature_alpha_dropout_ feature_dropout
feature_dropout_ layer_norm group_norm batch_norm instance_norm embedding bilinear selu selu_ celu celu_ prelu
rrelu rrelu_ threshold threshold_ hardshrink pixel_shuffle pixel_unshuffle cosine_similarity pairwise_distance
binary_cross_entropy_with_logits kl_div margin_ranking_loss cosine_embedding_loss hinge_embedding_loss
triplet_margin_loss poisson_nll_loss max_pool1d max_pool2d max_pool1d_with_indices avg_pool1d
adaptive_avg_pool1d adaptive_max_pool1d constant_pad_nd rms_norm channel_shuffle native_channel_shuffle
detach detach_""".split())


def _arg_first(fn):
    """``x.polygamma(n)`` is ``polygamma(n, x)``."""
    def method(self, n):
        return fn(n, self)
    method.__name__ = fn.__name__
    return method


def _float_power_(self, exponent):
    if self._data.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype.name.capitalize()} but the "
                           "operation's result requires dtype Double")
    return IP.make_inplace(P.float_power, "float_power")(self, exponent)


def _is_nonzero(self):
    if self._data.size != 1:
        if self._data.size == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(self._data.reshape(()) != 0)


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fill with samples of the Cauchy distribution ``median + sigma * tan(pi (u - 1/2))``."""
    if self.is_meta:  # nothing to fill, nothing drawn
        return self
    from .. import random as _random
    _random._continuous(self._data.dtype, "Cauchy", cpp_name=True)
    u = _random._gen(generator)._uniform(self._data.size, np.float64)  # torch's cauchy_distribution<double>
    _random._store(self._data, median + sigma * np.tan(np.pi * (u - 0.5)))
    self._bump()
    return self


def geometric_(self, p, *, generator=None):
    """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    if self.is_meta:  # nothing to fill, nothing drawn
        return self
    from .. import random as _random
    if self._data.dtype == np.bool_:
        raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
    u = _random._gen(generator)._uniform(self._data.size, np.float64)  # ceil(log(u) / log1p(-p)), as torch
    with np.errstate(divide="ignore"):
        _random._store(self._data, np.ceil(np.log(u) / np.log1p(-p)))
    self._bump()
    return self


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fill with ``exp(N(mean, std^2))`` samples."""
    if self.is_meta:  # nothing to fill, nothing drawn
        return self
    from .. import random as _random
    _random._only_float(self._data.dtype, "log_normal_cpu")
    z = _random._gen(generator)._normal_doubles(self._data.size)  # exp(normal_distribution<double>), as torch
    _random._store(self._data, np.exp(z * std + mean))
    self._bump()
    return self


def _iop(name):
    def op(self, other):
        return getattr(self, name)(other)
    return op


def bind():
    T = Tensor
    for n in METHODS:
        setattr(T, n, getattr(P, n))
    T.arccosh, T.arcsinh, T.arctanh = E.acosh, E.asinh, E.atanh
    T.polygamma = _arg_first(P.polygamma)
    T.mvlgamma = P.mvlgamma
    for n in INPLACE_FROM_E:
        if not hasattr(T, n + "_"):
            setattr(T, n + "_", IP.make_inplace(getattr(E, n) if hasattr(E, n) else getattr(T, n), n))
    for n in INPLACE_FROM_P:
        setattr(T, n + "_", IP.make_inplace(getattr(P, n), n))
    T.polygamma_ = IP.make_inplace(lambda x, n: P.polygamma(n, x), "polygamma")
    T.mvlgamma_ = IP.make_inplace(P.mvlgamma, "mvlgamma")
    T.float_power_ = _float_power_
    T.cauchy_, T.geometric_, T.log_normal_ = cauchy_, geometric_, log_normal_
    T.__lshift__ = P.bitwise_left_shift
    T.__rshift__ = P.bitwise_right_shift
    T.__rlshift__ = lambda s, o: P.bitwise_left_shift(o, s)
    T.__rrshift__ = lambda s, o: P.bitwise_right_shift(o, s)
    T.__ilshift__ = _iop("bitwise_left_shift_")
    T.__irshift__ = _iop("bitwise_right_shift_")
    T.__iand__ = lambda s, o: s.logical_and_(o) if s._data.dtype == np.bool_ else s.bitwise_and_(o)
    T.__ior__ = lambda s, o: s.logical_or_(o) if s._data.dtype == np.bool_ else s.bitwise_or_(o)
    T.__ixor__ = lambda s, o: s.logical_xor_(o) if s._data.dtype == np.bool_ else s.bitwise_xor_(o)
    T.__ifloordiv__ = _iop("floor_divide_")
    T.__imod__ = _iop("remainder_")
    T.__ipow__ = _iop("pow_")
    T.__div__, T.__idiv__ = T.__truediv__, T.__itruediv__
    T.__rdiv__ = T.__rtruediv__
    # Type and placement predicates (ember tensors are dense, strided, real or complex, on the CPU or meta;
    # is_cpu and is_meta are Tensor's own properties).
    T.is_signed = lambda s: _dt.from_numpy(s._data.dtype).is_signed if s._data.dtype.kind != "c" else True
    T.is_complex = lambda s: s._data.dtype.kind == "c"
    T.is_nonzero = _is_nonzero
    T.is_same_size = lambda s, other: s._data.shape == other._data.shape
    T.itemsize = property(lambda s: s._data.itemsize)
    T.nbytes = property(lambda s: s._data.nbytes)
    for n in ("is_meta", "is_mps", "is_xpu", "is_sparse", "is_quantized", "is_nested", "is_mkldnn", "is_vulkan",
              "is_ipu", "is_maia", "is_mtia", "is_xla", "is_sparse_csr"):
        if not hasattr(T, n):
            setattr(T, n, property(lambda s: False))
    if not hasattr(T, "dequantize"):  # a float tensor is its own dequantization (integers become float32)
        T.dequantize = lambda s: s if s._data.dtype.kind in "fc" or s._data.dtype.name == "bfloat16" else s.float()
    for n in ("is_conj", "is_neg", "is_inference"):
        if not hasattr(T, n):
            setattr(T, n, lambda s: False)
    for n in ("resolve_conj", "resolve_neg"):
        if not hasattr(T, n):
            setattr(T, n, lambda s: s)
    if not hasattr(T, "get_device"):
        T.get_device = lambda s: -1


def _top_inplace(name):
    def fn(input, *args, **kwargs):
        return getattr(Tensor, name)(input, *args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = f"In-place ``{name[:-1]}``: ``torch.{name}(x)`` is ``x.{name}()``."
    return fn


def _fill(input, value):
    """A new tensor shaped like ``input``, of its dtype, filled with ``value`` (``torch.fill``, out of place)."""
    return E.add(E.mul(input, 0), value).to(input.dtype)


def _top_level():
    top = {n: getattr(P, n) for n in P.__all__}
    top.update({n + "_": _top_inplace(n + "_") for n in TOP_INPLACE})
    top.update(arccosh=E.acosh, arcsinh=E.asinh, arctanh=E.atanh, subtract=E.sub, multiply=E.mul, divide=E.div,
               true_divide=E.div, fill=_fill)
    top.update(pi=math.pi, e=math.e, inf=math.inf, nan=math.nan, newaxis=None,
               uint16=_dt.uint16, uint32=_dt.uint32, uint64=_dt.uint64,
               finfo=_ti.finfo, iinfo=_ti.iinfo, can_cast=_ti.can_cast, promote_types=_ti.promote_types,
               result_type=_ti.result_type,
               is_complex=lambda input: input.is_complex(), is_signed=lambda input: input.is_signed(),
               is_nonzero=lambda input: input.is_nonzero(),
               is_same_size=lambda input, other: input.is_same_size(other),
               is_conj=lambda input: input.is_conj(), is_neg=lambda input: input.is_neg(),
               is_inference=lambda input: input.is_inference(),
               resolve_conj=lambda input: input.resolve_conj(), resolve_neg=lambda input: input.resolve_neg(),
               has_lapack=True, has_mkl=False, has_openmp=False, has_spectral=True,
               get_device=lambda input: input.get_device(), is_storage=lambda obj: False,
               is_vulkan_available=lambda: False, init_num_threads=lambda: None,
               compiled_with_cxx11_abi=lambda: True, set_default_tensor_type=set_default_tensor_type)
    for n in ("get_default_device", "set_default_device", "set_float32_matmul_precision",
              "get_float32_matmul_precision", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
              "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
              "get_deterministic_debug_mode", "set_warn_always", "is_warn_always_enabled", "set_flush_denormal",
              "set_num_interop_threads", "get_num_interop_threads"):
        top[n] = getattr(_settings, n)
    return top


def set_default_tensor_type(t):
    """Deprecated in PyTorch: sets the default float dtype from ``FloatTensor``/``DoubleTensor``/``HalfTensor``
    (or their names, e.g. ``"torch.DoubleTensor"``)."""
    name = t if isinstance(t, str) else getattr(t, "__name__", str(t))
    kinds = {"FloatTensor": _dt.float32, "DoubleTensor": _dt.float64, "HalfTensor": _dt.float16}
    key = name.split(".")[-1]
    if key not in kinds:
        raise TypeError(f"set_default_tensor_type: only floating-point CPU types are supported, got {name}")
    _dt.set_default_dtype(kinds[key])


LAZY = {"float": _dt.float32, "int": _dt.int32}
TOP_LEVEL = _top_level()
