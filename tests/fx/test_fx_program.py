"""The FX tutorial-style program (tests/programs/fx_tutorial.py) on real torch and through ember.torch_compat."""
import pytest

from tests.programs.test_programs import Run, close, get, run_spec, spec_for

RUNS = [Run("fx_tutorial", "fx_tutorial.py", [], shared_init=True)]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("fx_programs"))
    theirs = run_spec(root, spec_for(RUNS, root, "torch"), "torch")
    ours = run_spec(root, spec_for(RUNS, root, "ember"), "ember")
    return theirs, ours


def test_fx_tutorial(results):
    t, e = get(results, "fx_tutorial")
    for key in ("ops", "fused_ops", "gelu_ops", "profile", "shapes", "signature", "state_keys", "add_is_operator"):
        assert e[key] == t[key], key
    assert e["traced_diff"] == 0.0 and e["profile_diff"] == 0.0
    for key in ("eager", "fused", "gelu", "exported", "reloaded"):
        close(e[key], t[key], rtol=1e-4, atol=1e-5)
    close(e["fused"], e["eager"], rtol=1e-4, atol=1e-5)    # fusion keeps the eval-mode outputs
    close(e["losses"], t["losses"], rtol=1e-3, atol=1e-6)
