"""The meta device against torch 2.13: tensors with a shape, dtype and strides and no data, factory calls and
module construction on it (``with torch.device("meta")``, ``device="meta"``), shapes through ops and whole
forward passes, the errors of reading one, the random stream left untouched by meta init, ``to_empty`` and
``load_state_dict(assign=True)``, ``skip_init``."""
import copy
import warnings

import numpy as np
import pytest
import torch

import ember


def _desc(t):
    """What a tensor shows without data: device, shape, dtype, strides (nested outputs too)."""
    if isinstance(t, (tuple, list)):
        return [_desc(v) for v in t]
    return str(t.device), tuple(t.shape), str(t.dtype).split(".")[-1], tuple(t.stride())


def _repr(t):
    return repr(t).replace("ember.", "torch.")


FACTORIES = {
    "empty": lambda L: L.empty(3, 4, device="meta"),
    "empty_size_kw": lambda L: L.empty(size=(2, 3), device=L.device("meta"), dtype=L.float64),
    "zeros": lambda L: L.zeros((2, 3), dtype=L.int64, device="meta"),
    "ones_0d": lambda L: L.ones((), device="meta"),
    "ones_empty": lambda L: L.ones(0, 3, device="meta"),
    "full": lambda L: L.full((2,), 3, device="meta"),
    "full_float": lambda L: L.full((2, 2), 1.5, device="meta", requires_grad=True),
    "arange": lambda L: L.arange(5, device="meta"),
    "arange_float": lambda L: L.arange(0, 1, 0.25, device="meta"),
    "linspace": lambda L: L.linspace(0, 1, 7, device="meta"),
    "eye": lambda L: L.eye(3, 2, device="meta"),
    "tensor": lambda L: L.tensor([[1, 2], [3, 4]], device="meta"),
    "randn": lambda L: L.randn(2, 5, device="meta"),
    "rand": lambda L: L.rand(4, device="meta", dtype=L.float64),
    "randint": lambda L: L.randint(0, 9, (3, 2), device="meta"),
    "randperm": lambda L: L.randperm(6, device="meta"),
    "normal": lambda L: L.normal(0.0, 1.0, (2, 2), device="meta"),
    "empty_strided": lambda L: L.empty_strided((2, 3), (1, 2), device="meta"),
    "zeros_like": lambda L: L.zeros_like(L.empty(2, 3, device="meta")),
    "ones_like_to_meta": lambda L: L.ones_like(L.ones(2, 3), device="meta"),
    "full_like": lambda L: L.full_like(L.empty(2, device="meta"), 7),
    "empty_like_dtype": lambda L: L.empty_like(L.empty(2, device="meta"), dtype=L.int32),
    "rand_like": lambda L: L.rand_like(L.empty(2, 2, device="meta")),
    "randn_like": lambda L: L.randn_like(L.empty(3, device="meta")),
    "new_zeros": lambda L: L.empty(2, device="meta").new_zeros(4, 1),
    "new_empty": lambda L: L.empty(2, device="meta", dtype=L.float64).new_empty((3,)),
    "new_tensor": lambda L: L.empty(2, device="meta").new_tensor([1.0, 2.0]),
    "to_meta": lambda L: L.ones(2, 3).to("meta"),
    "to_meta_dtype": lambda L: L.ones(2, 3).to("meta", L.float64),
    "meta_to_dtype": lambda L: L.empty(2, 3, device="meta").to(L.int8),
    "to_other": lambda L: L.ones(2).to(L.empty(1, device="meta")),
    "parameter": lambda L: L.nn.Parameter(L.empty(3, 2, device="meta")),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_meta_factories_as_torch(name):
    t, e = FACTORIES[name](torch), FACTORIES[name](ember)
    assert e.is_meta and t.is_meta
    assert _desc(e) == _desc(t)
    assert _repr(e) == repr(t)
    assert e.requires_grad == t.requires_grad and e.is_contiguous() == t.is_contiguous()
    assert e.data_ptr() == t.data_ptr() == 0


def test_meta_tensor_attributes_as_torch():
    for L in (torch, ember):
        x = L.empty(3, 4, device="meta")
        assert x.is_meta and not x.is_cpu and x.device.type == "meta" and x.device == L.device("meta")
        assert str(x.device) == "meta" and x.numel() == 12 and x.dim() == 2 and x.element_size() == 4
        y = L.empty(3, 4)
        assert not y.is_meta and y.is_cpu and y.device.type == "cpu"
    # no data behind it: a (4096, 4096) meta weight holds one element
    held = ember.empty(4096, 4096, device="meta")._data
    while held.base is not None:
        held = held.base
    assert held.nbytes <= 8


def test_device_context_and_default_device_as_torch():
    for L in (torch, ember):
        with L.device("meta"):
            assert L.zeros(2).is_meta and L.randn(2).is_meta and L.tensor([1.0]).is_meta
            assert L.arange(3).is_meta and L.get_default_device() == L.device("meta")
            assert not L.zeros(2, device="cpu").is_meta
            with L.device("cpu"):
                assert not L.zeros(2).is_meta
            assert L.zeros(2).is_meta
            # the *_like and new_* calls follow their source, not the context
            assert not L.zeros_like(L.ones(2, device="cpu")).is_meta
            assert not L.ones(2, device="cpu").new_zeros(3).is_meta
        assert not L.zeros(2).is_meta and L.get_default_device() == L.device("cpu")
        L.set_default_device("meta")
        try:
            assert L.empty(1).is_meta
        finally:
            L.set_default_device(None)
        assert not L.empty(1).is_meta


def _error(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the type and message are what is compared
        return type(exc).__name__, str(exc)
    return None


READS = {
    "item_0d": lambda L: L.empty((), device="meta").item(),
    "item_many": lambda L: L.empty(3, device="meta").item(),
    "float": lambda L: float(L.empty((), device="meta")),
    "bool": lambda L: bool(L.empty((), device="meta")),
    "tolist": lambda L: L.empty(3, device="meta").tolist(),
    "numpy": lambda L: L.empty(3, device="meta").numpy(),
    "np_asarray": lambda L: np.asarray(L.empty(3, device="meta")),
    "to_cpu": lambda L: L.empty(3, device="meta").to("cpu"),
    "cpu": lambda L: L.empty(3, device="meta").cpu(),
    "module_to_cpu": lambda L: L.nn.Linear(2, 2, device="meta").to("cpu"),
    "module_cpu": lambda L: L.nn.Linear(2, 2, device="meta").cpu(),
    "skip_init_no_device": lambda L: L.nn.utils.skip_init(L.nn.ReLU),
    "skip_init_not_module": lambda L: L.nn.utils.skip_init(int),
}


@pytest.mark.parametrize("name", sorted(READS))
def test_reading_a_meta_tensor_raises_as_torch(name):
    theirs, ours = _error(lambda: READS[name](torch)), _error(lambda: READS[name](ember))
    assert theirs is not None and ours == theirs


def _build_models(L):
    nn = L.nn
    mlp = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    cnn = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    enc = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True)
    return mlp, cnn, enc


def test_meta_init_draws_nothing_from_the_default_generator():
    # torch's meta kernels draw nothing: after building models on meta, seeded draws stay in step with torch
    draws = []
    for L in (torch, ember):
        L.manual_seed(0)
        with L.device("meta"):
            models = _build_models(L)
        L.nn.Linear(3, 4, device="meta")
        L.nn.init.orthogonal_(L.empty(3, 4, device="meta"))
        L.nn.init.trunc_normal_(L.empty(3, 4, device="meta"))
        L.nn.init.sparse_(L.empty(3, 4, device="meta"), 0.5)
        L.empty(3, device="meta").uniform_().normal_().bernoulli_().random_().exponential_().cauchy_()
        L.randn(5, device="meta"), L.randint(0, 5, (3,), device="meta"), L.randperm(4, device="meta")
        L.nn.functional.dropout(L.empty(5, device="meta"), 0.5)
        models[2].train()(L.empty(2, 5, 16, device="meta"))  # dropout inside, on meta
        draws.append(L.randn(3).numpy().copy())
        assert all(p.is_meta for m in models for p in m.parameters())
    np.testing.assert_array_equal(draws[1], draws[0])


def test_module_device_kwargs_as_torch():
    for L in (torch, ember):
        nn = L.nn
        for m in (nn.Linear(4, 3, device="meta"), nn.Conv2d(3, 4, 3, device=L.device("meta")),
                  nn.Embedding(10, 4, device="meta"), nn.LayerNorm(4, device="meta"),
                  nn.LSTM(4, 5, device="meta"), nn.MultiheadAttention(8, 2, device="meta"),
                  nn.BatchNorm1d(4, device="meta")):
            tensors = list(m.parameters()) + list(m.buffers())
            assert tensors and all(t.is_meta for t in tensors), type(m).__name__
        assert not nn.Linear(2, 2, device="cpu").weight.is_meta
        with L.device("meta"):
            assert not nn.Linear(2, 2, device="cpu").weight.is_meta   # the explicit device wins
            assert nn.Linear(2, 2).weight.is_meta
    ours = {n: _desc(p) for n, p in ember.nn.LSTM(4, 5, 2, device="meta").named_parameters()}
    theirs = {n: _desc(p) for n, p in torch.nn.LSTM(4, 5, 2, device="meta").named_parameters()}
    assert ours == theirs
    assert _repr(ember.nn.Linear(3, 2, device="meta").weight) == repr(torch.nn.Linear(3, 2, device="meta").weight)


def test_module_to_meta_and_to_empty_as_torch():
    for L in (torch, ember):
        m = L.nn.Linear(3, 2)
        assert m.to("meta") is m and m.weight.is_meta and isinstance(m.weight, L.nn.Parameter)
        assert m.weight.requires_grad
        m2 = L.nn.Linear(3, 2)
        assert m2.to_empty(device="meta") is m2 and m2.bias.is_meta
        assert m2.to_empty(device="cpu") is m2 and not m2.weight.is_meta
        assert tuple(m2.weight.shape) == (2, 3) and m2.weight.requires_grad


def test_to_empty_then_reset_parameters_as_torch():
    # built on meta, given CPU storage, then initialized: the values are torch's for the same seed
    out = []
    for L in (torch, ember):
        L.manual_seed(1)
        with L.device("meta"):
            net = L.nn.Sequential(L.nn.Linear(4, 8), L.nn.ReLU(), L.nn.Linear(8, 2), L.nn.LayerNorm(2))
        net.to_empty(device="cpu")
        for m in net.modules():
            if hasattr(m, "reset_parameters"):
                m.reset_parameters()
        x = L.linspace(-1, 1, 12).reshape(3, 4)
        out.append([p.detach().numpy().copy() for p in net.parameters()] + [net(x).detach().numpy()])
    for a, b in zip(out[1], out[0]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_load_state_dict_onto_meta_as_torch():
    msgs = []
    for L in (torch, ember):
        L.manual_seed(2)
        ref = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.BatchNorm1d(4))
        sd = ref.state_dict()
        with L.device("meta"):
            m = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.BatchNorm1d(4))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m.load_state_dict(sd)   # copying into meta is a no-op, with torch's warning
        assert m[0].weight.is_meta
        msgs.append([str(w.message) for w in caught if "meta" in str(w.message)])
        result = m.load_state_dict(sd, assign=True)
        assert not result.missing_keys and not result.unexpected_keys
        assert isinstance(m[0].weight, L.nn.Parameter) and m[0].weight.requires_grad
        assert not any(t.is_meta for t in list(m.parameters()) + list(m.buffers()))
        assert m[1].running_var is sd["1.running_var"]
        np.testing.assert_array_equal(m[0].weight.detach().numpy(), ref[0].weight.detach().numpy())
    assert len(msgs[0]) == 7 and msgs[1] == msgs[0]   # every parameter and buffer, torch's words
    theirs, ours = (_error(lambda: L.nn.Linear(2, 2, device="meta").load_state_dict(
        {"weight": L.zeros(3, 2), "bias": L.zeros(2)}, assign=True)) for L in (torch, ember))
    assert theirs and ours and ours[0] == theirs[0] and "size mismatch for weight" in ours[1]


