"""Focused oracle tests for what the tutorial programs (tests/programs/test_programs_tutorials.py)
found: each compares ember with the real torch 2.13 on the same inputs."""
import math

import numpy as np
import pytest
import torch

import ember

LINSPACE_CASES = [(-math.pi, math.pi, 2000), (-1, 1, 7), (0, 1, 5), (-2.5, 7.3, 101), (1e-3, 3.7, 1000),
                  (5, -3, 11), (2, 2, 4), (0, 1, 2), (3, 1, 1), (0, 1, 0), (-0.2, 1.2, 5), (-5, 5, 30001)]


@pytest.mark.parametrize("start,end,steps", LINSPACE_CASES)
def test_linspace_float32_bit_equal(start, end, steps):
    # The polynomial-fit tutorial's x = linspace(-pi, pi, 2000): PyTorch's halfway kernel (up from
    # the start, down from the end, fused multiply-add) rather than NumPy's start + i * step.
    ours = ember.linspace(start, end, steps).numpy()
    theirs = torch.linspace(start, end, steps).numpy()
    assert ours.dtype == theirs.dtype == np.float32
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("start,end,steps", LINSPACE_CASES[:-1])
def test_linspace_float64_bit_equal(start, end, steps):
    ours = ember.linspace(start, end, steps, dtype=ember.float64).numpy()
    theirs = torch.linspace(start, end, steps, dtype=torch.float64).numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_linspace_long_float64_within_one_ulp_and_other_dtypes():
    ours = ember.linspace(-5, 5, 100001, dtype=ember.float64).numpy()
    theirs = torch.linspace(-5, 5, 100001, dtype=torch.float64).numpy()
    assert np.abs(ours - theirs).max() <= np.spacing(5.0)   # one ulp of the end points
    assert (ours != theirs).mean() < 0.01
    assert ember.linspace(0, 10, 4, dtype=ember.int64).tolist() == torch.linspace(0, 10, 4, dtype=torch.int64).tolist()
    c_ours, c_theirs = ember.linspace(0, 1 + 1j, 3), torch.linspace(0, 1 + 1j, 3)
    assert str(c_ours.dtype).split(".")[-1] == str(c_theirs.dtype).split(".")[-1] == "complex64"
    np.testing.assert_array_equal(c_ours.numpy(), c_theirs.numpy())
    np.testing.assert_array_equal(ember.linspace(ember.tensor(0.0), ember.tensor(1.0), 3).numpy(),
                                  torch.linspace(torch.tensor(0.0), torch.tensor(1.0), 3).numpy())
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        ember.linspace(0, 1, -1)
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        torch.linspace(0, 1, -1)


def _mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 5), lib.nn.ReLU(), lib.nn.Linear(5, 2))


def test_module_to_meta_as_functional_call_template():
    # The model-ensembling tutorial: stack_module_state over models, a copy moved to "meta",
    # then vmap(functional_call(base_model, (params, buffers), (x,))).
    rng = np.random.RandomState(0)
    states = [{k: rng.randn(*v.shape).astype(np.float32) for k, v in _mlp(torch).state_dict().items()}
              for _ in range(3)]
    x = rng.randn(3, 4, 3).astype(np.float32)
    outs = []
    for lib in (torch, ember):
        models = []
        for s in states:
            m = _mlp(lib)
            m.load_state_dict({k: lib.from_numpy(v) for k, v in s.items()})
            models.append(m)
        params, buffers = lib.func.stack_module_state(models)
        base = _mlp(lib)
        assert base.to("meta") is base
        out = lib.func.vmap(lambda p, b, xb: lib.func.functional_call(base, (p, b), (xb,)))(params, buffers,
                                                                                            lib.from_numpy(x))
        out.sum().backward()
        outs.append((out.detach().numpy(), params["0.weight"].grad.numpy()))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="CPU only"):
        _mlp(ember).to("cuda")


