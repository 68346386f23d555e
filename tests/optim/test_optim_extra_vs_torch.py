"""Rprop, ASGD, Adafactor, SparseAdam, Muon and LBFGS against torch.optim (float64), step by step:
parameters after every step, then the state dict in structure and values, then a save/load resume."""
import io

import numpy as np
import pytest
import torch

import ember
from ember import nn, optim

from .problem import NAMES, closure_step, make, numpy_of, train_step

STEPS = 25
RTOL, ATOL = 1e-10, 1e-12

CASES = [
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.1))),
    ("Rprop", dict(lr=0.02, maximize=True, foreach=False)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=5, weight_decay=0.1)),
    ("ASGD", dict(lr=0.02, t0=3, maximize=True, foreach=False)),
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=2.0, weight_decay=0.1)),
    ("Adafactor", dict(lr=0.02, maximize=True, foreach=False)),
]


def _ids(cases):
    return [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in cases]


def _pair(name, kwargs, groups=None):
    out = []
    for lib, mod in (("ember", optim), ("torch", torch.optim)):
        params, loss = make(lib)
        if kwargs.get("maximize"):
            loss = (lambda f: lambda: -f())(loss)
        spec = (list(params.values()) if groups is None
                else [dict(g, params=[params[k] for k in g["params"]]) for g in groups])
        out.append((params, loss, getattr(mod, name)(spec, **kwargs)))
    return out


def _same_params(ep, tp, step, names=NAMES, rtol=RTOL, atol=ATOL):
    for k in names:
        np.testing.assert_allclose(numpy_of(ep[k]), numpy_of(tp[k]), rtol=rtol, atol=atol,
                                   err_msg=f"parameter {k} after step {step}")


def assert_same_state(est, tst, where="state", rtol=1e-9, atol=1e-12):
    """Recursively equal: tensors (shape, dtype, values), lists, and Python numbers of the same kind."""
    if isinstance(tst, torch.Tensor):
        assert isinstance(est, ember.Tensor), where
        assert est.shape == tuple(tst.shape), where
        assert str(est.dtype).split(".")[1] == str(tst.dtype).split(".")[1], where
        np.testing.assert_allclose(est.numpy(), tst.numpy(), rtol=rtol, atol=atol, err_msg=where)
    elif isinstance(tst, (list, tuple)):
        assert len(est) == len(tst), where
        for i, (e, t) in enumerate(zip(est, tst)):
            assert_same_state(e, t, f"{where}[{i}]", rtol, atol)
    elif isinstance(tst, dict):
        assert list(est) == list(tst), where
        for k in tst:
            assert_same_state(est[k], tst[k], f"{where}.{k}", rtol, atol)
    elif tst is None:
        assert est is None, where
    else:
        assert type(est) is type(tst), (where, type(est), type(tst))
        assert est == pytest.approx(tst, rel=rtol, abs=atol), where


@pytest.mark.parametrize("name,kwargs", CASES, ids=_ids(CASES))
def test_matches_torch_every_step(name, kwargs):
    (ep, eloss, eopt), (tp, tloss, topt) = _pair(name, kwargs)
    for step in range(1, STEPS + 1):
        assert train_step(eopt, eloss) == pytest.approx(train_step(topt, tloss), rel=1e-9)
        _same_params(ep, tp, step)
    assert (ep["frozen"] in eopt.state) == (tp["frozen"] in topt.state) is False


GROUPS = [{"params": ["w1", "b1"]}, {"params": ["w2", "b2", "q", "frozen"], "lr": 0.01}]


@pytest.mark.parametrize("name,kwargs", CASES, ids=_ids(CASES))
def test_state_dict_matches_torch(name, kwargs):
    (ep, eloss, eopt), (tp, tloss, topt) = _pair(name, kwargs, GROUPS)
    for step in range(4):
        with ember.no_grad():  # the closure turns recording back on
            el = closure_step(eopt, eloss)
        assert el == pytest.approx(closure_step(topt, tloss), rel=1e-9)
    _same_params(ep, tp, 4)
    esd, tsd = eopt.state_dict(), topt.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert_same_state(esd["state"], tsd["state"])


