"""``import torch.<submodule>`` lines that PyTorch programs use import under ember.compat, and give
the names the programs then use (each line and name checked on the real torch too)."""
import importlib
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

IMPORTS = {
    "torch.cuda.amp": ["GradScaler", "autocast"],
    "torch.profiler": ["profile", "record_function", "schedule", "ProfilerActivity", "tensorboard_trace_handler"],
    "torch.autograd.profiler": ["profile", "record_function", "emit_nvtx"],
    "torch.nn.utils.parametrize": ["register_parametrization", "remove_parametrizations", "is_parametrized",
                                   "cached", "type_before_parametrizations"],
    "torch.nn.utils.parametrizations": ["weight_norm", "spectral_norm"],
    "torch.nn.utils.stateless": ["functional_call"],
    "torch.nn.utils.prune": ["l1_unstructured", "ln_structured", "global_unstructured", "remove", "is_pruned",
                             "L1Unstructured", "BasePruningMethod"],
    "torch.utils.dlpack": ["from_dlpack", "to_dlpack"],
    "torch.utils.data._utils.collate": ["default_collate", "default_convert", "collate"],
    "torch.utils._pytree": ["tree_flatten", "tree_unflatten", "tree_map", "tree_leaves"],
    "torch.utils.model_zoo": ["load_url"],
    "torch.nn.utils.fusion": ["fuse_conv_bn_eval", "fuse_linear_bn_eval"],
    "torch.futures": ["Future", "collect_all", "wait_all"],
    "torch.autograd": ["Variable"],
    "torch.random": ["fork_rng"],
    "torch.utils.hooks": ["RemovableHandle", "unserializable_hook", "warn_if_has_hooks"],
    "torch.utils.checkpoint": ["checkpoint", "checkpoint_sequential"],
    "torch.optim.swa_utils": ["AveragedModel", "SWALR", "update_bn"],
    "torch.nn.utils": ["weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm",
                       "clip_grad_norm_", "parameters_to_vector"],
    "torch.distributions": ["Categorical", "Normal"],
    "torch.distributed.elastic.multiprocessing.errors": ["record", "ChildFailedError", "ErrorHandler"],
    "torch.distributed.optim": ["ZeroRedundancyOptimizer"],
    "torch.distributed.algorithms.ddp_comm_hooks.default_hooks": ["allreduce_hook", "fp16_compress_hook",
                                                                  "bf16_compress_hook", "fp16_compress_wrapper"],
    "torch.distributed.run": ["main", "parse_args"],
    "torch.distributed": ["TCPStore", "HashStore", "FileStore", "PrefixStore", "DistStoreError", "Store"],
    "torch._dynamo": ["reset", "config", "disable", "allow_in_graph", "mark_dynamic", "is_compiling",
                      "OptimizedModule"],
    "torch._inductor.config": ["coordinate_descent_tuning", "triton", "fx_graph_cache"],
    "torch.utils.flop_counter": ["FlopCounterMode"],
    "torch.overrides": ["has_torch_function", "handle_torch_function", "TorchFunctionMode",
                        "get_ignored_functions", "is_tensor_like", "wrap_torch_function"],
    "torch.nested": ["nested_tensor", "as_nested_tensor", "to_padded_tensor"],
    "torch.masked": ["sum", "mean", "amax", "softmax", "masked_tensor", "MaskedTensor"],
    "torch.library": ["custom_op", "Library", "define", "impl", "register_fake", "register_autograd"],
    "torch.nn.attention.flex_attention": ["flex_attention", "create_block_mask", "and_masks", "or_masks",
                                          "noop_mask", "BlockMask"],
    "torch.mps": ["is_available", "device_count"],
    "torch.xpu": ["is_available", "device_count"],
    "torch.types": ["Number", "Device"],
    "torch.storage": ["UntypedStorage", "TypedStorage"],
    "torch.utils.cpp_extension": ["load", "load_inline", "CppExtension", "BuildExtension"],
    "torch.utils.mobile_optimizer": ["optimize_for_mobile"],
}


@pytest.mark.parametrize("module", list(IMPORTS))
def test_real_torch_has_them(module):
    mod = importlib.import_module(module)
    for name in IMPORTS[module]:
        assert hasattr(mod, name), f"{module}.{name}"


def test_ember_alias_has_them():
    code = "\n".join(f"import {m}\nfrom {m} import {', '.join(names)}" for m, names in IMPORTS.items())
    code += "\nimport torch\nprint(torch.__name__, torch.cuda.amp.__name__)"
    r = subprocess.run([sys.executable, "-m", "ember.torch_compat", "-c", code], cwd=ROOT, capture_output=True,
                       text=True, env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["ember", "ember.amp.cuda_amp"]
