"""Module forward hooks are stored as PyTorch stores them: ``_forward_pre_hooks`` / ``_forward_hooks`` map
handle ids to the hook functions, with ``with_kwargs`` and ``always_call`` tracked in side dicts; and they
run as torch runs them (order, prepend, kwargs, always_call on an error, removal)."""
import warnings

import pytest
import torch
import torch.nn.utils.prune  # noqa: F401  (a submodule torch does not import by itself)

import ember
import ember.nn.utils.prune as eprune
from ember.nn import hooks as ehooks


def _layout(m):
    ids = {k: i for i, k in enumerate(list(m._forward_pre_hooks) + list(m._forward_hooks))}
    return {name: [ids.get(k, k) for k in getattr(m, name)] for name in
            ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks", "_forward_hooks_with_kwargs",
             "_forward_hooks_always_called")}


def _register(m):
    calls = []
    pre = lambda mod, args: calls.append("pre")  # noqa: E731
    pre_kw = lambda mod, args, kwargs: calls.append("pre_kw")  # noqa: E731
    post = lambda mod, args, out: calls.append("post")  # noqa: E731
    post_kw = lambda mod, args, kwargs, out: calls.append("post_kw")  # noqa: E731
    always = lambda mod, args, out: calls.append(("always", out))  # noqa: E731
    handles = [m.register_forward_pre_hook(pre), m.register_forward_pre_hook(pre_kw, with_kwargs=True, prepend=True),
               m.register_forward_hook(post), m.register_forward_hook(post_kw, with_kwargs=True),
               m.register_forward_hook(always, always_call=True)]
    return calls, handles, (pre, pre_kw, post, post_kw, always)


def test_layout_equals_torch():
    tm, em = torch.nn.Linear(2, 2), ember.nn.Linear(2, 2)
    (_, _, tf), (_, _, ef) = _register(tm), _register(em)
    assert _layout(em) == _layout(tm)
    assert list(em._forward_pre_hooks.values()) == [ef[1], ef[0]]
    assert list(tm._forward_pre_hooks.values()) == [tf[1], tf[0]]
    assert list(em._forward_hooks.values()) == list(ef[2:])
    assert all(v is True for v in em._forward_hooks_with_kwargs.values())


def test_hooks_run_in_torch_order_and_handles_remove_everywhere():
    tm, em = torch.nn.Linear(2, 2), ember.nn.Linear(2, 2)
    (tc, th, _), (ec, eh, _) = _register(tm), _register(em)
    tm(torch.ones(1, 2))
    em(ember.ones(1, 2))
    assert [c if isinstance(c, str) else c[0] for c in ec] == [c if isinstance(c, str) else c[0] for c in tc]
    for handles in (th, eh):
        handles[1].remove()
        handles[3].remove()
        handles[4].remove()
    assert _layout(em) == _layout(tm)
    assert not em._forward_hooks_with_kwargs and not em._forward_pre_hooks_with_kwargs
    assert not em._forward_hooks_always_called


def test_always_call_runs_when_forward_raises():
    results = []
    for lib in (torch, ember):
        m = lib.nn.Linear(2, 2)
        calls, _, _ = _register(m)
        with pytest.raises(RuntimeError):
            m(lib.ones(1, 3))
        results.append(calls)
    assert results[1] == results[0] == ["pre_kw", "pre", ("always", None)]


def test_always_call_hook_error_is_a_warning_and_forward_error_propagates():
    for lib in (torch, ember):
        m = lib.nn.Linear(2, 2)

        def broken(mod, args, out):
            raise ValueError("hook broke")
        m.register_forward_hook(broken, always_call=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with pytest.raises(RuntimeError):
                m(lib.ones(1, 3))
        assert any("always_call=True" in str(x.message) and "hook broke" in str(x.message) for x in w)


def test_global_forward_hooks_layout_and_kwargs():
    seen = []
    h = ehooks.register_module_forward_hook(lambda mod, args, kwargs, out: seen.append(type(mod).__name__),
                                            with_kwargs=True, always_call=True)
    try:
        assert list(ehooks._global_forward_hooks_with_kwargs) == [h.id]
        assert list(ehooks._global_forward_hooks_always_called) == [h.id]
        assert callable(ehooks._global_forward_hooks[h.id])
        ember.nn.ReLU()(ember.ones(1))
    finally:
        h.remove()
    assert seen == ["ReLU"]
    assert not ehooks._global_forward_hooks_with_kwargs and not ehooks._global_forward_hooks_always_called


def test_prune_style_iteration_of_hook_values():
    """User code (and torch.nn.utils.prune) iterates ``_forward_pre_hooks.values()`` with isinstance checks."""
    for lib, prune in ((torch, torch.nn.utils.prune), (ember, eprune)):
        m = lib.nn.Linear(4, 3)
        prune.l1_unstructured(m, "weight", amount=0.5)
        prune.l1_unstructured(m, "weight", amount=0.25)
        methods = [h for h in m._forward_pre_hooks.values() if isinstance(h, prune.BasePruningMethod)]
        assert len(methods) == 1 and type(methods[0]).__name__ == "PruningContainer"
        assert prune.is_pruned(m)
        prune.remove(m, "weight")
        assert not m._forward_pre_hooks and not prune.is_pruned(m)
    m = ember.nn.Linear(3, 3)
    ember.nn.utils.weight_norm(m)
    assert [type(h).__name__ for h in m._forward_pre_hooks.values()] == ["WeightNorm"]
    with pytest.raises(RuntimeError, match="two weight_norm hooks"):
        ember.nn.utils.weight_norm(m)
    ember.nn.utils.remove_weight_norm(m)
    assert not m._forward_pre_hooks
