"""PyTorch 2.13 public names that ember's coverage is not measured against, with the reason for each.

ember is a CPU framework over NumPy for training and running models with PyTorch's API. Names
are left out of the coverage count when they belong to something ember does not set out to be:

* another device (CUDA, ROCm, XPU, MPS, MTIA, HPU, IPU, XLA, Vulkan) or a vendor kernel library
  (cuDNN, MIOpen, oneDNN/mkldnn, FBGEMM);
* sparse, quantized or nested (jagged) tensors: other tensor layouts with their own kernels;
* the TorchScript IR and the compiler stack (``torch._C``'s graph and type classes, FX, export,
  ONNX, custom-op registration), whose objects only exist inside PyTorch's C++ runtime;
* storages, PyTorch's untyped memory blocks under tensors (ember's tensors are NumPy arrays);
* build flags and typing helpers, and Python modules that PyTorch's namespaces happen to import
  (``os``, ``sys``, ``math``, ``typing.Optional`` ...), which are not PyTorch's API at all;
* deprecated or prototype APIs PyTorch itself steers users away from (DataPipes, named tensors,
  removed ops kept as error stubs).

Everything else counts, including names ember does not have yet; excluding is never a way to
raise a percentage. Each rule below is (namespaces, pattern over the name, reason); ``"*"`` is
every namespace.
"""
import re
import types

_DEVICES = "cuda|cudnn|cufft|cublas|cublaslt|nccl|miopen|rocm|hip|mps|xpu|hpu|mtia|maia|ipu|xla|vulkan|gpu|mkldnn|fbgemm"

