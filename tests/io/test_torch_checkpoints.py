"""Files written by real PyTorch's ``torch.save`` load in ember (``ember.load``, so ``torch.load``
under the alias) without unpickling: values, dtypes, views and flags equal what ``torch.load``
gives; a state dict and optimizer state written by torch resume training in ember with torch's
losses; anything that is not tensors and plain data is refused without running it."""
import collections
import io
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

import ember
import ember.nn
from ember.io.torch_pickle import RestrictedPickleError, is_torch_file


def _same(e, t):
    """ember value ``e`` equals torch value ``t`` (recursively)."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), type(e)
        assert tuple(e.shape) == tuple(t.shape)
        assert e.requires_grad == t.requires_grad
        assert isinstance(e, ember.nn.Parameter) == isinstance(t, torch.nn.Parameter)
        assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1], (e.dtype, t.dtype)  # bfloat16 too
        want = t.detach().float().numpy() if t.dtype == torch.bfloat16 else t.detach().numpy()
        got = e.detach().float().numpy() if t.dtype == torch.bfloat16 else e.detach().numpy()
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
        np.testing.assert_array_equal(got, want)
    elif isinstance(t, torch.dtype):
        assert e == getattr(ember, str(t).split(".")[1])
    elif isinstance(t, torch.device):
        assert str(e) == str(t)
    elif isinstance(t, dict):
        assert type(e) is type(t) or (isinstance(t, collections.OrderedDict) and isinstance(e, dict))
        assert list(e) == list(t)
        for k in t:
            _same(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e) in (type(t), tuple) and len(e) == len(t)
        for a, b in zip(e, t):
            _same(a, b)
    else:
        assert type(e) is type(t) and e == t, (e, t)


def _values():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, generator=g)
    return {
        "f32": x, "t": x.t(), "slice": x[1:, 2:], "step": x[:, ::2], "expand": torch.ones(3, 1).expand(3, 5),
        "f64": torch.randn(2, 2, dtype=torch.float64, generator=g), "f16": torch.randn(3, generator=g).half(),
        "bf16": torch.randn(4, generator=g).bfloat16(), "i64": torch.arange(5), "i32": torch.arange(3, dtype=torch.int32),
        "i8": torch.tensor([-3, 4], dtype=torch.int8), "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False]), "c64": torch.tensor([1 + 2j, -1j], dtype=torch.complex64),
        "scalar": torch.tensor(2.5), "empty": torch.empty(0, 3), "param": torch.nn.Parameter(torch.ones(2)),
        "frozen": torch.nn.Parameter(torch.zeros(1), requires_grad=False), "grad": torch.ones(2).requires_grad_(),
        "size": x.shape, "dtype": torch.float16, "device": torch.device("cpu"), "n": 3, "lr": 1e-3, "s": "name",
        "b": b"raw", "none": None, "nested": [1, (2.0, "x"), {"k": [torch.zeros(1)]}], 7: "int key",
        "od": collections.OrderedDict(a=1, b=torch.ones(1)), "np": np.float64(0.25), "npi": np.int64(-2),
    }


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_values_equal_torch_load(tmp_path, zip_format):
    path = tmp_path / "values.pt"
    torch.save(_values(), path, _use_new_zipfile_serialization=zip_format)
    assert is_torch_file(str(path))
    want = torch.load(path, weights_only=False)
    got = ember.load(str(path))
    for k in want:
        if k in ("np", "npi"):
            assert got[k] == want[k] and got[k].dtype == want[k].dtype
        else:
            _same(got[k], want[k])
    with open(path, "rb") as f:
        from_file = ember.load(io.BytesIO(f.read()))
    _same(from_file["f32"], want["f32"])


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3)
        self.bn = torch.nn.BatchNorm2d(4)
        self.lstm = torch.nn.LSTM(4, 5, batch_first=True)
        self.fc = torch.nn.Linear(5, 3)

    def forward(self, x):
        h = torch.relu(self.bn(self.conv(x)))            # (N, 4, 4, 4)
        seq = h.flatten(2).transpose(1, 2)                 # (N, 16, 4)
        out, _ = self.lstm(seq)
        return self.fc(out[:, -1])


class EmberNet(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = ember.nn.Conv2d(1, 4, 3)
        self.bn = ember.nn.BatchNorm2d(4)
        self.lstm = ember.nn.LSTM(4, 5, batch_first=True)
        self.fc = ember.nn.Linear(5, 3)

    def forward(self, x):
        h = ember.relu(self.bn(self.conv(x)))
        seq = h.flatten(2).transpose(1, 2)
        out, _ = self.lstm(seq)
        return self.fc(out[:, -1])


def _steps(model, opt, x, y, n, lib):
    losses = []
    for _ in range(n):
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_a_torch_checkpoint_resumes_in_ember_with_torch_losses(tmp_path, zip_format):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((6, 1, 6, 6)).astype(np.float32), rng.integers(0, 3, 6)
    torch.manual_seed(0)
    tnet = TorchNet()
    topt = torch.optim.AdamW(tnet.parameters(), lr=1e-2)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    _steps(tnet, topt, tx, ty, 3, torch)
    path = tmp_path / "ckpt.pth"
    torch.save({"epoch": 3, "model_state_dict": tnet.state_dict(), "optimizer_state_dict": topt.state_dict(),
                "loss": 0.5}, path, _use_new_zipfile_serialization=zip_format)
    want = _steps(tnet, topt, tx, ty, 3, torch)

    ck = ember.load(str(path), map_location="cpu", weights_only=True)
    enet = EmberNet()
    assert str(enet.load_state_dict(ck["model_state_dict"])) == "<All keys matched successfully>"
    eopt = ember.optim.AdamW(enet.parameters(), lr=1e-2)
    eopt.load_state_dict(ck["optimizer_state_dict"])
    assert ck["epoch"] == 3 and int(enet.bn.num_batches_tracked) == 3
    got = _steps(enet, eopt, ember.from_numpy(x), ember.from_numpy(y), 3, ember)
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)


def test_a_pickled_module_is_refused_by_name(tmp_path):
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 2), path)
    with pytest.raises(RestrictedPickleError, match="torch.nn.modules.linear.*Linear"):
        ember.load(str(path))


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch EVIL_RAN",))


def test_code_in_a_checkpoint_never_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    good = tmp_path / "good.pt"
    torch.save({"w": torch.ones(2)}, good)
    # The same archive with data.pkl replaced by a pickle that calls os.system.
    bad = tmp_path / "bad.pt"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name.endswith("data.pkl"):
                data = pickle.dumps({"w": _Evil()}, protocol=2)
            zout.writestr(name, data)
    with pytest.raises(RestrictedPickleError, match="refusing the global (posix|os).system"):
        ember.load(str(bad))
    assert not (tmp_path / "EVIL_RAN").exists()


def test_damaged_archives_are_refused_with_the_reason(tmp_path):
    good = tmp_path / "good.pt"
    torch.save({"w": torch.arange(6.0).reshape(2, 3)}, good)
    short = tmp_path / "short.pt"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(short, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            zout.writestr(name, data[:8] if name.endswith("data/0") else data)
    with pytest.raises(RestrictedPickleError, match="storage 0 holds 8 bytes, expected 6 x 4"):
        ember.load(str(short))
    missing = tmp_path / "missing.pt"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(missing, "w") as zout:
        for name in zin.namelist():
            if not name.endswith("data/0"):
                zout.writestr(name, zin.read(name))
    with pytest.raises(RestrictedPickleError, match="has no record .*data/0"):
        ember.load(str(missing))


def test_a_view_past_its_storage_is_refused(tmp_path):
    good = tmp_path / "good.pt"
    torch.save({"w": torch.arange(6.0)[2:]}, good)
    bad = tmp_path / "bad.pt"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name.endswith("data.pkl"):
                assert data.count(b"K\x06t") == 1  # the storage's element count in its persistent id
                data = data.replace(b"K\x06t", b"K\x04t")
            elif name.endswith("data/0"):
                data = data[:16]
            zout.writestr(name, data)
    with pytest.raises(RestrictedPickleError, match="reaches past its storage of 4 elements"):
        ember.load(str(bad))
