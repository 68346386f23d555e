"""Vision programs in the style of the public tutorials and repos, run unchanged on torch and on
ember (``python -m ember.torch_compat``): a U-Net, neural style transfer with LBFGS, SimCLR with a
denoising autoencoder, knowledge distillation under autocast, a ViT from scratch (these are
pure torch: their torch 2.13 runs are live), and CIFAR ResNet training, the transfer-learning
tutorial over an ImageFolder and a tiny detector on torchvision.ops (these import torchvision,
which cannot be installed beside torch 2.13: their torch runs were recorded with torch 2.14.1 and
torchvision 0.29.1 by fixtures/make_torchvision_programs_fixture.py).

Where both runs start from the same weights (written by the torch run, or drawn by NumPy in
_formula_init.py) and the data and noise come from NumPy, the losses must agree to float32
round-off; elsewhere the check is on what does not depend on the random streams.
"""
import json
import os

import pytest

from tests.programs._vision_runs import FIXTURES, LIVE_RUNS, TORCHVISION_RUNS, init_args
from tests.programs.test_programs import HERE, close, falls_alike, get, run_spec


def _spec(root, runs, framework):
    from ember.vision import models
    return [[run.name, os.path.join(HERE, run.script), run.args + init_args(run, root, framework, models)]
            for run in runs]


def _run_all(root, runs, framework):
    return run_spec(root, _spec(root, runs, framework), framework)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("vision_programs"))
    theirs = {name: {"ok": True, "result": result} for name, result in
              json.load(open(os.path.join(FIXTURES, "torchvision_programs.json"))).items()}
    theirs.update(_run_all(root, LIVE_RUNS, "torch"))
    ours = _run_all(root, LIVE_RUNS + TORCHVISION_RUNS, "ember")
    return theirs, ours


_get = get


@pytest.mark.parametrize("name", ["unet", "unet_bilinear"])
def test_unet_segmentation(results, name):
    t, e = _get(results, name)
    close(e["losses"], t["losses"], rtol=1e-4)
    close(e["dice"], t["dice"], rtol=1e-2)
    assert e["lr"] == pytest.approx(t["lr"]) and e["n_params"] == t["n_params"]


def test_style_transfer(results):
    # LBFGS's line-free steps amplify float32 round-off from step to step: the first evaluations
    # agree tightly, the whole history to a few percent.
    t, e = _get(results, "style_transfer")
    close(e["history"][:3], t["history"][:3], rtol=1e-4, atol=1e-8)   # the style term starts at 0
    close(e["history"], t["history"], rtol=0.05, atol=1e-4)
    assert len(e["history"]) == len(t["history"])
    for key in ("hook_shapes", "n_layers", "names", "requires_grad"):
        assert e[key] == t[key], key
    assert e["out_range"] == t["out_range"] == [0.0, 1.0]


def test_simclr(results):
    t, e = _get(results, "simclr")
    close(e["losses"], t["losses"], rtol=1e-5)
    close(e["alt"], e["losses"], rtol=1e-5)
    close(e["dae"], t["dae"], rtol=1e-5)
    close([e["probe_loss"], e["probe_acc"]], [t["probe_loss"], t["probe_acc"]], rtol=1e-3)
    assert e["top1"] == t["top1"] and e["lr"] == pytest.approx(t["lr"], abs=1e-12)


def test_distillation_amp(results):
    # CPU autocast runs conv and linear in bfloat16 in both (ember/amp/autocast_mode.py): the autocast parts
    # agree to bfloat16's precision and the float32 parts to float32 round-off.
    t, e = _get(results, "distillation_amp")
    close(e["teacher"], t["teacher"], rtol=0.02)
    close(e["kd"], t["kd"], rtol=0.01)
    close(e["kd_log"], e["kd"], rtol=1e-5)
    close(e["fp32_logits"], t["fp32_logits"], rtol=1e-4, atol=1e-6)
    close(e["bf16_logits"], t["bf16_logits"], rtol=0.02, atol=5e-3)
    assert t["autocast_dtypes"] == ["torch.bfloat16", "torch.bfloat16", "torch.float32"]
    assert e["autocast_dtypes"] == t["autocast_dtypes"] and e["autocast_enabled"] is t["autocast_enabled"] is False


@pytest.mark.parametrize("name", ["vit", "vit_unfold"])
def test_vit(results, name):
    # random_split and WeightedRandomSampler draw from each framework's own stream.
    t, e = _get(results, name)
    close(e["losses"], t["losses"], rtol=1e-5)
    close(e["norms"], t["norms"], rtol=1e-5)
    close(e["lrs"], t["lrs"], rtol=1e-12)
    assert e["n_params"] == t["n_params"] and e["state_keys"] == t["state_keys"]
    assert sum(e["sampled_counts"]) == 64 and min(e["sampled_counts"]) >= 8
    assert 0.0 <= e["val_acc"] <= 1.0


def test_cifar_resnet(results):
    t, e = _get(results, "cifar_resnet")
    close(e["losses"], t["losses"], rtol=2e-3)
    close(e["first_test"], t["first_test"], rtol=1e-3)
    close(e["last_test"], t["last_test"], rtol=2e-3)
    for key in ("lrs", "reloaded_same", "epoch", "grid_shape", "png", "sample_shape", "sample_dtype", "flip_ok",
                "n_params", "n_state"):
        assert e[key] == t[key], key


def test_cifar_resnet_augmented(results):
    # Random crops, flips, shuffling and initial weights each come from the framework's own stream.
    t, e = _get(results, "cifar_resnet_augment")
    falls_alike(e["losses"], t["losses"], start_rtol=0.15, ratio_rtol=0.5, tail=4)
    assert e["first_test"][0] == pytest.approx(t["first_test"][0], rel=0.15)
    assert e["lrs"] == t["lrs"] and e["flip_ok"] and e["n_params"] == t["n_params"]


def test_transfer_learning(results):
    t, e = _get(results, "transfer_learning")
    for key in ("classes", "sizes", "batch", "batch_labels", "augmented", "class_to_idx", "n_samples", "n_trainable",
                "reloaded_best", "frozen_grad_none", "lrs", "conv_lr"):
        assert e[key] == t[key], key
    for ours, theirs in zip(e["history"] + e["ft_history"], t["history"] + t["ft_history"]):
        assert ours[0] == theirs[0]
        close(ours[1:], theirs[1:], rtol=1e-3)
    assert e["best_acc"] == pytest.approx(t["best_acc"])


def test_detection_ops(results):
    t, e = _get(results, "detection_ops")
    close(e["history"], t["history"], rtol=1e-4)
    for ours, theirs in zip(e["detections"], t["detections"]):
        assert ours["kept"] == theirs["kept"] and ours["plain"] == theirs["plain"]
        close(ours["best_iou"], theirs["best_iou"], rtol=1e-4)
    for key in ("pooled", "giou", "box_grad", "focal", "roi", "roi_grad", "area", "iou"):
        close(e[key], t[key], rtol=1e-5, atol=1e-6)
    for key in ("pooled_shape", "pooled_list", "nms"):
        assert e[key] == t[key], key
