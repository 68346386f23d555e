"""Focused oracle tests for what the course programs (tests/programs/test_programs_courses.py: fast.ai part 2,
CS231n, CS224n) found: each compares ember with the real torch 2.13 on the same inputs."""
import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.flip(x, dims=(3,)),
    lambda lib, x: lib.flip(x, dims=[1, 2]),
    lambda lib, x: lib.flip(input=x, dims=(0, 3)),
    lambda lib, x: x.flip(dims=(2,)),
    lambda lib, x: x.flip(1, 3),
    lambda lib, x: x.flip([2]),
])
def test_flip_takes_dims_by_keyword(call):
    # fast.ai's test-time augmentation: torch.flip(x, dims=(3,)) (ember took dims only positionally).
    a = np.random.RandomState(0).randn(2, 3, 4, 5)
    w = np.random.RandomState(1).randn(2, 3, 4, 5)
    outs = []
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        y = call(lib, x)
        (y * lib.tensor(w)).sum().backward()
        outs.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])


def test_flip_without_dims_and_unknown_keyword_raise_typeerror():
    x = ember.zeros(2, 3)
    for bad in (lambda lib, t: lib.flip(t), lambda lib, t: t.flip(dim=1)):
        with pytest.raises(TypeError):
            bad(torch, torch.zeros(2, 3))
        with pytest.raises(TypeError):
            bad(ember, x)


def _sample(lib, name, *args):
    """A large sample from one in-place sampler with 0-d tensor parameters (seeded, of each framework)."""
    lib.manual_seed(0)
    t = lib.empty(200_000)
    params = [lib.tensor(a) for a in args]
    if name.startswith("init."):
        getattr(lib.nn.init, name[5:])(t, *params)
    else:
        getattr(t, name)(*params)
    return t.numpy().astype(np.float64)


@pytest.mark.parametrize("name,args", [("init.normal_", (1.5, 0.25)), ("normal_", (-2.0, 3.0)),
                                       ("init.trunc_normal_", (0.0, 1.0, -1.0, 1.5)), ("exponential_", (2.0,))])
def test_samplers_take_zero_dim_tensor_parameters(name, args):
    # fast.ai's random erasing: init.normal_(x[..., a:b, c:d], mean=x.mean(), std=x.std()) -- 0-d tensors
    # (ember's sampler did ``z * std + mean`` on the Tensor and failed on .astype). Each framework draws
    # from its own stream, so the check is on the moments and bounds, and on ember's own float call.
    ours, theirs = _sample(ember, name, *args), _sample(torch, name, *args)
    np.testing.assert_allclose(ours.mean(), theirs.mean(), atol=0.02)
    np.testing.assert_allclose(ours.std(), theirs.std(), rtol=0.02)
    np.testing.assert_allclose([ours.min(), ours.max()], [theirs.min(), theirs.max()], atol=0.3)
    ember.manual_seed(0)
    t = ember.empty(200_000)
    if name.startswith("init."):
        getattr(ember.nn.init, name[5:])(t, *args)
    else:
        getattr(t, name)(*args)
    np.testing.assert_array_equal(ours, t.numpy().astype(np.float64))


def test_normal_on_a_view_with_tensor_moments_fills_only_the_view():
    for lib in (ember, torch):
        x = lib.zeros(1, 1, 6, 6)
        lib.nn.init.normal_(x[:, :, 1:3, 2:5], mean=lib.tensor(5.0), std=lib.tensor(0.01))
        assert int((x != 0).sum()) == 6
        assert abs(float(x[0, 0, 1:3, 2:5].mean()) - 5.0) < 0.05


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_histc_of_integers_raises_torchs_not_implemented_error(dtype):
    # fast.ai's activation histograms call acts.abs().histc(40, 0, 10): float only, as in torch.
    messages = []
    for lib in (ember, torch):
        with pytest.raises(NotImplementedError) as info:
            lib.histc(lib.ones(3, dtype=getattr(lib, dtype)), 4)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_histc_edges_equal_torchs():
    a = np.array([0., 0.25, 2.5, 9.99, 10., 10.0001, -0.1, 5.0, 7.5, 2.4999999], np.float32)
    for args in ((4, 0, 10), (40, 0, 10), (3,), (7, -1, 9.5)):
        np.testing.assert_array_equal(ember.tensor(a).histc(*args).numpy(), torch.tensor(a).histc(*args).numpy())


