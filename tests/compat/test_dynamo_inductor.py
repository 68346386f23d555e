"""``torch._dynamo`` and ``torch._inductor.config`` against the real torch: defaults, settings kept,
unknown names rejected the same way, marks on tensors, and the helpers programs call around compile."""
import os
import subprocess
import sys

import pytest
import torch
import torch._dynamo as tdynamo
import torch._inductor.config as tinductor

import ember
import ember._dynamo as edynamo
import ember._inductor.config as einductor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_dynamo_config_defaults_equal_torch():
    for key in edynamo.config._defaults:
        assert getattr(edynamo.config, key) == getattr(tdynamo.config, key), key


def test_inductor_config_defaults_equal_torch():
    for key in einductor._defaults:
        mine, theirs = einductor, tinductor
        for part in key.split("."):
            mine, theirs = getattr(mine, part), getattr(theirs, part)
        assert mine == theirs, key


@pytest.mark.parametrize("cfg,tcfg", [(edynamo.config, tdynamo.config), (einductor, tinductor)])
def test_unknown_name_and_patch(cfg, tcfg):
    for c in (cfg, tcfg):
        with pytest.raises(AttributeError, match="does not exist"):
            c.no_such_setting_xyz
        with pytest.raises(AttributeError, match="does not exist"):
            with c.patch(no_such_setting_xyz=1):
                pass
    key = "verbose" if cfg is edynamo.config else "max_autotune"
    for c in (cfg, tcfg):
        with c.patch(key, True):
            assert getattr(c, key) is True
        assert getattr(c, key) is False

        @c.patch({key: True})
        def read():
            return getattr(c, key)
        assert read() is True and getattr(c, key) is False


def test_settings_are_kept_including_sets_and_groups():
    edynamo.config.suppress_errors = True
    edynamo.config.cache_size_limit = 64
    edynamo.config.traceable_tensor_subclasses.add(int)
    try:
        assert edynamo.config.suppress_errors is True and edynamo.config.cache_size_limit == 64
        assert edynamo.config.get_config_copy()["cache_size_limit"] == 64
        assert edynamo.config.save_config() == {"suppress_errors": True, "cache_size_limit": 64,
                                                "traceable_tensor_subclasses": {int}}
    finally:
        edynamo.config.suppress_errors = False
        edynamo.config.cache_size_limit = 8
        edynamo.config.traceable_tensor_subclasses.clear()
    assert edynamo.config._defaults["traceable_tensor_subclasses"] == set()
    einductor.triton.unique_kernel_names = False
    einductor.post_grad_fusion_options = {"normalization_pass": {}}
    try:
        assert einductor.triton.unique_kernel_names is False
        assert einductor.get_config_copy()["triton.unique_kernel_names"] is False
    finally:
        einductor.triton.unique_kernel_names = True
        einductor.post_grad_fusion_options = {}
    with pytest.raises(AttributeError, match="triton.no_such"):
        einductor.triton.no_such


def test_marks_match_torch():
    for lib, dyn in ((ember, edynamo), (torch, tdynamo)):
        x = lib.randn(3, 4)
        dyn.mark_dynamic(x, 0)
        dyn.mark_dynamic(x, [1])
        dyn.maybe_mark_dynamic(x, 1)
        dyn.mark_static(x, 0)
        assert x._dynamo_dynamic_indices == {0, 1}
        assert x._dynamo_weak_dynamic_indices == {1}
        assert x._dynamo_static_indices == {0}


def test_helpers_behave_like_torch_in_eager_code():
    def f(x):
        return x * 2
    for dyn in (edynamo, tdynamo):
        assert dyn.is_compiling() is False
        assert dyn.reset() is None
        assert dyn.allow_in_graph(f) is f
        assert dyn.disable(f)(3) == 6 and dyn.disable()(f)(3) == 6
        assert dyn.graph_break() is None
        assert dyn.is_dynamo_supported() is True


def test_explain_says_why_it_is_missing():
    with pytest.raises(NotImplementedError, match="fallback_reason"):
        edynamo.explain(lambda x: x)(ember.ones(1))


def test_compiled_module_is_an_optimized_module():
    m = ember.compile(ember.nn.Linear(2, 2))
    assert isinstance(m, edynamo.OptimizedModule) and isinstance(m._orig_mod, ember.nn.Linear)
    tm = torch.compile(torch.nn.Linear(2, 2))
    assert isinstance(tm, tdynamo.OptimizedModule)
    # where Hugging Face's is_compiled_module looks for it
    assert isinstance(m, edynamo.eval_frame.OptimizedModule) and isinstance(tm, tdynamo.eval_frame.OptimizedModule)


def test_optimize_compiles_and_matches_eager():
    model = ember.nn.Linear(3, 2)
    x = ember.randn(4, 3)
    fn = edynamo.optimize("inductor")(lambda t: model(t).relu())
    with ember.no_grad():
        for _ in range(3):
            assert ember.allclose(fn(x), model(x).relu())
        assert fn.fallback_reason is None


def test_nanogpt_style_lines_run_under_the_alias():
    code = ("import torch, torch._dynamo, torch._inductor.config\n"
            "torch._dynamo.config.suppress_errors = True\n"
            "torch._dynamo.config.cache_size_limit = 64\n"
            "torch._inductor.config.coordinate_descent_tuning = True\n"
            "torch._inductor.config.triton.unique_kernel_names = True\n"
            "torch._inductor.config.fx_graph_cache = True\n"
            "from torch._dynamo import config\n"
            "m = torch.compile(torch.nn.Linear(2, 2))\n"
            "print(config.cache_size_limit, isinstance(m, torch._dynamo.OptimizedModule))\n")
    r = subprocess.run([sys.executable, "-m", "ember.torch_compat", "-c", code], cwd=ROOT, capture_output=True,
                       text=True, env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["64", "True"]
