"""torch.autograd.graph against torch 2.13: saved_tensors_hooks (pack at forward, unpack at backward, the unpacked
values used by the rule, nesting, disable_saved_tensors_hooks), save_on_cpu, allow_mutation_on_saved_tensors,
checkpoint(use_reentrant=False) beside them, register_multi_grad_hook, hooks on grad_fn and AccumulateGrad nodes,
next_functions, name(), metadata, increment_version, GradientEdge inputs of autograd.grad, and the
optimizer-in-backward pattern of PyTorch's tutorial."""
import numpy as np
import pytest
import torch
import torch.autograd.graph as tgraph
import torch.utils.checkpoint as tcheckpoint

import ember
import ember.autograd.graph as egraph
import ember.utils.checkpoint as echeckpoint

LIBS = [(ember, egraph), (torch, tgraph)]
IDS = ["ember", "torch"]
X = [1.0, 2.0, 3.0]


def _both(fn):
    """``fn(lib, graph)`` under ember and torch; the results as nested lists, compared."""
    ours, theirs = (fn(lib, graph) for lib, graph in LIBS)
    assert _plain(ours) == _plain(theirs)
    return ours


def _plain(v):
    if hasattr(v, "detach"):
        return np.round(v.detach().numpy().astype(np.float64), 5).tolist()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


# -- saved_tensors_hooks ------------------------------------------------------------------------------------
def test_pack_at_forward_unpack_at_backward_and_its_value_is_used():
    def run(lib, graph):
        x = lib.tensor(X, requires_grad=True)
        log = []

        def pack(t):
            log.append(("pack", list(t.shape)))
            return t

        def unpack(t):
            log.append("unpack")
            return t * 2
        with graph.saved_tensors_hooks(pack, unpack):
            y = (x * x).sum()
        forward = list(log)
        y.backward()
        return forward, log, x.grad   # x*x saves x twice; each unpacked as 2x: grad 4x
    _both(run)


def test_custom_function_saved_tensors_go_through_the_hooks():
    def run(lib, graph):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a * 3

            @staticmethod
            def backward(ctx, g):
                (a,) = ctx.saved_tensors
                return g * a
        x = lib.tensor(X, requires_grad=True)
        log = []
        with graph.saved_tensors_hooks(lambda t: log.append("pack") or t, lambda t: log.append("unpack") or t + 1):
            r = Scale.apply(x).sum()
        r.backward()
        return log, x.grad
    _both(run)


def test_nested_hooks_inner_wins_and_pairs_outlive_the_context():
    def run(lib, graph):
        x = lib.tensor(X, requires_grad=True)
        log = []
        with graph.saved_tensors_hooks(lambda t: log.append("outer") or t, lambda t: log.append("u-outer") or t):
            with graph.saved_tensors_hooks(lambda t: log.append("inner") or t, lambda t: log.append("u-inner") or t):
                a = (x * x).sum()
            b = (x * x).sum()
        with lib.no_grad(), graph.saved_tensors_hooks(lambda t: log.append("no_grad") or t, lambda t: t):
            x * x
        (a + b).backward(retain_graph=True)
        (a + b).backward()   # unpacked again each time
        return sorted(log), x.grad
    _both(run)


def test_pack_may_return_anything_and_unpack_must_give_a_tensor():
    def run(lib, graph):
        x = lib.tensor(X, requires_grad=True)
        with graph.saved_tensors_hooks(lambda t: ("box", t.detach().clone()), lambda p: p[1]):
            (x * x).sum().backward()
        with graph.saved_tensors_hooks(lambda t: t, lambda t: 5):
            y = (x * x).sum()
        with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor but got result of type int"):
            y.backward()
        return x.grad
    _both(run)


@pytest.mark.parametrize("lib,graph", LIBS, ids=IDS)
def test_disable_saved_tensors_hooks_raises_torchs_error(lib, graph):
    with graph.disable_saved_tensors_hooks("no hooks in here"):
        with pytest.raises(RuntimeError, match="^no hooks in here$"):
            with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    with graph.saved_tensors_hooks(lambda t: t, lambda t: t):   # enabled again after it
        with pytest.raises(RuntimeError, match="^hooks are on$"):
            with graph.disable_saved_tensors_hooks("hooks are on"):
                pass


def test_save_on_cpu_gives_the_same_gradients():
    def run(lib, graph):
        x = lib.tensor(X, requires_grad=True, dtype=lib.float64)
        with graph.save_on_cpu(pin_memory=False):
            y = (x.sin() * x).exp().sum()
        y.backward()
        return isinstance(graph.save_on_cpu(), graph.saved_tensors_hooks), x.grad
    _both(run)


