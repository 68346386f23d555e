"""``torch.utils.flop_counter.FlopCounterMode`` in ember counts what torch's counts: the same totals, the
same per-op and per-module numbers, forward and backward, for the same model and inputs."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from torch.utils.flop_counter import FlopCounterMode as TorchCounter

import ember
import ember.nn.functional as EF
from ember.utils.flop_counter import FlopCounterMode


def _counts(counter):
    return {mod: {str(op): n for op, n in ops.items()} for mod, ops in counter.get_flop_counts().items()}


def _both(fn):
    """Run ``fn(lib, F, leaf)`` under each library's counter; ``leaf(*shape, grad=True)`` makes the same inputs."""
    results = []
    for lib, F, Counter in ((torch, TF, TorchCounter), (ember, EF, FlopCounterMode)):
        rng = np.random.default_rng(0)

        def leaf(*shape, grad=True, lib=lib):
            return lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=grad)
        counter = Counter(display=False)
        with counter:
            fn(lib, F, leaf)
        results.append((counter.get_total_flops(), _counts(counter)))
    return results


CASES = {
    "linear 2d bias": lambda lib, F, r: F.linear(r(3, 4), r(5, 4), r(5)).sum().backward(),
    "linear 3d bias": lambda lib, F, r: F.linear(r(2, 3, 4), r(5, 4), r(5)).sum().backward(),
    "linear 3d nobias": lambda lib, F, r: F.linear(r(2, 3, 4), r(5, 4)).sum().backward(),
    "linear 4d bias, data input": lambda lib, F, r: F.linear(r(2, 2, 3, 4, grad=False), r(5, 4), r(5)).sum().backward(),
    "linear 1d bias": lambda lib, F, r: F.linear(r(4), r(5, 4), r(5)).sum().backward(),
    "linear strided 3d bias": lambda lib, F, r: F.linear(r(4, 3, 2, grad=False).transpose(0, 2), r(5, 4), r(5)).sum().backward(),
    "matmul 2d": lambda lib, F, r: (r(3, 4) @ r(5, 4).T).sum().backward(),
    "matmul 3d@2d": lambda lib, F, r: lib.matmul(r(2, 3, 4), r(4, 5)).sum().backward(),
    "matmul 4d@4d": lambda lib, F, r: lib.matmul(r(2, 2, 3, 4), r(2, 2, 4, 5)).sum().backward(),
    "matmul 1d@2d": lambda lib, F, r: lib.matmul(r(4), r(4, 5)).sum().backward(),
    "matmul 1d@1d, 2d@1d": lambda lib, F, r: (lib.matmul(r(4), r(4)) + lib.matmul(r(3, 4), r(4)).sum()).backward(),
    "bmm": lambda lib, F, r: lib.bmm(r(2, 3, 4), r(2, 4, 5)).sum().backward(),
    "addmm": lambda lib, F, r: lib.addmm(r(5), r(3, 4), r(4, 5)).sum().backward(),
    "baddbmm": lambda lib, F, r: lib.baddbmm(r(2, 3, 5), r(2, 3, 4), r(2, 4, 5)).sum().backward(),
    "no grad": lambda lib, F, r: lib.mm(r(3, 4, grad=False), r(4, 5, grad=False)),
    "conv2d, weight only": lambda lib, F, r: F.conv2d(r(1, 2, 5, 5, grad=False), r(3, 2, 3, 3)).sum().backward(),
    "conv2d groups stride": lambda lib, F, r: F.conv2d(r(2, 4, 6, 6), r(6, 2, 3, 3), r(6), stride=2, padding=1,
                                                       groups=2).sum().backward(),
    "conv1d": lambda lib, F, r: F.conv1d(r(1, 2, 5), r(3, 2, 3), r(3), stride=2).sum().backward(),
    "conv_transpose2d": lambda lib, F, r: F.conv_transpose2d(r(1, 2, 4, 4), r(2, 3, 3, 3), stride=2).sum().backward(),
    "sdpa counts nothing": lambda lib, F, r: F.scaled_dot_product_attention(r(1, 2, 4, 8), r(1, 2, 4, 8),
                                                                            r(1, 2, 4, 8)).sum().backward(),
}


@pytest.mark.parametrize("name", list(CASES))
def test_op_counts_equal_torch(name):
    theirs, mine = _both(CASES[name])
    assert mine == theirs


def _models():
    tm = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                             torch.nn.Linear(4 * 6 * 6, 8), torch.nn.Sequential(torch.nn.Linear(8, 2)))
    em = ember.nn.Sequential(ember.nn.Conv2d(3, 4, 3, padding=1), ember.nn.ReLU(), ember.nn.Flatten(),
                             ember.nn.Linear(4 * 6 * 6, 8), ember.nn.Sequential(ember.nn.Linear(8, 2)))
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def test_model_counts_per_module_equal_torch_forward_and_backward():
    tm, em = _models()
    x = np.random.default_rng(1).standard_normal((2, 3, 6, 6)).astype(np.float32)
    tc, ec = TorchCounter(display=False), FlopCounterMode(display=False)
    with tc:
        tm(torch.tensor(x)).sum().backward()
    with ec:
        em(ember.tensor(x)).sum().backward()
    assert ec.get_total_flops() == tc.get_total_flops() > 0
    assert _counts(ec) == _counts(tc)
    assert set(_counts(ec)) == {"Global", "Sequential", "Sequential.0", "Sequential.3", "Sequential.4",
                                "Sequential.4.0"}


def test_table_layout_and_counter_reuse(capsys):
    _, em = _models()
    x = ember.randn(1, 3, 6, 6)
    with FlopCounterMode(depth=1) as c:
        em(x)
    first = c.get_total_flops()
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == ["Module", "FLOP", "%", "Total"]
    assert "Sequential" in table and "aten.convolution" in table and "Sequential.0" not in table
    assert "100.00%" in table
    with c:  # a second block starts from zero
        em(x)
    assert c.get_total_flops() == first
    with ember.no_grad():  # outside any block nothing is counted and the ops stay hook-free
        em(x)
    assert c.get_total_flops() == first and not __import__("ember.autograd.op_hooks").autograd.op_hooks.observers


def test_custom_mapping_and_nested_counters():
    doubled = {"aten.mm": lambda a, b, *args, **kw: 2 * a[0] * a[1] * b[1] * 2}
    outer, inner = FlopCounterMode(display=False), FlopCounterMode(display=False, custom_mapping=doubled)
    a, b = ember.randn(3, 4), ember.randn(4, 5)
    with outer:
        ember.mm(a, b)
        with inner:
            ember.mm(a, b)
    assert outer.get_total_flops() == 2 * 120 and inner.get_total_flops() == 240


def test_op_keys_look_up_with_ops_aten_as_in_torch():
    tm, em = _models()
    x = np.random.default_rng(2).standard_normal((1, 3, 6, 6)).astype(np.float32)
    tc, ec = TorchCounter(display=False), FlopCounterMode(display=False)
    with tc:
        tm(torch.tensor(x)).sum().backward()
    with ec:
        em(ember.tensor(x)).sum().backward()
    for name in ("addmm", "mm", "convolution", "convolution_backward"):
        assert ec.get_flop_counts()["Global"][getattr(ember.ops.aten, name)] == \
            tc.get_flop_counts()["Global"][getattr(torch.ops.aten, name)]
    a, b = ember.randn(2, 3), ember.randn(3, 4)
    assert ember.allclose(ember.ops.aten.mm(a, b), a @ b) and str(ember.ops.aten.mm) == str(torch.ops.aten.mm)
    with pytest.raises(AttributeError):
        ember.ops.aten.no_such_op_xyz
