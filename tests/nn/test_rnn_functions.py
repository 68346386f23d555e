"""torch.lstm / gru / rnn_tanh / rnn_relu (padded and packed) and the four *_cell functions against
PyTorch: the weights of a torch RNN module, the same inputs, outputs and gradients; gradcheck of
the cells."""
import numpy as np
import pytest
import torch

import ember
from ember.functional import rnn_ops
from tests.nn.helpers import assert_close

MODULES = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_tanh": torch.nn.RNN, "rnn_relu": torch.nn.RNN}


def _module(name, **kw):
    extra = {"nonlinearity": name[4:]} if name.startswith("rnn_") else {}
    return MODULES[name](3, 4, **extra, **kw).double()


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("bidirectional,batch_first,bias,layers", [(False, False, True, 1), (True, True, True, 2),
                                                                    (False, True, False, 2)])
def test_sequence_functions_match_torch(name, bidirectional, batch_first, bias, layers):
    mod = _module(name, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first, bias=bias)
    D = 2 if bidirectional else 1
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 3) if batch_first else (5, 2, 3))
    h0 = rng.standard_normal((layers * D, 2, 4))
    c0 = rng.standard_normal((layers * D, 2, 4))
    tw = [w.detach().clone().requires_grad_(True) for w in mod._flat_weights]
    ew = [ember.tensor(w.detach().numpy(), requires_grad=True) for w in mod._flat_weights]
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    th = [torch.tensor(h0)] + ([torch.tensor(c0)] if name == "lstm" else [])
    eh = [ember.tensor(h0)] + ([ember.tensor(c0)] if name == "lstm" else [])
    t_hx = th if name == "lstm" else th[0]
    e_hx = eh if name == "lstm" else eh[0]
    ours = getattr(rnn_ops, name)(ex, e_hx, ew, bias, layers, 0.0, False, bidirectional, batch_first)
    theirs = getattr(torch, name)(tx, t_hx, tw, bias, layers, 0.0, False, bidirectional, batch_first)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_close(a, b)
    g = [np.random.default_rng(i).standard_normal(tuple(b.shape)) for i, b in enumerate(theirs)]
    sum((a * ember.tensor(gi)).sum() for a, gi in zip(ours, g)).backward()
    sum((b * torch.tensor(gi)).sum() for b, gi in zip(theirs, g)).backward()
    assert_close(ex.grad, tx.grad)
    for a, b in zip(ew, tw):
        assert_close(a.grad, b.grad)


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_packed_form_matches_torch(name):
    mod = _module(name)
    rng = np.random.default_rng(1)
    data, batch_sizes = rng.standard_normal((6, 3)), [3, 2, 1]
    h0 = rng.standard_normal((1, 3, 4))
    tw, ew = list(mod._flat_weights), [ember.tensor(w.detach().numpy()) for w in mod._flat_weights]
    t_hx = [torch.tensor(h0), torch.tensor(h0)] if name == "lstm" else torch.tensor(h0)
    e_hx = [ember.tensor(h0), ember.tensor(h0)] if name == "lstm" else ember.tensor(h0)
    theirs = getattr(torch, name)(torch.tensor(data), torch.tensor(batch_sizes), t_hx, tw, True, 1, 0.0, False, False)
    ours = getattr(rnn_ops, name)(ember.tensor(data), ember.tensor(batch_sizes), e_hx, ew, True, 1, 0.0, False, False)
    for a, b in zip(ours, theirs):
        assert_close(a, b)


CELLS = {"lstm_cell": 4, "gru_cell": 3, "rnn_tanh_cell": 1, "rnn_relu_cell": 1}


@pytest.mark.parametrize("name", list(CELLS))
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_torch_and_gradcheck(name, bias):
    rng = np.random.default_rng(2)
    gates = CELLS[name] * 4
    shape = (2,)
    arrays = [rng.standard_normal(shape + (3,)), rng.standard_normal(shape + (4,)), rng.standard_normal(shape + (4,)),
              rng.standard_normal((gates, 3)), rng.standard_normal((gates, 4))]
    arrays += [rng.standard_normal(gates), rng.standard_normal(gates)] if bias else []
    e = [ember.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]

    def call(lib_fn, xs):
        hx = (xs[1], xs[2]) if name == "lstm_cell" else xs[1]
        out = lib_fn(xs[0], hx, *xs[3:])
        return out if isinstance(out, tuple) else (out,)
    ours, theirs = call(getattr(rnn_ops, name), e), call(getattr(torch, name), t)
    for a, b in zip(ours, theirs):
        assert_close(a, b)
    sum(a.sum() for a in ours).backward()
    sum(b.sum() for b in theirs).backward()
    for i, (a, b) in enumerate(zip(e, t)):
        if b.grad is None:
            assert a.grad is None or not a.grad.abs().sum().item()
        else:
            assert_close(a.grad, b.grad, what=f"grad {i}")
    used = [x for i, x in enumerate(e) if not (i == 2 and name != "lstm_cell")]

    def fn(*xs):
        full = list(xs[:2]) + ([xs[2]] if name == "lstm_cell" else [e[2]]) + list(xs[2 + (name == "lstm_cell"):])
        return sum(o.sum() for o in call(getattr(rnn_ops, name), full))
    assert ember.autograd.gradcheck(fn, tuple(ember.tensor(x.detach().numpy(), requires_grad=True) for x in used))


def test_errors_name_the_function():
    with pytest.raises(RuntimeError, match="lstm: got 3 weights"):
        rnn_ops.lstm(ember.zeros(2, 1, 3), [ember.zeros(1, 1, 4)] * 2, [ember.zeros(1)] * 3, True, 2, 0.0, False,
                     False, False)
    with pytest.raises(RuntimeError, match="gru_cell: expected a 2-D input"):
        rnn_ops.gru_cell(ember.zeros(3), ember.zeros(4), ember.zeros(12, 3), ember.zeros(12, 4))
    with pytest.raises((RuntimeError, IndexError)):
        torch.gru_cell(torch.zeros(3), torch.zeros(4), torch.zeros(12, 3), torch.zeros(12, 4))