def test_allow_mutation_on_saved_tensors():
    def run(lib, graph):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        with graph.allow_mutation_on_saved_tensors():
            v = w.clone()
            out = (v * v).sum()
            v.mul_(10)   # the gradient still uses v as it was saved
            out.backward()
        with graph.allow_mutation_on_saved_tensors():
            late = w.clone().sin().sum()
        with pytest.raises(AssertionError, match="outside of the 'allow_mutation_on_saved_tensors' context"):
            late.backward()
        plain = w.clone()
        out = (plain * plain).sum()
        plain.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.backward()
        return w.grad, v
    _both(run)


def _checkpoint_run(lib, graph, module):
    lib.manual_seed(0)
    x = lib.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
    w = lib.tensor(np.linspace(0.5, 1.5, 16).reshape(4, 4), requires_grad=True)
    calls = []

    def segment(a):
        calls.append(1)
        h = lib.tanh(a @ w)
        return (h * h.sin()).sum()
    log = []
    with graph.saved_tensors_hooks(lambda t: log.append("pack") or t, lambda t: log.append("unpack") or t):
        y = module.checkpoint(segment, x, use_reentrant=False)
    forward_calls, forward_log = len(calls), list(log)
    y.backward()
    return forward_calls, len(calls), forward_log, log, x.grad, w.grad


def test_checkpoint_inside_hooks_reruns_the_segment_and_keeps_its_tensors_from_the_hooks():
    ours = _checkpoint_run(ember, egraph, echeckpoint)
    theirs = _checkpoint_run(torch, tgraph, tcheckpoint)
    assert ours[:4] == theirs[:4] == (1, 2, ["pack"], ["pack", "unpack"])   # only the input goes through them
    for a, b in zip(ours[4:], theirs[4:]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_checkpoint_preserve_rng_state_replays_dropout():
    def run(lib, graph, module, preserve):
        x = lib.ones(4, 6, requires_grad=True, dtype=lib.float64)
        lib.manual_seed(3)
        y = module.checkpoint(lambda a: lib.nn.functional.dropout(a, 0.5) * 2, x, use_reentrant=False,
                              preserve_rng_state=preserve)
        y.sum().backward()
        return (x.grad.numpy() != 0) == (y.detach().numpy() != 0)   # the mask of backward is forward's
    for lib, graph, module in ((ember, egraph, echeckpoint), (torch, tgraph, tcheckpoint)):
        assert run(lib, graph, module, True).all()


# -- register_multi_grad_hook ------------------------------------------------------------------------------
def test_multi_grad_hook_all_and_any():
    def run(lib, graph):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        log = []
        h = graph.register_multi_grad_hook((a, b), lambda grads: log.append(["all", list(grads)]))
        (a * 2).sum().backward()          # only a gets a gradient: b's is None
        (a * b).sum().backward()
        h.remove()
        (a * b).sum().backward()
        h = graph.register_multi_grad_hook((a, b), lambda grad: log.append(["any", grad]), mode="any")
        (a * b).sum().backward()
        h.remove()
        c = a * 3                          # a non-leaf among them
        h = graph.register_multi_grad_hook((c, b), lambda grads: log.append(["nonleaf", list(grads)]))
        (c * b).sum().backward()
        h.remove()
        with pytest.raises(ValueError, match=r"Expects mode to be one of \('all', 'any'\) but got some"):
            graph.register_multi_grad_hook((a, b), print, mode="some")
        return log
    _both(run)


# -- grad_fn nodes ----------------------------------------------------------------------------------------
def test_node_name_next_functions_metadata_and_hooks():
    def run(lib, graph):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        z = y.exp().sum()
        acc = y.grad_fn.next_functions[0][0]
        facts = [z.grad_fn.name(), type(z.grad_fn).__name__, [f.name() for f, _ in z.grad_fn.next_functions],
                 acc.name(), type(acc).__name__, acc is y.grad_fn.next_functions[0][0], acc.variable is x,
                 isinstance(y.grad_fn, graph.Node), isinstance(acc, graph.Node), y.grad_fn.metadata, acc.metadata]
        y.grad_fn.metadata["note"] = 1
        facts.append(y.grad_fn.metadata)
        log = []
        y.grad_fn.register_prehook(lambda go: log.append(["pre", list(go)]))
        y.grad_fn.register_hook(lambda gi, go: log.append(["post", list(gi), list(go)]))
        z.backward(retain_graph=True)
        h = y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0 + 7, None))
        x.grad = None
        z.backward(retain_graph=True)
        facts.append(x.grad)
        h.remove()
        h = y.grad_fn.register_prehook(lambda go: (go[0] * 0 + 1,))
        x.grad = None
        z.backward(retain_graph=True)
        facts.append(x.grad)
        h.remove()
        bad = y.grad_fn.register_hook(lambda gi, go: (gi[0],))
        with pytest.raises(RuntimeError, match=r"incorrect number of values \(got 1, but expected 2\)"):
            z.backward(retain_graph=True)
        bad.remove()
        return facts, log
    _both(run)


