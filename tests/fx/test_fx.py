"""ember.fx against torch.fx: the same programs traced, edited and run in both give the same graphs and numbers."""
import copy
import operator
import re

import numpy as np
import pytest
import torch
import torch.fx

import ember
import ember.fx
from ember.fx.passes.shape_prop import ShapeProp as EmberShapeProp
from torch.fx.passes.shape_prop import ShapeProp as TorchShapeProp

LIBS = {"torch": (torch, torch.fx), "ember": (ember, ember.fx)}


def scaled(x, n):
    """A module-level function both frameworks' wrap() keep as one call_function node."""
    return x * n


torch.fx.wrap("scaled")
ember.fx.wrap("scaled")


def build(lib):
    """The same model in ``lib`` (torch or ember): a traced-through block, a Sequential, a parameter, a buffer."""
    nn, F = lib.nn, lib.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.act = nn.ReLU()

        def forward(self, x):
            return self.act(self.fc(x)) + x

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.layers = nn.Sequential(nn.Linear(4, 6), nn.Tanh())
            self.scale = nn.Parameter(lib.ones(6) * 1.5)
            self.register_buffer("shift", lib.zeros(6) + 0.25)

        def forward(self, x):
            y = self.block(x)
            y = lib.relu(y) * 2
            y = F.relu(y - 1.0).view(x.shape[0], -1)
            z = self.layers(y) * self.scale + self.shift
            a, b = z.chunk(2, dim=1)
            return scaled(a, 3) - lib.cat([b, a], 1).mean(dim=1, keepdim=True)

    return Net()


def _sync(e_model, t_model):
    e_model.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t_model.state_dict().items()})
    return e_model


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    t = build(torch)
    return t, _sync(build(ember), t)


@pytest.fixture(scope="module")
def x_np():
    return np.random.RandomState(0).randn(3, 4).astype(np.float32)


def _name(target):
    return target if isinstance(target, str) else target.__name__


def _ops(gm):
    return [(n.op, _name(n.target), n.name) for n in gm.graph.nodes]


def _strip_defaults(text):
    # torch's functional F.relu records its default inplace=False (through __torch_function__); ember records
    # the call as written.
    return text.replace(", inplace = False", "").replace("kwargs = {inplace: False}", "kwargs = {}")


def _close(e, t, tol=1e-5):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def test_trace_records_the_same_nodes_and_code(models):
    t_gm, e_gm = torch.fx.symbolic_trace(models[0]), ember.fx.symbolic_trace(models[1])
    assert _ops(e_gm) == _ops(t_gm)
    assert [(n.op, [a.name for a in n.all_input_nodes], len(n.users)) for n in e_gm.graph.nodes] == \
        [(n.op, [a.name for a in n.all_input_nodes], len(n.users)) for n in t_gm.graph.nodes]
    # torch's code also re-registers wrapped functions (a `torch.fx._symbolic_trace.wrap(...)` line).
    t_code = re.sub(r"\ntorch\.fx\._symbolic_trace\.wrap\(.*\)\n", "\n\n", t_gm.code)
    assert e_gm.code == _strip_defaults(t_code)
    assert str(e_gm.graph).replace("tests.fx.test_fx.", "") == _strip_defaults(str(t_gm.graph)).replace(
        "tests.fx.test_fx.", "")
    assert type(e_gm).__name__ == type(models[1]).__name__ and isinstance(e_gm, ember.fx.GraphModule)
    assert list(e_gm.state_dict()) == list(t_gm.state_dict())


def test_graph_module_gives_eager_outputs_and_gradients(models, x_np):
    for (lib, fx), model in zip(LIBS.values(), models):
        gm = fx.symbolic_trace(model)
        x = lib.tensor(x_np, requires_grad=True)
        out = gm(x)
        _close(out, model(x))
        out.pow(2).sum().backward()
    tx, ex = torch.tensor(x_np, requires_grad=True), ember.tensor(x_np, requires_grad=True)
    torch.fx.symbolic_trace(models[0])(tx).pow(2).sum().backward()
    ember.fx.symbolic_trace(models[1])(ex).pow(2).sum().backward()
    _close(ex.grad, tx.grad)