class _Double:
    """The same custom autograd.Function written against either framework."""

    @staticmethod
    def make(lib):
        class Double(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2
        return Double


def _grad_fn_names(lib):
    """type(...).__name__ of grad_fns along a small graph, walked the way torchviz's make_dot walks it."""
    x = lib.ones(1, 1, 4, 4, requires_grad=True)
    w = lib.ones(2, 1, 3, 3, requires_grad=True)
    y = lib.nn.functional.conv2d(x, w, padding=1)
    y = lib.nn.functional.max_pool2d(lib.relu(y), 2)
    z = (_Double.make(lib).apply(y).exp() * 3 + 1).mean()
    names, stack, seen = [], [z.grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        names.append((type(fn).__name__, fn.name() if hasattr(fn, "name") and callable(fn.name) else None))
        stack.extend(f for f, _ in fn.next_functions)
    return names


def test_grad_fn_class_names_as_torch():
    # type(y.grad_fn).__name__ was "Node" for every op; torchviz and tutorials print it.
    ours, theirs = _grad_fn_names(ember), _grad_fn_names(torch)
    assert [n for n, _ in ours] == [n for n, _ in theirs]
    assert ours == theirs   # name() too: the op's class name, torch::autograd::AccumulateGrad for a leaf
    x = ember.ones(2, requires_grad=True)
    for lib, t in ((ember, x), (torch, torch.ones(2, requires_grad=True))):
        y = t * 2
        node = lib.autograd.graph.Node
        assert isinstance(y.grad_fn, node) and isinstance(y.grad_fn.next_functions[0][0], node)
        assert isinstance(_Double.make(lib).apply(t).grad_fn, node) and not isinstance(3, node)
        edge = lib.autograd.graph.get_gradient_edge(y)
        assert edge.node is y.grad_fn and edge.output_nr == 0
        with pytest.raises(RuntimeError, match="not possible to get the gradient edge"):
            lib.autograd.graph.get_gradient_edge(lib.ones(1))
        v = t._version
        lib.autograd.graph.increment_version(t)
        assert t._version == v + 1
    assert type((x * 2).grad_fn) is type((x * 3).grad_fn)   # one class per rule name
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


EINSUM_CASES = [("ii->i", [(4, 4)]), ("ii", [(4, 4)]), ("bii->b", [(2, 3, 3)]), ("iij->j", [(3, 3, 2)]),
                ("ij,jj->i", [(2, 3), (3, 3)]), ("iii->", [(3, 3, 3)]), ("...ii->...i", [(2, 3, 3)]),
                ("NMKK->NM", [(2, 3, 4, 4)]), ("ii,i->i", [(3, 3), (3,)]), ("iji->j", [(3, 2, 3)]),
                ("...ij,...jk", [(2, 2, 3), (3, 2)]), ("ij->", [(2, 3)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)])]


@pytest.mark.parametrize("equation,shapes", EINSUM_CASES)
def test_einsum_gradients_with_repeated_and_broadcast_subscripts(equation, shapes):
    # The NTK tutorial's einsum("NMKK->NM", ...) (a trace) had no backward ("repeated index within one
    # operand is not supported"); '...' broadcast against a smaller operand gave a wrongly shaped gradient.
    rng = np.random.RandomState(0)
    arrays = [rng.randn(*s) for s in shapes]
    res = []
    for lib in (torch, ember):
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = lib.einsum(equation, *ts)
        w = lib.tensor(np.cos(np.arange(max(y.numel(), 1))).reshape(tuple(y.shape)))
        (y * w).sum().backward()
        res.append([y.detach().numpy()] + [t.grad.numpy() for t in ts])
    for ours, theirs in zip(res[1], res[0]):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("equation,shapes", [("ii->i", [(3, 3)]), ("bii->b", [(2, 3, 3)]), ("ij,jj->i", [(2, 3), (3, 3)])])
def test_einsum_repeated_subscripts_gradcheck(equation, shapes):
    rng = np.random.RandomState(1)
    ts = [ember.tensor(rng.randn(*s), requires_grad=True) for s in shapes]
    f = lambda *xs: ember.einsum(equation, *xs)  # noqa: E731
    assert ember.autograd.gradcheck(f, ts) and ember.autograd.gradgradcheck(f, ts)


def test_einsum_sublist_form():
    rng = np.random.RandomState(2)
    a, b = rng.randn(2, 3), rng.randn(3, 4)
    for args in (lambda A, B: (A, [0, 1], B, [1, 2], [0, 2]), lambda A, B: (A, [0, 1], B, [1, 2]),
                 lambda A, B: (A, [Ellipsis, 1], [Ellipsis]), lambda A, B: (A, [0, 0 + 1], [1, 0])):
        ours = ember.einsum(*args(ember.tensor(a), ember.tensor(b)))
        theirs = torch.einsum(*args(torch.tensor(a), torch.tensor(b)))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match=r"within the valid range \[0, 52\)"):
        ember.einsum(ember.tensor(a), [0, 60])


XLOGY_POINTS = [(0.0, 0.5), (0.0, 0.0), (1.0, 0.0), (2.0, 3.0), (0.0, float("nan")), (1.5, float("nan")), (0.0, -1.0),
                (2.0, -1.0), (0.0, -2.0), (0.5, 4.0)]