def test_accumulate_grad_hooks_run_in_torchs_order():
    def run(lib, graph):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        acc = graph.get_gradient_edge(x).node
        assert acc is y.grad_fn.next_functions[0][0]
        log = []
        x.register_hook(lambda g: log.append(["tensor", g]) or g * 2)
        acc.register_prehook(lambda go: log.append(["acc pre", go[0]]) or (go[0] + 1,))
        acc.register_hook(lambda gi, go: log.append(["acc post", list(gi), go[0], x.grad.clone()]))
        x.register_post_accumulate_grad_hook(lambda t: log.append(["post accumulate", t.grad.clone()]))
        y.sum().backward()
        return log, x.grad
    _both(run)


def test_gradient_edges_as_grad_inputs_and_increment_version():
    def run(lib, graph):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        z = y.exp().sum()
        edge = graph.get_gradient_edge(y)
        facts = [type(edge).__name__, edge.node.name(), edge.output_nr,
                 lib.autograd.grad(z, inputs=[edge], retain_graph=True),
                 lib.autograd.grad(z, inputs=graph.get_gradient_edge(x), retain_graph=True),
                 lib.autograd.grad(z, inputs=[graph.get_gradient_edge(x), x], retain_graph=True)]
        with pytest.raises(RuntimeError, match="does not require gradients"):
            graph.get_gradient_edge(lib.ones(2))
        t = lib.ones(2)
        versions = [t._version]
        graph.increment_version(t)
        versions.append(t._version)
        graph.increment_version([t, t])
        versions.append(t._version)
        return facts, versions
    _both(run)


def test_anomaly_mode_keeps_the_forward_stack_in_metadata():
    for lib in (ember, torch):
        with lib.autograd.detect_anomaly(check_nan=False):
            y = lib.ones(2, requires_grad=True) * 2
        assert any("test_anomaly_mode_keeps" in line for line in y.grad_fn.metadata["traceback_"])


# -- optimizer step fused into backward (PyTorch's tutorial) -------------------------------------------------
def _fused_optimizer(lib, state):
    model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 2))
    model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    optimizer_dict = {p: lib.optim.Adam([p], lr=0.01, foreach=False) for p in model.parameters()}

    def optimizer_hook(parameter):
        optimizer_dict[parameter].step()
        optimizer_dict[parameter].zero_grad()
    for p in model.parameters():
        p.register_post_accumulate_grad_hook(optimizer_hook)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = lib.tensor(rng.standard_normal((5, 4)).astype(np.float32))
        model(x).pow(2).mean().backward()
    return {k: v.detach().numpy() for k, v in model.state_dict().items()}, [p.grad for p in model.parameters()]


def test_optimizer_in_backward_tutorial_gives_torchs_weights():
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    state = {k: v.detach().numpy().copy() for k, v in reference.state_dict().items()}
    ours, our_grads = _fused_optimizer(ember, state)
    theirs, their_grads = _fused_optimizer(torch, state)
    assert our_grads == their_grads == [None] * 4
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-5, atol=1e-6)
    assert not np.allclose(theirs["0.weight"], state["0.weight"])   # the hooks did step


def test_hooks_that_store_copies_give_a_models_gradients():
    # The tutorial's pattern: pack puts a copy away, unpack brings it back; the gradients are those without hooks.
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3), torch.nn.Softmax(1))
    state = {k: v.detach().numpy().copy() for k, v in reference.state_dict().items()}
    x = np.linspace(-2, 2, 20).reshape(5, 4)

    def run(lib, graph, hooks):
        model = lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.Tanh(), lib.nn.Linear(6, 3), lib.nn.Softmax(1)).double()
        model.load_state_dict({k: lib.tensor(v, dtype=lib.float64) for k, v in state.items()})
        store = {}

        def pack(t):
            store[len(store)] = t.detach().clone()
            return len(store) - 1

        def unpack(key):
            return store[key]
        if hooks:
            with graph.saved_tensors_hooks(pack, unpack):
                loss = (model(lib.tensor(x)).log() * lib.tensor(x[:, :3])).sum()
            assert store
        else:
            loss = (model(lib.tensor(x)).log() * lib.tensor(x[:, :3])).sum()
        loss.backward()
        return [p.grad.numpy() for p in model.parameters()]
    plain = run(ember, egraph, False)
    for ours, theirs, base in zip(run(ember, egraph, True), run(torch, tgraph, True), plain):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(ours, base)