def _relu_to_gelu(lib, fx, model):
    """The FX tutorial's graph edit: every relu (function or module) becomes gelu."""
    gm = fx.symbolic_trace(model)
    graph = gm.graph
    for node in list(graph.nodes):
        is_fn = node.op == "call_function" and node.target in (lib.relu, lib.nn.functional.relu)
        is_mod = node.op == "call_module" and isinstance(gm.get_submodule(node.target), lib.nn.ReLU)
        if is_fn or is_mod:
            with graph.inserting_after(node):
                new = graph.call_function(lib.nn.functional.gelu, (node.args[0],))
            node.replace_all_uses_with(new)
            graph.erase_node(node)
    gm.delete_all_unused_submodules()
    graph.lint()
    gm.recompile()
    return gm


def test_graph_edit_relu_to_gelu_gives_torch_numbers(models, x_np):
    t_gm, e_gm = (_relu_to_gelu(*LIBS[k], m) for k, m in zip(LIBS, models))
    assert _ops(e_gm) == _ops(t_gm)
    assert "gelu" in e_gm.code and "relu" not in e_gm.code
    _close(e_gm(ember.tensor(x_np)), t_gm(torch.tensor(x_np)))
    assert list(e_gm.state_dict()) == list(t_gm.state_dict())


def _swapper(lib, fx):
    class Swap(fx.Transformer):
        def call_function(self, target, args, kwargs):
            if target is operator.add:
                target = operator.mul
            if target == lib.relu:   # (ember patches functions while transforming: `is` would not match)
                return lib.sigmoid(*args)
            return super().call_function(target, args, kwargs)

        def call_method(self, target, args, kwargs):
            if target == "mean":
                target = "sum"
            return super().call_method(target, args, kwargs)
    return Swap


def test_transformer_rewrites_like_torch(models, x_np):
    outs, ops = [], []
    for (lib, fx), model in zip(LIBS.values(), models):
        gm = _swapper(lib, fx)(fx.symbolic_trace(model)).transform()
        outs.append(gm(lib.tensor(x_np)))
        ops.append([(n.op, _name(n.target)) for n in gm.graph.nodes])
    assert ops[1] == ops[0]
    _close(outs[1], outs[0])


def test_interpreter_counts_and_shape_prop(models, x_np):
    shapes = []
    for (lib, fx), model, shape_prop in zip(LIBS.values(), models, (TorchShapeProp, EmberShapeProp)):
        class Counting(fx.Interpreter):
            def run_node(self, n):
                self.seen = getattr(self, "seen", []) + [n.op]
                return super().run_node(n)
        gm = fx.symbolic_trace(model)
        interp = Counting(gm)
        _close(interp.run(lib.tensor(x_np)), model(lib.tensor(x_np)))
        shape_prop(gm).propagate(lib.tensor(x_np))
        meta = [(n.name, tuple(n.meta["tensor_meta"].shape), str(n.meta["tensor_meta"].dtype).split(".")[-1],
                 n.meta["tensor_meta"].requires_grad, tuple(n.meta["tensor_meta"].stride))
                for n in gm.graph.nodes if "tensor_meta" in n.meta and hasattr(n.meta["tensor_meta"], "shape")]
        shapes.append((interp.seen, meta))
    assert shapes[1] == shapes[0]


def test_replace_pattern_like_torch(models, x_np):
    results = []
    for (lib, fx), model in zip(LIBS.values(), models):
        def pattern(y):
            return lib.relu(y) * 2

        def replacement(y):
            return lib.sigmoid(y) + 1

        gm = fx.symbolic_trace(model)
        matches = fx.replace_pattern(gm, pattern, replacement)
        results.append((len(matches), sorted(n.name for n in matches[0].nodes_map.values()),
                        [(n.op, _name(n.target)) for n in gm.graph.nodes], gm(lib.tensor(x_np))))
    assert results[1][:3] == results[0][:3]
    _close(results[1][3], results[0][3])


