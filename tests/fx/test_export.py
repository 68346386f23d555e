"""ember.export against torch.export: same signatures, same outputs and gradients; a safe save/load format."""
import io
import json
import os
import zipfile

import numpy as np
import pytest
import torch
import torch.export

import ember
import ember.export

LIBS = {"torch": torch, "ember": ember}


def build(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 3, 3, padding=1)
            self.bn = nn.BatchNorm2d(3)
            self.pool = nn.MaxPool2d(2)
            self.fc = nn.Linear(12, 4)
            self.drop = nn.Dropout(0.5)
            self.register_buffer("scale", lib.ones(4) * 0.5)
            self.register_buffer("offset", lib.zeros(4) + 0.1, persistent=False)

        def forward(self, x, extra=None):
            h = self.pool(F.relu(self.bn(self.conv(x))))
            h = self.drop(lib.flatten(h, 1))
            y = self.fc(h) * self.scale + self.offset
            return {"logits": y, "parts": (lib.tanh(y), y.sum())}

    return Net()


def _sync(e_model, t_model):
    e_model.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t_model.state_dict().items()})
    e_model.offset = ember.tensor(t_model.offset.numpy())
    return e_model


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    t = build(torch)
    with torch.no_grad():  # non-trivial running statistics
        t.bn.running_mean.uniform_(-0.5, 0.5)
        t.bn.running_var.uniform_(0.5, 2.0)
    t.eval()
    return t, _sync(build(ember), t).eval()


@pytest.fixture(scope="module")
def x_np():
    return np.random.RandomState(1).randn(2, 2, 4, 4).astype(np.float32)


@pytest.fixture(scope="module")
def programs(models, x_np):
    batch = {lib_name: LIBS[lib_name].export.Dim("batch", min=1, max=16) for lib_name in LIBS}
    return {name: LIBS[name].export.export(model, (LIBS[name].tensor(x_np),),
                                           dynamic_shapes={"x": {0: batch[name]}})
            for name, model in zip(LIBS, models)}


def _specs(ep):
    return [(s.kind.name, s.arg.name, s.target, s.persistent) for s in ep.graph_signature.input_specs]


def _close(e, t, tol=1e-5):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def test_graph_signature_and_state_dict_names_match_torch(programs):
    t, e = programs["torch"], programs["ember"]
    assert _specs(e) == _specs(t)
    sig_t, sig_e = t.graph_signature, e.graph_signature
    for attr in ("parameters", "buffers", "non_persistent_buffers", "user_inputs", "inputs_to_parameters",
                 "inputs_to_buffers"):
        assert getattr(sig_e, attr) == getattr(sig_t, attr), attr
    assert len(sig_e.user_outputs) == len(sig_t.user_outputs) == 3
    assert list(e.state_dict) == list(t.state_dict)
    assert list(e.constants) == list(t.constants) == ["offset"]
    assert list(e.module().state_dict()) == list(t.module().state_dict())
    assert [n.name for n in e.graph.nodes if n.op == "placeholder"] == \
        [n.name for n in t.graph.nodes if n.op == "placeholder"]
    assert isinstance(e.graph_module, ember.fx.GraphModule)
    assert all(n.op in ("placeholder", "call_function", "call_method", "output") for n in e.graph.nodes)


def test_module_outputs_and_gradients_match_torch(programs, x_np):
    grads = {}
    for name, lib in LIBS.items():
        mod = programs[name].module()
        x = lib.tensor(np.concatenate([x_np, x_np[:1] * 2]), requires_grad=True)   # another batch size
        out = mod(x)
        assert set(out) == {"logits", "parts"} and isinstance(out["parts"], tuple)
        (out["logits"].pow(2).sum() + out["parts"][0].sum() + out["parts"][1]).backward()
        grads[name] = (out, x.grad, dict(mod.named_parameters()))
    (t_out, t_gx, t_params), (e_out, e_gx, e_params) = grads["torch"], grads["ember"]
    _close(e_out["logits"], t_out["logits"])
    _close(e_out["parts"][1], t_out["parts"][1], 1e-4)
    _close(e_gx, t_gx, 1e-4)
    assert list(e_params) == list(t_params)
    for k in t_params:
        _close(e_params[k].grad, t_params[k].grad, 1e-4)