def _roundtrip(obj):
    buffer = io.BytesIO()
    ember.save(obj, buffer)
    buffer.seek(0)
    return ember.load(buffer)


def _resumed(lib, name, kwargs, before=5, after=5):
    """``before`` steps, the state dict saved and loaded into a new optimizer over reloaded weights, ``after`` more."""
    mod = optim if lib == "ember" else torch.optim
    params, loss = make(lib)
    opt = getattr(mod, name)(list(params.values()), **kwargs)
    for _ in range(before):
        train_step(opt, loss)
    if lib == "ember":
        ckpt = _roundtrip({"w": {k: p.detach() for k, p in params.items()}, "opt": opt.state_dict()})
    else:
        buffer = io.BytesIO()
        torch.save({"w": {k: p.detach() for k, p in params.items()}, "opt": opt.state_dict()}, buffer)
        buffer.seek(0)
        ckpt = torch.load(buffer)
    params, loss = make(lib, init={k: v.numpy() for k, v in ckpt["w"].items()})
    opt = getattr(mod, name)(list(params.values()), **kwargs)
    opt.load_state_dict(ckpt["opt"])
    for _ in range(after):
        train_step(opt, loss)
    return params


@pytest.mark.parametrize("name,kwargs", [CASES[1], CASES[4], CASES[7]], ids=["Rprop", "ASGD", "Adafactor"])
def test_save_load_resume_matches_torch(name, kwargs):
    """Loading casts state to the parameter's dtype, as PyTorch's (ASGD's float32 ``eta`` and ``mu`` become
    float64 there too, so its resumed run is compared with PyTorch's resumed run, not an uninterrupted one)."""
    _same_params(_resumed("ember", name, kwargs), _resumed("torch", name, kwargs), "resume")
    if name != "ASGD":
        ref, ref_loss = make("ember")
        ref_opt = getattr(optim, name)(list(ref.values()), **kwargs)
        for _ in range(10):
            train_step(ref_opt, ref_loss)
        resumed = _resumed("ember", name, kwargs)
        for k in NAMES:
            np.testing.assert_array_equal(numpy_of(resumed[k]), numpy_of(ref[k]), err_msg=k)


def test_adafactor_factors_the_last_two_dims_of_a_3d_parameter():
    rng = np.random.default_rng(3)
    w0, target = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    ew, tw = ember.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    eopt, topt = optim.Adafactor([ew], lr=0.05), torch.optim.Adafactor([tw], lr=0.05)
    for _ in range(10):
        for w, opt, t in ((ew, eopt, ember.tensor(target)), (tw, topt, torch.tensor(target))):
            opt.zero_grad()
            ((w - t) ** 4).sum().backward()
            opt.step()
    np.testing.assert_allclose(ew.detach().numpy(), tw.detach().numpy(), rtol=RTOL, atol=ATOL)
    assert_same_state(eopt.state_dict()["state"], topt.state_dict()["state"])


@pytest.mark.parametrize("name", ["ASGD", "Rprop", "Adafactor"])
def test_foreach_true_is_accepted_and_agrees_to_rounding(name):
    """ember has one implementation; PyTorch's multi-tensor one rounds differently (ASGD's eta in float32)."""
    (ep, eloss, eopt), (tp, tloss, topt) = _pair(name, dict(lr=0.02, foreach=True))
    for step in range(1, STEPS + 1):
        train_step(eopt, eloss)
        train_step(topt, tloss)
    _same_params(ep, tp, STEPS, rtol=1e-6, atol=1e-8)


def test_asgd_averages_after_t0():
    (ep, eloss, eopt), _ = _pair("ASGD", dict(lr=0.05, t0=3))
    for _ in range(8):
        train_step(eopt, eloss)
    ax = eopt.state[ep["q"]]["ax"].numpy()
    assert not np.allclose(ax, ep["q"].detach().numpy())  # an average of the late iterates, not the last one