def test_concrete_args_specialize_and_assert():
    outs = []
    for lib, fx in LIBS.values():
        def f(x, flag):
            return x * 2 if flag else x - 1
        gm = fx.symbolic_trace(f, concrete_args={"flag": True})
        with pytest.raises(AssertionError, match="flag has been specialized to have value True"):
            gm(lib.ones(2), False)
        outs.append(([(n.op, _name(n.target)) for n in gm.graph.nodes], gm(lib.ones(2), True).tolist()))
    # torch's code calls torch._assert; ember's the equivalent function (ember has no torch._assert).
    assert [(op, t.replace("_assert", "assert")) for op, t in outs[1][0]] == \
        [(op, t.replace("_assert", "assert")) for op, t in outs[0][0]]
    assert outs[1][1] == outs[0][1]


def test_custom_tracer_leaf_and_errors(models):
    names = []
    for (lib, fx), model in zip(LIBS.values(), models):
        class BlockLeaf(fx.Tracer):
            def is_leaf_module(self, m, qualname):
                return type(m).__name__ == "Block" or super().is_leaf_module(m, qualname)
        graph = BlockLeaf().trace(model)
        gm = fx.GraphModule(model, graph)
        names.append(([(n.op, _name(n.target)) for n in graph.nodes], list(gm.state_dict())))

        def branchy(x):
            if x.sum() > 0:
                return x
            return -x
        with pytest.raises(fx.proxy.TraceError, match="symbolically traced variables cannot be used as inputs to "
                                                      "control flow"):
            fx.symbolic_trace(branchy)
        with pytest.raises(RuntimeError, match="'len' is not supported in symbolic tracing by default"):
            fx.symbolic_trace(lambda x: x * len(x))
    assert names[1] == names[0]


def _hand_built(lib, fx):
    g = fx.Graph()
    x = g.placeholder("x")
    y = g.call_function(lib.relu, (x,))
    dead = g.call_method("sum", (y,))
    z = g.call_function(operator.add, (y, 1.0))
    g.output(z)
    with g.inserting_before(z):
        w = g.call_function(operator.mul, (y, 3))
    z.replace_input_with(y, w)
    events = [list(y.users), dead.op, w.next is z]
    with pytest.raises(RuntimeError, match="Tried to erase Node relu but it still had 2 users in the graph"):
        g.erase_node(y)
    events.append(g.eliminate_dead_code())
    g.lint()
    gm = fx.GraphModule(lib.nn.Module(), g)
    events.append([n.name for n in g.nodes])
    events.append(gm(lib.tensor([-1.0, 2.0])).tolist())
    bad = fx.Graph()
    a = bad.placeholder("a")
    b = bad.call_function(operator.neg, (a,))
    bad.output(b)
    with bad.inserting_before(a):
        bad.call_function(operator.neg, (b,))
    with pytest.raises(RuntimeError, match="used before it has been defined"):
        bad.lint()
    return events


def test_graph_api_matches_torch():
    assert repr(_hand_built(ember, ember.fx)) == repr(_hand_built(torch, torch.fx))


def test_deepcopy_and_print_tabular(models, x_np, capsys):
    for (lib, fx), model in zip(LIBS.values(), models):
        gm = fx.symbolic_trace(model)
        gm2 = copy.deepcopy(gm)
        for node in gm2.graph.nodes:
            if node.op == "call_method" and node.target == "mean":
                node.target = "sum"
        gm2.recompile()
        assert "sum(dim = 1" in gm2.code and ".mean(dim = 1" in gm.code
        try:
            import tabulate  # noqa: F401
        except ImportError:
            with pytest.raises(ModuleNotFoundError):
                gm.graph.print_tabular()
            assert "`print_tabular` relies on the library `tabulate`" in capsys.readouterr().out
    ember_gm = ember.fx.symbolic_trace(models[1])
    assert re.search(r"^def forward\(self, x\):$", ember_gm.code, re.M)
    assert str(ember_gm).endswith("# To see more debug info, please use `graph_module.print_readable()`")


