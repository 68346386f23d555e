"""Every optimizer over its options against torch.optim (float64): same problem, same start,
parameters compared after every step; also with parameter groups and with a closure."""
import numpy as np
import pytest
import torch

import ember
from ember import optim

from .problem import NAMES, closure_step, make, numpy_of, train_step

STEPS = 20
RTOL, ATOL = 1e-10, 1e-12

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.02, maximize=True)),
    ("SGD", dict(lr=0.02, momentum=0.5, dampening=0.5, weight_decay=0.05, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05, maximize=True)),
    ("SGD", dict()),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.05, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-4, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, eps=1e-6, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.5, eps=1e-4, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, weight_decay=0.1)),
    ("Adamax", dict(lr=0.05, betas=(0.5, 0.9), maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.01, betas=(0.8, 0.99))),
    ("NAdam", dict(lr=0.05, maximize=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, betas=(0.9, 0.99))),
    ("RAdam", dict(lr=0.05, weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.05, maximize=True)),
]
NAMES_OF_OPTIMIZERS = sorted({name for name, _ in CASES})


def _ids(cases):
    return [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in cases]


def _pair(name, kwargs, groups=None):
    """The same optimizer over the same problem in ember and torch.

    A maximizing optimizer gets the negated loss, so it climbs a bounded objective.
    """
    out = []
    for lib, mod in (("ember", optim), ("torch", torch.optim)):
        params, loss = make(lib)
        if kwargs.get("maximize"):
            loss = (lambda f: lambda: -f())(loss)
        if groups is None:
            spec = list(params.values())
        else:
            spec = [dict(g, params=[params[k] for k in g["params"]]) for g in groups]
        out.append((params, loss, getattr(mod, name)(spec, **kwargs)))
    return out


def _assert_same_params(ep, tp, step):
    for k in NAMES:
        np.testing.assert_allclose(numpy_of(ep[k]), numpy_of(tp[k]), rtol=RTOL, atol=ATOL,
                                   err_msg=f"parameter {k} after step {step}")


@pytest.mark.parametrize("name,kwargs", CASES, ids=_ids(CASES))
def test_matches_torch_every_step(name, kwargs):
    (ep, eloss, eopt), (tp, tloss, topt) = _pair(name, kwargs)
    for step in range(1, STEPS + 1):
        el = train_step(eopt, eloss)
        tl = train_step(topt, tloss)
        assert el == pytest.approx(tl, rel=1e-9)
        _assert_same_params(ep, tp, step)
    # the parameter that never had a gradient is untouched and has no state
    np.testing.assert_array_equal(numpy_of(ep["frozen"]), numpy_of(tp["frozen"]))
    assert (ep["frozen"] in eopt.state) == (tp["frozen"] in topt.state)


GROUPS = [{"params": ["w1", "b1"]},
          {"params": ["w2", "b2", "q", "frozen"], "lr": 0.01, "weight_decay": 0.01}]


@pytest.mark.parametrize("name", NAMES_OF_OPTIMIZERS)
def test_parameter_groups_with_their_own_options(name):
    kwargs = dict(next(kw for n, kw in CASES if n == name))
    (ep, eloss, eopt), (tp, tloss, topt) = _pair(name, kwargs, GROUPS)
    assert eopt.param_groups[1]["lr"] == 0.01 and eopt.param_groups[0]["lr"] == topt.param_groups[0]["lr"]
    for step in range(1, STEPS + 1):
        train_step(eopt, eloss)
        train_step(topt, tloss)
        _assert_same_params(ep, tp, step)


@pytest.mark.parametrize("name", NAMES_OF_OPTIMIZERS)
def test_closure_is_evaluated_and_its_loss_returned(name):
    kwargs = dict(next(kw for n, kw in reversed(CASES) if n == name))
    (ep, eloss, eopt), (tp, tloss, topt) = _pair(name, kwargs)
    for step in range(1, STEPS + 1):
        with ember.no_grad():  # the closure must turn recording back on
            el = closure_step(eopt, eloss)
        tl = closure_step(topt, tloss)
        assert el == pytest.approx(tl, rel=1e-9)
        _assert_same_params(ep, tp, step)


@pytest.mark.parametrize("name,kwargs", CASES, ids=_ids(CASES))
def test_state_matches_torch_in_structure_and_values(name, kwargs):
    (ep, eloss, eopt), (tp, tloss, topt) = _pair(name, kwargs, GROUPS)
    for _ in range(3):
        train_step(eopt, eloss)
        train_step(topt, tloss)
    esd, tsd = eopt.state_dict(), topt.state_dict()
    assert list(esd) == list(tsd) == ["state", "param_groups"]
    assert len(esd["param_groups"]) == len(tsd["param_groups"])
    for eg, tg in zip(esd["param_groups"], tsd["param_groups"]):
        assert list(eg) == list(tg)
        assert eg == tg  # hyperparameters and the param index lists
    assert list(esd["state"]) == list(tsd["state"])
    for idx, tstate in tsd["state"].items():
        estate = esd["state"][idx]
        assert list(estate) == list(tstate)
        for key, tv in tstate.items():
            ev = estate[key]
            assert isinstance(ev, ember.Tensor), key
            assert ev.shape == tuple(tv.shape) and str(ev.dtype).split(".")[1] == str(tv.dtype).split(".")[1]
            np.testing.assert_allclose(ev.numpy(), tv.numpy(), rtol=RTOL, atol=ATOL, err_msg=key)


def test_step_under_float64_default_keeps_float64_scalars():
    prev = ember.get_default_dtype()
    ember.set_default_dtype(ember.float64)
    try:
        w = ember.tensor([1.0, 2.0], requires_grad=True)
        opt = optim.NAdam([w])
        (w * w).sum().backward()
        opt.step()
        assert opt.state[w]["step"].dtype == ember.float64
        assert opt.state[w]["mu_product"].dtype == ember.float64
    finally:
        ember.set_default_dtype(prev)


def test_float32_parameters_stay_float32_and_match_torch():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(8, 8)).astype(np.float32)
    ew, tw = ember.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    eopt, topt = optim.Adam([ew], lr=0.01), torch.optim.Adam([tw], lr=0.01)
    for _ in range(10):
        for w, opt in ((ew, eopt), (tw, topt)):
            opt.zero_grad()
            ((w ** 3).sum() if w is ew else (w ** 3).sum()).backward()
            opt.step()
    assert ew.dtype == ember.float32 and eopt.state[ew]["exp_avg"].dtype == ember.float32
    np.testing.assert_allclose(ew.detach().numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)
