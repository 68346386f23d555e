"""ember.set_num_threads sets the threads of the OpenBLAS NumPy uses (as torch.set_num_threads sets
PyTorch's), read back through OpenBLAS's own getter."""
import pytest

import ember
from ember.backend import threads


def test_set_num_threads_reaches_openblas():
    setter, getter = threads.openblas()
    assert setter is not None and getter is not None, "NumPy's wheels ship OpenBLAS on this platform"
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1 and getter() == 1
        ember.set_num_threads(2)
        assert ember.get_num_threads() == 2 and getter() == 2
    finally:
        ember.set_num_threads(before)


def test_set_num_threads_refuses_what_torch_refuses():
    with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
        ember.set_num_threads(0)


@pytest.mark.parametrize("op", ["gelu", "softmax", "layer_norm", "cross_entropy"])
def test_row_kernels_split_between_threads_give_the_same_bits_and_torchs_values(op):
    """gelu, last-dim softmax, layer norm and cross-entropy split a large input's cache-sized blocks between
    threads: the forward and the input gradient are PyTorch's values and the same bits in every run; for gelu,
    softmax and cross-entropy also those of one thread (layer norm's row sums are BLAS products whose rounding
    depends on how many rows one call takes: one thread takes the whole array in one call)."""
    import numpy as np
    import torch
    from ember.backend import parallel as _parallel
    rng = np.random.default_rng(0)
    shape = (700, 1000) if op == "cross_entropy" else (1024, 512) if op == "gelu" else (4096, 128)
    x = rng.normal(size=shape).astype(np.float32) * 3
    g = rng.normal(size=shape).astype(np.float32)
    target = rng.integers(0, shape[1], shape[0])

    def run(lib, n):
        lib.set_num_threads(n)
        t = lib.tensor(x, requires_grad=True)
        F = lib.nn.functional
        if op == "cross_entropy":
            y = F.cross_entropy(t, lib.tensor(target))
            y.backward()
        else:
            w = lib.tensor(np.linspace(0.5, 1.5, shape[1], dtype=np.float32))
            y = {"gelu": lambda: F.gelu(t), "softmax": lambda: F.softmax(t, dim=-1),
                 "layer_norm": lambda: F.layer_norm(t, (shape[1],), w, w * 0.1)}[op]()
            y.backward(lib.tensor(g))
        return y.detach().numpy().copy(), t.grad.numpy().copy()

    before = ember.get_num_threads()
    try:
        one = run(ember, 1)
        assert _parallel.workers() == 1
        ember.set_num_threads(2)
        if _parallel.workers() < 2:
            pytest.fail("two kernel threads expected on this 2-core machine")
        two = run(ember, 2)
        again = run(ember, 2)
    finally:
        ember.set_num_threads(before)
    for a, b, c in zip(one, two, again):
        assert np.array_equal(b, c)
        if op != "layer_norm":
            assert np.array_equal(a, b)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    theirs = run(torch, 1)
    for a, b in zip(one, theirs):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name,kw", [("AdamW", dict(lr=1e-2, weight_decay=0.1)), ("Adam", dict(lr=1e-2, amsgrad=True)),
                                     ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)), ("SGD", dict(lr=0.1))])
def test_multi_tensor_updates_split_between_threads_give_the_same_bits_and_torchs_weights(name, kw):
    """Adam(W) and SGD hand runs of whole parameters (here 230k elements in all) to ember's kernel threads:
    three steps give the same bits as one thread, and PyTorch's weights."""
    import numpy as np
    import torch
    rng = np.random.default_rng(1)
    shapes = [(256, 256), (256,), (300, 400), (10,), (128, 128)]
    init = [rng.normal(size=s).astype(np.float32) for s in shapes]
    grads = [[rng.normal(size=s).astype(np.float32) for s in shapes] for _ in range(3)]

    def run(lib, n):
        lib.set_num_threads(n)
        ps = [lib.tensor(a.copy(), requires_grad=True) for a in init]
        opt = getattr(lib.optim, name)(ps, **kw)
        for step in grads:
            for p, g in zip(ps, step):
                p.grad = lib.tensor(g)
            opt.step()
        return [p.detach().numpy().copy() for p in ps]

    before = ember.get_num_threads()
    try:
        one, two = run(ember, 1), run(ember, 2)
    finally:
        ember.set_num_threads(before)
    theirs = run(torch, 1)
    for a, b, c in zip(one, two, theirs):
        assert np.array_equal(a, b)
        np.testing.assert_allclose(b, c, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(64, 32, 26, 26), (7, 5)])
@pytest.mark.parametrize("fn", ["relu", "F.relu"])
def test_relu_on_threads_and_at_nan_and_signed_zeros_is_torchs(fn, shape):
    """relu of a large activation runs in blocks on ember's kernel threads (same bits as one thread); its
    gradient is torch's threshold_backward: zero where the result is <= 0, the incoming gradient elsewhere,
    NaN included (``g * (y > 0)`` dropped it)."""
    import numpy as np
    import torch
    rng = np.random.default_rng(2)
    x = rng.normal(size=shape).astype(np.float32)
    x.reshape(-1)[:3] = [0.0, -0.0, np.nan]
    g = rng.normal(size=shape).astype(np.float32)

    def run(lib, n):
        lib.set_num_threads(n)
        t = lib.tensor(x, requires_grad=True)
        y = (lib.relu if fn == "relu" else lib.nn.functional.relu)(t)
        y.backward(lib.tensor(g))
        return y.detach().numpy().copy(), t.grad.numpy().copy()

    before = ember.get_num_threads()
    try:
        one, two = run(ember, 1), run(ember, 2)
    finally:
        ember.set_num_threads(before)
    theirs = run(torch, 1)
    for a, b, c in zip(one, two, theirs):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(b, c)