def test_skip_init_as_torch():
    draws = []
    for L in (torch, ember):
        L.manual_seed(4)
        m = L.nn.utils.skip_init(L.nn.Linear, 5, 3, bias=False)
        assert not m.weight.is_meta and tuple(m.weight.shape) == (3, 5) and m.bias is None
        assert L.nn.utils.skip_init(L.nn.Linear, 2, 2, device="meta").weight.is_meta
        draws.append(L.rand(4).numpy().copy())   # skip_init drew nothing
    np.testing.assert_array_equal(draws[1], draws[0])


def _m(L, *shape, dtype=None, requires_grad=False):
    return L.empty(*shape, device="meta", dtype=dtype or L.float32, requires_grad=requires_grad)


def _put(x, index, value):
    x[index] = value
    return x


OPS = {
    "add_broadcast": lambda L, F: _m(L, 2, 3, 4) + _m(L, 4),
    "int_true_div": lambda L, F: _m(L, 3, dtype=L.int64) / 2,
    "int_plus_float": lambda L, F: _m(L, 3, dtype=L.int64) + 1.5,
    "compare": lambda L, F: _m(L, 3, 4) > 0,
    "where": lambda L, F: L.where(_m(L, 3, 4) > 0, _m(L, 3, 4), _m(L, 1)),
    "activations": lambda L, F: [F.gelu(_m(L, 3, 4)), L.sigmoid(_m(L, 3, 4)), F.silu(_m(L, 2, 5)), L.tanh(_m(L, 4))],
    "transposed_layout": lambda L, F: [_m(L, 3, 4).t() + 1, L.exp(_m(L, 3, 4).t()), _m(L, 3, 4).t().clone(),
                                       _m(L, 2, 3, 4).permute(2, 0, 1) * 2, _m(L, 4, 3) + _m(L, 3, 4).t()],
    "matmuls": lambda L, F: [_m(L, 3, 4) @ _m(L, 4, 5), _m(L, 3, 4) @ _m(L, 4), _m(L, 3) @ _m(L, 3, 4),
                             L.bmm(_m(L, 2, 3, 4), _m(L, 2, 4, 6)), _m(L, 2, 3, 4) @ _m(L, 4, 5),
                             L.einsum("bij,jk->bik", _m(L, 2, 3, 4), _m(L, 4, 5)), L.outer(_m(L, 3), _m(L, 4)),
                             L.addmm(_m(L, 5), _m(L, 3, 4), _m(L, 4, 5))],
    "linear": lambda L, F: [F.linear(_m(L, 2, 3, 4), _m(L, 7, 4), _m(L, 7)), F.linear(_m(L, 3, 4), _m(L, 2, 4))],
    "convs": lambda L, F: [F.conv1d(_m(L, 2, 3, 10), _m(L, 4, 3, 3), stride=2, padding=1),
                           F.conv2d(_m(L, 2, 3, 8, 8), _m(L, 5, 3, 3, 3), _m(L, 5), padding=1),
                           F.conv2d(_m(L, 2, 4, 8, 8), _m(L, 4, 2, 3, 3), groups=2, dilation=2),
                           F.conv_transpose2d(_m(L, 2, 3, 8, 8), _m(L, 3, 2, 3, 3), stride=2, padding=1,
                                              output_padding=1),
                           F.unfold(_m(L, 2, 3, 8, 8), 3)],
    "pools": lambda L, F: [F.max_pool2d(_m(L, 2, 3, 8, 8), 2), F.avg_pool2d(_m(L, 2, 3, 8, 8), 3, 2, 1),
                           F.adaptive_avg_pool2d(_m(L, 2, 3, 8, 8), (3, 2)), F.adaptive_max_pool2d(_m(L, 1, 2, 7, 7), 3),
                           F.max_pool2d(_m(L, 1, 2, 6, 6), 2, return_indices=True)],
    "pad_interpolate": lambda L, F: [F.pad(_m(L, 2, 3, 8, 8), (1, 2, 3, 4)), F.pad(_m(L, 1, 2, 5), (2, 1), mode="reflect"),
                                     F.interpolate(_m(L, 2, 3, 8, 8), scale_factor=2, mode="nearest")],
    "views": lambda L, F: [_m(L, 2, 3, 4).view(6, 4), _m(L, 3, 4).t().reshape(12), _m(L, 2, 3, 4).permute(2, 0, 1),
                           _m(L, 2, 3, 4).transpose(0, 2), _m(L, 2, 3, 8, 8).flatten(1), _m(L, 3, 1, 4).squeeze(1),
                           _m(L, 3, 4).unsqueeze(0), _m(L, 3, 1).expand(3, 5), _m(L, 2, 3, 4).mT,
                           _m(L, 3, 4).unflatten(1, (2, 2))],
    "indexing": lambda L, F: [_m(L, 2, 3, 4)[:, 1:, ::2], _m(L, 2, 3, 4)[0], _m(L, 3, 4)[None, :, None],
                              _m(L, 2, 3, 4)[..., 0], _m(L, 3, 4).narrow(1, 1, 2), _m(L, 2, 3, 4).select(1, 2),
                              _m(L, 3, 4).index_select(1, _m(L, 2, dtype=L.int64)),
                              _m(L, 3, 4).gather(1, _m(L, 3, 2, dtype=L.int64))],
    "joins": lambda L, F: [L.cat([_m(L, 3, 4), _m(L, 3, 2)], 1), L.stack([_m(L, 3, 4)] * 2),
                           _m(L, 3, 4).split([1, 3], 1), _m(L, 2, 3, 4).chunk(2, 2), _m(L, 3, 4).unbind(0)],
    "reductions": lambda L, F: [_m(L, 3, 4).sum(), _m(L, 2, 3, 4).sum((0, 2)), _m(L, 2, 3, 4).sum(1, keepdim=True),
                                _m(L, 2, 3, 4).mean(-1), _m(L, 2, 3, 4).var(1), _m(L, 2, 3, 4).max(),
                                _m(L, 2, 3, 4).max(1), _m(L, 2, 3, 4).argmax(), _m(L, 3, 4).norm(dim=-1),
                                _m(L, 3, 4).logsumexp(1), _m(L, 3, 4).cumsum(1), (_m(L, 3, 4) > 0).any(),
                                _m(L, 3, dtype=L.int32).sum(), _m(L, 3, 4).topk(2, 1), _m(L, 3, 4).sort(1)],
    "norms_losses": lambda L, F: [F.layer_norm(_m(L, 2, 3, 4), (4,)), F.group_norm(_m(L, 2, 4, 5), 2),
                                  F.batch_norm(_m(L, 2, 3, 8, 8), _m(L, 3), _m(L, 3), training=False),
                                  F.softmax(_m(L, 2, 3, 4), -1), F.log_softmax(_m(L, 2, 3, 4), 1),
                                  F.embedding(_m(L, 3, 2, dtype=L.int64), _m(L, 10, 6)),
                                  F.cross_entropy(_m(L, 3, 4), _m(L, 3, dtype=L.int64)), F.mse_loss(_m(L, 3), _m(L, 3)),
                                  F.scaled_dot_product_attention(_m(L, 2, 2, 5, 4), _m(L, 2, 2, 5, 4),
                                                                 _m(L, 2, 2, 5, 4), is_causal=True)],
    "in_place": lambda L, F: [_m(L, 3, 4).add_(1), _m(L, 3, 4).t().mul_(2), _m(L, 3, 4).copy_(L.ones(3, 4)),
                              _m(L, 2).zero_(), _m(L, 2).fill_(3), _m(L, 3, 4).masked_fill(_m(L, 3, 4) > 0, 0.0),
                              _put(_m(L, 2, 3, 4), (slice(None), 1), _m(L, 2, 4)),   # a KV-cache write
                              _put(_m(L, 2, 3), (0, L.tensor([0, 2])), _m(L, 2, requires_grad=True) * 2)],
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_shapes_through_ops_on_meta_as_torch(name):
    t = OPS[name](torch, torch.nn.functional)
    e = OPS[name](ember, ember.nn.functional)
    assert _desc(e) == _desc(t)


@pytest.mark.parametrize("fn", [lambda L: L.empty(3, 4, device="meta").nonzero(),
                                lambda L: (lambda x: x[x > 0])(L.empty(3, 4, device="meta"))])
def test_data_dependent_shapes_raise_on_meta_as_torch(fn):
    for L in (torch, ember):
        with pytest.raises(NotImplementedError, match="nonzero"):
            fn(L)


def test_forward_and_backward_of_meta_models_as_torch():
    # A model built on meta runs forward to meta outputs of torch's shapes (and graph), backward to meta gradients;
    # forward hooks see the shapes, as FLOP counters use them
    descs = []
    for L in (torch, ember):
        L.manual_seed(0)
        with L.device("meta"):
            mlp, cnn, enc = _build_models(L)
            lstm = L.nn.LSTM(4, 6, batch_first=True)
        enc.eval()
        flops = []

        def count(m, args, out):
            flops.append(2 * m.in_features * m.out_features * args[0].numel() // args[0].shape[-1])
        for m in (mlp, cnn, enc.linear1, enc.linear2):
            for sub in m.modules():
                if isinstance(sub, L.nn.Linear):
                    sub.register_forward_hook(count)
        got = []
        for m, x in ((mlp, _m(L, 2, 8)), (cnn, _m(L, 2, 3, 16, 16)), (enc, _m(L, 2, 5, 16)), (lstm, _m(L, 2, 5, 4))):
            out = m(x)
            out = out[0] if isinstance(out, tuple) else out
            got.append((_desc(out), _repr(out)))
            out.sum().backward()
            got.append([(n, _desc(p.grad)) for n, p in m.named_parameters()])
        got.append(flops)
        descs.append(got)
    assert descs[1] == descs[0]


def test_a_parameter_rebuilt_from_its_dict_as_accelerate_does():
    # accelerate's init_empty_weights: type(p)(p.to("meta"), **p.__dict__) with requires_grad added to the dict
    for L in (torch, ember):
        p = L.nn.Parameter(L.zeros(2, 3))
        kwargs = p.__dict__
        kwargs["requires_grad"] = False
        q = type(p)(p.to(L.device("meta")), **kwargs)
        assert q.is_meta and not q.requires_grad and isinstance(q, L.nn.Parameter) and tuple(q.shape) == (2, 3)
        with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
            L.nn.Parameter(L.zeros(2), foo=1)


def test_lazy_modules_and_deepcopy_on_meta_as_torch():
    draws = []
    for L in (torch, ember):
        L.manual_seed(5)
        lazy = L.nn.LazyLinear(3, device="meta")
        y = lazy(L.empty(2, 5, device="meta"))   # materialized on meta, reset_parameters drew nothing
        with L.device("meta"):
            conv = L.nn.LazyConv2d(4, 3)
            bn = L.nn.LazyBatchNorm1d()
        conv(L.empty(1, 2, 6, 6, device="meta")), bn(L.empty(3, 7, device="meta"))
        twin = copy.deepcopy(L.nn.Linear(2, 3, device="meta"))
        draws.append((_desc(y), _desc(lazy.weight), _desc(conv.weight), _desc(bn.running_mean), _desc(twin.weight),
                      L.randn(3).numpy().tolist()))
    assert draws[1] == draws[0]


def test_fsdp2_meta_init_as_torch(tmp_path):
    # FSDP2's recipe: build on meta, fully_shard (DTensor parameters whose local shards are meta), then to_empty and
    # initialize; one rank, so the full weights are the local ones
    import torch.distributed as tdist
    import ember.distributed as edist
    from ember.distributed.fsdp import fully_shard as ember_shard
    from torch.distributed.fsdp import fully_shard as torch_shard
    tdist.init_process_group("gloo", init_method=f"file://{tmp_path}/store", rank=0, world_size=1)
    edist.init_process_group("gloo", rank=0, world_size=1)
    try:
        out = []
        for L, shard in ((torch, torch_shard), (ember, ember_shard)):
            L.manual_seed(0)
            with L.device("meta"):
                model = L.nn.Sequential(L.nn.Linear(4, 8), L.nn.ReLU(), L.nn.Linear(8, 2))
            for m in (model[0], model[2], model):
                shard(m)
            before = (type(model[0].weight).__name__, str(model[0].weight.device), model[0].weight.to_local().is_meta)
            model.to_empty(device="cpu")
            for m in (model[0], model[2]):
                m.reset_parameters()
            y = model(L.linspace(-1, 1, 12).reshape(3, 4))
            out.append((before, str(model[0].weight.device), y.detach().numpy().copy(), L.randn(2).numpy().copy()))
        assert out[1][:2] == out[0][:2] == (("DTensor", "meta", True), "cpu")
        np.testing.assert_allclose(out[1][2], out[0][2], rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(out[1][3], out[0][3])
    finally:
        edist.destroy_process_group()
        tdist.destroy_process_group()


GRADS = {
    "sdpa_masked": lambda L, F, g: F.scaled_dot_product_attention(
        g(2, 2, 5, 4), g(2, 2, 5, 4), g(2, 2, 5, 4), attn_mask=L.ones(5, 5, dtype=L.bool, device="meta")),
    "conv": lambda L, F, g: F.conv2d(g(2, 3, 6, 6), g(4, 3, 3, 3), padding=1),
    "conv_transpose": lambda L, F, g: F.conv_transpose2d(g(2, 3, 6, 6), g(3, 4, 3, 3), stride=2),
    "pools": lambda L, F, g: F.max_pool2d(g(2, 3, 6, 6), 2).sum() + F.avg_pool2d(g(2, 3, 6, 6), 2).sum(),
    "embedding": lambda L, F, g: F.embedding(_m(L, 3, 2, dtype=L.int64), g(10, 4)),
    "norms": lambda L, F, g: F.layer_norm(g(2, 3, 4), (4,), g(4), g(4)).sum() + F.group_norm(g(2, 4, 5), 2).sum()
    + F.batch_norm(g(4, 3, 5), None, None, g(3), g(3), training=True).sum(),
    "losses": lambda L, F, g: F.cross_entropy(g(3, 5), _m(L, 3, dtype=L.int64)) + F.mse_loss(g(3, 5), _m(L, 3, 5)),
    "elementwise": lambda L, F, g: F.gelu(g(3, 5)) * F.softmax(g(3, 5), -1),
    "shapes": lambda L, F, g: L.cat([g(3, 5)[:, 1:3] * 2, g(3, 2)], 1),
    "matmul_broadcast": lambda L, F, g: g(2, 3, 4) @ g(4, 5),
    "pad_interpolate": lambda L, F, g: F.pad(g(2, 3, 4), (1, 1)).sum() + F.interpolate(
        g(1, 2, 4, 4), scale_factor=2, mode="bilinear").sum(),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_gradients_through_ops_on_meta_as_torch(name):
    got = []
    for L in (torch, ember):
        leaves = []

        def g(*shape):
            leaves.append(_m(L, *shape, requires_grad=True))
            return leaves[-1]
        out = GRADS[name](L, L.nn.functional, g)
        out.sum().backward()
        got.append((_desc(out), [_desc(x.grad) for x in leaves]))
    assert got[1] == got[0]


def test_the_device_context_is_per_thread_as_torch():
    import threading
    for L in (torch, ember):
        seen = []
        with L.device("meta"):
            worker = threading.Thread(target=lambda: seen.append(L.zeros(2).is_meta))
            worker.start()
            worker.join()
            seen.append(L.zeros(2).is_meta)
        assert seen == [False, True]


def test_optimizer_steps_on_a_meta_model_as_torch():
    got = []
    for L in (torch, ember):
        m = L.nn.Linear(3, 2, device="meta")
        m(_m(L, 4, 3)).sum().backward()
        sgd = L.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        sgd.step(), sgd.step()
        adam = L.optim.AdamW(m.parameters(), lr=0.1)
        adam.step()
        got.append((_desc(m.weight), _desc(sgd.state[m.weight]["momentum_buffer"]),
                    _desc(adam.state[m.weight]["exp_avg"]), _desc(adam.state[m.weight]["exp_avg_sq"])))
    assert got[1] == got[0]
