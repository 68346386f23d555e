"""ember: a deep learning framework on NumPy with PyTorch's and Keras's APIs.

>>> import ember
>>> x = ember.tensor([1.0, 2.0], requires_grad=True)
>>> (x ** 2).sum().backward()
>>> x.grad
tensor([2., 4.])
"""
import importlib as _importlib

from .backend.dtypes import (dtype, bool_ as bool, uint8, int8, int16, int32, int64, float16, float32,  # noqa: A001
                             float64, get_default_dtype, set_default_dtype)
from .autograd import (Tensor, Size, no_grad, enable_grad, set_grad_enabled, inference_mode,
                       is_grad_enabled)
from .autograd.tensor import device, is_tensor
from .autograd.ops import *  # noqa: F401,F403
from .autograd.ops import (abs, pow, round, sum, max, min, all, any, where, clamp, clip,  # noqa: F401,A001
                           softmax, log_softmax, one_hot)
from .autograd.printing import set_printoptions
from .creation import (tensor, as_tensor, asarray, from_numpy, zeros, ones, empty, full, zeros_like, ones_like,
                       empty_like, full_like, arange, linspace, logspace, eye, scalar_tensor)
from .creation import range_ as range  # noqa: A001
from .random import (Generator, default_generator, manual_seed, seed, initial_seed, get_rng_state,
                     set_rng_state, rand, randn, randint, normal, bernoulli, randperm, multinomial, poisson,
                     rand_like, randn_like, randint_like)

half, double, long, short = float16, float64, int64, int16
from .backend.dtypes import complex64, complex128  # noqa: E402
cfloat, cdouble = complex64, complex128

# Pointwise ops, in-place forms, constants, dtype info and settings (torch.pi, torch.abs_, torch.finfo ...).
from .autograd import pointwise_api as _pointwise_api  # noqa: E402
for _name, _value in _pointwise_api.TOP_LEVEL.items():
    globals().setdefault(_name, _value)

# The star import above also brought in the op modules and their imports (``linalg`` among them,
# which must stay free for the lazily imported ``ember.linalg``).
for _name in ("elementwise", "reduce", "shape", "index", "linalg", "conversion", "inplace", "softmax_ops",
              "math", "np", "collections", "grad_mode",
              "scan", "stats", "counting", "distance", "shape_more", "index_more", "strided", "products",
              "torch_linalg", "linalg_decomp", "linalg_more", "inplace_more",
              "pointwise", "complex_numbers"):
    globals().pop(_name, None)
del _name
# torch's out= keyword on the functions that take it (torch.add(a, b, out=c)); see autograd/out_arg.py.
from .autograd import out_arg as _out_arg  # noqa: E402
for _name in _out_arg.OUT_FUNCTIONS:
    if _name in globals():
        globals()[_name] = _out_arg.with_out(globals()[_name], _name)
del _name
# Layout and memory-format constants (after the pops: ``strided`` is also an op module's name).
from .backend.formats import (layout, strided, memory_format, contiguous_format, channels_last,  # noqa: F401,E402
                              channels_last_3d, preserve_format, legacy_contiguous_format,
                              sparse_coo, sparse_csr, sparse_csc, sparse_bsr, sparse_bsc, jagged)
__version__ = "0.1.0"

_LAZY = {"nn", "optim", "utils", "vision", "keras", "io", "data", "functional", "cli", "compiler", "plot",
         "cuda", "backends", "linalg", "compat", "serialization", "accelerator", "version", "hub", "jit",
         "testing", "multiprocessing", "distributed"}
_LAZY |= {"amp", "cpu", "func", "fft"}
_SPECTRAL = dict.fromkeys(("stft", "istft"), "_stft") | dict.fromkeys(
    ("hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"), "_windows")
_AMP_NAMES = {"autocast", "is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype", "set_autocast_dtype",
              "is_autocast_cpu_enabled", "set_autocast_cpu_enabled", "get_autocast_cpu_dtype",
              "set_autocast_cpu_dtype", "get_autocast_gpu_dtype", "set_autocast_gpu_dtype",
              "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache",
              "autocast_increment_nesting", "autocast_decrement_nesting"}