@pytest.mark.parametrize("sa,sb,splits", [((16, 4, 64, 32), (16, 4, 32, 64), 3), ((16, 4, 64, 64), (16, 4, 64, 32), 3),
                                          ((16, 1, 64, 32), (16, 4, 32, 64), 3), ((16, 4, 64, 32), (32, 64), 1)])
def test_stacked_small_products_split_between_threads_give_the_same_bits_and_torchs_values(sa, sb, splits,
                                                                                          monkeypatch):
    """A stack of small products (attention's per-head scores, each below OpenBLAS's own threading size) is
    split along its first axis over ember's kernel threads: forward and both gradients are the bits of one
    thread, and torch's values."""
    import numpy as np
    import torch
    from ember.backend import parallel
    rng = np.random.default_rng(3)
    A, B = rng.normal(size=sa).astype(np.float32), rng.normal(size=sb).astype(np.float32)
    calls = []
    real_run = parallel.run
    monkeypatch.setattr(parallel, "run", lambda fn, pieces: calls.append(len(pieces)) or real_run(fn, pieces))

    def run(lib, n):
        lib.set_num_threads(n)
        a, b = lib.tensor(A, requires_grad=True), lib.tensor(B, requires_grad=True)
        y = a @ b
        y.backward(lib.ones_like(y) * 0.5)
        return y.detach().numpy().copy(), a.grad.numpy().copy(), b.grad.numpy().copy()

    before = ember.get_num_threads()
    try:
        one = run(ember, 1)
        assert not calls
        two = run(ember, 2)
    finally:
        ember.set_num_threads(before)
    # split where both sides are stacks of the same leading size (with a matrix operand only the gradient
    # a^T @ g is a stack on both sides)
    assert calls == [2] * splits
    theirs = run(torch, 1)
    for a, b, c in zip(one, two, theirs):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(b, c, rtol=1e-4, atol=1e-4)


def test_multihead_attention_and_sdpa_on_threads_give_the_same_bits_and_torchs_values():
    """nn.MultiheadAttention and F.scaled_dot_product_attention split their per-head score products over
    ember's kernel threads: outputs and gradients are the bits of one thread, and torch's values."""
    import numpy as np
    import torch
    B, T, E, H = 16, 64, 128, 4
    rng = np.random.default_rng(4)
    x = rng.normal(size=(B, T, E)).astype(np.float32)
    torch.manual_seed(0)
    state = {k: v.numpy() for k, v in torch.nn.MultiheadAttention(E, H, batch_first=True).state_dict().items()}

    def run(lib, n):
        lib.set_num_threads(n)
        m = lib.nn.MultiheadAttention(E, H, batch_first=True)
        m.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        X = lib.tensor(x, requires_grad=True)
        o, w = m(X, X, X, need_weights=True)
        (o.sum() + w.square().sum()).backward()
        q = lib.tensor(x, requires_grad=True)
        heads = q.view(B, T, H, E // H).transpose(1, 2)
        s = lib.nn.functional.scaled_dot_product_attention(heads, heads * 0.5, heads, is_causal=True)
        s.square().sum().backward()
        return [a.detach().numpy().copy() for a in (o, w, X.grad, m.in_proj_weight.grad, s, q.grad)]

    before = ember.get_num_threads()
    try:
        one, two = run(ember, 1), run(ember, 2)
    finally:
        ember.set_num_threads(before)
    theirs = run(torch, 1)
    for a, b, c in zip(one, two, theirs):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(b, c, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("layout", ["permuted input", "permuted gradient", "both"])
def test_relu_of_large_permuted_views_gives_torchs_values_and_gradients(layout):
    """A channels-last view of a convolution's output (Keras's Conv2D) into relu with a contiguous gradient
    from the next layer: the result keeps the view's memory order, and the gradient must not be written
    into a flattened copy (it came back uninitialised, and Keras's CNN trained to 10%)."""
    import numpy as np
    import torch
    rng = np.random.default_rng(5)
    base = rng.normal(size=(32, 32, 26, 26)).astype(np.float32)
    g = rng.normal(size=(32, 26, 26, 32)).astype(np.float32)

    def run(lib, n):
        lib.set_num_threads(n)
        t = lib.tensor(base, requires_grad=True)
        x = t.permute(0, 2, 3, 1) if layout != "permuted gradient" else t.permute(0, 2, 3, 1).contiguous()
        y = lib.nn.functional.relu(x)
        gg = lib.tensor(np.ascontiguousarray(g.transpose(0, 3, 1, 2))).permute(0, 2, 3, 1) \
            if layout != "permuted input" else lib.tensor(g)
        y.backward(gg)
        return y.detach().numpy().copy(), t.grad.numpy().copy()

    before = ember.get_num_threads()
    try:
        one, two = run(ember, 1), run(ember, 2)
    finally:
        ember.set_num_threads(before)
    theirs = run(torch, 1)
    for a, b, c in zip(one, two, theirs):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, c)
