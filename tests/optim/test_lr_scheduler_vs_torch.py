"""Every scheduler against torch.optim.lr_scheduler: the same optimizer settings, 40 steps,
get_last_lr(), the groups' lr and momentum/betas compared after every step."""
import warnings

import numpy as np
import pytest
import torch

import ember
from ember import optim

STEPS = 40


def _optimizer(lib, kind="sgd"):
    mod = optim if lib == "ember" else torch.optim
    make = ember.zeros if lib == "ember" else torch.zeros
    a, b = make(3, requires_grad=True), make(2, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.05}]
    if kind == "adam":
        return mod.Adam(groups, lr=0.1)
    return mod.SGD(groups, lr=0.1, momentum=0.9)


def _half(e):
    return 0.5 ** (e // 3)


def _decay(e):
    return 0.95 ** e


class _Scale:
    """A callable object: its attributes go into the scheduler's state dict."""

    def __init__(self, base):
        self.base = base

    def __call__(self, x):
        return self.base ** x


CASES = {
    "StepLR": (lambda m, o: m.StepLR(o, step_size=3, gamma=0.5), "sgd"),
    "MultiStepLR": (lambda m, o: m.MultiStepLR(o, milestones=[3, 7, 7, 15], gamma=0.3), "sgd"),
    "ExponentialLR": (lambda m, o: m.ExponentialLR(o, gamma=0.9), "sgd"),
    "CosineAnnealingLR": (lambda m, o: m.CosineAnnealingLR(o, T_max=10), "sgd"),
    "CosineAnnealingLR-eta_min": (lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.01), "sgd"),
    "CosineAnnealingWarmRestarts": (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5), "sgd"),
    "CosineAnnealingWarmRestarts-T_mult": (
        lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001), "sgd"),
    "LinearLR": (lambda m, o: m.LinearLR(o), "sgd"),
    "LinearLR-options": (lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.5, total_iters=10), "sgd"),
    "ConstantLR": (lambda m, o: m.ConstantLR(o), "sgd"),
    "ConstantLR-options": (lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=8), "sgd"),
    "PolynomialLR": (lambda m, o: m.PolynomialLR(o), "sgd"),
    "PolynomialLR-options": (lambda m, o: m.PolynomialLR(o, total_iters=20, power=2.0), "sgd"),
    "LambdaLR": (lambda m, o: m.LambdaLR(o, _decay), "sgd"),
    "LambdaLR-per-group": (lambda m, o: m.LambdaLR(o, [_decay, _half]), "sgd"),
    "MultiplicativeLR": (lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95 if e % 2 else 1.01), "sgd"),
    "OneCycleLR": (lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=45), "sgd"),
    "OneCycleLR-three-phase-linear": (
        lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS, anneal_strategy="linear",
                                  three_phase=True), "sgd"),
    "OneCycleLR-epochs": (
        lambda m, o: m.OneCycleLR(o, max_lr=0.3, epochs=5, steps_per_epoch=9, pct_start=0.25,
                                  cycle_momentum=False, div_factor=10.0, final_div_factor=100.0), "sgd"),
    "OneCycleLR-adam": (lambda m, o: m.OneCycleLR(o, max_lr=0.01, total_steps=50, base_momentum=[0.8, 0.7]),
                        "adam"),
    "CyclicLR": (lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4), "sgd"),
    "CyclicLR-triangular2": (
        lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=6,
                                mode="triangular2"), "sgd"),
    "CyclicLR-exp_range": (
        lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range", gamma=0.95,
                                cycle_momentum=False), "sgd"),
    "CyclicLR-scale_fn": (
        lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=_Scale(0.9),
                                scale_mode="iterations"), "sgd"),
    "CyclicLR-adam": (lambda m, o: m.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=5), "adam"),
    "SequentialLR": (
        lambda m, o: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=5),
                                        m.CosineAnnealingLR(o, T_max=20)], milestones=[5]), "sgd"),
    "SequentialLR-three": (
        lambda m, o: m.SequentialLR(o, [m.ConstantLR(o, factor=0.5, total_iters=10), m.ExponentialLR(o, 0.9),
                                        m.StepLR(o, step_size=4, gamma=0.5)], milestones=[4, 10]), "sgd"),
    "ChainedScheduler": (
        lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.5, total_iters=4), m.ExponentialLR(o, 0.9)]),
        "sgd"),
    "ChainedScheduler-warmup-cosine": (
        lambda m, o: m.ChainedScheduler([m.LinearLR(o, start_factor=0.2, total_iters=6),
                                         m.CosineAnnealingLR(o, T_max=12, eta_min=0.001)], optimizer=o), "sgd"),
}


