"""Module API: registration, iteration order, state_dict, load_state_dict, hooks, modes, repr, copying."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from ember import nn
from tests.nn.helpers import copy_weights, assert_close


def build(lib):
    """The same nested architecture in ember (lib=ember.nn) or PyTorch (lib=torch.nn)."""
    mk = torch if lib is torch.nn else ember

    class Block(lib.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.Linear(4, 4)
            self.register_buffer("running", mk.zeros(4))
            self.register_buffer("scratch", mk.ones(2), persistent=False)
            self.scale = lib.Parameter(mk.ones(1))

        def forward(self, x):
            return self.fc(x) * self.scale + self.running

    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.stem = lib.Sequential(OrderedDict([("inp", lib.Linear(3, 4)), ("act", lib.ReLU())]))
            self.blocks = lib.ModuleList([Block(), Block()])
            self.heads = lib.ModuleDict({"cls": lib.Linear(4, 2), "reg": lib.Sequential(lib.Linear(4, 1))})
            self.extra = lib.ParameterList([lib.Parameter(mk.zeros(2)), lib.Parameter(mk.zeros(3))])
            self.table = lib.ParameterDict({"a": lib.Parameter(mk.ones(2))})
            self.register_buffer("steps", mk.tensor(0))
            self.register_buffer("nothing", None)

        def forward(self, x):
            h = self.stem(x)
            for b in self.blocks:
                h = b(h)
            return self.heads["cls"](h), self.heads["reg"](h)

    return Net()


def test_state_dict_keys_and_shapes_match_torch():
    e, t = build(nn), build(torch.nn)
    esd, tsd = e.state_dict(), t.state_dict()
    assert list(esd) == list(tsd)
    assert [tuple(v.shape) for v in esd.values()] == [tuple(v.shape) for v in tsd.values()]
    assert "blocks.0.scratch" not in esd
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]
    assert esd._metadata[""] == {"version": 1}
    assert not esd["stem.inp.weight"].requires_grad
    assert esd["stem.inp.weight"]._data is e.stem.inp.weight._data  # detached, sharing memory
    assert e.state_dict(keep_vars=True)["stem.inp.weight"] is e.stem.inp.weight


def test_forward_after_loading_torch_weights_matches():
    e, t = build(nn).double(), build(torch.nn).double()
    with torch.no_grad():
        for p in t.parameters():
            p.normal_()
        t.blocks[1].running.normal_()
    copy_weights(t, e)
    x = np.random.default_rng(0).standard_normal((5, 3))
    oe, ot = e(ember.tensor(x)), t(torch.tensor(x))
    for a, b in zip(oe, ot):
        assert_close(a, b)
    assert_close(e.blocks[1].running, t.blocks[1].running)


def test_load_state_dict_errors_and_keys():
    e = build(nn)
    sd = e.state_dict()
    del sd["stem.inp.bias"]
    sd["bogus"] = ember.zeros(1)
    sd["blocks.0.fc.extra"] = ember.zeros(1)
    with pytest.raises(RuntimeError) as info:
        e.load_state_dict(sd)
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:")
    assert 'Missing key(s) in state_dict: "stem.inp.bias".' in msg
    assert 'Unexpected key(s) in state_dict: "bogus", "blocks.0.fc.extra".' in msg
    assert msg.index("Missing") < msg.index("Unexpected")
    res = e.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["stem.inp.bias"]
    assert res.unexpected_keys == ["bogus", "blocks.0.fc.extra"]
    assert repr(e.load_state_dict(e.state_dict())) == "<All keys matched successfully>"

    # The same cases in PyTorch give the same key lists.
    t = build(torch.nn)
    tsd = t.state_dict()
    del tsd["stem.inp.bias"]
    tsd["bogus"] = torch.zeros(1)
    tsd["blocks.0.fc.extra"] = torch.zeros(1)
    tres = t.load_state_dict(tsd, strict=False)
    assert (tres.missing_keys, tres.unexpected_keys) == (res.missing_keys, res.unexpected_keys)


def test_load_state_dict_size_mismatch_message():
    m = nn.Sequential(nn.Linear(4, 3))
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight: copying a param with shape "
                                           r"ember.Size\(\[3, 5\]\) from checkpoint, the shape in current model is "
                                           r"ember.Size\(\[3, 4\]\)"):
        m.load_state_dict({"0.weight": ember.zeros(3, 5), "0.bias": ember.zeros(3)})
    # A mismatch is an error even when strict=False, as in PyTorch.
    with pytest.raises(RuntimeError, match="size mismatch"):
        m.load_state_dict({"0.weight": ember.zeros(3, 5)}, strict=False)


def test_load_state_dict_copies_in_place_and_assign_replaces():
    m = nn.Linear(2, 2)
    w = m.weight
    m.load_state_dict({"weight": np.ones((2, 2), np.float64), "bias": torch.zeros(2)})
    assert m.weight is w and m.weight.dtype == ember.float32 and m.weight.tolist() == [[1, 1], [1, 1]]
    new = ember.full((2, 2), 3.0)
    m.load_state_dict({"weight": new, "bias": ember.zeros(2)}, assign=True)
    assert m.weight is not w and isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert m.weight._data is new._data
    with pytest.raises(TypeError, match="dict-like"):
        m.load_state_dict([1, 2])


def test_registration_rules():
    m = nn.Module()
    m.w = nn.Parameter(ember.zeros(2))
    m.sub = nn.Linear(2, 2)
    m.register_buffer("buf", ember.ones(1))
    m.plain = 3
    assert [n for n, _ in m.named_parameters()] == ["w", "sub.weight", "sub.bias"]
    assert "plain" not in m._parameters and m.plain == 3
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' as parameter 'w'"):
        m.w = ember.zeros(2)
    m.w = None
    assert "w" in m._parameters and m.w is None and len(list(m.parameters())) == 2
    m.buf = ember.zeros(3)  # reassigning a buffer name keeps it a buffer
    assert m._buffers["buf"].shape == (3,)
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("plain", ember.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError):
        m.register_buffer("x", 3)
    with pytest.raises(TypeError, match="not a Module subclass"):
        m.add_module("z", 3)
    del m.sub
    assert "sub" not in m._modules
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'sub'"):
        m.sub
    m.b2 = nn.Buffer(ember.ones(2), persistent=False)
    assert "b2" in m._buffers and "b2" not in m.state_dict()

    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Broken()


def test_shared_parameters_and_modules_counted_once():
    shared = nn.Linear(3, 3)
    m = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(m.parameters())) == 2
    assert len(list(m.named_parameters(remove_duplicate=False))) == 4
    assert [n for n, _ in m.named_modules()] == ["", "0", "1"]
    assert m.state_dict().keys() == torch.nn.Sequential(
        *(lambda s: [s, torch.nn.ReLU(), s])(torch.nn.Linear(3, 3))).state_dict().keys()


def test_get_submodule_parameter_buffer():
    e = build(nn)
    assert e.get_submodule("blocks.1.fc") is e.blocks[1].fc
    assert e.get_submodule("") is e
    assert e.get_parameter("heads.cls.weight") is e.heads["cls"].weight
    assert e.get_buffer("blocks.0.running") is e.blocks[0].running
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        e.get_submodule("blocks.nope")
    with pytest.raises(AttributeError, match="is not an nn.Parameter"):
        e.get_parameter("blocks.0.running")
    e.set_submodule("heads.cls", nn.Identity())
    assert isinstance(e.heads["cls"], nn.Identity)


def test_train_eval_propagate():
    e = build(nn)
    assert e.training and all(m.training for m in e.modules())
    assert e.eval() is e
    assert not any(m.training for m in e.modules())
    e.blocks.train()
    assert e.blocks[0].fc.training and not e.training
    with pytest.raises(ValueError):
        e.train("yes")


def test_zero_grad_and_requires_grad():
    m = nn.Linear(3, 2)
    m(ember.ones(4, 3)).sum().backward()
    assert m.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert m.weight.grad.abs().sum().item() == 0
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_dtype_conversion_keeps_parameter_identity():
    m = nn.Sequential(nn.Linear(2, 2), nn.Embedding(3, 2))
    m[0].register_buffer("count", ember.tensor(3))
    w = m[0].weight
    assert m.double() is m
    assert m[0].weight is w and w.dtype == ember.float64 and isinstance(w, nn.Parameter)
    assert m[0].count.dtype == ember.int64  # integer buffers are not converted
    m.to(ember.float32)
    assert w.dtype == ember.float32
    m.half().float()
    m.to("cpu")
    m.to(ember.zeros(1, dtype=ember.float64))
    assert w.dtype == ember.float64
    with pytest.raises(TypeError, match="floating point"):
        m.to(ember.int64)
    with pytest.raises(RuntimeError, match="CPU only"):
        m.to("cuda")


def test_apply_with_init():
    m = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 2)))
    seen = []

    def init_weights(mod):
        seen.append(type(mod).__name__)
        if isinstance(mod, nn.Linear):
            nn.init.constant_(mod.weight, 0.5)
            nn.init.zeros_(mod.bias)
    assert m.apply(init_weights) is m
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]
    assert m[2][0].weight.tolist() == [[0.5] * 3] * 2


def test_deepcopy_and_pickle():
    m = build(nn)
    m(ember.ones(2, 3))[0].sum().backward()
    c = copy.deepcopy(m)
    assert c.blocks[0].fc.weight is not m.blocks[0].fc.weight
    assert isinstance(c.blocks[0].fc.weight, nn.Parameter)
    assert np.array_equal(c.blocks[0].fc.weight.detach().numpy(), m.blocks[0].fc.weight.detach().numpy())
    assert c.blocks[0].fc.weight.grad is not None
    assert list(c.state_dict()) == list(m.state_dict())
    c.blocks[0].fc.weight.data.fill_(7)
    assert m.blocks[0].fc.weight.detach().numpy().max() != 7
    shared = nn.Linear(2, 2)
    s = copy.deepcopy(nn.Sequential(shared, shared))
    assert s[0] is s[1]
    p = pickle.loads(pickle.dumps(nn.Sequential(nn.Linear(2, 2), nn.ReLU())))
    assert isinstance(p[0].weight, nn.Parameter) and p[0].weight.requires_grad
    assert p(ember.ones(1, 2)).shape == (1, 2)


def test_repr_equals_torch():
    e, t = build(nn), build(torch.nn)
    # Containers of parameters print their dtype in the library's name; compare the rest.
    del e.extra, e.table, t.extra, t.table
    assert repr(e) == repr(t)
    layers = lambda lib: lib.Sequential(  # noqa: E731
        lib.Flatten(), lib.Linear(784, 128), lib.ReLU(), lib.Dropout(0.2), lib.Linear(128, 10, bias=False),
        lib.ModuleList([lib.GELU(), lib.GELU(), lib.Tanh(), lib.Linear(2, 2), lib.Linear(2, 2)]),
        lib.Embedding(10, 3, padding_idx=0), lib.LeakyReLU(0.2, inplace=True), lib.Softmax(dim=1),
        lib.Unflatten(1, (2, 5)), lib.ModuleDict({"a": lib.PReLU(3)}), lib.Sequential(), lib.ModuleList())
    assert repr(layers(nn)) == repr(layers(torch.nn))
    assert repr(nn.ParameterList([nn.Parameter(ember.zeros(2, 3)), ember.ones(1)])) == \
        repr(torch.nn.ParameterList([torch.zeros(2, 3), torch.ones(1)])).replace("torch", "ember")


def test_sequential_api():
    a, b, c = nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and s[-1] is c and list(s) == [a, b, c]
    sl = s[1:]
    assert isinstance(sl, nn.Sequential) and list(sl._modules) == ["1", "2"] and sl[0] is b
    s2 = s + nn.Sequential(nn.Tanh())
    assert len(s2) == 4 and list(s2._modules) == ["0", "1", "2", "3"]
    s.append(nn.Sigmoid())
    s.insert(1, nn.Identity())
    assert [type(m).__name__ for m in s] == ["Linear", "Identity", "ReLU", "Linear", "Sigmoid"]
    popped = s.pop(1)
    assert isinstance(popped, nn.Identity) and list(s._modules) == ["0", "1", "2", "3"]
    del s[-1]
    s.extend([nn.Tanh()])
    s[3] = nn.Sigmoid()
    assert isinstance(s[3], nn.Sigmoid)
    with pytest.raises(IndexError):
        s[10]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert named.fc is named[0] and list(named.state_dict()) == ["fc.weight", "fc.bias"]
    assert named(ember.ones(3, 2)).shape == (3, 2)
    assert len(nn.Sequential(nn.ReLU()) * 3) == 3


def test_modulelist_moduledict_parameterlist_dict():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml.insert(0, nn.Identity())
    ml += [nn.Sigmoid()]
    assert [type(m).__name__ for m in ml] == ["Identity", "Linear", "ReLU", "Tanh", "Sigmoid"]
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2 and ml[-1] is ml[4]
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2", "3"] and isinstance(ml[0], nn.Linear)
    assert ml.pop(0) is not None and len(ml) == 3
    md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    md["c"] = nn.Linear(1, 1)
    assert list(md.keys()) == ["b", "a", "c"] and "a" in md and len(md) == 3
    assert list(md) == ["b", "a", "c"] and md.pop("a") is not None and len(md) == 2
    md.update([("d", nn.ReLU())])
    assert [k for k, _ in md.items()] == ["b", "c", "d"]
    pl = nn.ParameterList([ember.zeros(2), nn.Parameter(ember.ones(3))])
    pl.append(ember.zeros(1))
    assert len(pl) == 3 and all(isinstance(p, nn.Parameter) for p in pl)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    pd = nn.ParameterDict({"w": ember.zeros(2)})
    pd["v"] = nn.Parameter(ember.ones(1))
    assert list(pd.keys()) == ["w", "v"] and isinstance(pd["w"], nn.Parameter) and "v" in pd
    assert [n for n, _ in pd.named_parameters()] == ["w", "v"]
    del pd["w"]
    assert len(pd) == 1 and len(list(pd.parameters())) == 1


def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append(("pre", args[0].shape)))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(("post", out.shape)))
    h3 = m.register_forward_hook(lambda mod, args, out: out * 0)
    y = m(ember.ones(3, 2))
    assert calls == [("pre", (3, 2)), ("post", (3, 2))] and y.abs().sum().item() == 0
    h3.remove()
    h1.remove()
    h2.remove()
    assert m(ember.ones(1, 2)).abs().sum().item() != 0 and len(calls) == 2
    # A pre-hook can replace the input; with_kwargs passes keyword arguments.
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    assert np.allclose(m(ember.ones(1, 2)).detach().numpy(), m.bias.detach().numpy())
    seen = {}

    class K(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale
    k = K()
    k.register_forward_hook(lambda mod, args, kwargs, out: seen.update(kwargs), with_kwargs=True)
    k.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"scale": 3.0}), with_kwargs=True)
    assert k(ember.ones(1), scale=2.0).item() == 3.0 and seen == {"scale": 3.0}
    order = []
    k.register_forward_hook(lambda *a: order.append("second"))
    k.register_forward_hook(lambda *a: order.append("first"), prepend=True)
    k(ember.ones(1))
    assert order == ["first", "second"]
    with nn.Identity().register_forward_hook(lambda *a: None) as h:
        assert isinstance(h, nn.RemovableHandle)


def test_full_backward_hook_matches_torch():
    def run(lib, mk):
        m = lib.Sequential(lib.Linear(3, 2), lib.Tanh()).double()
        with (torch.no_grad() if lib is torch.nn else ember.no_grad()):
            for p, v in zip(m.parameters(), [np.arange(6.0).reshape(2, 3) / 10, np.array([0.1, -0.2])]):
                p.copy_(mk.tensor(v))
        got = {}

        def hook(mod, gin, gout):
            got["gin"] = [None if g is None else g.detach().numpy().copy() for g in gin]
            got["gout"] = [g.detach().numpy().copy() for g in gout]
            return (gin[0] * 2,)
        m[0].register_full_backward_hook(hook)
        pre = []
        m[0].register_full_backward_pre_hook(lambda mod, gout: pre.append(gout[0].shape))
        x = mk.tensor(np.ones((4, 3)), requires_grad=True)
        m(x).sum().backward()
        return got, x.grad.detach().numpy(), pre
    (ge, xe, pe), (gt, xt, pt) = run(nn, ember), run(torch.nn, torch)
    np.testing.assert_allclose(ge["gin"][0], gt["gin"][0])
    np.testing.assert_allclose(ge["gout"][0], gt["gout"][0])
    np.testing.assert_allclose(xe, xt)
    assert tuple(pe[0]) == tuple(pt[0])


def test_backward_hook_without_input_grad():
    m = nn.Linear(2, 1)
    got = []
    m.register_full_backward_hook(lambda mod, gin, gout: got.append((gin, gout[0].shape)))
    m(ember.ones(3, 2)).sum().backward()
    assert got and got[0][0] == (None,) and got[0][1] == (3, 1)
    assert m.weight.grad is not None


def test_state_dict_hooks_and_extra_state():
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(1, 1)
            self.tag = "a"

        def get_extra_state(self):
            return {"tag": self.tag}

        def set_extra_state(self, state):
            self.tag = state["tag"]
    a, b = WithExtra(), WithExtra()
    a.tag = "zzz"
    sd = a.state_dict()
    assert list(sd) == ["_extra_state", "fc.weight", "fc.bias"]  # PyTorch's order
    b.load_state_dict(sd)
    assert b.tag == "zzz"
    calls = []
    b.register_load_state_dict_post_hook(lambda mod, keys: calls.append(keys))
    b.load_state_dict(sd)
    assert len(calls) == 1


def test_dir_and_getattr():
    m = nn.Linear(2, 2)
    assert {"weight", "bias", "forward", "in_features"} <= set(dir(m))
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        m.nope
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


def test_parameter_basics():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    assert p.requires_grad and isinstance(p, ember.Tensor)
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert repr(nn.Parameter(ember.ones(1), requires_grad=False)) == "Parameter containing:\ntensor([1.])"
    assert not isinstance(p * 2, nn.Parameter)
    assert nn.Parameter().shape == (0,)
    base = ember.zeros(2)
    q = nn.Parameter(base)
    q.data.fill_(5)
    assert base.tolist() == [5.0, 5.0]  # memory is shared, as in PyTorch
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(ember.tensor([1, 2]))
    assert nn.Parameter(ember.tensor([1, 2]), requires_grad=False).dtype == ember.int64


def test_device_context_and_to_empty_as_torch():
    # `with torch.device("cpu"):` builds the model as usual (the same seeded init as torch), then
    # `to_empty(device="cpu")` + `reset_parameters()` re-initializes it from the stream as torch does
    out = []
    for lib in (ember, torch):
        lib.manual_seed(3)
        with lib.device("cpu") as d:
            m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.LayerNorm(4))
            t = lib.zeros(2)
        assert str(d) == "cpu" and str(t.device) == "cpu"
        assert m.to_empty(device="cpu") is m and m.to_empty(device=lib.device("cpu"), recurse=False) is m
        m[0].reset_parameters()
        out.append(m[0].weight.detach().numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-6)
    with pytest.raises(RuntimeError, match="CPU only"):
        with ember.device("cuda"):
            pass
    with pytest.raises(RuntimeError, match="CPU only"):
        nn.Linear(2, 2).to_empty(device="cuda:0")