def test_tensor_operand_and_proxy_records_the_tensor_method():
    recorded = []
    for lib, fx in LIBS.values():
        c = lib.ones(3)
        fns = [lambda x: c + x, lambda x: c - x, lambda x: c * x, lambda x: c / x, lambda x: c ** x,
               lambda x: c < x, lambda x: c == x, lambda x: c // x, lambda x: c % x, lambda x: c @ x]
        graphs = [fx.symbolic_trace(f) for f in fns]
        recorded.append([[(n.op, _name(n.target)) for n in gm.graph.nodes] for gm in graphs])
        x = lib.tensor([0.5, 2.0, 3.0])
        assert all(bool((gm(x) == f(x)).all()) for gm, f in zip(graphs, fns))
        assert list(graphs[0].state_dict()) == ["_tensor_constant0"]
    assert recorded[1] == recorded[0]


def test_annotations_appear_in_code_and_graph():
    texts = []
    for lib, fx in LIBS.values():
        class Annotated(lib.nn.Module):
            def forward(self, x: lib.Tensor, n: int, s: float = 2.0) -> lib.Tensor:
                return x * s + n
        gm = fx.symbolic_trace(Annotated())
        texts.append((gm.code, str(gm.graph), gm(lib.ones(2), 3).tolist()))
    assert texts[1] == texts[0]


def test_erasing_while_iterating_and_names_stay_taken():
    runs = []
    for lib, fx in LIBS.values():
        g = fx.Graph()
        x = g.placeholder("x")
        a = g.call_function(lib.relu, (x,))
        b = g.call_function(lib.relu, (x,))
        g.output(g.call_function(operator.add, (x, 1)))
        seen = []
        for n in g.nodes:
            seen.append(n.name)
            if n is a:
                g.erase_node(b)
                g.erase_node(a)
        with g.inserting_after(x):
            c = g.call_function(lib.relu, (x,))
        runs.append((seen, [n.name for n in g.nodes], c.name, len(g.nodes), list(x.users)))
    assert repr(runs[1]) == repr(runs[0])


def test_experimental_fuse_like_torch():
    import torch.fx.experimental.optimization as t_opt
    import ember.fx.experimental.optimization as e_opt
    torch.manual_seed(1)

    def make(lib):
        nn = lib.nn
        return nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 4),
                             nn.BatchNorm1d(4))
    t = make(torch)
    with torch.no_grad():
        for m in (t[1], t[5]):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.weight.uniform_(0.5, 1.5)
    t.eval()
    e = _sync(make(ember), t).eval()
    x = np.random.RandomState(2).randn(2, 2, 4, 4).astype(np.float32)
    tf, ef = t_opt.fuse(t), e_opt.fuse(e)
    assert _ops(ef) == _ops(tf)
    assert list(ef.state_dict()) == list(tf.state_dict())
    _close(ef(ember.tensor(x)), tf(torch.tensor(x)), 1e-4)
    _close(ef(ember.tensor(x)), e(ember.tensor(x)), 1e-4)


def test_math_functions_and_imported_names_are_recorded():
    import math
    recorded = []
    for lib, fx in LIBS.values():
        relu = lib.nn.functional.relu

        def by_module(x):
            return x / math.sqrt(x.size(-1))

        class Activation(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.act_fn = lib.nn.functional.gelu    # a function held by the module (HF's ACT2FN style)

            def forward(self, x):
                return self.act_fn(relu(x)) * 2       # and one from a closure
        graphs = [fx.symbolic_trace(by_module), fx.symbolic_trace(Activation())]
        recorded.append([[(n.op, _name(n.target)) for n in gm.graph.nodes if n.op != "placeholder"]
                         for gm in graphs] + [graphs[0](lib.ones(2, 4)).tolist()])
    assert recorded[1] == recorded[0]
