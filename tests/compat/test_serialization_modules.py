"""Whole modules saved as data and rebuilt without pickle: round trips, the allow-list, weights_only,
refusal of anything else (crafted files run nothing), map_location; torch 2.13 as the oracle of behaviour."""
import argparse
import collections
import dataclasses
import io
import json
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import ember
from ember import nn, optim
from ember.io import safetensors
from ember.serialization import (RefusedGlobal, add_safe_globals, clear_safe_globals, get_safe_globals,
                                 get_unsafe_globals_in_checkpoint, safe_globals)


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(width, width), nn.BatchNorm1d(width), nn.GELU())
        self.register_buffer("scale", ember.full((width,), 0.5))
        self.register_buffer("scratch", ember.zeros(1), persistent=False)
        self.meta = {"width": width, "tags": ["a", "b"], "shape": (width, None), "dtype": ember.float32}

    def forward(self, x):
        return self.body(x) * self.scale + x


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(4, 8)
        self.blocks = nn.ModuleList([Block(8), Block(8)])
        self.head = nn.Linear(8, 3)
        self.also_head = self.head  # shared submodule
        self.act = nn.functional.relu

    def forward(self, x):
        x = self.act(self.stem(x))
        for block in self.blocks:
            x = block(x)
        return self.head(x)


@pytest.fixture(autouse=True)
def _fresh_allow_list():
    clear_safe_globals()
    yield
    clear_safe_globals()


def _saved(obj):
    buffer = io.BytesIO()
    ember.save(obj, buffer)
    buffer.seek(0)
    return buffer


def _trained(model, steps=3):
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = ember.randn(16, 4, generator=ember.Generator().manual_seed(1)), ember.arange(16) % 3
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model


def test_custom_module_round_trip_gives_identical_outputs_and_trains(tmp_path):
    model = _trained(Net())
    path = tmp_path / "net.safetensors"
    ember.save(model, path)
    add_safe_globals([Net, Block])
    back = ember.load(path, weights_only=False)
    assert type(back) is Net and type(back.blocks[1]) is Block and back.also_head is back.head
    assert back.act is nn.functional.relu and back.blocks[0].meta == model.blocks[0].meta
    assert type(back.blocks[0].meta["shape"]) is tuple and back.training
    assert list(back.state_dict()) == list(model.state_dict())
    for (k, a), b in zip(model.state_dict().items(), back.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in back.parameters())
    assert "scratch" in back.blocks[0]._buffers and "scratch" not in back.blocks[0].state_dict()
    x = ember.randn(5, 4)
    for mode in ("train", "eval"):
        getattr(model, mode)(), getattr(back, mode)()
        np.testing.assert_array_equal(back(x).detach().numpy(), model(x).detach().numpy())
    model.train(), back.train()
    _trained(model), _trained(back)
    for a, b in zip(model.parameters(), back.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    # Tensors are named as the state_dict keys (shared ones stored once, non-persistent buffers too).
    arrays, _ = safetensors.load_file_with_metadata(str(path))
    assert set(arrays) == {k for k in model.state_dict() if not k.startswith("also_head.")} | {
        "blocks.0.scratch", "blocks.1.scratch"}


def test_ember_modules_load_with_weights_only_false_and_need_the_allow_list_otherwise():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2))
    buffer = _saved(model)
    with pytest.raises(RefusedGlobal, match=r"refusing to rebuild class 'ember.nn.containers.Sequential' with "
                                            r"weights_only=True; allow it with ember.serialization.add_safe_globals"
                                            r"\(\[Sequential\]\).*also load with weights_only=False"):
        ember.load(buffer)
    buffer.seek(0)
    back = ember.load(buffer, weights_only=False)
    x = ember.randn(2, 1, 4, 4)
    np.testing.assert_array_equal(back(x).detach().numpy(), model(x).detach().numpy())
    buffer.seek(0)
    assert get_unsafe_globals_in_checkpoint(buffer) == ["ember.nn.containers.Sequential",
                                                        "ember.nn.layers.activation.ReLU",
                                                        "ember.nn.layers.conv.Conv2d",
                                                        "ember.nn.layers.flatten.Flatten",
                                                        "ember.nn.layers.linear.Linear"]
    with safe_globals([nn.Sequential, nn.Conv2d, nn.ReLU, nn.Flatten, nn.Linear]):
        buffer.seek(0)
        assert type(ember.load(buffer)) is nn.Sequential
    assert get_safe_globals() == []
    buffer.seek(0)
    with pytest.raises(RefusedGlobal):
        ember.load(buffer, weights_only=True)


