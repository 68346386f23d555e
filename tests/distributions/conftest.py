import pytest
import torch


@pytest.fixture(autouse=True)
def _torch_validates_arguments():
    # torch.cond (tested elsewhere) runs torch._dynamo, which switches torch.distributions' argument
    # validation off for the whole process; the oracle here is torch with its default, validation on.
    torch.distributions.Distribution.set_default_validate_args(True)
    yield