# -- SparseAdam: ember's dense Embedding gradient against torch's sparse one ---------------------------
@pytest.mark.parametrize("kwargs", [dict(lr=0.05), dict(lr=0.1, betas=(0.8, 0.9), eps=1e-6, maximize=True)])
def test_sparse_adam_matches_torch_on_a_sparse_embedding(kwargs):
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(10, 3))
    temb = torch.nn.Embedding(10, 3, sparse=True, _weight=torch.tensor(w0))
    eemb = nn.Embedding(10, 3, sparse=True, _weight=ember.tensor(w0))
    topt = torch.optim.SparseAdam(temb.parameters(), **kwargs)
    eopt = optim.SparseAdam(eemb.parameters(), **kwargs)
    for step in range(STEPS):
        idx = rng.integers(0, 10, size=(4,))  # repeats and rows that are not looked up
        target = rng.normal(size=(4, 3))
        for emb, opt, lib in ((temb, topt, torch), (eemb, eopt, ember)):
            opt.zero_grad()
            ((emb(lib.tensor(idx)) - lib.tensor(target)) ** 2).sum().backward()
            opt.step()
        np.testing.assert_allclose(eemb.weight.detach().numpy(), temb.weight.detach().numpy(), rtol=RTOL,
                                   atol=ATOL, err_msg=f"step {step}")
    esd, tsd = eopt.state_dict(), topt.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert_same_state(esd["state"], tsd["state"])


def test_sparse_adam_and_muon_resume_exactly():
    rng = np.random.default_rng(5)
    w0, steps = rng.normal(size=(6, 4)), [(rng.integers(0, 6, 3), rng.normal(size=(3, 4))) for _ in range(8)]

    def run(make_opt, resume_at=None):
        # Muon, as PyTorch's, refuses sparse gradients: it trains a dense table.
        emb = nn.Embedding(6, 4, sparse=make_opt([ember.zeros(2, 2, requires_grad=True)]).__class__ is optim.SparseAdam,
                           _weight=ember.tensor(w0))
        opt = make_opt(emb.parameters())
        for i, (idx, target) in enumerate(steps):
            if i == resume_at:
                sd = _roundtrip(opt.state_dict())
                opt = make_opt(emb.parameters())
                opt.load_state_dict(sd)
            opt.zero_grad()
            ((emb(ember.tensor(idx)) - ember.tensor(target)) ** 2).sum().backward()
            opt.step()
        return emb.weight.detach().numpy(), opt
    for make_opt in (lambda p: optim.SparseAdam(p, lr=0.05), lambda p: optim.Muon(p, lr=0.02)):
        ref, _ = run(make_opt)
        resumed, opt = run(make_opt, resume_at=4)
        np.testing.assert_array_equal(resumed, ref)
    assert all(type(s["step"]) is int for s in run(lambda p: optim.SparseAdam(p), 4)[1].state.values())


def test_sparse_adam_errors_as_torch():
    w = ember.zeros(3, requires_grad=True)
    for kw in (dict(lr=0.0), dict(eps=0.0), dict(betas=(1.0, 0.9))):
        with pytest.raises(ValueError) as e:
            optim.SparseAdam([w], **kw)
        with pytest.raises(ValueError) as t:
            torch.optim.SparseAdam([torch.zeros(3, requires_grad=True)], **kw)
        assert str(e.value) == str(t.value)


# -- Muon: 2-D parameters only -------------------------------------------------------------------------
def _matrix_problem(lib):
    rng = np.random.default_rng(7)
    w1, w2, x = rng.normal(size=(6, 4)), rng.normal(size=(3, 6)), rng.normal(size=(8, 4))
    mod = torch if lib == "torch" else ember
    ps = {"w1": mod.tensor(w1, requires_grad=True), "w2": mod.tensor(w2, requires_grad=True)}
    xt = mod.tensor(x)

    def loss():
        return (mod.tanh(xt @ ps["w1"].T) @ ps["w2"].T).pow(2).mean()
    return ps, loss


@pytest.mark.parametrize("kwargs", [dict(lr=0.02), dict(lr=0.02, nesterov=False, weight_decay=0.0, momentum=0.9),
                                    dict(lr=0.01, adjust_lr_fn="match_rms_adamw", ns_steps=3)])