def test_torch_behaves_the_same_way_for_whole_modules(tmp_path):
    path = tmp_path / "lin.pt"
    torch.save(torch.nn.Linear(2, 2), path)
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global"):
        torch.load(path)
    with torch.serialization.safe_globals([torch.nn.Linear]):
        assert isinstance(torch.load(path), torch.nn.Linear)
    assert isinstance(torch.load(path, weights_only=False), torch.nn.Linear)
    buffer = _saved(nn.Linear(2, 2))
    with pytest.raises(pickle.UnpicklingError, match="'ember.nn.layers.linear.Linear'"):
        ember.load(buffer)
    with safe_globals([nn.Linear]):
        buffer.seek(0)
        assert isinstance(ember.load(buffer), nn.Linear)
    buffer.seek(0)
    assert isinstance(ember.load(buffer, weights_only=False), nn.Linear)


def test_user_classes_need_weights_only_false_or_the_allow_list_as_in_torch():
    buffer = _saved(Net())
    name = f"{__name__}.Net"
    with pytest.raises(RefusedGlobal, match=rf"ember.load: refusing to rebuild class '{name}' with weights_only=True"):
        ember.load(buffer)
    buffer.seek(0)
    assert type(ember.load(buffer, weights_only=False)) is Net  # this module is imported: looked up, not imported
    # weights_only=True: every class must be allow-listed, the children's too
    add_safe_globals([Net, nn.Linear, nn.ModuleList, nn.Sequential, nn.BatchNorm1d, nn.GELU, nn.functional.relu])
    buffer.seek(0)
    with pytest.raises(RefusedGlobal, match=rf"refusing to rebuild class '{__name__}.Block' with weights_only=True; "
                                            rf"allow it with ember.serialization.add_safe_globals\(\[Block\]\)"):
        ember.load(buffer)
    add_safe_globals([(Block, f"{__name__}.Block")])
    buffer.seek(0)
    assert type(ember.load(buffer)) is Net


