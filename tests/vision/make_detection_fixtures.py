"""Regenerate fixtures/torchvision_detection.json.gz and .npz from torchvision itself.

torchvision cannot be installed beside the torch 2.13 test oracle, so this runs in its own
environment (``python -m venv /tmp/tvenv_det && /tmp/tvenv_det/bin/pip install torch==2.14.1
torchvision==0.29.1``), from the repository root (``program`` re-records only the program run,
``models`` all but it):

    /tmp/tvenv_det/bin/python tests/vision/make_detection_fixtures.py [program | models]

It records (see _det_cases.py for the models and data):

* the state_dict keys and shapes, parameter counts and trainable parameters of the detection
  builders in ``KEY_BUILDERS``, of ``resnet_fpn_backbone("resnet50")`` and of the builders in
  ``BACKBONE_WEIGHTS`` with their backbone's weights (served instead of downloaded; the URLs asked
  for are recorded), and of the SSD512 VGG extractor (``highres``) of ``tiny_vgg``;
* for the tiny Faster, Mask and Keypoint R-CNNs, RetinaNets, FCOS and SSDs in float64, every
  floating-point entry set by
  ``_tv_formula.value``: the eval transform's batch (image sizes, shape, values at fixed
  positions), the eval detections of two images (boxes, labels, scores, masks, keypoints and
  their scores), and in train mode the loss dict for fixed targets and the gradient of the summed
  losses with respect to every parameter (the mask model's, the SSDs' at ``GRAD_POSITIONS`` flat
  positions; the heads' of the others), with ``torch.randperm`` replaced by
  ``_det_cases.fixed_perm`` (the samplers' only random draw), and the SSDs' trainable parameters;
* for the SSDs in ``EDGE_KINDS``, the losses with ``targets_one_empty`` and the detections with
  ``EDGE_SCORE_THRESH``;
* for the full builders in ``FULL``, with formula weights in float64, the eval detections of one
  image;
* the run of tests/programs/detection_finetune.py (the detection fine-tuning tutorial) with
  ``PROGRAM_ARGS``, from ``_formula_init.formula_state`` weights: its RESULT and the state_dict keys
  the weights were made for (fixtures/torchvision_detection_program.json).
"""
import argparse
import gzip
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import types
from unittest import mock

import numpy as np
import torch
import torchvision
from torchvision.models import detection
from torchvision.ops import FrozenBatchNorm2d, MultiScaleRoIAlign

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _det_cases as cases  # noqa: E402
from _tv_formula import value  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)
from tests.programs._formula_init import write_formula_init  # noqa: E402

JSON = os.path.join(HERE, "fixtures", "torchvision_detection.json.gz")
PROGRAM_JSON = os.path.join(HERE, "fixtures", "torchvision_detection_program.json")
PROGRAM = os.path.join(ROOT, "tests", "programs", "detection_finetune.py")
NPZ = os.path.join(HERE, "fixtures", "torchvision_detection.npz")
NS = types.SimpleNamespace(nn=torch.nn, FrozenBatchNorm2d=FrozenBatchNorm2d, MultiScaleRoIAlign=MultiScaleRoIAlign,
                           detection=detection, models=torchvision.models)

_randperm = torch.randperm
torch.randperm = lambda n, **kw: torch.as_tensor(cases.fixed_perm(int(n)), dtype=torch.int64)


def set_formula(model):
    sd = model.state_dict()
    with torch.no_grad():
        for i, k in enumerate(sorted(sd)):
            if sd[k].is_floating_point():
                sd[k].copy_(torch.from_numpy(value(i, k, tuple(sd[k].shape))))
    return model


def key_entry(model):
    return {"keys": [[k, list(v.shape)] for k, v in model.state_dict().items()],
            "num_params": sum(p.numel() for p in model.parameters()),
            "trainable": [n for n, p in model.named_parameters() if p.requires_grad]}


def record_detections(prefix, dets, arrays):
    for i, d in enumerate(dets):
        for k, v in d.items():
            v = v.detach().numpy()
            arrays[f"{prefix}/{i}/{k}"] = v.astype(np.float32) if k == "masks" else v


def tensor_targets():
    return [{k: torch.from_numpy(v) for k, v in t.items()} for t in cases.targets()]