def test_muon_matches_torch(kwargs):
    (ep, eloss), (tp, tloss) = _matrix_problem("ember"), _matrix_problem("torch")
    eopt, topt = optim.Muon(list(ep.values()), **kwargs), torch.optim.Muon(list(tp.values()), **kwargs)
    for step in range(STEPS):
        train_step(eopt, eloss)
        train_step(topt, tloss)
        # the orthogonalization runs in bfloat16; rounding the float32 sums of a product the other way
        # flips an element by one bfloat16 step now and then (test_newton_schulz_is_torchs checks the rest)
        _same_params(ep, tp, step, names=list(ep), rtol=0, atol=2e-4)
    for k in ep:
        np.testing.assert_allclose(eopt.state[ep[k]]["momentum_buffer"].numpy(),
                                   topt.state[tp[k]]["momentum_buffer"].numpy(), rtol=0, atol=1e-3)


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (16, 8), (1, 7)])
def test_newton_schulz_is_torchs(shape):
    from torch.optim._muon import _zeropower_via_newtonschulz
    from ember.optim.muon import zeropower_via_newtonschulz
    g = np.random.default_rng(sum(shape)).normal(size=shape)
    coefficients = (3.4445, -4.7750, 2.0315)
    expected = _zeropower_via_newtonschulz(torch.tensor(g), coefficients, 5, 1e-7).float().numpy()
    np.testing.assert_array_equal(zeropower_via_newtonschulz(g, coefficients, 5, 1e-7), expected)


def test_muon_rejects_non_matrices_as_torch():
    with pytest.raises(ValueError, match="Muon only supports 2D parameters"):
        optim.Muon([ember.zeros(3, requires_grad=True)])
    with pytest.raises(ValueError, match="Adjust learning rate function"):
        optim.Muon([ember.zeros(3, 3, requires_grad=True)], adjust_lr_fn="bogus")


# -- LBFGS: closures, several inner iterations per step ----------------------------------------------
LBFGS_CASES = [dict(), dict(lr=0.5, max_iter=5, history_size=3), dict(line_search_fn="strong_wolfe"),
               dict(line_search_fn="strong_wolfe", max_iter=4, history_size=2, tolerance_change=1e-6),
               dict(max_iter=7, max_eval=9, tolerance_grad=1e-3)]


@pytest.mark.parametrize("kwargs", LBFGS_CASES, ids=_ids([("LBFGS", k) for k in LBFGS_CASES]))
def test_lbfgs_matches_torch(kwargs):
    (ep, eloss, eopt), (tp, tloss, topt) = _pair("LBFGS", dict(kwargs, lr=kwargs.get("lr", 0.2)))
    # up to 80 quasi-Newton iterations: the last-bit differences of the two forward passes grow
    for step in range(4):
        with ember.no_grad():
            el = closure_step(eopt, eloss)
        assert el == pytest.approx(closure_step(topt, tloss), rel=1e-9)
        _same_params(ep, tp, step, rtol=1e-8, atol=1e-9)
    w = ep["w1"]
    assert eopt.state[w]["func_evals"] == topt.state[tp["w1"]]["func_evals"]
    assert eopt.state[w]["n_iter"] == topt.state[tp["w1"]]["n_iter"]
    # The two-loop coefficients (al, ro) are ratios of small differences: after 80 iterations they
    # carry the BLAS's last-bit summation order, which differs between CPUs (1.7e-6 seen on AMD EPYC).
    assert_same_state(eopt.state_dict()["state"], topt.state_dict()["state"], rtol=1e-5, atol=1e-9)
    assert eopt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]


def test_lbfgs_save_load_resumes_exactly():
    kwargs = dict(line_search_fn="strong_wolfe", max_iter=3, history_size=4)
    ref, ref_loss = make("ember")
    ref_opt = optim.LBFGS(list(ref.values()), **kwargs)
    for _ in range(4):
        closure_step(ref_opt, ref_loss)
    params, loss = make("ember")
    opt = optim.LBFGS(list(params.values()), **kwargs)
    for _ in range(2):
        closure_step(opt, loss)
    ckpt = _roundtrip({"w": {k: p.detach() for k, p in params.items()}, "opt": opt.state_dict()})
    params, loss = make("ember", init={k: v.numpy() for k, v in ckpt["w"].items()})
    opt = optim.LBFGS(list(params.values()), **kwargs)
    opt.load_state_dict(ckpt["opt"])
    for _ in range(2):
        closure_step(opt, loss)
    for k in NAMES:
        np.testing.assert_array_equal(numpy_of(params[k]), numpy_of(ref[k]), err_msg=k)


