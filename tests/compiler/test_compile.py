"""``ember.compile``: replays equal eager, randomness and state stay live, and every fallback says why."""
import warnings

import numpy as np
import pytest

import ember
from ember import nn, optim
from ember.compiler import CompileWarning


def _data(n=16, d=20, classes=5, seed=1):
    rng = np.random.default_rng(seed)
    return (ember.from_numpy(rng.standard_normal((n, d)).astype(np.float32)),
            ember.from_numpy(rng.integers(0, classes, n)))


def _train_step(model, opt, loss_fn=None):
    loss_fn = loss_fn or nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def _net(seed=0, dropout=0.0, batchnorm=False):
    ember.manual_seed(seed)
    layers = [nn.Linear(20, 32)] + ([nn.BatchNorm1d(32)] if batchnorm else []) + [nn.ReLU()]
    layers += [nn.Dropout(dropout)] if dropout else []
    return nn.Sequential(*layers, nn.Linear(32, 5))


def _same_state(a, b, exact=False):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        if exact:
            np.testing.assert_array_equal(sa[k].numpy(), sb[k].numpy(), err_msg=k)
        else:
            np.testing.assert_allclose(sa[k].numpy(), sb[k].numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


def _eager_and_compiled(dropout=0.0, batchnorm=False, make_opt=None, steps=20, seed=5):
    make_opt = make_opt or (lambda m: optim.SGD(m.parameters(), lr=0.05, momentum=0.9))
    x, y = _data()
    runs = []
    for compiled in (False, True):
        model = _net(dropout=dropout, batchnorm=batchnorm)
        step = _train_step(model, make_opt(model))
        if compiled:
            step = ember.compile(step)
        ember.manual_seed(seed)
        runs.append((model, step, [float(step(x, y)) for _ in range(steps)]))
    return runs


# -- the same results as eager ---------------------------------------------------------------------

def test_training_step_equals_eager_exactly():
    (m1, _, eager), (m2, step, compiled) = _eager_and_compiled()
    assert step.fallback_reason is None and step.replays >= 17
    assert compiled == eager
    _same_state(m1, m2, exact=True)


def test_dropout_under_manual_seed_equals_eager_exactly():
    (m1, _, eager), (m2, step, compiled) = _eager_and_compiled(dropout=0.5,
                                                               make_opt=lambda m: optim.Adam(m.parameters(), 1e-2))
    assert step.fallback_reason is None and step.replays >= 17
    assert compiled == eager
    _same_state(m1, m2, exact=True)


def test_dropout_draws_a_new_mask_at_every_replay():
    ember.manual_seed(0)
    drop = nn.Dropout(0.5)
    x = ember.ones(100, 100)
    f = ember.compile(lambda t: drop(t))
    outs = [f(x).numpy().copy() for _ in range(6)]
    assert f.fallback_reason is None and f.replays >= 3
    for a, b in zip(outs, outs[1:]):
        assert not np.array_equal(a, b)
    for o in outs:
        assert set(np.unique(o)) <= {0.0, 2.0}
        assert 0.45 < (o == 0).mean() < 0.55          # the same distribution as eager dropout


def test_batchnorm_running_statistics_update_as_eagerly():
    (m1, _, eager), (m2, step, compiled) = _eager_and_compiled(batchnorm=True)
    assert step.fallback_reason is None and step.replays >= 17
    np.testing.assert_allclose(compiled, eager, rtol=1e-6)
    _same_state(m1, m2)                          # running_mean, running_var, num_batches_tracked included
    assert int(m2[1].num_batches_tracked) == 20
    # Evaluation mode is another trace (the guard sees `training` change), with the running statistics.
    x, _ = _data()
    m1.eval()
    m2.eval()
    f = ember.compile(lambda t: m2(t))
    with ember.no_grad():
        for _ in range(4):
            np.testing.assert_allclose(f(x).numpy(), m1(x).numpy(), rtol=1e-6)
    assert f.fallback_reason is None and f.replays >= 1


def test_retraces_on_a_new_input_shape():
    model = _net()
    f = ember.compile(lambda t: model(t))
    with ember.no_grad():
        for n in (8, 8, 8, 8, 3, 3, 3, 3, 8):
            x = ember.randn(n, 20)
            np.testing.assert_allclose(f(x).numpy(), model(x).numpy(), rtol=1e-6)
    assert f.fallback_reason is None
    assert len(f._signatures) == 2 and f.replays >= 4


def test_retraces_when_a_hyperparameter_changes():
    x, y = _data()
    runs = []
    for compiled in (False, True):
        model = _net()
        opt = optim.SGD(model.parameters(), lr=0.1)
        step = _train_step(model, opt)
        step = ember.compile(step) if compiled else step
        losses = []
        for i in range(12):
            if i == 6:
                opt.param_groups[0]["lr"] = 0.01
            losses.append(float(step(x, y)))
        runs.append((model, losses, step))
    assert runs[1][2].fallback_reason is None
    assert runs[0][1] == runs[1][1]
    _same_state(runs[0][0], runs[1][0], exact=True)


def test_zero_grad_outside_the_compiled_function():
    # The compiled function leaves p.grad set (from None) each call, as eager backward does.
    x, y = _data()
    runs = []
    for compiled in (False, True):
        model = _net()
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()

        def forward_backward(a, b):
            loss = loss_fn(model(a), b)
            loss.backward()
            return loss
        fb = ember.compile(forward_backward) if compiled else forward_backward
        for _ in range(8):
            opt.zero_grad()
            fb(x, y)
            assert model[0].weight.grad is not None
            opt.step()
        runs.append((model, fb))
    assert runs[1][1].fallback_reason is None and runs[1][1].replays >= 5
    _same_state(runs[0][0], runs[1][0], exact=True)


def test_returned_values_do_not_change_under_the_caller():
    model = _net()
    step = ember.compile(_train_step(model, optim.SGD(model.parameters(), lr=0.1)))
    x, y = _data()
    kept = [(step(x, y), None) for _ in range(6)]
    kept = [(t, float(t)) for t, _ in kept]
    for _ in range(3):
        step(x, y)
    assert [float(t) for t, _ in kept] == [v for _, v in kept]
    assert len({v for _, v in kept}) == 6
    loss = step(x, y)
    assert loss.requires_grad and loss.grad_fn is not None
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_an_argument_changed_in_place_is_changed_as_eagerly():
    def f(t):
        t.mul_(2.0)
        return t + 1
    a, b = ember.ones(4), ember.ones(4)
    g = ember.compile(f)
    for _ in range(5):
        np.testing.assert_array_equal(g(b).numpy(), f(a).numpy())
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert g.fallback_reason is None and g.replays >= 2


def test_a_failing_data_check_runs_eagerly_and_raises_as_eager_does():
    model = _net()
    step = ember.compile(_train_step(model, optim.SGD(model.parameters(), lr=0.1)))
    x, y = _data()
    for _ in range(5):
        step(x, y)
    assert step.replays >= 2
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    bad = ember.tensor([7] + [0] * 15)             # class 7 of 5
    with pytest.raises(IndexError, match="out of bounds"):
        step(x, bad)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    step(x, y)
    assert step.fallback_reason is None


# -- compile(model), keyword arguments -------------------------------------------------------------

def test_compile_a_module_for_inference():
    model = _net()
    model.eval()
    cm = ember.compile(model)
    assert isinstance(cm, nn.Module)
    x, _ = _data()
    with ember.no_grad():
        for _ in range(5):
            np.testing.assert_allclose(cm(x).numpy(), model(x).numpy(), rtol=1e-6)
    assert cm.fallback_reason is None and cm.replays >= 2
    assert "_orig_mod.0.weight" in cm.state_dict()
    cm.train()
    assert model.training
    model.tag = "mlp"
    assert cm._orig_mod is model and cm.tag == "mlp"     # attributes reach the model, as in torch


def test_keyword_arguments_as_torch_compile():
    def f(t):
        return t * 2
    assert ember.compile(f, disable=True) is f
    model = _net()
    assert ember.compile(model, disable=True) is model
    assert ember.compile(f, backend="eager") is f
    g = ember.compile(f, mode="reduce-overhead", fullgraph=False, dynamic=True, options={})
    h = ember.compile(mode="max-autotune")(f)
    for c in (g, h):
        for _ in range(4):
            np.testing.assert_array_equal(c(ember.ones(3)).numpy(), [2, 2, 2])
        assert c.fallback_reason is None
    with pytest.raises(RuntimeError, match="unknown mode"):
        ember.compile(f, mode="fastest")


# -- falling back, with a reason ---------------------------------------------------------------------

def _fallback(fn, *args, calls=4):
    c = ember.compile(fn)
    with pytest.warns(CompileWarning):
        results = [c(*args) for _ in range(calls)]
    assert c.fallback_reason is not None
    return c, results


def test_data_dependent_shape_falls_back():
    x = ember.randn(50)
    c, results = _fallback(lambda t: t[t > 0].sum(), x)
    assert "depends on the values" in c.fallback_reason
    for r in results:
        assert float(r) == pytest.approx(float(x[x > 0].sum()))


def test_item_inside_the_function_falls_back():
    x = ember.randn(5)
    c, results = _fallback(lambda t: (t * 2).sum().item(), x)
    assert ".item()" in c.fallback_reason and "baked" in c.fallback_reason
    assert results == [pytest.approx(float((x * 2).sum()))] * 4


def test_python_side_effect_falls_back():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.calls = 0

        def forward(self, t):
            self.calls += 1
            return t + 1
    m = Counter()
    c, _ = _fallback(m, ember.ones(2))
    assert "side effect" in c.fallback_reason and "calls" in c.fallback_reason
    assert m.calls == 4


def test_a_live_graph_output_falls_back():
    model = _net()
    c, outs = _fallback(model, _data()[0])
    assert "autograd graph is still live" in c.fallback_reason
    outs[-1].sum().backward()
    assert model[0].weight.grad is not None


def test_fullgraph_raises_instead_of_falling_back():
    c = ember.compile(lambda t: t[t > 0], fullgraph=True)
    x = ember.randn(10)
    c(x)
    with pytest.raises(RuntimeError, match="fullgraph"):
        c(x)


def test_the_safety_net_catches_a_wrong_replay(monkeypatch):
    from ember.compiler import program
    bind = program._bind

    def wrong(step):
        # Replay every parameter update as an addition instead of a subtraction.
        if step.kind == "inplace" and step.fn is np.subtract:
            return lambda: np.add(*step.args, **step.kwargs)
        return bind(step)
    monkeypatch.setattr(program, "_bind", wrong)
    with pytest.warns(CompileWarning, match="replay diverged"):
        (m1, _, eager), (m2, step, compiled) = _eager_and_compiled(steps=8)
    assert step.fallback_reason.startswith("replay diverged from eager at model.0.weight")
    assert compiled == eager
    _same_state(m1, m2, exact=True)


def test_a_slow_replay_is_kept_the_decision_never_depends_on_timing(monkeypatch):
    # A replay that takes far longer than eager is still kept: whether a function replays or
    # falls back depends only on what it does, so every run makes the same decisions.
    import time
    from ember.compiler.compiled import Program
    run = Program.run

    def slow(self, leaves):
        time.sleep(0.005)
        return run(self, leaves)
    monkeypatch.setattr(Program, "run", slow)
    f = ember.compile(lambda t: t * 2 + 1)
    x = ember.ones(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(12):
            np.testing.assert_array_equal(f(x).numpy(), [3, 3, 3])
    assert f.fallback_reason is None and f.replays == 10


def test_a_fallback_happens_at_the_same_call_for_the_same_reason_every_time():
    def run():
        x = ember.randn(20, generator=ember.Generator().manual_seed(1))
        c = ember.compile(lambda t: t[t > 0].sum())
        seen = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for i in range(6):
                c(x)
                if c.fallback_reason is not None and not seen:
                    seen.append(i)
        return seen, c.fallback_reason, [str(w.message) for w in caught]
    assert run() == run() == run()


class _Terminal:
    """A stream that says it is a terminal, so the Keras progress bar redraws its line with '\r'."""

    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def test_the_fallback_warning_starts_on_a_line_of_its_own_below_a_progress_bar():
    from ember.keras.utils.progbar import Progbar
    term = _Terminal()   # the bar and the warnings share one terminal, as stdout and stderr do
    bar = Progbar(10, verbose=1, stream=term, interval=0)
    c = ember.compile(lambda t: t[t > 0].sum())
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = lambda m, cat, *a, **k: term.write(f"{cat.__name__}: {m}\n")
        for i in range(1, 5):
            c(ember.ones(3))
            bar.update(i)
    assert c.fallback_reason is not None
    before, warning = term.text.split("CompileWarning", 1)
    assert before.endswith("step\n"), repr(before[-40:])    # the bar's line was ended first
    assert warning.split("\n", 1)[1].startswith("\r")       # and the bar drew on below it
    bar.update(10)
    assert term.text.endswith("\n")


def test_nested_compiled_functions_and_repr():
    inner = ember.compile(lambda t: t * 3)
    outer = ember.compile(lambda t: inner(t) + 1)
    for _ in range(5):
        np.testing.assert_array_equal(outer(ember.ones(2)).numpy(), [4, 4])
    assert outer.fallback_reason is None and outer.replays >= 2
    assert "program" in repr(outer) and "calls" in outer.explain()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.compile(lambda t: t)(ember.ones(1))


_GLOBAL_STEP = """
model = nn.Linear(4, 2)
opt = optim.SGD(model.parameters(), lr=0.1)

@ember.compile
def step(x):
    opt.zero_grad()
    loss = model(x).sum()
    loss.backward()
    opt.step()          # an attribute named like the compiled global itself
    return loss
"""


def test_a_decorated_module_level_function_replays():
    ns = {"ember": ember, "nn": nn, "optim": optim}
    exec(_GLOBAL_STEP, ns)  # noqa: S102 - a module-level function, as a user writes one
    x = ember.randn(3, 4)
    for _ in range(8):
        ns["step"](x)
    assert ns["step"].fallback_reason is None and ns["step"].replays >= 5


def test_keras_fit_is_captured_and_equals_eager():
    import numpy as np
    import ember
    from ember.keras import layers, models
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 12)).astype(np.float32)
    y = (x[:, :3].sum(1) > 0).astype(np.int64)
    weights = []
    for jit in ("auto", False):
        ember.manual_seed(0)
        m = models.Sequential([layers.Dense(16, activation="relu", input_shape=(12,)),
                               layers.Dense(2, activation="softmax")])
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=jit)
        h = m.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0)
        weights.append((m.get_weights(), h.history["loss"]))
        if jit == "auto":
            assert m.train_function.fallback_reason is None
            assert m.train_function.replays > 0
    for a, b in zip(weights[0][0], weights[1][0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weights[0][1], weights[1][1], rtol=1e-5)
