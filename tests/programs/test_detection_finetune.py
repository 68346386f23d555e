"""tests/programs/detection_finetune.py (PyTorch's detection fine-tuning tutorial on a PennFudan-like
set: Mask R-CNN with replaced predictors, SGD with warm-up, the drawn prediction) run unchanged
through ``python -m ember.torch_compat``, against its torchvision 0.29 run recorded by
tests/vision/make_detection_fixtures.py (fixtures/torchvision_detection_program.json).

Both runs start from the same weights (``_formula_init`` of the recorded state_dict keys; ember's
run loads them strictly, so the keys are torchvision's). Before training, the eval predictions
are deterministic and must agree to float32 round-off. Training samples anchors and proposals
with ``randperm``, whose stream ember reproduces from ``torch.manual_seed``: the first steps'
losses agree closely, later ones are compared by how far they fall.
"""
import json
import os

import numpy as np
import pytest

from tests.programs._formula_init import write_formula_init
from tests.programs.test_programs import close, falls_alike, get, run_spec
from tests.vision import _det_cases as cases

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(os.path.dirname(HERE), "vision", "fixtures", "torchvision_detection_program.json")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    with open(FIXTURE) as f:
        recorded = json.load(f)
    assert recorded["args"] == cases.PROGRAM_ARGS, "re-record the fixture: the program's arguments changed"
    root = str(tmp_path_factory.mktemp("detection"))
    init = write_formula_init(os.path.join(root, "init.npz"), recorded["keys"])
    spec = [["finetune", os.path.join(HERE, "detection_finetune.py"), cases.PROGRAM_ARGS + ["--init-in", init]]]
    ours = run_spec(root, spec, "ember")
    theirs = {"finetune": {"ok": True, "result": recorded["result"], "error": None, "stdout": ""}}
    return theirs, ours


def test_untrained_predictions_match(results):
    t, e = get(results, "finetune")
    tb, eb = t["before"], e["before"]
    assert len(eb["boxes"]) == len(tb["boxes"]) > 0
    assert eb["labels"] == tb["labels"]
    close(eb["scores"], tb["scores"], rtol=1e-4, atol=1e-6)
    # the fresh 2-class predictor scores many boxes alike (to 1e-7), so their order is round-off's:
    # the boxes must agree as a set
    ours, theirs = np.asarray(eb["boxes"]), np.asarray(tb["boxes"])
    dist = np.abs(ours[:, None, :] - theirs[None, :, :]).max(-1)
    assert dist.min(1).max() < 1e-2 and dist.min(0).max() < 1e-2, dist.min(1)
    close(sorted(e["before_mask_sums"]), sorted(t["before_mask_sums"]), rtol=1e-3, atol=1e-2)


def test_finetuning_loss_falls_alike(results):
    t, e = get(results, "finetune")
    ours = [sum(h.values()) for h in e["history"]]
    theirs = [sum(h.values()) for h in t["history"]]
    assert len(ours) == len(theirs) == 8
    assert sorted(e["history"][0]) == sorted(t["history"][0]) == sorted(
        ["loss_classifier", "loss_box_reg", "loss_mask", "loss_objectness", "loss_rpn_box_reg"])
    assert np.isfinite(ours).all()
    # ember's generator is torch's (manual_seed(0), randperm): the same anchors and proposals are
    # sampled, so the first steps agree to float32 round-off; later a near-tie in the matching can
    # pick another sample, and the runs drift apart slowly
    for step in range(3):
        for k, v in t["history"][step].items():
            close(e["history"][step][k], v, rtol=1e-4, atol=1e-6)
    falls_alike(ours, theirs, start_rtol=1e-5, ratio_rtol=0.1, tail=3)


def test_model_and_outputs_agree(results):
    t, e = get(results, "finetune")
    for key in ("n_params", "n_trainable", "after_keys", "mask_shape", "output_shape", "output_dtype"):
        assert e[key] == t[key], key
    assert e["lr"] == pytest.approx(t["lr"])
