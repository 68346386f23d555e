"""Seeded random draws equal PyTorch 2.13's CPU generator: same seed, same numbers, same stream position.

Every check runs the same code on real torch and on ember after the same ``manual_seed`` and
compares the values (exactly) and the generator state bytes afterwards (``get_rng_state``), so a
draw that consumes a different number of words fails even when its own values agree.
"""
import numpy as np
import pytest
import torch

import ember


def _np(x):
    if isinstance(x, (list, tuple)):
        return [_np(v) for v in x]
    if hasattr(x, "detach"):
        return x.detach().numpy()
    return np.asarray(x)


def _same(a, b):
    a, b = _np(a), _np(b)
    if isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
        return
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_array_equal(a, b)


def _check(fn, seed=5):
    """``fn(lib)`` on torch and ember after ``manual_seed(seed)``: equal values, equal generator state."""
    torch.manual_seed(seed)
    want = fn(torch)
    ember.manual_seed(seed)
    got = fn(ember)
    _same(got, want)
    np.testing.assert_array_equal(ember.get_rng_state().numpy(), torch.get_rng_state().numpy())


DRAWS = {
    "rand": lambda t: t.rand(3, 5),
    "rand_f64": lambda t: t.rand(7, dtype=t.float64),
    "rand_size_kw": lambda t: t.rand(size=(2, 3)),
    "randn_small": lambda t: t.randn(5),                     # per-element normals with the cached sample
    "randn_blocks": lambda t: t.randn(64),
    "randn_tail": lambda t: t.randn(3, 37),                  # ragged tail: the last 16 are redrawn
    "randn_f64": lambda t: t.randn(203, dtype=t.float64),
    "randn_complex": lambda t: t.randn(20, dtype=t.complex64),
    "randint": lambda t: t.randint(3, 1000, (4, 6)),
    "randint_high": lambda t: t.randint(10, (9,)),
    "randint_64bit_range": lambda t: t.randint(0, 2 ** 40, (5,)),
    "randint_float": lambda t: t.randint(-5, 5, (8,), dtype=t.float32),
    "randperm": lambda t: t.randperm(37),
    "randperm_1": lambda t: t.randperm(1),
    "normal_scalars": lambda t: t.normal(2.0, 3.0, (40,)),
    "normal_tensors": lambda t: t.normal(t.arange(20.0), t.linspace(0.1, 2, 20)),
    "normal_mean_tensor": lambda t: t.normal(t.arange(20.0), 3.0),
    "uniform_": lambda t: t.empty(50).uniform_(-0.577, 0.577),
    "uniform_f64": lambda t: t.empty(300, dtype=t.float64).uniform_(-0.31, 0.77),
    "uniform_strided": lambda t: t.empty(6, 5).t().uniform_(-2.0, 3.0),
    "normal_": lambda t: t.empty(40).normal_(2.0, 3.0),
    "normal_small": lambda t: t.empty(5).normal_(2.0, 3.0),
    "normal_small_f64": lambda t: t.empty(6, dtype=t.float64).normal_(1.0, 0.7),   # one fma, as ATen's kernel
    "normal_strided": lambda t: t.empty(6, 5).t().normal_(2.0, 3.0),
    "bernoulli_tensor_p": lambda t: t.bernoulli(t.rand(100)),
    "bernoulli_f64_p": lambda t: t.bernoulli(t.rand(100, dtype=t.float64)),
    "bernoulli_scalar": lambda t: t.empty(100).bernoulli_(0.3),
    "multinomial_replacement": lambda t: t.multinomial(t.tensor([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]), 10, True),
    "multinomial_no_replacement": lambda t: t.multinomial(t.rand(3, 20), 5),
    "multinomial_one": lambda t: t.multinomial(t.rand(20), 1),
    "exponential_": lambda t: t.empty(100).exponential_(2.0),
    "exponential_f64": lambda t: t.empty(100, dtype=t.float64).exponential_(2.0),
    "random_int64": lambda t: t.empty(10, dtype=t.int64).random_(),
    "random_float": lambda t: t.empty(10).random_(),
    "random_to": lambda t: t.empty(10).random_(10),
    "random_from_to": lambda t: t.empty(10, dtype=t.int32).random_(3, 10),
    "cauchy_": lambda t: t.empty(20).cauchy_(),
    "log_normal_": lambda t: t.empty(20).log_normal_(),
    "geometric_": lambda t: t.empty(20).geometric_(0.3),
    "rand_like": lambda t: t.rand_like(t.ones(3, 4)),
    "randn_like": lambda t: t.randn_like(t.ones(3, 40)),
    "randint_like": lambda t: t.randint_like(t.ones(3, 4), 7),
    "generator_arg": lambda t: t.rand(5, generator=t.Generator().manual_seed(3)),
    "default_seed_generator": lambda t: t.randn(20, generator=t.Generator()),
    # data-dependent numbers of draws: ATen's sample_poisson / sample_gamma, element after element
    "poisson": lambda t: t.poisson(t.tensor([0.0, 0.4, 3.0, 9.99, 10.0, 37.5, 800.0] * 6)),
    "poisson_f64_generator": lambda t: t.poisson(t.full((3, 4), 12.0, dtype=t.float64),
                                                 generator=t.Generator().manual_seed(2)),
    "standard_gamma": lambda t: t.distributions.Gamma(t.tensor([0.01, 0.3, 1.0, 2.5, 60.0]), 1.0).sample((8,)),
    "standard_gamma_f64": lambda t: t.distributions.Gamma(t.tensor([0.3, 4.0], dtype=t.float64), 2.0).sample((5,)),
    "poisson_distribution": lambda t: t.distributions.Poisson(t.tensor([0.5, 25.0])).sample((6,)),
    "chi2_and_student_t": lambda t: [t.distributions.Chi2(t.tensor([1.0, 6.0])).sample((4,)),
                                     t.distributions.StudentT(t.tensor([2.0, 9.0])).sample((4,))],
    "rand_complex": lambda t: [t.rand(3, dtype=t.complex64), t.rand(2, dtype=t.complex128)],
    "complex_uniform_and_normal_": lambda t: [t.empty(3, dtype=t.complex64).uniform_(-1.0, 2.0),
                                             t.empty(3, dtype=t.complex128).normal_(1.0, 2.0)],
    "binomial": lambda t: t.binomial(t.tensor([0.0, 3.0, 10.0, 40.0, 500.0, 20000.0, 7.0] * 4),
                                     t.tensor([0.5, 0.3, 0.9, 0.5, 0.02, 0.999, 1.0] * 4)),
    "binomial_f64": lambda t: t.binomial(t.full((9,), 250.0, dtype=t.float64), t.linspace(0.05, 0.95, 9,
                                                                                          dtype=t.float64)),
    "binomial_distribution": lambda t: t.distributions.Binomial(t.tensor([5.0, 60.0]),
                                                                probs=t.tensor([0.2, 0.7])).sample((5,)),
    "multinomial_distribution": lambda t: t.distributions.Multinomial(
        7, probs=t.tensor([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])).sample((3,)),
    "negative_binomial": lambda t: t.distributions.NegativeBinomial(t.tensor([3.0, 20.0]),
                                                                    probs=t.tensor([0.3, 0.6])).sample((4,)),
}

