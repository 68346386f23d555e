"""PyTorch idioms that programs carry over unchanged: device selection, backend flags, .to(device)."""
import pytest

import ember as torch


def test_device_selection_idiom_picks_the_cpu():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert str(device) == "cpu" and torch.cuda.device_count() == 0
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    assert not torch.backends.mps.is_available()
    model = torch.nn.Linear(3, 2).to(device)
    x = torch.randn(4, 3).to(device)
    assert model(x).shape == (4, 2)
    with pytest.raises(RuntimeError, match="CPU"):
        x.to("cuda")


@pytest.mark.parametrize("args", [(2, 3), ([1, 2],), ([[1.5, 2.0]],), ()])
def test_tensor_constructor_and_legacy_typed_constructors_match_torch(args):
    import torch as real
    e, t = torch.Tensor(*args), real.Tensor(*args)
    assert tuple(e.shape) == tuple(t.shape) and str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    for name in ("FloatTensor", "LongTensor", "DoubleTensor", "IntTensor", "BoolTensor"):
        e2, t2 = getattr(torch, name)(*args), getattr(real, name)(*args)
        if args != (2, 3):  # (2, 3) is uninitialised memory in PyTorch
            assert e2.tolist() == t2.tolist()
        assert tuple(e2.shape) == tuple(t2.shape)
        assert str(e2.dtype).split(".")[-1] == str(t2.dtype).split(".")[-1]
    x = torch.ones(2, dtype=torch.int64)
    assert torch.Tensor(x).dtype == torch.int64


def test_legacy_tensor_types_check_and_cast_like_torch():
    import torch as real
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor", "BoolTensor", "HalfTensor"):
        e_cls, t_cls = getattr(torch, name), getattr(real, name)
        for dtype in ("float32", "float64", "int64", "uint8", "bool"):
            e, t = torch.zeros(2, dtype=getattr(torch, dtype)), real.zeros(2, dtype=getattr(real, dtype))
            assert isinstance(e, e_cls) == isinstance(t, t_cls), (name, dtype)
            assert e.type() == t.type()
            assert str(e.type(e_cls).dtype).split(".")[-1] == str(t.type(t_cls).dtype).split(".")[-1]
            assert str(e.type(f"torch.{name}").dtype).split(".")[-1] == str(t.type(f"torch.{name}").dtype).split(".")[-1]
