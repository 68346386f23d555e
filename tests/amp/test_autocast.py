"""ember.autocast against torch.autocast: region state, nesting, decorator, warnings, deprecated aliases;
the ops of torch's CPU lists cast as torch's do, and a model under CPU autocast gives torch's values."""
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import ember


def _probe(lib):
    """The autocast state seen through a scripted sequence of regions."""
    seen = []

    def look(tag):
        seen.append((tag, lib.is_autocast_enabled("cpu"), str(lib.get_autocast_dtype("cpu")).split(".")[-1],
                     lib.is_autocast_enabled(), lib.is_autocast_cache_enabled()))

    look("outside")
    with lib.autocast("cpu"):
        look("cpu")
        with lib.autocast("cpu", dtype=lib.float16, cache_enabled=False):
            look("nested float16")
            with lib.autocast("cpu", enabled=False):
                look("disabled inside")
            look("back to float16")
        look("back to cpu")
    look("after")

    @lib.autocast("cpu", dtype=lib.float16)
    def decorated():
        look("decorated")
        return 7

    assert decorated() == 7
    look("after decorated")
    return seen


def test_region_state_nests_and_restores_as_torch():
    assert _probe(ember) == _probe(torch)


def test_legacy_cpu_getters_follow_regions_as_torch():
    for lib in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autocast("cpu", dtype=lib.float16):
                assert lib.is_autocast_cpu_enabled() and str(lib.get_autocast_cpu_dtype()).endswith("float16")
            assert not lib.is_autocast_cpu_enabled()
            assert str(lib.get_autocast_gpu_dtype()).endswith("float16")