@pytest.mark.parametrize("op", ["xlogy", "xlog1py"])
def test_xlogy_values_and_gradients_as_torch(op):
    # Chi2(df=2).log_prob's gradient in df was wrong (ember's xlogy had a zero x-gradient where x == 0,
    # torch gives log(y)); x == 0 with y NaN is NaN in torch, not 0.
    xs, ys = (np.array(v, np.float64) for v in zip(*XLOGY_POINTS))
    res = []
    for lib in (torch, ember):
        fn = lib.xlogy if op == "xlogy" else lib.special.xlog1py
        x, y = lib.tensor(xs, requires_grad=True), lib.tensor(ys, requires_grad=True)
        z = fn(x, y)
        z.backward(lib.ones_like(z))
        res.append((z.detach().numpy(), x.grad.numpy(), y.grad.numpy(), z.grad_fn.name()))
    for ours, theirs in zip(res[1][:3], res[0][:3]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14, equal_nan=True)
    assert res[1][3] == res[0][3]
    for lib in (torch, ember):   # scalar operands name the rule as PyTorch does
        fn = lib.xlogy if op == "xlogy" else lib.special.xlog1py
        t = lib.tensor(2.0, requires_grad=True)
        assert [fn(t, 3.0).grad_fn.name(), fn(3.0, t).grad_fn.name()] == \
            [f"{'Xlogy' if op == 'xlogy' else 'SpecialXlog1Py'}Backward{i}" for i in (2, 1)]


