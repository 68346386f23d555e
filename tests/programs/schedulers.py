"""Every learning-rate scheduler in torch.optim.lr_scheduler, traced with get_last_lr() over many
steps, including the composite ones (SequentialLR, ChainedScheduler), CyclicLR (triangular,
triangular2, exp_range, with momentum cycling), OneCycleLR (cos and linear, three-phase),
CosineAnnealingWarmRestarts (fractional epochs), PolynomialLR, LambdaLR/MultiplicativeLR and
ReduceLROnPlateau fed a plateauing metric; a scheduler's state_dict round trip; then each
optimizer built with the foreach / fused / maximize / capturable / differentiable flags that
current code passes, a few steps on a shared problem."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
from torch.optim import lr_scheduler as S


def trace(make, steps, metric=None):
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p, nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [nn.Parameter(torch.zeros(1))], "lr": 0.05})
    sched = make(opt)
    lrs = []
    for i in range(steps):
        opt.step()
        if metric is not None:
            sched.step(metric(i))
            lrs.append([g["lr"] for g in opt.param_groups])
        else:
            sched.step()
            lrs.append(sched.get_last_lr())
    return lrs, opt


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    n = args.steps
    makers = {
        "step": lambda o: S.StepLR(o, step_size=7, gamma=0.3),
        "multistep": lambda o: S.MultiStepLR(o, milestones=[5, 12, 30], gamma=0.5),
        "constant": lambda o: S.ConstantLR(o, factor=0.25, total_iters=6),
        "linear": lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=10),
        "exponential": lambda o: S.ExponentialLR(o, gamma=0.93),
        "polynomial": lambda o: S.PolynomialLR(o, total_iters=25, power=2.0),
        "cosine": lambda o: S.CosineAnnealingLR(o, T_max=15, eta_min=1e-3),
        "lambda": lambda o: S.LambdaLR(o, lr_lambda=[lambda e: 0.95 ** e, lambda e: 1 / (1 + e)]),
        "multiplicative": lambda o: S.MultiplicativeLR(o, lr_lambda=lambda e: 0.97),
        "sequential": lambda o: S.SequentialLR(o, schedulers=[S.LinearLR(o, start_factor=0.2, total_iters=5),
                                                              S.CosineAnnealingLR(o, T_max=20)], milestones=[5]),
        "chained": lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=8),
                                                 S.ExponentialLR(o, gamma=0.95)]),
        "cyclic_tri": lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4),
        "cyclic_tri2": lambda o: S.CyclicLR(o, base_lr=[0.01, 0.005], max_lr=[0.1, 0.05], step_size_up=3,
                                            step_size_down=5, mode="triangular2"),
        "cyclic_exp": lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range",
                                           gamma=0.97, cycle_momentum=True, base_momentum=0.8, max_momentum=0.9),
        "onecycle_cos": lambda o: S.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=n + 1, pct_start=0.3),
        "onecycle_lin3": lambda o: S.OneCycleLR(o, max_lr=0.4, epochs=4, steps_per_epoch=(n + 3) // 4,
                                                anneal_strategy="linear", three_phase=True, div_factor=10,
                                                final_div_factor=100),
        "warm_restarts": lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=1e-4),
    }
    out = {"lr": {}}
    for name, make in makers.items():
        out["lr"][name], opt = trace(make, n)
    out["cyclic_momentum"] = trace(makers["cyclic_exp"], 12)[1].param_groups[0]["momentum"]

    def plateau_metric(i):
        return 1.0 / (1 + i) if i < 8 else 0.2 + 0.001 * (i % 3)
    out["lr"]["plateau"] = trace(lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2,
                                                               threshold=1e-2, cooldown=1, min_lr=[1e-3, 2e-3]),
                                 n, plateau_metric)[0]
    out["lr"]["plateau_max_abs"] = trace(lambda o: S.ReduceLROnPlateau(o, mode="max", threshold_mode="abs",
                                                                       patience=1, threshold=0.1),
                                         20, lambda i: min(i, 5) * 0.3)[0]

    # Fractional-epoch stepping of warm restarts, as its docstring shows.
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    wr = S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=1)
    frac = []
    for epoch in range(3):
        for i in range(4):
            opt.step()
            wr.step(epoch + i / 4)
            frac.append(wr.get_last_lr()[0])
    out["lr"]["warm_fractional"] = frac

    # state_dict round trip mid-schedule.
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = S.CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        opt.step()
        sched.step()
    state = sched.state_dict()
    opt2 = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    sched2 = S.CosineAnnealingLR(opt2, T_max=10)
    sched2.load_state_dict(state)
    rest = []
    for _ in range(3):
        opt2.step()
        sched2.step()
        rest.append(sched2.get_last_lr()[0])
    out["resume"] = rest
    out["state_keys"] = sorted(k for k in state if not k.startswith("_"))

    # Optimizer flags, all on one least-squares problem from shared weights.
    rng = np.random.RandomState(0)
    A = torch.tensor(rng.randn(16, 5), dtype=torch.float32)
    b = torch.tensor(rng.randn(16), dtype=torch.float32)
    w0 = torch.tensor(rng.randn(5) * 0.1, dtype=torch.float32)
    configs = {
        "sgd_foreach": (torch.optim.SGD, dict(lr=0.01, momentum=0.9, nesterov=True, foreach=True)),
        "sgd_maximize": (torch.optim.SGD, dict(lr=0.01, maximize=True, weight_decay=0.1)),
        "adam_fused": (torch.optim.Adam, dict(lr=0.05, fused=False, amsgrad=True)),
        "adam_foreach_capturable": (torch.optim.Adam, dict(lr=0.05, foreach=True, capturable=False)),
        "adam_differentiable": (torch.optim.Adam, dict(lr=0.05, differentiable=False, maximize=False)),
        "adamw_foreach": (torch.optim.AdamW, dict(lr=0.05, foreach=False, weight_decay=0.1)),
        "adagrad": (torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, foreach=True)),
        "rmsprop_centered": (torch.optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5, foreach=True)),
        "nadam_decoupled": (torch.optim.NAdam, dict(lr=0.05, decoupled_weight_decay=True, weight_decay=0.1)),
        "radam_decoupled": (torch.optim.RAdam, dict(lr=0.05, decoupled_weight_decay=True, weight_decay=0.1)),
        "adamax": (torch.optim.Adamax, dict(lr=0.05, foreach=True, maximize=False)),
        "rprop": (torch.optim.Rprop, dict(lr=0.01, etas=(0.4, 1.3), step_sizes=(1e-5, 1.0), foreach=True)),
        "asgd": (torch.optim.ASGD, dict(lr=0.01, t0=3, foreach=True)),
        "adadelta": (torch.optim.Adadelta, dict(lr=1.0, rho=0.8, capturable=False)),
    }
    losses = {}
    for name, (cls, kw) in configs.items():
        w = nn.Parameter(w0.clone())
        opt = cls([w], **kw)
        sign = -1.0 if kw.get("maximize") else 1.0
        trace_ = []
        for _ in range(8):
            opt.zero_grad()
            loss = sign * ((A @ w - b) ** 2).mean()
            loss.backward()
            opt.step()
            trace_.append(loss.item())
        losses[name] = trace_
        if name == "adam_fused":
            out["adam_defaults"] = sorted(k for k in opt.defaults)
    out["losses"] = losses
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
