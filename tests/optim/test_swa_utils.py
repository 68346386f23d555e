"""optim.swa_utils against torch.optim.swa_utils: the averaged weights and buffers after every update,
SWALR's learning rates, and update_bn's recomputed statistics."""
import numpy as np
import pytest
import torch

import ember
from ember import nn, optim
from ember.optim import swa_utils

AVERAGERS = {
    "swa default": lambda m: dict(),
    "ema multi": lambda m: dict(multi_avg_fn=m.get_ema_multi_avg_fn(0.9)),
    "swa multi": lambda m: dict(multi_avg_fn=m.get_swa_multi_avg_fn()),
    "ema avg_fn": lambda m: dict(avg_fn=m.get_ema_avg_fn(0.8)),
    "ema buffers": lambda m: dict(multi_avg_fn=m.get_ema_multi_avg_fn(0.7), use_buffers=True),
}


def _models():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2)).double()
    em = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).double()
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return em, tm


@pytest.mark.parametrize("kind", list(AVERAGERS))
def test_averaged_model_matches_torch(kind):
    em, tm = _models()
    eavg = swa_utils.AveragedModel(em, **AVERAGERS[kind](swa_utils))
    tavg = torch.optim.swa_utils.AveragedModel(tm, **AVERAGERS[kind](torch.optim.swa_utils))
    eopt, topt = optim.SGD(em.parameters(), lr=0.1), torch.optim.SGD(tm.parameters(), lr=0.1)
    x = np.random.default_rng(1).normal(size=(6, 3))
    for _ in range(5):
        for model, opt, avg, lib in ((em, eopt, eavg, ember), (tm, topt, tavg, torch)):
            opt.zero_grad()
            (model(lib.tensor(x)) ** 2).sum().backward()
            opt.step()
            avg.update_parameters(model)
        esd, tsd = eavg.state_dict(), tavg.state_dict()
        assert list(esd) == list(tsd)
        for k, v in tsd.items():
            np.testing.assert_allclose(esd[k].numpy(), v.numpy(), rtol=1e-12, atol=1e-14, err_msg=k)
    assert esd["n_averaged"].dtype == ember.int64 and int(esd["n_averaged"]) == 5
    np.testing.assert_allclose(eavg(ember.tensor(x)).detach().numpy(), tavg(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)


def test_averaged_model_rejects_two_rules():
    with pytest.raises(AssertionError):
        swa_utils.AveragedModel(nn.Linear(1, 1), avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    with pytest.raises(ValueError, match="Invalid decay value"):
        swa_utils.get_ema_multi_avg_fn(1.5)


@pytest.mark.parametrize("kwargs", [dict(swa_lr=0.05), dict(swa_lr=[0.05, 0.2], anneal_epochs=3,
                                                            anneal_strategy="linear"),
                                    dict(swa_lr=0.01, anneal_epochs=0)])
def test_swalr_matches_torch(kwargs):
    def groups(lib):
        return [{"params": [lib.zeros(1, requires_grad=True)]}, {"params": [lib.zeros(1, requires_grad=True)],
                                                                  "lr": 0.5}]
    eopt, topt = optim.SGD(groups(ember), lr=1.0), torch.optim.SGD(groups(torch), lr=1.0)
    es, ts = swa_utils.SWALR(eopt, **kwargs), torch.optim.swa_utils.SWALR(topt, **kwargs)
    for _ in range(12):
        eopt.step(), topt.step()
        es.step(), ts.step()
        assert es.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-14)
    state = es.state_dict()
    assert "anneal_func" not in state and state["anneal_epochs"] == ts.state_dict()["anneal_epochs"]
    es.load_state_dict(state)
    assert es.anneal_func(0.5) == ts.anneal_func(0.5)
    with pytest.raises(ValueError, match="anneal_strategy must be one of"):
        swa_utils.SWALR(eopt, swa_lr=0.1, anneal_strategy="step")


def test_update_bn_matches_torch():
    em, tm = _models()
    rng = np.random.default_rng(2)
    batches = [rng.normal(size=(5, 3)) * (i + 1) for i in range(4)]
    em.eval(), tm.eval()
    swa_utils.update_bn([(ember.tensor(b), 0) for b in batches], em)
    torch.optim.swa_utils.update_bn([(torch.tensor(b), 0) for b in batches], tm)
    assert not em.training
    bn_e, bn_t = em[1], tm[1]
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(bn_e, name).numpy(), getattr(bn_t, name).numpy(), rtol=1e-12,
                                   err_msg=name)
    assert bn_e.momentum == bn_t.momentum == 0.1