_LAZY.add("distributions")
_LAZY.add("onnx")
_LAZY.add("registry")
_LAZY |= {"fx", "export"}
_LAZY |= {"_dynamo", "_inductor", "overrides", "nested", "masked", "library", "mps", "xpu", "types", "storage"}
_LAZY.add("return_types")


# torch.* names defined in ember's subpackages, loaded on first use: name -> module.
_ELSEWHERE = {"profiler": "profiler", "is_inference_mode_enabled": "autograd.grad_mode"}
_ELSEWHERE.update(dict.fromkeys(("is_anomaly_enabled", "set_anomaly_enabled", "is_anomaly_check_nan_enabled"),
                                "autograd.anomaly"))
_ELSEWHERE.update(dict.fromkeys(("norm_except_dim", "_weight_norm"), "functional.weight_norm"))
_ELSEWHERE.update(dict.fromkeys(("lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_cell", "gru_cell", "rnn_tanh_cell",
                                 "rnn_relu_cell"), "functional.rnn_ops"))
_ELSEWHERE.update(dict.fromkeys(("native_layer_norm", "native_batch_norm", "native_group_norm", "native_dropout",
                                 "convolution", "embedding_bag", "empty_permuted"), "functional.aten_ops"))
_ELSEWHERE["conv_tbc"] = "functional.conv_3d"
_ELSEWHERE["OutOfMemoryError"] = "cuda"
_ELSEWHERE.update(dict.fromkeys(("gradient", "segment_reduce", "histogramdd", "binomial"), "functional.numeric"))
_ELSEWHERE.update(dict.fromkeys(("svd_lowrank", "pca_lowrank", "lobpcg"), "functional.lowrank"))
_ELSEWHERE.update(dict.fromkeys(("cond", "while_loop"), "func.control_flow"))
_ELSEWHERE.update(dict.fromkeys(("frombuffer", "from_dlpack", "to_dlpack"), "io.interop"))
_ELSEWHERE.update(dict.fromkeys(("grid_sampler", "grid_sampler_2d", "grid_sampler_3d", "affine_grid_generator",
                                 "embedding_renorm_", "batch_norm_update_stats"), "functional.aten_ops"))
_ELSEWHERE.update(dict.fromkeys(("nonzero_static", "is_distributed"), "autograd.tensor_extras"))
_ELSEWHERE["GradScaler"] = "amp.grad_scaler"
_ELSEWHERE["futures"] = "futures"
_ELSEWHERE.update(dict.fromkeys(("Stream", "Event"), "accelerator"))
_ELSEWHERE.update(dict.fromkeys(("fork", "wait"), "jit"))   # torch.fork / torch.wait: TorchScript's, run eagerly
_ELSEWHERE["from_file"] = "io.interop"
_ELSEWHERE["hash_tensor"] = "autograd.tensor_extras"
_ELSEWHERE["ops"] = "_ops"
_ELSEWHERE.update(dict.fromkeys(("UntypedStorage", "TypedStorage", "FloatStorage", "DoubleStorage", "HalfStorage",
                                 "BFloat16Storage", "LongStorage", "IntStorage", "ShortStorage", "CharStorage",
                                 "ByteStorage", "BoolStorage", "ComplexFloatStorage", "ComplexDoubleStorage"),
                                "storage"))
_ELSEWHERE.update(dict.fromkeys(("SymInt", "SymFloat", "SymBool", "sym_not", "sym_float", "sym_int", "sym_max",
                                 "sym_min", "sym_ite", "sym_sum", "sym_sqrt", "get_device_module"), "_sym"))
_LAZY.add("sparse")
_LAZY.add("__config__")
_LAZY.add("signal")
_LAZY.add("quasirandom")
_ELSEWHERE.update(dict.fromkeys(("sparse_coo_tensor", "sparse_csr_tensor", "sparse_csc_tensor",
                                 "sparse_compressed_tensor"), "sparse.tensor"))
_ELSEWHERE.update(dict.fromkeys(("spmm", "smm"), "sparse.ops"))
_ELSEWHERE.update(dict.fromkeys(("quint8", "qint8", "qint32", "quint4x2", "qscheme", "per_tensor_affine",
                                 "per_channel_affine", "per_tensor_symmetric", "per_channel_symmetric",
                                 "per_channel_affine_float_qparams"), "backend.qdtypes"))