def _snapshot(opt, sched):
    groups = [(g["lr"], g.get("momentum"), g.get("betas")) for g in opt.param_groups]
    return list(sched.get_last_lr()), groups


def _assert_close(a, b, what):
    (alr, agroups), (blr, bgroups) = a, b
    np.testing.assert_allclose(alr, blr, rtol=1e-12, atol=1e-15, err_msg=what)
    for (lr1, m1, be1), (lr2, m2, be2) in zip(agroups, bgroups):
        assert lr1 == pytest.approx(lr2, rel=1e-12, abs=1e-15), what
        assert (m1 is None) == (m2 is None) and (m1 is None or m1 == pytest.approx(m2, rel=1e-12)), what
        assert (be1 is None) == (be2 is None) and (be1 is None or be1 == pytest.approx(be2, rel=1e-12)), what


def _build(name):
    build, kind = CASES[name]
    eopt, topt = _optimizer("ember", kind), _optimizer("torch", kind)
    return eopt, build(optim.lr_scheduler, eopt), topt, build(torch.optim.lr_scheduler, topt)


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch_every_step(name):
    eopt, es, topt, ts = _build(name)
    _assert_close(_snapshot(eopt, es), _snapshot(topt, ts), f"{name} at construction")
    assert [g.get("initial_lr") for g in eopt.param_groups] == [g.get("initial_lr") for g in topt.param_groups]
    for step in range(1, STEPS + 1):
        eopt.step()
        topt.step()
        es.step()
        ts.step()
        _assert_close(_snapshot(eopt, es), _snapshot(topt, ts), f"{name} after step {step}")
    if hasattr(ts, "last_epoch"):
        assert es.last_epoch == ts.last_epoch


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_has_torchs_keys(name):
    eopt, es, topt, ts = _build(name)
    for _ in range(3):
        eopt.step(), topt.step(), es.step(), ts.step()
    esd, tsd = es.state_dict(), ts.state_dict()
    assert set(esd) == set(tsd)
    if "_schedulers" in tsd:
        for e_child, t_child in zip(esd["_schedulers"], tsd["_schedulers"]):
            assert set(e_child) == set(t_child)


CLOSED_FORM = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.5),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.2, total_iters=6),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=5),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=8, power=1.5),
    "LambdaLR": lambda m, o: m.LambdaLR(o, _decay),
}
EPOCHS = [0, 1, 2, 5, 3, 8, 8, 12, 4, 20, 7, 6]


@pytest.mark.parametrize("name", list(CLOSED_FORM))
def test_step_with_an_epoch_uses_the_closed_form(name):
    eopt, topt = _optimizer("ember"), _optimizer("torch")
    es, ts = CLOSED_FORM[name](optim.lr_scheduler, eopt), CLOSED_FORM[name](torch.optim.lr_scheduler, topt)
    eopt.step(), topt.step()
    for epoch in EPOCHS:
        with pytest.warns(UserWarning, match="deprecated"):
            es.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ts.step(epoch)
        _assert_close(_snapshot(eopt, es), _snapshot(topt, ts), f"{name} at epoch {epoch}")