def test_xlogy_double_backward_and_chi2_gradient():
    x = ember.tensor([0.3, 1.2, 2.0], dtype=ember.float64, requires_grad=True)
    y = ember.tensor([0.5, 2.0, 3.5], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(ember.xlogy, (x, y)) and ember.autograd.gradgradcheck(ember.special.xlog1py, (x, y))
    grads = []
    for lib in (torch, ember):
        df = lib.tensor([0.5, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        lp = lib.distributions.Chi2(df).log_prob(lib.tensor([0.2, 0.5, 0.9], dtype=lib.float64)).sum()
        grads.append(lib.autograd.grad(lp, df)[0].numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def _forward_ad_products(lib):
    fwad = lib.autograd.forward_ad
    rng = np.random.RandomState(3)
    x = lib.tensor(rng.randn(3, 4))
    w = lib.tensor(rng.randn(4, 2), requires_grad=True)
    tx, tw = lib.tensor(rng.randn(3, 4)), lib.tensor(rng.randn(4, 2))
    with fwad.dual_level():
        dx, dw = fwad.make_dual(x, tx), fwad.make_dual(w, tw)
        assert fwad.unpack_dual(dx).tangent is tx
        y = lib.nn.functional.gelu(dx @ dw).logsumexp(0) * dx.sum()
        primal, tangent = fwad.unpack_dual(y)
        only_x = fwad.unpack_dual(lib.tanh(dx) @ w).tangent
        none = fwad.unpack_dual(w * 2).tangent
        loss = (y ** 2).sum()
    loss.backward()   # dual tensors stay in the reverse graph
    return primal.detach().numpy(), tangent.detach().numpy(), only_x.detach().numpy(), none, w.grad.numpy()


def test_forward_ad_dual_tensors_as_torch():
    # torch.autograd.forward_ad was missing (the forward-mode AD tutorial failed at its import).
    ours, theirs = _forward_ad_products(ember), _forward_ad_products(torch)
    for k in (0, 1, 2, 4):
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-10, atol=1e-12)
    assert ours[3] is None and theirs[3] is None
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="no level exists"):
            lib.autograd.forward_ad.make_dual(lib.ones(2), lib.ones(2))
        with lib.autograd.forward_ad.dual_level():
            with pytest.raises(RuntimeError, match="different size"):
                lib.autograd.forward_ad.make_dual(lib.ones(2), lib.ones(3))


def test_function_with_jvp_rule_and_gradcheck_forward_mode():
    rng = np.random.RandomState(4)
    primal, tangent = rng.randn(3, 3), rng.randn(3, 3)
    res = []
    for lib in (torch, ember):
        class Fn(lib.autograd.Function):
            @staticmethod
            def forward(ctx, foo):
                ctx.result = lib.exp(foo)
                return ctx.result

            @staticmethod
            def jvp(ctx, g):
                return g * ctx.result

        p = lib.tensor(primal, requires_grad=True)
        with lib.autograd.forward_ad.dual_level():
            d = lib.autograd.forward_ad.make_dual(p, lib.tensor(tangent))
            out = lib.autograd.forward_ad.unpack_dual(Fn.apply(d).sin()).tangent
        res.append(out.detach().numpy())
        assert lib.autograd.gradcheck(Fn.apply, (p,), check_forward_ad=True, check_backward_ad=False,
                                      check_undefined_grad=False, check_batched_grad=False)
    np.testing.assert_allclose(res[1], res[0], rtol=1e-12)
    bad = ember.tensor(primal, requires_grad=True)
    with pytest.raises(ember.autograd.GradcheckError, match="forward mode"):
        ember.autograd.gradcheck(_WrongJvp.apply, (bad,), check_forward_ad=True, check_backward_ad=False)


class _WrongJvp(ember.autograd.Function):
    """exp with a jvp rule that is off by a factor 2: gradcheck must catch it."""

    @staticmethod
    def forward(ctx, x):
        ctx.result = x.exp()
        return ctx.result

    @staticmethod
    def jvp(ctx, g):
        return 2 * g * ctx.result


def test_out_of_memory_error_names_as_torch():
    # Training scripts write `except torch.cuda.OutOfMemoryError:`; the name was missing, so any
    # exception reaching that clause became an AttributeError.
    for lib in (torch, ember):
        assert lib.OutOfMemoryError is lib.cuda.OutOfMemoryError
        assert issubclass(lib.OutOfMemoryError, RuntimeError)
        with pytest.raises(RuntimeError):
            try:
                raise ValueError("not an OOM")
            except lib.cuda.OutOfMemoryError:
                pass
            except ValueError:
                raise RuntimeError("the except clause evaluated, then the right handler ran")


def test_func_linearize_functionalize_and_batch_norm_replacement():
    # torch.func names the tutorials import that ember.func lacked.
    rng = np.random.RandomState(5)
    x, t = rng.randn(4), rng.randn(4)
    batch = rng.randn(3, 2, 4)
    state = {k: rng.randn(*v.shape) for k, v in torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
             .double().state_dict().items() if v.dtype == torch.float64}
    res = []
    for lib in (torch, ember):
        f = lambda a: (a.sin() * a.sum()).exp()  # noqa: E731
        out, jvp_fn = lib.func.linearize(f, lib.tensor(x))
        lin = jvp_fn(lib.tensor(t))
        with pytest.raises(RuntimeError, match="doesn't match the shape"):
            jvp_fn(lib.ones(5, dtype=lib.float64))

        def mutating(a):
            b = a.clone()
            b.add_(1)
            return b * a
        fz = lib.func.functionalize(mutating)(lib.tensor(x))
        m = lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.BatchNorm1d(3)).double()
        m.load_state_dict({k: lib.tensor(v) for k, v in state.items()}, strict=False)
        assert lib.func.replace_all_batch_norm_modules_(m) is m
        bn = m[1]
        assert bn.running_mean is None and bn.running_var is None and bn.num_batches_tracked is None
        assert not bn.track_running_stats
        mapped = lib.func.vmap(m)(lib.tensor(batch))
        m.eval()
        mapped_eval = lib.func.vmap(m)(lib.tensor(batch))
        assert lib.func.debug_unwrap(out) is out
        res.append([a.detach().numpy() for a in (out, lin, fz, mapped, mapped_eval)])
    for ours, theirs in zip(res[1], res[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_consume_prefix_in_state_dict_if_present_as_torch():
    # The DDP checkpoint idiom: strip "module." before load_state_dict into a plain model.
    results = []
    for lib in (torch, ember):
        wrapped = lib.nn.Sequential()
        wrapped.module = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3))
        sd = wrapped.state_dict()
        assert lib.nn.modules.utils.consume_prefix_in_state_dict_if_present(sd, "module.") is None
        plain = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3))
        plain.load_state_dict(sd)
        results.append((list(sd.keys()), sorted(getattr(sd, "_metadata", {}).keys())))
    assert results[1] == results[0]


def _hook_order(lib, order):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b, c = lib.split(a * 3, 1)
    steps = {"retain": b.retain_grad,
             "tensor": lambda: b.register_hook(lambda g: g * 2),
             "node": lambda: b.grad_fn.register_prehook(lambda gs: (gs[0] * 10,) + tuple(gs[1:]))}
    for name in order:
        steps[name]()
    (b ** 2 + c).sum().backward()
    return a.grad.tolist(), b.grad.tolist()


@pytest.mark.parametrize("order", [("retain", "tensor", "node"), ("node", "tensor", "retain"),
                                   ("tensor", "retain", "node"), ("node", "retain", "tensor")])
def test_retain_grad_sees_tensor_hooks_whatever_the_order(order):
    # torch: tensor hooks, then retain_grad (.grad holds the hooked gradient), then grad_fn pre-hooks.
    # ember ran them in registration order, so b.retain_grad(); b.register_hook(f) kept the unhooked one.
    assert _hook_order(ember, order) == _hook_order(torch, order)
