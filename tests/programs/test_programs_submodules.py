"""A program that uses torch's smaller submodules together (torch._dynamo / torch._inductor settings, a
torch.library custom op with its autograd formula, torch.utils.flop_counter, flex_attention), run on real
torch and through ``python -m ember.torch_compat`` with the harness of :mod:`tests.programs.test_programs`.
Its data come from NumPy and it loads torch's initial weights, so the losses agree to float32 round-off."""
import numpy as np
import pytest

from tests.programs.test_programs import Run, close, get, run_spec, spec_for

# torch.compile of the real torch would spend minutes in inductor: only ember compiles.
RUNS = [Run("custom_ops_flex", "custom_ops_flex.py", [], shared_init=True, torch_args=["--compile", "0"],
            ember_args=["--compile", "1"])]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("programs_submodules"))
    return (run_spec(root, spec_for(RUNS, root, "torch"), "torch"),
            run_spec(root, spec_for(RUNS, root, "ember"), "ember"))


def test_custom_ops_flex(results):
    t, e = get(results, "custom_ops_flex")
    close(e["losses"], t["losses"], rtol=2e-5)
    assert e["losses"][-1] < 0.8 * e["losses"][0]
    close(e["flex"], t["flex"], rtol=1e-4, atol=1e-6)
    assert e["plain_vs_sdpa"] < 1e-5 and t["plain_vs_sdpa"] < 1e-5
    assert e["config"] == t["config"] == [64, True] and e["is_compiling"] is t["is_compiling"] is False
    assert e["flops"]["total"] == t["flops"]["total"]
    # Per module: torch's tracker also credits a module with backward ops that run while its own backward
    # is open (here the `up` projection's backward, run between `gate`'s output and input gradients);
    # ember credits each backward op to the modules its forward ran in. Every other module agrees.
    mine, theirs = e["flops"]["per_module"], t["flops"]["per_module"]
    assert set(mine) == set(theirs)
    for name in theirs:
        if name != "TinyLM.block.gate":
            assert mine[name] == theirs[name], name
    assert mine["TinyLM.block.gate"] == mine["TinyLM.block.up"] < theirs["TinyLM.block.gate"]
    assert np.isfinite(e["flex"]).all()
