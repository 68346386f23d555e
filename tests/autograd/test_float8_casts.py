"""The float8 dtypes (float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz) against torch 2.13: the
bits of a cast from float32, float64, float16, bfloat16 and int64 (every float8 value, the midpoints between
them and their float32 neighbours, overflow, infinities, NaNs of both signs), the cast back, finfo, printing,
and the storage ops PyTorch allows (view, cat, reshape, indexing); ``import ember`` does not import ml_dtypes."""
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember

NAMES = ["float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz"]


def _values(name):
    """Every finite value of the format, the midpoints between neighbours and the float32s just beside them,
    random values over many scales, and the specials."""
    every = torch.arange(256, dtype=torch.uint8).view(getattr(torch, name)).float().numpy()
    finite = np.unique(every[np.isfinite(every)]).astype(np.float64)
    mids = ((finite[:-1] + finite[1:]) / 2).astype(np.float32)
    rng = np.random.default_rng(0)
    scales = [rng.standard_normal(2000).astype(np.float32) * s for s in (1e-5, 1e-2, 1, 100, 1e4, 1e6)]
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 448, 449, 464, 465, 57344, 61440, 1e38,
                         -1e38, 2 ** -9, 2 ** -10, 2 ** -17, 2 ** -16 * 0.75], np.float32)
    return np.concatenate([finite.astype(np.float32), mids, np.nextafter(mids, np.inf), np.nextafter(mids, -np.inf),
                           *scales, specials])


@pytest.mark.parametrize("name", NAMES)
def test_casts_give_torchs_bits(name):
    v = _values(name)
    ed, td = getattr(ember, name), getattr(torch, name)
    assert str(ed) == f"ember.{name}" and ed.itemsize == 1 and ed.is_floating_point
    for src in ("float32", "float64", "float16", "bfloat16"):
        # torch's bfloat16 NaN is 0xFFFF whatever the sign (ember's keeps the sign): that cast is not float8's
        w = v[~np.isnan(v)] if src == "bfloat16" else v
        ours = ember.tensor(w).to(getattr(ember, src)).to(ed)
        theirs = torch.tensor(w).to(getattr(torch, src)).to(td)
        assert ours.dtype is ed
        np.testing.assert_array_equal(ours.view(ember.uint8).numpy(), theirs.view(torch.uint8).numpy(), err_msg=src)
    ints = np.array([0, 1, -7, 300, 1000, 70000, -70000], np.int64)
    np.testing.assert_array_equal(ember.tensor(ints).to(ed).view(ember.uint8).numpy(),
                                  torch.tensor(ints).to(td).view(torch.uint8).numpy())
    np.testing.assert_array_equal(ember.tensor([3.3, 1000.0, -1e9], dtype=ed).view(ember.uint8).numpy(),
                                  torch.tensor([3.3, 1000.0, -1e9], dtype=td).view(torch.uint8).numpy())
    every = np.arange(256, dtype=np.uint8)
    back_ours = ember.tensor(every).view(ed)
    back_theirs = torch.tensor(every).view(td)
    for dst in ("float32", "float64", "float16", "bfloat16"):
        a = back_ours.to(getattr(ember, dst)).float().numpy()
        b = back_theirs.to(getattr(torch, dst)).float().numpy()
        np.testing.assert_array_equal(a, b, err_msg=dst)   # NaNs compare equal here


@pytest.mark.parametrize("name", NAMES)
def test_finfo_repr_and_storage_ops_as_torch(name):
    ed, td = getattr(ember, name), getattr(torch, name)
    assert repr(ember.finfo(ed)) == repr(torch.finfo(td))
    assert ember.finfo(ed).bits == torch.finfo(td).bits == 8
    x = [1.5, 2.0, -3.25, 448.0, 0.1, -0.0]
    e, t = ember.tensor(x).to(ed), torch.tensor(x).to(td)
    assert repr(e).replace("ember.", "torch.") == repr(t)
    assert repr(e.reshape(2, 3)).replace("ember.", "torch.") == repr(t.reshape(2, 3))
    for f in (lambda L, a: L.cat([a, a[1:3]]), lambda L, a: a.reshape(2, 3)[1], lambda L, a: a[::2].clone()):
        np.testing.assert_array_equal(f(ember, e).view(ember.uint8).numpy(), f(torch, t).view(torch.uint8).numpy())
    assert e.element_size() == t.element_size() == 1
    assert e[:3].to(ember.int32).tolist() == t[:3].to(torch.int32).tolist()


def test_import_ember_does_not_import_ml_dtypes():
    code = "import sys, ember; ember.tensor([1.0]).half(); print('ml_dtypes' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