def test_shape_guards_and_dims_like_torch(models, x_np, programs):
    for name, lib in LIBS.items():
        with pytest.raises(AssertionError, match=r"Guard failed: x.size\(\)\[1\] == 2"):
            programs[name].module()(lib.zeros(2, 3, 4, 4))
        with pytest.raises(AssertionError, match=r"Guard failed: x.size\(\)\[0\] <= 16"):
            programs[name].module()(lib.zeros(17, 2, 4, 4))
        static = lib.export.export(models[list(LIBS).index(name)], (lib.tensor(x_np),))
        with pytest.raises(AssertionError, match=r"Guard failed: x.size\(\)\[0\] == 2"):
            static.module()(lib.zeros(3, 2, 4, 4))
        with pytest.raises(RuntimeError, match="Unable to call ExportedProgram directly"):
            static(lib.tensor(x_np))
        for method in ("train", "eval"):
            with pytest.raises(NotImplementedError, match=rf"Calling {method}\(\) is not supported yet."):
                getattr(static.module(), method)()
        with pytest.raises(Exception, match="top-level keys must be the arg names"):
            lib.export.export(models[list(LIBS).index(name)], (lib.tensor(x_np),), dynamic_shapes={"y": None})
    assert repr(ember.export.Dim("b", min=3, max=10)) == repr(torch.export.Dim("b", min=3, max=10))
    assert repr(ember.export.Dim("c")) == repr(torch.export.Dim("c"))


def test_run_decompositions_returns_an_equivalent_program(programs, x_np):
    for name, lib in LIBS.items():
        ep = programs[name].run_decompositions()
        assert type(ep) is type(programs[name])
        assert _specs(ep) == _specs(programs[name])
        out = ep.module()(lib.tensor(x_np))["logits"]
        _close(out, programs[name].module()(lib.tensor(x_np))["logits"])


def test_save_load_round_trip(programs, x_np, tmp_path):
    path = str(tmp_path / "net.pt2")
    extra = {"note.txt": "hello"}
    ember.export.save(programs["ember"], path, extra_files=extra)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["extra/note.txt", "program.json", "weights.safetensors"]
    got_extra = {"note.txt": ""}
    loaded = ember.export.load(path, extra_files=got_extra)
    assert got_extra == extra
    assert _specs(loaded) == _specs(programs["ember"])
    assert list(loaded.state_dict) == list(programs["ember"].state_dict)
    assert [(n.op, n.name) for n in loaded.graph.nodes] == [(n.op, n.name) for n in programs["ember"].graph.nodes]
    x = np.concatenate([x_np] * 2)
    t_out = programs["torch"].module()(torch.tensor(x))
    e_out = loaded.module()(ember.tensor(x))
    _close(e_out["logits"], t_out["logits"])
    _close(e_out["parts"][0], t_out["parts"][0])
    assert loaded.module().code == programs["ember"].module().code


def _malicious(tmp_path, mutate, name):
    """A real saved program with ``mutate`` applied to its JSON; returns the path."""
    src = io.BytesIO()
    ep = ember.export.export(ember.nn.Sequential(ember.nn.Linear(2, 2)), (ember.zeros(1, 2),))
    ember.export.save(ep, src)
    with zipfile.ZipFile(src) as z:
        program = json.loads(z.read("program.json"))
        weights = z.read("weights.safetensors")
    mutate(program)
    path = str(tmp_path / name)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("program.json", json.dumps(program))
        z.writestr("weights.safetensors", weights)
        z.writestr("data.pkl", b"cos\nsystem\n(S'touch pwned'\ntR.")   # a pickle payload nobody may load
    return path


def _node(program, op):
    return next(n for n in program["nodes"] if n["op"] == op)