RULES = [
    ("*", rf"^({_DEVICES})$|^(is_|to_|get_|set_)?({_DEVICES})(_|\d|$)|_({_DEVICES})(_|\d|$)",
     "another device or a vendor kernel library (CUDA, ROCm, XPU, MPS, MTIA, HPU, IPU, XLA, Vulkan, cuDNN, "
     "MIOpen, oneDNN, FBGEMM)"),
    ("*", r"^(pin_memory|is_pinned|record_stream|Stream|Event|AcceleratorError|OutOfMemoryError|"
          r"get_device_module)$",
     "pinned host memory, streams and device management: meaningful only with an accelerator"),
    ("*", r"sparse|(^|_)(coo|csr|csc|bsr|bsc)(_|$)|^(smm|hspmm|hsmm|dsmm|spmm|sspaddmm|saddmm)$|"
          r"^(indices|values|crow_indices|col_indices|ccol_indices|row_indices|coalesce|is_coalesced|to_dense|"
          r"dense_dim)(_copy)?$",
     "sparse tensors (COO/CSR/CSC/BSR/BSC layouts and their ops)"),
    ("*", r"quantiz|quantis|qint|quint|qscheme|^q_|per_channel|per_tensor|int_repr|^dequantize$|fake_quant|"
          r"qparams|^ao$|^(intrinsic|qat)$|^QU?Int|fused_moving_avg",
     "quantized tensors and quantization-aware training"),
    ("*", r"^(nested|jagged|is_nested|to_padded_tensor)$",
     "nested (jagged) tensors, a prototype layout"),
    ("torch", r"^(AliasDb|AnyType|Argument|ArgumentSpec|AwaitType|Block|BoolType|CallStack|Capsule|ClassType|Code|"
              r"CompilationUnit|CompleteArgumentSpec|ComplexType|ConcreteModuleType|ConcreteModuleTypeBuilder|"
              r"DeepCopyMemoTable|DeviceObjType|DictType|EnumType|ErrorReport|ExecutionPlan|FileCheck|FloatType|"
              r"FunctionSchema|Future|FutureType|Gradient|Graph|GraphExecutorState|IODescriptor|InferredType|"
              r"IntType|InterfaceType|JITException|ListType|LiteScriptModule|NoneType|Node|NumberType|OperatorInfo|"
              r"OptionalType|PyObjectType|RRefType|Script\w*|StaticModule|StreamObjType|StringType|SymBoolType|"
              r"SymIntType|TensorType|TracingState|TupleType|Type|UnionType|Use|Value|AggregationType|"
              r"BenchmarkConfig|BenchmarkExecutionStats|ThroughputBenchmark|LockingLogger|NoopLogger|LoggerBase|"
              r"ModuleDict|ParameterDict|BufferDict|Tag|DispatchKey|DispatchKeySet|ExcludeDispatchKeyGuard|"
              r"DisableTorchFunction|DisableTorchFunctionSubclass|PyTorchFileReader|PyTorchFileWriter|"
              r"SerializationStorageContext|DeserializationStorageContext|AVG|SUM|FatalError|"
              r"merge_type_from_type_comment|parse_ir|parse_schema|parse_type_comment|import_ir_module\w*|"
              r"unify_type_list|fork|wait|PRIVATE_OPS|classes|ops|library|fx|export|onnx|package|cpp|overrides|"
              r"get_file_path|prepare_multiprocessing_environment)$",
     "TorchScript IR classes (torch._C), the compiler/export stack and other C++-runtime internals; "
     "torch.ModuleDict/ParameterDict here are TorchScript's, not nn's"),
    ("torch", r"^(SymBool|SymFloat|SymInt|sym_\w+)$",
     "symbolic shapes, which exist only while torch.compile traces"),
    ("*", r"Storage$|^StorageBase$|^(storage|untyped_storage|storage_type|is_storage|share_memory_|is_shared)$",
     "storages: PyTorch's raw memory blocks beneath tensors (ember's tensors are NumPy arrays)"),
    ("torch", r"^(TYPE_CHECKING|USE_GLOBAL_DEPS|USE_RTLD_GLOBAL_WITH_LIBTORCH|compiled_with_cxx11_abi|has_lapack|"
              r"has_mkl|has_openmp|has_spectral|classproperty|torch_version|types|return_types|"
              r"thread_safe_generator|windows|float4_e2m1fn_x2|float8_\w+|u?int[1-7]|bits\w+|complex32|chalf)$",
     "build flags, typing modules, and accelerator-only low-precision dtypes (FP8, FP4, sub-byte integers, "
     "complex32)"),
    ("torch", r"^(eig|symeig|lstsq|solve|matrix_rank|chain_matmul)$",
     "removed from PyTorch: kept only as stubs that raise, pointing to torch.linalg"),
    ("torch.Tensor", r"^(eig|symeig|lstsq|solve|reinforce|volatile)$",
     "removed from PyTorch: kept only as stubs that raise"),
    ("torch.Tensor", r"^(names|rename|rename_|refine_names|align_as|align_to|has_names)$",
     "named tensors, a prototype PyTorch no longer develops"),
    ("torch.nn", r"^(factory_kwargs|common_types|attention)$",
     "internal helpers for writing PyTorch's own layers (factory_kwargs, typing aliases)"),
    ("torch.nn.functional", r"^(BroadcastingList\d|boolean_dispatch|DType|Callable|Optional|TYPE_CHECKING|"
                            r"handle_torch_function|has_torch_function\w*|assert_int_or_pair|Tensor|"
                            r"GRID_SAMPLE_\w+|ScalingType|SwizzleType|scaled_mm|scaled_grouped_mm|grouped_mm|"
                            r"reproducibility_notes|tf32_notes)$",
     "TorchScript typing helpers, __torch_function__ plumbing, a re-export of torch.Tensor (counted there), "
     "docstring templates, and scaled/grouped matmuls that only run on GPUs"),
    ("torch.special", r"^(Tensor|common_args|multi_dim_common)$",
     "a re-export of torch.Tensor and docstring templates"),
    ("torch.fft", r"^(Tensor|common_args|factory_common_args)$",
     "a re-export of torch.Tensor and docstring templates"),
    ("torch.linalg", r"^(Tensor|common_notes)$", "a re-export of torch.Tensor and docstring templates"),
    ("torch.utils.data", r"datapipe|DataPipe|^(DataChunk|graph|graph_settings|argument_validation|"
                         r"runtime_validation|runtime_validation_disabled|non_deterministic|"
                         r"guaranteed_datapipes_determinism)$",
     "DataPipes, deprecated by PyTorch and moved out to torchdata"),
    ("torch", r"^(batch_norm_(stats|elemt|gather_stats|gather_stats_with_counts|backward_reduce|backward_elemt)|"
              r"native_norm)$",
     "kernels PyTorch registers only for CUDA (the pieces of SyncBatchNorm's multi-GPU reduction) or for sparse "
     "tensors (native_norm): there is no dense CPU implementation to match"),
]

_COMPILED = [(spaces, re.compile(pattern), reason) for spaces, pattern, reason in RULES]


def reason(namespace, name, value=None):
    """Why ``namespace.name`` is not counted, or None when it counts."""
    if isinstance(value, types.ModuleType) and not value.__name__.startswith("torch"):
        return f"the Python module {value.__name__!r}, which {namespace} happens to import"
    if isinstance(value, types.ModuleType) and value.__name__ == "torch":
        return "the torch package itself, imported by this namespace (torch.torch too)"
    if getattr(value, "__module__", None) in ("typing", "typing_extensions", "collections.abc") \
            and not isinstance(value, types.ModuleType):
        return "a typing construct re-exported by PyTorch"
    if namespace == "torch.distributions" and isinstance(value, types.ModuleType) \
            and name not in ("constraints", "kl", "transforms", "constraint_registry"):
        return "the file that defines one distribution class (the class itself is counted)"
    for spaces, pattern, why in _COMPILED:
        if (spaces == "*" or spaces == namespace) and pattern.search(name):
            return why
    return None
