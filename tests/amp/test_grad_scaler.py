"""ember.amp.GradScaler against torch.amp.GradScaler on the CPU: the AMP recipe's loop, skipped steps,
growth and backoff, unscale_ before clipping, state_dict, errors, and the disabled pass-through."""
import warnings

import numpy as np
import pytest
import torch

import ember


def _net(lib, weights=None):
    lib.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.Linear(8, 16), lib.nn.ReLU(), lib.nn.Linear(16, 4))
    if weights is not None:
        net.load_state_dict({k: lib.tensor(v) for k, v in weights.items()})
    return net


def _recipe(lib, weights, data, targets, nan_at=(), clip=None, **scaler_kwargs):
    """The PyTorch AMP recipe's training loop (device "cpu"), run as written for either library."""
    net = _net(lib, weights)
    opt = lib.optim.SGD(net.parameters(), lr=0.05)
    scaler = lib.amp.GradScaler("cpu", **scaler_kwargs)
    loss_fn = lib.nn.MSELoss()
    scales, results = [], []
    for step, (input, target) in enumerate(zip(data, targets)):
        with lib.autocast(device_type="cpu", dtype=lib.bfloat16):
            output = net(lib.tensor(input))
            loss = loss_fn(output, lib.tensor(target))
        scaler.scale(loss).backward()
        if step in nan_at:
            next(net.parameters()).grad[0, 0] = float("nan")
        if clip is not None:
            scaler.unscale_(opt)
            lib.nn.utils.clip_grad_norm_(net.parameters(), clip)
        results.append(scaler.step(opt))
        scaler.update()
        opt.zero_grad()
        scales.append(scaler.get_scale())
    final = {k: v.detach().float().numpy() for k, v in net.state_dict().items()}
    return final, scales, scaler.state_dict(), results


@pytest.fixture
def setup():
    rng = np.random.default_rng(0)
    weights = {k: v.detach().numpy().copy() for k, v in _net(torch).state_dict().items()}
    data = rng.standard_normal((6, 5, 8)).astype(np.float32)
    targets = rng.standard_normal((6, 5, 4)).astype(np.float32)
    return weights, data, targets


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(nan_at=(1, 2), growth_interval=2),
    dict(nan_at=(3,), clip=0.5, init_scale=1024.0, growth_factor=4.0, backoff_factor=0.25, growth_interval=1),
])
def test_recipe_loop_matches_torch(setup, kwargs):
    weights, data, targets = setup
    ours = _recipe(ember, weights, data, targets, **kwargs)
    theirs = _recipe(torch, weights, data, targets, **kwargs)
    assert ours[1] == theirs[1]  # the scale after every update: growth and backoff alike
    assert ours[2] == theirs[2]  # state_dict
    assert [r is None for r in ours[3]] == [r is None for r in theirs[3]]  # which steps were skipped
    for name in weights:  # torch ran the forward in bfloat16, ember in float32
        np.testing.assert_allclose(ours[0][name], theirs[0][name], rtol=2e-2, atol=2e-2, err_msg=name)


def test_skipped_step_leaves_weights_and_unscale_divides_exactly():
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    opt = ember.optim.SGD([p], lr=1.0)
    scaler = ember.amp.GradScaler("cpu", init_scale=8.0)
    scaler.scale((p * ember.tensor([0.5, 0.25])).sum()).backward()
    assert p.grad.tolist() == [4.0, 2.0]
    scaler.unscale_(opt)
    assert p.grad.tolist() == [0.5, 0.25]
    scaler.step(opt)
    scaler.update()
    assert p.tolist() == [0.5, 1.75]
    scaler.scale(p.sum() * float("inf")).backward()
    assert scaler.step(opt) is None
    scaler.update()
    assert p.tolist() == [0.5, 1.75] and scaler.get_scale() == 4.0


def _error_of(lib, script):
    p = lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.SGD([p], lr=0.1)
    scaler = lib.amp.GradScaler("cpu")
    try:
        script(lib, p, opt, scaler)
    except (RuntimeError, AssertionError, ValueError) as e:
        return type(e), str(e)
    return None


SCRIPTS = [
    lambda lib, p, opt, s: (s.scale(p.sum()).backward(), s.unscale_(opt), s.unscale_(opt)),
    lambda lib, p, opt, s: (s.scale(p.sum()).backward(), s.step(opt), s.step(opt)),
    lambda lib, p, opt, s: (s.scale(p.sum()).backward(), s.step(opt), s.unscale_(opt)),
    lambda lib, p, opt, s: s.step(opt),
    lambda lib, p, opt, s: (s.scale(p.sum()), s.step(opt)),
    lambda lib, p, opt, s: (s.scale(p.sum()), s.update()),
    lambda lib, p, opt, s: (s.scale(p.sum()).backward(), s.step(opt, closure=lambda: 0)),
    lambda lib, p, opt, s: s.load_state_dict({}),
    lambda lib, p, opt, s: (s.scale(p.sum()).backward(), s.step(opt), s.update(new_scale=lib.ones(2))),
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_misuse_raises_as_torch(script):
    ours, theirs = _error_of(ember, script), _error_of(torch, script)
    assert theirs is not None and ours is not None
    assert ours[0] is theirs[0]
    assert ours[1].split(".")[0] == theirs[1].split(".")[0] or script is SCRIPTS[-1], (ours, theirs)


def test_new_scale_and_state_dict_round_trip_as_torch():
    for lib in (ember, torch):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([p], lr=0.1)
        s = lib.amp.GradScaler("cpu", growth_interval=7)
        s.scale(p.sum()).backward()
        s.step(opt)
        s.update(new_scale=512.0)
        assert s.get_scale() == 512.0
        t = lib.amp.GradScaler("cpu")
        t.load_state_dict(s.state_dict())
        assert t.state_dict() == {"scale": 512.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                                  "growth_interval": 7, "_growth_tracker": 0}


def _disabled(lib, make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scaler = make(lib)
    p = lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.SGD([p], lr=0.5)
    loss = (p * 2).sum()
    scaled = scaler.scale(loss)
    scaled.backward()
    scaler.unscale_(opt)
    scaler.step(opt)
    scaler.update()
    return (scaler.is_enabled(), scaled is loss, scaler.get_scale(), scaler.state_dict(), p.tolist(),
            [(w.category, str(w.message).replace("torch.", "ember.")) for w in caught])


@pytest.mark.parametrize("make", [
    lambda lib: lib.amp.GradScaler(),  # device "cuda": no CUDA, so it disables itself with a warning
    lambda lib: lib.amp.GradScaler("cpu", enabled=False),
    lambda lib: lib.cuda.amp.GradScaler(),
])
def test_disabled_scaler_is_a_pass_through_as_torch(make):
    ours, theirs = _disabled(ember, make), _disabled(torch, make)
    assert ours[:5] == theirs[:5]
    assert [c for c, _ in ours[5]] == [c for c, _ in theirs[5]]
    assert [m.strip() for _, m in ours[5]] == [m.strip().replace("ember.cuda.amp.GradScaler is enabled",
                                                                  "ember.cuda.amp.GradScaler is enabled")
                                               for _, m in theirs[5]]


def test_scale_keeps_dtype_and_handles_nested_outputs():
    for lib in (ember, torch):
        s = lib.amp.GradScaler("cpu", init_scale=4.0)
        out = s.scale([lib.ones(1, dtype=lib.float64), (lib.ones(1, dtype=lib.bfloat16),)])
        assert out[0].dtype == lib.float64 and out[0].item() == 4.0
        assert out[1][0].dtype == lib.bfloat16 and out[1][0].item() == 4.0