REPR_CASES = [
    lambda L: L.tensor([1., 1001.]), lambda L: L.tensor([1., 1000.]), lambda L: L.tensor([0., 3., 5000.]),
    lambda L: L.tensor([-1., 1500.]), lambda L: L.tensor([1., float("inf"), 2000.]), lambda L: L.tensor([1e8, 1.]),
    lambda L: L.tensor([float("nan"), 1.]), lambda L: L.tensor([1e-5, 1.]), lambda L: L.tensor([0.5, -2.25]),
    lambda L: L.arange(1001.), lambda L: L.arange(3000.).view(1000, 3), lambda L: L.arange(3000).view(3, 1000),
    lambda L: L.ones(1001, dtype=L.bool), lambda L: L.arange(1200.).view(2, 2, 300) / 7,
    lambda L: L.arange(40.).view(2, 20) / 3, lambda L: L.arange(30, dtype=L.int32) * 1000,
    lambda L: (L.arange(30.) / 7).requires_grad_(), lambda L: L.arange(20.).view(4, 5).sum(1, keepdim=True),
    lambda L: L.tensor(2.5, dtype=L.float64), lambda L: L.zeros(0, 3), lambda L: L.tensor([]),
    lambda L: L.tensor([], dtype=L.int64), lambda L: L.zeros(0, 2, dtype=L.bool),   # empty: the dtype is named
]


@pytest.mark.parametrize("case", range(len(REPR_CASES)))
def test_repr_equals_torchs(case):
    # torch goes to scientific notation for integer-valued floats spanning more than 1000x (tensor([1., 1001.])
    # printed as tensor([   1., 1001.])), summarizes with "  ...," and wraps rows at (linewidth - 7) // (width + 2).
    make = REPR_CASES[case]

    def ours():
        return repr(make(ember)).replace("dtype=ember.", "dtype=torch.")
    assert ours() == repr(make(torch))
    try:
        for lib in (ember, torch):
            lib.set_printoptions(edgeitems=2, linewidth=60, precision=2)
        assert ours() == repr(make(torch))
    finally:
        for lib in (ember, torch):
            lib.set_printoptions(profile="default")


@pytest.mark.parametrize("sci_mode", [True, False])
def test_forced_sci_mode_sets_the_widths_as_torch(sci_mode):
    # set_printoptions(sci_mode=False) on values that would print in scientific notation: widths of the fixed form
    try:
        for lib in (ember, torch):
            lib.set_printoptions(sci_mode=sci_mode)
        for make in (lambda L: L.tensor([1e-8, 1.0]), lambda L: L.tensor([1e9, 2.0]), lambda L: L.tensor([1.0, 2.5]),
                     lambda L: L.tensor([3.0, 40.0]), lambda L: L.tensor([0.0, 0.0])):
            assert repr(make(ember)) == repr(make(torch))
    finally:
        for lib in (ember, torch):
            lib.set_printoptions(profile="default")


def test_format_of_a_zero_dim_tensor_is_its_number():
    # print(f"loss {loss}") prints the float in torch (0-d plain tensors format as .item()).
    for make, spec in [(lambda L: L.tensor(1.23456), ""), (lambda L: L.tensor(3), ""), (lambda L: L.tensor(3), "03d"),
                       (lambda L: L.tensor(True), ""), (lambda L: L.tensor(2.5, dtype=L.float64), ".3e"),
                       (lambda L: L.tensor(1.5, requires_grad=True) * 2, ""), (lambda L: L.tensor([1.5]), ""),
                       (lambda L: L.nn.Parameter(L.tensor(2.0)), "")]:
        assert format(make(ember), spec) == format(make(torch), spec)
    for make in (lambda L: L.tensor([1.5]), lambda L: L.nn.Parameter(L.tensor(2.0))):
        for lib in (ember, torch):
            with pytest.raises(TypeError):
                format(make(lib), ".2f")
