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