def test_a_class_of_a_module_not_yet_imported_is_refused_and_never_imported(tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / "ember_never_imported_mod.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nfrom ember import nn\nclass Net(nn.Module):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "crafted.safetensors"
    _crafted({"@": "object", "id": 0, "class": {"module": "ember_never_imported_mod", "name": "Net"},
              "state": {"@": "dict", "items": []}}, path)
    with pytest.raises(RefusedGlobal, match="its module 'ember_never_imported_mod' is not imported"):
        ember.load(str(path), weights_only=False)
    assert not marker.exists()


def test_the_refusal_message_names_main_classes(tmp_path):
    script = textwrap.dedent("""
        import ember
        from ember import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 2)

        ember.save(Net(), "net.safetensors")
        try:
            ember.load("net.safetensors")
        except Exception as e:
            print(type(e).__name__, e)
        print(type(ember.load("net.safetensors", weights_only=False)).__name__)
    """)
    (tmp_path / "prog.py").write_text(script)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    r = subprocess.run([sys.executable, "prog.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PYTHONPATH=root))
    assert r.returncode == 0, r.stderr
    refused, loaded = r.stdout.splitlines()
    assert refused.startswith("RefusedGlobal ember.load: refusing to rebuild class '__main__.Net' with "
                              "weights_only=True; allow it with ember.serialization.add_safe_globals([Net])")
    assert loaded == "Net"


def _crafted(structure, path):
    meta = {"format": "ember", "ember.version": "1", "ember.structure": json.dumps(structure)}
    safetensors.save_file({"w": np.zeros(1, np.float32)}, str(path), metadata=meta)


def test_crafted_files_naming_other_code_are_refused_and_run_nothing(tmp_path):
    marker = tmp_path / "ran"
    command = f"touch {marker}"
    state = {"@": "dict", "items": [["cmd", command]]}
    cases = {
        "os.system": {"@": "object", "id": 0, "class": {"module": "os", "name": "system"}, "state": state},
        "posix.system": {"@": "global", "module": "posix", "name": "system"},
        "builtins.eval": {"@": "global", "module": "builtins", "name": "eval"},
        # An attribute walk through an ember module to a foreign function, or ember's command line.
        "ember.io.serialization.os.system": {"@": "global", "module": "ember.io.serialization", "name": "os.system"},
        "ember.__main__.main": {"@": "global", "module": "ember.__main__", "name": "main"},
        # Ember classes that are not modules are not rebuilt either.
        "ember.data.dataloader.DataLoader": {"@": "object", "id": 0, "state": state,
                                             "class": {"module": "ember.data.dataloader", "name": "DataLoader"}},
    }
    for name, node in cases.items():
        path = tmp_path / "evil.safetensors"
        _crafted({"@": "dict", "items": [["x", node]]}, path)
        for weights_only in (True, False):
            with pytest.raises(RefusedGlobal, match=f"'{name}'"):
                ember.load(path, weights_only=weights_only)
    assert not marker.exists() and "ember.__main__" not in sys.modules


def test_unstorable_module_contents_are_named_and_devices_checked():
    model = nn.Linear(2, 2)
    model.register_forward_hook(lambda m, i, o: o)
    with pytest.raises(TypeError, match=r"ember.save cannot store function at obj\['_forward_hooks'\]\[\d+\]"):
        ember.save(model, io.BytesIO())

    def make_local():
        class Local(nn.Module):
            pass
        return Local()
    with pytest.raises(TypeError, match="its class has no importable name"):
        ember.save(make_local(), io.BytesIO())
    buffer = _saved({"w": ember.ones(2), "s": {1, 2}, "f": frozenset({"a"})})
    for location in (None, "cpu", ember.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage):
        buffer.seek(0)
        back = ember.load(buffer, map_location=location, mmap=True)
        assert back["s"] == {1, 2} and back["f"] == frozenset({"a"})
    buffer.seek(0)
    with pytest.raises(RuntimeError, match="asks for device 'cuda', but ember runs on the CPU only"):
        ember.load(buffer, map_location="cuda")


@dataclasses.dataclass
class TrainConfig:
    lr: float = 3e-4
    layers: int = 2
    name: str = "run"


Pair = collections.namedtuple("Pair", "loss acc")


def _checkpoint(lib):
    args = argparse.Namespace(lr=0.5, epochs=3, data="x", betas=(0.9, 0.99))
    return {"model": lib.nn.Linear(2, 2).state_dict(), "args": args, "config": TrainConfig(layers=4),
            "best": Pair(0.25, 0.875), "z": 1 + 2j, "tag": b"\x00ab", "buf": bytearray(b"q"),
            "shape": lib.Size([2, 3]), "device": lib.device("cpu"), "counts": collections.Counter("abca")}


def _summary(ckpt):
    return {k: (ckpt[k] if k != "model" else sorted(ckpt[k])) for k in ckpt if k not in ("shape", "device")} | {
        "shape": (type(ckpt["shape"]).__name__, tuple(ckpt["shape"])), "device": str(ckpt["device"]),
        "types": [type(ckpt[k]).__name__ for k in ("args", "config", "best", "counts", "buf")]}


def test_training_checkpoints_with_args_and_configs_round_trip_as_in_torch():
    # torch.save({'model': ..., 'args': args, 'config': cfg, ...}): loads with weights_only=False, is refused
    # with weights_only=True (the default) unless the classes are allow-listed, as torch 2.13 does
    results = {}
    for lib in (ember, torch):
        buffer = io.BytesIO()
        lib.save(_checkpoint(lib), buffer)
        buffer.seek(0)
        with pytest.raises(pickle.UnpicklingError):
            lib.load(buffer)
        buffer.seek(0)
        results[lib.__name__] = _summary(lib.load(buffer, weights_only=False))
        buffer.seek(0)
        with lib.serialization.safe_globals([argparse.Namespace, TrainConfig, Pair]):
            assert _summary(lib.load(buffer)) == results[lib.__name__]
    assert results["ember"] == results["torch"]
    assert results["ember"]["args"].betas == (0.9, 0.99) and results["ember"]["config"].layers == 4