def _warnings_of(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [(w.category, str(w.message).replace("torch.", "ember.")) for w in caught]


@pytest.mark.parametrize("make", [
    lambda lib: lib.autocast("cuda"),
    lambda lib: lib.autocast("cpu", dtype=lib.float32),
    lambda lib: lib.autocast("cpu", dtype=lib.float64),
    lambda lib: lib.amp.autocast("cpu", enabled=False),
])
def test_disabled_regions_warn_as_torch(make):
    def enter(lib):
        def run():
            with make(lib):
                return lib.is_autocast_enabled("cpu"), lib.is_autocast_enabled("cuda")
        return run
    ours, ours_w = _warnings_of(enter(ember))
    theirs, theirs_w = _warnings_of(enter(torch))
    assert ours == theirs
    assert [c for c, _ in ours_w] == [c for c, _ in theirs_w]
    assert [m.split("\n")[0] for _, m in ours_w] == [m.split("\n")[0] for _, m in theirs_w]


def test_deprecated_aliases_warn_and_behave_as_torch():
    for path in ("cuda.amp.autocast", "cpu.amp.autocast"):
        def run(lib):
            obj = lib
            for part in path.split("."):
                obj = getattr(obj, part)

            def enter():
                with obj():
                    return lib.is_autocast_enabled("cpu"), str(lib.get_autocast_dtype("cpu")).split(".")[-1]
            return enter
        ours, ours_w = _warnings_of(run(ember))
        theirs, theirs_w = _warnings_of(run(torch))
        assert ours == theirs
        assert [c for c, _ in ours_w] == [c for c, _ in theirs_w]
        assert ours_w[0][1] == theirs_w[0][1]  # the FutureWarning's text
    from ember.cuda.amp import GradScaler, autocast  # noqa: F401  (the idiom imports)
    from ember.cpu.amp import autocast as cpu_autocast  # noqa: F401


def test_bad_arguments_raise_as_torch():
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
            lib.autocast(lib.device("cpu"))
        with pytest.raises(RuntimeError, match="unsupported autocast device_type 'meta'"):
            lib.autocast("meta", dtype=lib.float16)
        with pytest.raises(RuntimeError):
            lib.autocast("tpu")
        with pytest.raises(TypeError, match="requires a callable"):
            lib.autocast("cpu")(3)


def _mlp(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(16, 32), lib.nn.ReLU(), lib.nn.Linear(32, 32), lib.nn.Tanh(),
                             lib.nn.Linear(32, 4))


def _cnn(lib):
    return lib.nn.Sequential(lib.nn.Conv2d(3, 8, 3, padding=1), lib.nn.ReLU(), lib.nn.MaxPool2d(2),
                             lib.nn.Flatten(), lib.nn.Linear(8 * 4 * 4, 5))


@pytest.mark.parametrize("build, shape", [(_mlp, (8, 16)), (_cnn, (4, 3, 8, 8))])
def test_model_under_cpu_autocast_matches_torch(build, shape):
    theirs, ours = build(torch), build(ember)
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    target = np.random.default_rng(1).standard_normal((shape[0], ours(ember.tensor(x)).shape[1])).astype(np.float32)
    with torch.autocast("cpu"):
        out_t = theirs(torch.tensor(x))
        loss_t = torch.nn.functional.mse_loss(out_t, torch.tensor(target))
    with ember.autocast("cpu"):
        out_e = ours(ember.tensor(x))
        loss_e = ember.nn.functional.mse_loss(out_e, ember.tensor(target))
    # As torch: linear and conv run in bfloat16 (computed in float32, rounded once), the loss in float32.
    assert out_t.dtype == torch.bfloat16 and loss_t.dtype == torch.float32
    assert out_e.dtype == ember.bfloat16 and loss_e.dtype == ember.float32
    np.testing.assert_allclose(out_e.float().detach().numpy(), out_t.float().detach().numpy(), rtol=2e-2,
                               atol=2e-2)
    assert (out_e.float().detach().numpy() == out_t.float().detach().numpy()).mean() >= 0.9
    np.testing.assert_allclose(loss_e.item(), loss_t.item(), rtol=1e-2)
    loss_t.backward()
    loss_e.backward()
    for (name, pt), pe in zip(theirs.named_parameters(), ours.parameters()):
        assert pe.grad.dtype == ember.float32 and pt.grad.dtype == torch.float32, name
        ge, gt = pe.grad.numpy(), pt.grad.numpy()
        # Against torch's bfloat16 run, as a whole: rounding can move a max-pool's winner.
        assert np.linalg.norm(ge - gt) <= 0.03 * np.linalg.norm(gt), name


def test_autocast_op_lists_as_torch():
    """The dtype each op returns inside a CPU bfloat16 region, and its values, for the same inputs."""
    def run(lib, F):
        g = np.random.default_rng(0)
        x, w, b = (lib.tensor(g.standard_normal(s).astype(np.float32)) for s in ((4, 8), (6, 8), (6,)))
        img, k = (lib.tensor(g.standard_normal(s).astype(np.float32)) for s in ((1, 3, 5, 5), (2, 3, 3, 3)))
        with lib.autocast("cpu", dtype=lib.bfloat16):
            y = F.linear(x, w, b)
            return {"linear": y, "matmul": x @ w.T, "bmm": lib.bmm(x[None], w.T[None]), "conv2d": F.conv2d(img, k),
                    "addmm": lib.addmm(b, x, w.T), "baddbmm": lib.baddbmm(b[None, None], x[None], w.T[None]),
                    "sdpa": F.scaled_dot_product_attention(x[None], x[None], x[None]),
                    "softmax": y.softmax(-1), "layer_norm": F.layer_norm(y, (6,), lib.ones(6), lib.zeros(6)),
                    "relu": F.relu(y), "sum": y.sum(), "add_float32": y + x[:, :6],
                    "cross_entropy": F.cross_entropy(y, lib.zeros(4, dtype=lib.int64)),
                    "mse_loss": F.mse_loss(y, x[:, :6]), "float64_linear": F.linear(x.double(), w.double()),
                    "embedding": F.embedding(lib.tensor([0, 2]), w)}
    theirs, ours = run(torch, torch.nn.functional), run(ember, ember.nn.functional)
    for name, t in theirs.items():
        e = ours[name]
        assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1], name
        np.testing.assert_allclose(e.double().detach().numpy(), t.double().detach().numpy(), rtol=1e-6, atol=1e-6,
                                   err_msg=name)


def test_bfloat16_is_a_storage_dtype_rounding_as_torch():
    values = np.array([0.1, -1.1094, 3.14159, 1e-3, 65504.0, 1 / 3, -2.5e-8], np.float32)
    ours = ember.tensor(values).to(ember.bfloat16)
    theirs = torch.tensor(values).to(torch.bfloat16)
    assert ours.dtype == ember.bfloat16 and ours.dtype.is_floating_point and ours.element_size() == 2
    np.testing.assert_array_equal(ours.float().numpy(), theirs.float().numpy())
    assert repr(ours[:3]) == repr(theirs[:3]).replace("torch.", "ember.")
    assert ember.zeros(2, dtype="bfloat16").dtype is ember.bfloat16
    assert ember.ones(2, dtype=torch.bfloat16).dtype is ember.bfloat16  # a torch dtype in ported code


def test_bfloat16_without_ml_dtypes_names_the_extra():
    code = ("import sys; sys.modules['ml_dtypes'] = None\n"
            "import ember\n"
            "try:\n    ember.bfloat16\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "ember[bfloat16]" in out and "ml_dtypes" in out


def test_import_ember_stays_free_of_amp_and_ml_dtypes():
    code = "import sys, ember; print('ml_dtypes' in sys.modules, 'ember.amp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