def test_lbfgs_rejects_groups_and_unknown_line_search():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = optim.LBFGS([a], line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = ((a - 1) ** 2).sum()
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


@pytest.mark.parametrize("name,kwargs", [("Rprop", dict(foreach=True, fused=True)), ("Adafactor", dict(fused=True))])
def test_unknown_options_are_type_errors_as_in_torch(name, kwargs):
    with pytest.raises(TypeError):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(TypeError):
        getattr(optim, name)([ember.zeros(2, requires_grad=True)], **kwargs)


def test_every_torch_optimizer_name_exists():
    names = {n for n in dir(torch.optim) if not n.startswith("_") and n[0].isupper()}
    assert names <= set(dir(optim)), names - set(dir(optim))
    assert hasattr(optim, "swap_in_optimizer_params_and_state")


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.05))])
def test_swap_in_optimizer_params_and_state_matches_torch(name, kwargs):
    """Inside the block the step runs on the given parameters and state; outside, the live ones are back."""
    results = []
    from .problem import INIT
    for lib, mod, swap in (("ember", optim, optim.swap_in_optimizer_params_and_state),
                           ("torch", torch.optim, torch.optim.swap_in_optimizer_params_and_state)):
        params, loss = make(lib)
        opt = getattr(mod, name)(list(params.values()), **kwargs)
        train_step(opt, loss)
        other, other_loss = make(lib, init={k: v * 0.5 for k, v in INIT.items()})
        other_loss().backward()
        saved = opt.state_dict()
        groups = [dict(g, lr=0.02) for g in saved["param_groups"]]
        with swap(opt, other, {"state": saved["state"], "param_groups": groups}):
            assert opt.param_groups[0]["lr"] == 0.02
            opt.step()
        assert opt.param_groups[0]["lr"] == kwargs["lr"] and opt.param_groups[0]["params"][0] is params["w1"]
        train_step(opt, loss)
        results.append(([numpy_of(other[k]) for k in NAMES], [numpy_of(params[k]) for k in NAMES]))
    for e, t in zip(results[0], results[1]):
        for a, b in zip(e, t):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    with pytest.raises(RuntimeError, match="requires initialized optimizer state"):
        w = ember.zeros(2, requires_grad=True)
        with optim.swap_in_optimizer_params_and_state(optim.SGD([w], lr=0.1), {"w": w}, {}):
            pass


@pytest.mark.parametrize("name,kwargs", [("Adafactor", dict(lr=0.05)), ("Rprop", dict(lr=0.05)),
                                         ("ASGD", dict(lr=0.01, t0=3)), ("Muon", dict(lr=0.02)),
                                         ("LBFGS", dict(lr=0.5, max_iter=4))])
def test_float32_parameters_stay_float32_and_match_torch(name, kwargs):
    w0 = np.random.default_rng(0).normal(size=(6, 5)).astype(np.float32)
    ew, tw = ember.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    eopt, topt = getattr(optim, name)([ew], **kwargs), getattr(torch.optim, name)([tw], **kwargs)
    for _ in range(10):
        for w, opt in ((ew, eopt), (tw, topt)):
            def closure(w=w, opt=opt):
                opt.zero_grad()
                loss = ((w - 1) ** 2).sum() + 0.1 * (w ** 4).sum()
                loss.backward()
                return loss
            opt.step(closure)
    assert ew.dtype == ember.float32
    assert all(v.dtype == ember.float32 for v in eopt.state[ew].values() if isinstance(v, ember.Tensor)
               and v.dtype != ember.int64)
    np.testing.assert_allclose(ew.detach().numpy(), tw.detach().numpy(), rtol=2e-5, atol=2e-6)
