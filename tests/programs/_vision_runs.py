"""The runs of test_programs_vision.py, kept free of pytest so that the torchvision fixture maker
(fixtures/make_torchvision_programs_fixture.py, run in torchvision's own environment) reads the
same table. ``init`` says where a run's initial weights come from: ``"torch"`` (the torch run
writes them with --init-out, the ember run reads them), ``"formula"`` (both read the NumPy
weights of _formula_init.py for a torchvision ResNet-18 with ``classes`` outputs), ``"fixture"``
(both read fixtures/detection_init.npz, written by the fixture maker's torch run) or None."""
import os
from dataclasses import dataclass

from tests.programs._formula_init import write_formula_init

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")


@dataclass
class VisionRun:
    name: str
    script: str
    args: list
    init: str = None
    classes: int = 10


# Pure-torch programs: the torch 2.13 run is live.
LIVE_RUNS = [
    VisionRun("unet", "unet_segmentation.py", [], init="torch"),
    VisionRun("unet_bilinear", "unet_segmentation.py", ["--bilinear", "--epochs", "2"], init="torch"),
    VisionRun("style_transfer", "style_transfer.py", [], init="torch"),
    VisionRun("simclr", "simclr.py", [], init="torch"),
    VisionRun("distillation_amp", "distillation_amp.py", [], init="torch"),
    VisionRun("vit", "vit.py", [], init="torch"),
    VisionRun("vit_unfold", "vit.py", ["--unfold", "--epochs", "2"], init="torch"),
]

# Programs that import torchvision: their torch runs are recorded in fixtures/torchvision_programs.json.
TORCHVISION_RUNS = [
    VisionRun("cifar_resnet", "cifar_resnet.py", ["--size", "16", "--epochs", "2", "--lr", "0.002", "--augment", "0",
                                                  "--no-shuffle"], init="formula", classes=10),
    VisionRun("cifar_resnet_augment", "cifar_resnet.py", ["--size", "16", "--epochs", "2", "--lr", "0.01"]),
    VisionRun("transfer_learning", "transfer_learning.py", ["--augment", "0", "--no-shuffle"], init="formula",
              classes=2),
    VisionRun("detection_ops", "detection_ops.py", [], init="fixture"),
]


def resnet18_keys(models, classes):
    return [[k, list(v.shape)] for k, v in models.resnet18(num_classes=classes).state_dict().items()]


def init_args(run, work, framework, models=None):
    """The --init-in / --init-out arguments of ``run`` for ``framework`` ("torch" or "ember");
    ``models`` (torchvision.models or ember.vision.models) gives the ResNet's state_dict keys."""
    if run.init == "torch":
        path = os.path.join(work, f"{run.name}-init.npz")
        return ["--init-out" if framework == "torch" else "--init-in", path]
    if run.init == "formula":
        path = os.path.join(work, f"{run.name}-formula.npz")
        return ["--init-in", write_formula_init(path, resnet18_keys(models, run.classes))]
    if run.init == "fixture":
        path = os.path.join(FIXTURES, "detection_init.npz")
        return ["--init-out" if framework == "torch" else "--init-in", path]
    return []