def test_malicious_files_cannot_run_code(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.chdir(tmp_path)
    cmd = f"touch {marker}"

    def os_system(p):
        n = _node(p, "call_function")
        n["target"], n["args"] = "os.system", {"$tuple": [cmd]}

    def builtin_eval(p):
        _node(p, "call_function")["target"] = "builtins.eval"

    def dunder_method(p):
        n = _node(p, "call_function")
        n["op"], n["target"] = "call_method", "__reduce_ex__"

    def injected_name(p):
        _node(p, "call_function")["name"] = f"x = __import__('os').system('{cmd}'); y"

    def injected_placeholder(p):
        n = _node(p, "placeholder")
        n["target"] = f"x=__import__('os').system('{cmd}')"

    def getattr_escape(p):
        n = _node(p, "call_function")
        n["target"], n["args"] = "builtins.getattr", {"$tuple": [{"$node": "input"}, "__class__"]}

    def call_module(p):
        n = _node(p, "call_function")
        n["op"], n["target"] = "call_module", "os"

    def tagged_object(p):
        _node(p, "call_function")["args"] = {"$tuple": [{"$pickle": "Y29zCnN5c3RlbQ=="}]}

    for mutate in (os_system, builtin_eval, dunder_method, injected_name, injected_placeholder, getattr_escape,
                   call_module, tagged_object):
        path = _malicious(tmp_path, mutate, mutate.__name__ + ".pt2")
        with pytest.raises(ValueError, match="export.load"):
            ember.export.load(path)
        assert not marker.exists() and not (tmp_path / "pwned").exists(), mutate.__name__
    # A torch.save / pickle file is not a program file: refused without unpickling it.
    pkl = tmp_path / "model.pt"
    pkl.write_bytes(b"cos\nsystem\n(S'touch pwned'\ntR.")
    with pytest.raises(zipfile.BadZipFile):
        ember.export.load(str(pkl))
    assert not os.path.exists(tmp_path / "pwned")


def test_save_refuses_what_it_cannot_store(tmp_path):
    class Holder(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = ember.nn.GRU(2, 2)

        def forward(self, x):
            return self.rnn(x)[0]
    model = Holder().eval()
    ep = ember.export.export(model, (ember.zeros(3, 1, 2),))
    _close(ep.module()(ember.ones(3, 1, 2)), model(ember.ones(3, 1, 2)))   # kept as a call of the GRU
    with pytest.raises(ValueError, match="export.save: node rnn is call_module"):
        ember.export.save(ep, str(tmp_path / "x.pt2"))


def _shape_branching(lib):
    class M(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(4, 2)

        def forward(self, x):
            b, t = x.size()
            if t != 4:
                raise ValueError("expected 4 features")
            if x.dim() == 2:
                x = x * 2
            return self.fc(x).view(b, -1) + int(x.shape[1]) // 2

    class DataBranch(lib.nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x
    return M().eval(), DataBranch()


def test_branches_on_sizes_specialize_and_on_values_fail_like_torch():
    torch.manual_seed(3)
    (t_model, t_data), (e_model, e_data) = _shape_branching(torch), _shape_branching(ember)
    e_model.load_state_dict(
        {k: ember.tensor(v.detach().numpy()) for k, v in t_model.state_dict().items()})
    x = np.random.RandomState(4).randn(3, 4).astype(np.float32)
    outs = []
    for lib, model in ((torch, t_model), (ember, e_model)):
        ep = lib.export.export(model, (lib.tensor(x),), dynamic_shapes={"x": {0: lib.export.Dim("b")}})
        outs.append(ep.module()(lib.tensor(np.concatenate([x, x]))))
        with pytest.raises(AssertionError, match=r"Guard failed: x.size\(\)\[1\] == 4"):
            ep.module()(lib.zeros(3, 5))
    _close(outs[1], outs[0])
    with pytest.raises(Exception, match="data-dependent"):
        torch.export.export(t_data, (torch.tensor(x),))
    with pytest.raises(ember.export.UserError, match="GuardOnDataDependentSymNode"):
        ember.export.export(e_data, (ember.tensor(x),))