_ELSEWHERE.update(dict.fromkeys(("quantize_per_tensor", "quantize_per_channel", "dequantize",
                                 "fake_quantize_per_tensor_affine", "fake_quantize_per_channel_affine"),
                                "autograd.quantized"))
_LAZY |= {"ao", "quantization"}


def __getattr__(name):
    # Subpackages load on first use, so ``import ember`` stays fast.
    if name in _LAZY:
        return _importlib.import_module("." + name, __name__)
    if name in _ELSEWHERE:
        module = _importlib.import_module("." + _ELSEWHERE[name], __name__)
        return module if module.__name__ == f"{__name__}.{name}" else getattr(module, name)
    if name.startswith("_foreach_"):
        from .functional import foreach
        if hasattr(foreach, name):
            return getattr(foreach, name)
    if name in ("save", "load"):
        from .io import serialization
        return getattr(serialization, name)
    if name == "autograd":
        return _importlib.import_module(".autograd", __name__)
    if name in _AMP_NAMES:
        from .amp import autocast_mode
        return getattr(autocast_mode, name)
    if name == "vmap":
        from .func import vmap
        return vmap
    if name in _SPECTRAL:  # stft, istft and the window functions live with ember.fft
        return getattr(_importlib.import_module(".fft." + _SPECTRAL[name], __name__), name)
    if name == "bfloat16":  # needs ml_dtypes (the bfloat16 extra)
        from .backend.bfloat16 import bfloat16
        return bfloat16()
    if name in ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz"):  # ml_dtypes, as bfloat16
        from .backend.float8 import float8
        return float8(name)
    if name == "BFloat16Tensor":
        from .backend.bfloat16 import bfloat16
        return _legacy_constructor("BFloat16Tensor", bfloat16())
    if name in _pointwise_api.LAZY:  # float, int: not globals, so this file's own code keeps the builtins
        return _pointwise_api.LAZY[name]
    if name in _pointwise_api.FUNCTIONAL_ALIASES:
        from .functional import torch_aliases
        return getattr(torch_aliases, name)
    if name == "special":
        return _importlib.import_module(".special", __name__)
    if name == "compile":
        from .compiler import compile as _compile
        return _compile
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    return input.numel()


def typename(obj):
    return type(obj).__name__


def set_num_threads(n):
    """Set the threads of NumPy's BLAS (OpenBLAS) and of ember's own parallel kernels, as
    ``torch.set_num_threads`` sets PyTorch's intra-op threads (ember.backend.threads)."""
    from .backend import threads
    threads.set_num_threads(n)


def get_num_threads():
    """The thread count ``set_num_threads`` set; at first, OpenBLAS's own (its environment variables
    decide it) or the CPU count."""
    from .backend import threads
    return threads.get_num_threads()


def use_deterministic_algorithms(mode, *, warn_only=False):
    """ember's ops are deterministic; the setting is recorded (``are_deterministic_algorithms_enabled``)."""
    _pointwise_api._settings.use_deterministic_algorithms(mode, warn_only=warn_only)


class _LegacyTensorType(type):
    """The legacy typed tensor classes (``torch.FloatTensor`` ...): calling one makes a tensor of
    its dtype from data or sizes; ``isinstance(t, torch.FloatTensor)`` is a dtype check, as in
    PyTorch; ``t.type(torch.FloatTensor)`` casts."""

    def __call__(cls, *data):
        return Tensor(*data).to(cls.dtype)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


def _legacy_constructor(name, d):
    return _LegacyTensorType(name, (), {"dtype": d, "__module__": "torch",
                                        "__doc__": f"Tensors of dtype {d} (legacy ``torch.{name}``)."})


FloatTensor = _legacy_constructor("FloatTensor", float32)
DoubleTensor = _legacy_constructor("DoubleTensor", float64)
HalfTensor = _legacy_constructor("HalfTensor", float16)
LongTensor = _legacy_constructor("LongTensor", int64)
IntTensor = _legacy_constructor("IntTensor", int32)
ShortTensor = _legacy_constructor("ShortTensor", int16)
ByteTensor = _legacy_constructor("ByteTensor", uint8)
CharTensor = _legacy_constructor("CharTensor", int8)
BoolTensor = _legacy_constructor("BoolTensor", bool)