def main():
    meta, arrays = {"keys": {}}, {}
    for name, kwargs in cases.KEY_BUILDERS.items():
        meta["keys"][name] = key_entry(getattr(detection, name)(**kwargs))
    for name, (backbone, kwargs) in cases.BACKBONE_WEIGHTS.items():
        served = []

        def serve(self, *args, backbone=backbone, served=served, **kw):
            served.append(self.url)
            return getattr(torchvision.models, backbone)(weights=None).state_dict()

        with mock.patch.object(torchvision.models._api.WeightsEnum, "get_state_dict", serve):
            meta["keys"][f"{name}/backbone_weights"] = dict(key_entry(getattr(detection, name)(**kwargs)),
                                                            served=served)
    meta["keys"]["SSDFeatureExtractorVGG/highres"] = key_entry(
        detection.ssd.SSDFeatureExtractorVGG(cases.tiny_vgg(NS).features, highres=True))
    meta["keys"]["resnet_fpn_backbone"] = key_entry(
        detection.backbone_utils.resnet_fpn_backbone(backbone_name="resnet50", weights=None))

    imgs = [torch.from_numpy(x) for x in cases.images()]
    for kind in cases.KINDS:
        model = set_formula(cases.tiny_model(NS, kind).double())
        model.eval()
        with torch.no_grad():
            batch, _ = model.transform(imgs)
            t = batch.tensors.numpy()
            arrays[f"{kind}/transform/values"] = t.ravel()[cases.positions(t.size, 512, 3)]
            meta[f"{kind}/transform"] = {"shape": list(t.shape), "image_sizes": [list(s) for s in batch.image_sizes]}
            record_detections(f"{kind}/eval", model(imgs), arrays)
        model.train()
        losses = model(imgs, tensor_targets())
        meta[f"{kind}/losses"] = {k: v.item() for k, v in losses.items()}
        sum(loss for loss in losses.values()).backward()
        for n, p in model.named_parameters():
            heads = "predictor" in n or "rpn" in n or "keypoint" in n or n.startswith("head.")
            if p.grad is None:
                continue
            if kind in cases.SSD_KINDS:   # every parameter's, at fixed positions
                g = p.grad.numpy().ravel()
                arrays[f"{kind}/gradpos/{n}"] = g[cases.positions(g.size, cases.GRAD_POSITIONS, 5)]
            elif kind == "mask" or heads:
                arrays[f"{kind}/grad/{n}"] = p.grad.numpy()
        if kind in cases.SSD_KINDS:
            meta[f"{kind}/trainable"] = [n for n, p in model.named_parameters() if p.requires_grad]

    for kind in cases.EDGE_KINDS:
        model = set_formula(cases.tiny_model(NS, kind).double()).train()
        losses = model(imgs, [{k: torch.from_numpy(v) for k, v in t.items()} for t in cases.targets_one_empty()])
        meta[f"{kind}/losses_one_empty"] = {k: v.item() for k, v in losses.items()}
        model.eval().score_thresh = cases.EDGE_SCORE_THRESH
        with torch.no_grad():
            record_detections(f"{kind}/eval_thresh", model(imgs), arrays)

    image = torch.from_numpy(cases.full_image())
    for name, kwargs in cases.FULL.items():
        model = set_formula(getattr(detection, name)(**kwargs).double()).eval()
        with torch.no_grad():
            record_detections(f"full/{name}", model([image]), arrays)

    meta["versions"] = {"torch": torch.__version__, "torchvision": torchvision.__version__}
    with gzip.open(JSON, "wt") as f:
        json.dump(meta, f)
    np.savez_compressed(NPZ, **arrays)
    print({k: v for k, v in meta.items() if k.endswith("losses")})
    print(sum(a.nbytes for a in arrays.values()), "bytes of arrays;", os.path.getsize(NPZ), "on disk")


def record_program():
    """Run the tutorial program on torchvision from formula weights for its pre-surgery model."""
    spec = importlib.util.spec_from_file_location("detection_finetune", PROGRAM)
    program = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(program)
    parser_args = dict(zip(cases.PROGRAM_ARGS[0::2], cases.PROGRAM_ARGS[1::2]))
    args = argparse.Namespace(model=parser_args["--model"], weights=parser_args["--weights"],
                              min_size=int(parser_args["--min-size"]), max_size=int(parser_args["--max-size"]),
                              box_batch=int(parser_args["--box-batch"]), proposals=int(parser_args["--proposals"]))
    keys = [[k, list(v.shape)] for k, v in program.build_model(args).state_dict().items()]
    with tempfile.TemporaryDirectory() as tmp:
        init = write_formula_init(os.path.join(tmp, "init.npz"), keys)
        proc = subprocess.run([sys.executable, PROGRAM, *cases.PROGRAM_ARGS, "--init-in", init], capture_output=True,
                              text=True, check=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    result = json.loads([line for line in proc.stdout.splitlines() if line.startswith("RESULT ")][-1][7:])
    with open(PROGRAM_JSON, "w") as f:
        json.dump({"keys": keys, "result": result, "args": cases.PROGRAM_ARGS}, f)
    print("program losses", [round(sum(h.values()), 4) for h in result["history"]])


if __name__ == "__main__":
    if sys.argv[1:] != ["program"]:
        main()
    if sys.argv[1:] != ["models"]:
        record_program()
