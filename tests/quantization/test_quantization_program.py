"""The whole tutorial-style script tests/programs/quantization_tutorial.py (``import torch``), run on real
torch and through ``python -m ember.torch_compat`` with the same initial weights: dynamic
quantization of an LSTM word model, static PTQ of a CNN, QAT, each compared with torch's run."""
import re

import numpy as np
import pytest

from tests.programs.test_programs import Run, close, get, run_spec, spec_for

RUNS = [Run("quantization_tutorial", "quantization_tutorial.py", [], shared_init=True)]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("quantization_programs"))
    theirs = run_spec(root, spec_for(RUNS, root, "torch"), "torch")
    ours = run_spec(root, spec_for(RUNS, root, "ember"), "ember")
    return theirs, ours


def layout(text):
    """A module's repr with dtypes named torch's way and observed scales elided."""
    return re.sub(r"scale=[0-9.e-]+|scale=tensor\(\[[0-9.e-]+\]\)", "scale=S", text.replace("ember.", "torch."))


def test_quantization_tutorial(results):
    t, e = get(results, "quantization_tutorial")
    assert e["engine"] == t["engine"] == "x86"
    # dynamic quantization
    assert [layout(r) for r in e["dynamic_repr"]] == [layout(r) for r in t["dynamic_repr"]]
    assert e["dynamic_keys"] == t["dynamic_keys"]
    ratio_e, ratio_t = e["size_float"] / e["size_int8"], t["size_float"] / t["size_int8"]
    assert ratio_e > 2.5 and ratio_e > 0.9 * ratio_t, (ratio_e, ratio_t)
    close(e["lm_loss"], t["lm_loss"], rtol=1e-6)
    close(e["lm_logits"], t["lm_logits"], rtol=0, atol=1e-6)
    # post-training static quantization: one quantization step at most, on few outputs
    close(e["float_out"], t["float_out"], rtol=1e-5, atol=1e-6)
    scale = t["ptq_scale"][2]
    steps = np.abs(np.array(e["ptq_out"]) - np.array(t["ptq_out"])) / scale
    assert steps.max() <= 1.001 and (steps > 1e-3).mean() <= 0.02
    close(e["ptq_scale"], t["ptq_scale"], rtol=1e-6)
    assert [layout(r) for r in e["ptq_repr"]] == [layout(r) for r in t["ptq_repr"]]
    assert e["ptq_keys"] == t["ptq_keys"]
    # quantization-aware training, then convert
    close(e["qat_losses"], t["qat_losses"], rtol=1e-5)
    close(e["qat_scale"], t["qat_scale"], rtol=1e-5)
    steps = np.abs(np.array(e["qat_out"]) - np.array(t["qat_out"])) / t["qat_scale"]
    assert steps.max() <= 1.001 and (steps > 1e-3).mean() <= 0.02
    assert layout(e["qat_repr"]) == layout(t["qat_repr"])