@pytest.mark.parametrize("T_0,T_mult", [(4, 1), (2, 2), (3, 3)])
def test_warm_restarts_with_fractional_epochs(T_0, T_mult):
    eopt, topt = _optimizer("ember"), _optimizer("torch")
    es = optim.lr_scheduler.CosineAnnealingWarmRestarts(eopt, T_0=T_0, T_mult=T_mult, eta_min=0.001)
    ts = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=T_0, T_mult=T_mult, eta_min=0.001)
    for epoch in range(12):
        for i in range(4):
            es.step(epoch + i / 4)
            ts.step(epoch + i / 4)
            _assert_close(_snapshot(eopt, es), _snapshot(topt, ts), f"epoch {epoch + i / 4}")
            assert (es.T_cur, es.T_i, es.last_epoch) == pytest.approx((ts.T_cur, ts.T_i, ts.last_epoch))


PLATEAU = [
    dict(patience=2),
    dict(mode="max", threshold=0.1, threshold_mode="abs", cooldown=2, patience=1, factor=0.5),
    dict(patience=0, factor=0.5, min_lr=[0.02, 0.001]),
    dict(patience=1, factor=0.9, eps=0.006),
    dict(mode="max", patience=3, threshold=0.05),
]
METRICS = [1.0, 0.9, 0.95, 0.95, 0.96, 0.8, 0.85, 0.9, 0.9, 0.79, 0.79, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1,
           1.2, 1.3, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.2, 0.2, 0.2,
           0.2, 0.2]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    eopt, topt = _optimizer("ember"), _optimizer("torch")
    es = optim.lr_scheduler.ReduceLROnPlateau(eopt, **kwargs)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    changes = 0
    for i, metric in enumerate(METRICS):
        es.step(ember.tensor(metric, dtype=ember.float64) if i % 2 else metric)  # a 0-d loss tensor works too
        ts.step(metric)
        _assert_close(_snapshot(eopt, es), _snapshot(topt, ts), f"after metric {i}")
        assert (es.best, es.num_bad_epochs, es.cooldown_counter) == (ts.best, ts.num_bad_epochs,
                                                                     ts.cooldown_counter)
        changes += es.get_last_lr() != [0.1, 0.05] and changes == 0
    assert changes, "the metric sequence should trigger at least one reduction"
    assert set(es.state_dict()) == set(ts.state_dict())


RESUMABLE = {
    "StepLR": lambda m, o, e: m.StepLR(o, step_size=3, gamma=0.5, last_epoch=e),
    "LinearLR": lambda m, o, e: m.LinearLR(o, start_factor=0.1, total_iters=8, last_epoch=e),
    "CosineAnnealingLR": lambda m, o, e: m.CosineAnnealingLR(o, T_max=7, eta_min=0.01, last_epoch=e),
    "CosineAnnealingWarmRestarts": lambda m, o, e: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, last_epoch=e),
    "OneCycleLR": lambda m, o, e: m.OneCycleLR(o, max_lr=1.0, total_steps=20, last_epoch=e),
    "CyclicLR": lambda m, o, e: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, last_epoch=e),
    "MultiplicativeLR": lambda m, o, e: m.MultiplicativeLR(o, lambda k: 0.9, last_epoch=e),
}


@pytest.mark.parametrize("name", list(RESUMABLE))
def test_resuming_with_last_epoch_matches_torch(name):
    """A scheduler rebuilt with ``last_epoch`` over an optimizer that holds ``initial_lr``."""
    snapshots = []
    for lib, mod in (("ember", optim.lr_scheduler), ("torch", torch.optim.lr_scheduler)):
        opt = _optimizer(lib)
        first = RESUMABLE[name](mod, opt, -1)
        for _ in range(5):
            opt.step()
            first.step()
        resumed = RESUMABLE[name](mod, opt, 4)
        run = [_snapshot(opt, resumed)]
        for _ in range(10):
            opt.step()
            resumed.step()
            run.append(_snapshot(opt, resumed))
        snapshots.append(run)
    for step, (e, t) in enumerate(zip(*snapshots)):
        _assert_close(e, t, f"{name} {step} steps after resuming")
