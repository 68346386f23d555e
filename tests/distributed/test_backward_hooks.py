"""What DistributedDataParallel relies on in the engine, checked against PyTorch: post-accumulate hooks
run as soon as each leaf's gradient is final (while backward goes on), and ``queue_callback``
runs once backward has finished."""
import numpy as np
import torch

import ember
from ember.autograd import engine


def _mlp(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 4), lib.nn.Tanh(),
                             lib.nn.Linear(4, 2))


def _record(lib, queue):
    model = _mlp(lib)
    names = dict((id(p), n) for n, p in model.named_parameters())
    events = []

    def hook(p):
        # which gradients exist at the moment this one is final
        events.append((names[id(p)], sorted(n for n, q in model.named_parameters() if q.grad is not None)))
        if len(events) == 1:
            queue(lambda: events.append(("end", sorted(n for n, q in model.named_parameters()
                                                       if q.grad is not None))))
    for p in model.parameters():
        p.register_post_accumulate_grad_hook(hook)
    x = lib.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=lib.float32)
    model(x).sum().backward()
    return events


def test_post_accumulate_hooks_run_during_backward_and_callbacks_after_as_torch():
    ours = _record(ember, engine.queue_callback)
    theirs = _record(torch, torch.autograd.Variable._execution_engine.queue_callback)
    # the last layer's gradients are final (and hooked) before the first layer's exist, as in torch
    assert [e[0] for e in ours][-1] == "end" and [e[0] for e in theirs][-1] == "end"
    first_ours = {n for n, _ in ours[:2]}
    assert first_ours == {n for n, _ in theirs[:2]} == {"4.weight", "4.bias"}
    assert not any(n.startswith("0.") for n in ours[0][1]) and not any(n.startswith("0.") for n in theirs[0][1])
    assert ours[-1][1] == theirs[-1][1] and len(ours[-1][1]) == 6


def test_callbacks_of_a_failed_backward_are_dropped():
    w = ember.ones(2, requires_grad=True)
    ran = []

    def bad(p):
        engine.queue_callback(lambda: ran.append(1))
        raise RuntimeError("hook failed")
    w.register_post_accumulate_grad_hook(bad)
    try:
        (w * 2).sum().backward()
    except RuntimeError:
        pass
    v = ember.ones(1, requires_grad=True)
    (v * 3).sum().backward()
    assert ran == [] and float(v.grad) == 3.0