# Drawn in double and normalised: the same draws, float32 round-off apart in the normalisation.
CLOSE_DRAWS = {
    "dirichlet": lambda t: t.distributions.Dirichlet(t.tensor([0.2, 1.0, 5.0])).sample((6,)),
    "beta": lambda t: t.distributions.Beta(t.tensor([0.5, 2.0]), t.tensor([3.0, 0.7])).rsample((6,)),
    # torch's rejection rounds of rand(3, *shape) in double; cos/acos/log may differ in the last bit
    "lkj_cholesky": lambda t: t.distributions.LKJCholesky(4, t.tensor([1.5, 0.7])).sample((3,)),
    "von_mises": lambda t: t.distributions.VonMises(t.tensor([0.0, 1.0, -2.0]), t.tensor([2.0, 0.1, 30.0])).sample((40,)),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_each_draw_matches_torch(name):
    _check(DRAWS[name])


@pytest.mark.parametrize("name", sorted(CLOSE_DRAWS))
def test_close_draws_follow_torch(name):
    torch.manual_seed(4)
    want = CLOSE_DRAWS[name](torch)
    ember.manual_seed(4)
    got = CLOSE_DRAWS[name](ember)
    # (LKJ's last diagonal entry, sqrt(1 - sum w^2), cancels: its round-off is absolute)
    np.testing.assert_allclose(_np(got), _np(want), rtol=1e-6, atol=1e-6 if name == "lkj_cholesky" else 0)
    np.testing.assert_array_equal(ember.get_rng_state().numpy(), torch.get_rng_state().numpy())


ERRORS = {
    "uniform_int": lambda t: t.zeros(3, dtype=t.int64).uniform_(),
    "normal_bool": lambda t: t.zeros(3, dtype=t.bool).normal_(),
    "exponential_uint8": lambda t: t.zeros(3, dtype=t.uint8).exponential_(),
    "cauchy_int16": lambda t: t.zeros(3, dtype=t.int16).cauchy_(),
    "cauchy_int64": lambda t: t.zeros(3, dtype=t.int64).cauchy_(),
    "log_normal_int32": lambda t: t.zeros(3, dtype=t.int32).log_normal_(),
    "geometric_bool": lambda t: t.zeros(3, dtype=t.bool).geometric_(0.3),
    "rand_int": lambda t: t.rand(2, dtype=t.int64),
    "randn_int": lambda t: t.randn(2, dtype=t.int32),
    "normal_int_mean": lambda t: t.normal(t.tensor([1, 2]), 1.0),
    "normal_size_int": lambda t: t.normal(0.0, 1.0, size=(2,), dtype=t.int64),
    "poisson_int": lambda t: t.poisson(t.tensor([1, 2])),
    "bernoulli_int": lambda t: t.bernoulli(t.tensor([1, 0])),
    "multinomial_int": lambda t: t.multinomial(t.tensor([1, 2]), 1),
    "multinomial_zero_samples": lambda t: t.multinomial(t.tensor([0.5, 0.5]), 0),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_samplers_refuse_what_torch_refuses(name):
    # a continuous sampler on an integer or bool tensor: torch's exception type and words, not silent zeros
    with pytest.raises(Exception) as theirs:
        ERRORS[name](torch)
    with pytest.raises(type(theirs.value)) as ours:
        ERRORS[name](ember)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("seed", [0, 1, 2 ** 32 + 7, -1, 67280421310721])
def test_seeds_match_including_wrapped_and_large_ones(seed):
    _check(lambda t: (t.rand(4), t.initial_seed()), seed)


def test_a_mixed_sequence_keeps_the_stream_position():
    def seq(t):
        return [t.rand(3), t.randn(2), t.randint(0, 9, (4,)), t.randn(20), t.randperm(6), t.randn(1),
                t.empty(7).bernoulli_(0.5), t.rand(2, dtype=t.float64), t.randn(3), t.multinomial(t.ones(4), 2)]
    _check(seq)


def test_rng_state_round_trips_between_ember_and_torch_with_the_normal_cache():
    torch.manual_seed(9)
    torch.randn(3)  # odd count: a cached normal sample is part of the state
    state = torch.get_rng_state()
    ember.set_rng_state(ember.tensor(state.numpy()))
    np.testing.assert_array_equal(ember.get_rng_state().numpy(), state.numpy())
    _same(ember.randn(4), torch.randn(4))
    g = ember.Generator()
    g.set_state(ember.get_rng_state())
    _same(ember.randn(5, generator=g), torch.randn(5))
    torch.set_rng_state(torch.from_numpy(ember.get_rng_state().numpy()))  # and back into torch
    assert tuple(ember.get_rng_state().shape) == (5056,)


def test_generator_objects_are_independent_streams():
    def fn(t):
        g1, g2 = t.Generator().manual_seed(1), t.Generator().manual_seed(2)
        out = [t.rand(3, generator=g1), t.randn(20, generator=g2), t.randperm(5, generator=g1), t.rand(2)]
        return out + [t.tensor(g1.initial_seed()), t.tensor(g1.get_state().numel())]
    _check(fn)


def test_fork_rng_restores_the_state():
    ember.manual_seed(4)
    with ember.random.fork_rng():
        ember.randn(7)
    torch.manual_seed(4)
    _same(ember.randn(7), torch.randn(7))


@pytest.mark.parametrize("build", [
    lambda nn: nn.Linear(30, 17), lambda nn: nn.Conv2d(3, 8, 3), lambda nn: nn.Conv1d(2, 4, 5, bias=False),
    lambda nn: nn.ConvTranspose2d(3, 2, 3), lambda nn: nn.Embedding(10, 7), lambda nn: nn.LSTM(4, 5, 2),
    lambda nn: nn.GRU(4, 5, bidirectional=True), lambda nn: nn.MultiheadAttention(8, 2),
    lambda nn: nn.TransformerEncoderLayer(8, 2, 16), lambda nn: nn.BatchNorm2d(3), lambda nn: nn.LayerNorm(4),
], ids=["linear", "conv2d", "conv1d", "convT2d", "embedding", "lstm", "gru", "mha", "encoder_layer", "bn", "ln"])
def test_layer_initialisation_matches_torch(build):
    _check(lambda t: [p for p in build(t.nn).parameters()] + [t.rand(2)])


@pytest.mark.parametrize("init", [
    lambda i, w: i.uniform_(w, -0.1, 0.2), lambda i, w: i.normal_(w, 0.5, 2.0), lambda i, w: i.xavier_uniform_(w),
    lambda i, w: i.xavier_normal_(w), lambda i, w: i.kaiming_uniform_(w, nonlinearity="relu"),
    lambda i, w: i.kaiming_normal_(w, mode="fan_out"), lambda i, w: i.trunc_normal_(w, std=0.02),
    lambda i, w: i.trunc_normal_(w, mean=0.0, std=1.0, a=2.0, b=3.0), lambda i, w: i.sparse_(w, 0.5),
], ids=["uniform", "normal", "xavier_u", "xavier_n", "kaiming_u", "kaiming_n", "trunc", "trunc_tail", "sparse"])
def test_nn_init_matches_torch(init):
    _check(lambda t: init(t.nn.init, t.empty(30, 20)))


def test_orthogonal_draws_torch_normals_and_agrees_to_float32_round_off():
    torch.manual_seed(2)
    want = torch.nn.init.orthogonal_(torch.empty(5, 7)).numpy()
    ember.manual_seed(2)
    got = ember.nn.init.orthogonal_(ember.empty(5, 7)).numpy()
    np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_array_equal(ember.get_rng_state().numpy(), torch.get_rng_state().numpy())


@pytest.mark.parametrize("fn", [
    lambda t: t.nn.functional.dropout(t.linspace(-1, 1, 1000).reshape(50, 20), 0.2),
    lambda t: t.nn.Dropout(0.5)(t.ones(8, 9)),
    lambda t: t.nn.functional.dropout2d(t.ones(4, 6, 3, 3), 0.5),
    lambda t: t.nn.functional.dropout1d(t.ones(6, 5), 0.3),
    lambda t: t.nn.functional.alpha_dropout(t.linspace(-2, 2, 100), 0.2, True),
    lambda t: t.nn.functional.feature_alpha_dropout(t.linspace(-2, 2, 96).reshape(2, 3, 16), 0.3, True),
    lambda t: t.nn.functional.rrelu(t.linspace(-1, 1, 50), training=True),
], ids=["dropout", "Dropout", "dropout2d", "dropout1d_unbatched", "alpha", "feature_alpha", "rrelu"])
def test_dropout_masks_match_torch(fn):
    _check(fn)


def test_dataloader_shuffle_order_matches_torch_over_epochs():
    def orders(t):
        data = t.utils.data.TensorDataset(t.arange(23))
        loader = t.utils.data.DataLoader(data, batch_size=5, shuffle=True)
        out = [b[0] for _ in range(2) for b in loader]
        g = t.Generator().manual_seed(7)
        out += [b[0] for b in t.utils.data.DataLoader(data, batch_size=4, shuffle=True, generator=g)]
        sampler = t.utils.data.RandomSampler(range(10), replacement=True, num_samples=40)
        out += [t.tensor(list(sampler)), t.tensor(list(t.utils.data.SubsetRandomSampler([3, 5, 8, 13])))]
        out += [t.tensor(list(t.utils.data.WeightedRandomSampler([0.1, 0.5, 0.4], 12)))]
        return out
    _check(orders)


def test_float32_normals_are_bit_exact_on_a_large_draw():
    """The float32 Box-Muller replays torch's AVX2 log/sincos: no element may differ, not even by an ulp."""
    torch.manual_seed(123)
    want = torch.randn(200_000).numpy()
    ember.manual_seed(123)
    got = ember.randn(200_000).numpy()
    ulps = np.abs(got.view(np.int32).astype(np.int64) - want.view(np.int32))
    assert ulps.max() == 0, f"{int((ulps > 0).sum())} elements differ, up to {int(ulps.max())} ulp"


def test_cpus_without_avx2_get_torch_scalar_kernel_to_float32_round_off():
    """Under ATEN_CPU_CAPABILITY=default (what torch runs on CPUs without AVX2, e.g. ARM) both switch to
    the scalar Box-Muller with glibc's logf/cosf/sinf, which ember approximates to a few ulp."""
    import os
    import subprocess
    import sys
    code = ("import numpy as np, torch, ember\n"
            "assert torch.backends.cpu.get_cpu_capability() == 'DEFAULT'\n"
            "assert not ember.backend.rng_kernels.torch_uses_avx2()\n"
            "torch.manual_seed(0); t = torch.randn(20000).numpy()\n"
            "ember.manual_seed(0); e = ember.randn(20000).numpy()\n"
            "d = np.abs(t.view(np.int32).astype(np.int64) - e.view(np.int32))\n"
            "print(int(d.max()), float((d > 0).mean()))\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, ATEN_CPU_CAPABILITY="default", PYTHONPATH=root, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    max_ulp, frac = proc.stdout.split()
    assert int(max_ulp) <= 4 and float(frac) < 0.03, proc.stdout


def test_compiled_functions_draw_torch_numbers_too():
    """Replays draw fresh words (dropout, large randn); small randn uses the generator's cached normal,
    which a replay cannot follow, so that function runs eagerly: either way, torch's numbers."""
    import warnings
    x = ember.ones(32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        big = ember.compile(lambda t: ember.nn.functional.dropout(t, 0.5) + ember.randn(32))
        small = ember.compile(lambda t: t + ember.randn(3))
        ember.manual_seed(0)
        got = [big(x) for _ in range(4)] + [small(x[:3]) for _ in range(3)]
    assert big.fallback_reason is None and big.replays >= 2
    assert "bit_generator" in small.fallback_reason
    torch.manual_seed(0)
    tx = torch.ones(32)
    want = [torch.nn.functional.dropout(tx, 0.5) + torch.randn(32) for _ in range(4)]
    want += [tx[:3] + torch.randn(3) for _ in range(3)]
    _same(got, want)
