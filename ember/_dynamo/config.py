"""``torch._dynamo.config``: the settings programs read and set around ``torch.compile``.

Ember's compiler (:mod:`ember.compiler`) traces NumPy work instead of Python bytecode, so most of
these only keep the value a program sets. Two are read by ember: ``suppress_errors`` (what
``torch.compile`` does when capture fails: ember always falls back to eager with a warning, so
either value runs the program) and ``cache_size_limit`` / ``recompile_limit`` (shown by
:func:`ember._dynamo.explain`). Defaults are torch 2.13's.

>>> import ember._dynamo
>>> ember._dynamo.config.cache_size_limit
8
>>> ember._dynamo.config.suppress_errors = True
>>> ember._dynamo.config.suppress_errors
True
>>> ember._dynamo.config.suppress_errors = False
"""
import sys

from ..utils._config_module import ConfigModule

DEFAULTS = {
    "suppress_errors": False,
    "cache_size_limit": 8,
    "recompile_limit": 8,
    "accumulated_cache_size_limit": 256,
    "accumulated_recompile_limit": 256,
    "verbose": False,
    "capture_scalar_outputs": False,
    "capture_dynamic_output_shape_ops": False,
    "optimize_ddp": True,
    "automatic_dynamic_shapes": True,
    "assume_static_by_default": True,
    "specialize_int": False,
    "specialize_float": False,
    "dynamic_shapes": True,
    "force_parameter_static_shapes": True,
    "force_nn_module_property_static_shapes": True,
    "guard_nn_modules": True,
    "inline_inbuilt_nn_modules": True,
    "error_on_recompile": False,
    "log_compilation_metrics": True,
    "compiled_autograd": False,
    "skip_nnmodule_hook_guards": True,
    "raise_on_ctx_manager_usage": True,
    "rewrite_assert_with_torch_assert": True,
    "traceable_tensor_subclasses": set(),
    "allow_unspec_int_on_nn_module": False,
    "replay_record_enabled": False,
    "capture_autograd_function": True,
    "capture_func_transforms": True,
    "optimize_ddp_lazy_compile": False,
    "allow_rnn": False,
    "repro_after": None,
    "repro_level": 2,
    "use_lazy_graph_module": True,
    "fake_tensor_cache_enabled": True,
    "prefer_deferred_runtime_asserts_over_guards": False,
    "enable_cpp_guard_manager": True,
    "skip_fsdp_guards": True,
    "guard_nn_modules_using_dict_tags": True,
    "disable": False,
    "minimum_call_count": 1,
    "dont_skip_tracing": False,
    "do_not_emit_runtime_asserts": False,
    "trace_numpy": True,
    "numpy_default_float": "float64",
    "numpy_default_complex": "complex128",
    "numpy_default_int": "int64",
    "use_numpy_random_stream": False,
    "enable_compiler_collectives": False,
    "report_guard_failures": True,
    "skip_tensor_guards_with_matching_dict_tags": True,
    "cprofile": False,
    "nontraceable_tensor_subclasses": set(),
    "reorderable_logging_functions": set(),
    "ignore_logger_methods": set(),
    "assume_dunder_attributes_remain_unchanged": True,
}

sys.modules[__name__] = ConfigModule(__name__, DEFAULTS, __doc__)
