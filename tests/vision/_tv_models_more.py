"""The models of tests/vision/test_vision_models_more.py and what is recorded of each.

name -> (kwargs, size, batch, modes): every model is built with ``kwargs`` (10 classes, and no
download of backbone weights); ``modes`` says which outputs torchvision recorded for an input of
``batch`` x 3 x ``size`` x ``size`` from ``_tv_formula.image`` with every state_dict entry set by
``_tv_formula.value``: "eval", and "train" for models whose training-mode forward is
deterministic with the given kwargs (no dropout or stochastic depth: batch norm then uses the
batch statistics). An empty ``modes`` records the keys and shapes only (models too big to run
in the test's time). A ``"_class"`` kwarg names a model class (``module.Class``) to build
instead of a builder. Pure data: read by the fixture generator beside torchvision and by the test.
"""

C = {"num_classes": 10}
SEG = {"num_classes": 3, "weights_backbone": None}

MODELS = {
    "convnext_tiny": (C, 32, 2, ("eval",)),
    "convnext_small": (C, 0, 0, ()),
    "shufflenet_v2_x0_5": (C, 32, 2, ("eval", "train")),
    "shufflenet_v2_x1_0": (C, 32, 2, ("eval",)),
    "shufflenet_v2_x1_5": (C, 0, 0, ()),
    "shufflenet_v2_x2_0": (C, 0, 0, ()),
    "regnet_y_400mf": (C, 64, 2, ("eval", "train")),
    "regnet_x_400mf": (C, 64, 2, ("eval", "train")),
    "regnet_y_800mf": (C, 0, 0, ()),
    "regnet_x_800mf": (C, 0, 0, ()),
    "regnet_y_1_6gf": (C, 0, 0, ()),
    "regnet_x_1_6gf": (C, 0, 0, ()),
    "regnet_y_3_2gf": (C, 0, 0, ()),
    "regnet_x_3_2gf": (C, 0, 0, ()),
    "googlenet": ({**C, "init_weights": False, "transform_input": True}, 64, 2, ("eval",)),
    "googlenet_train": ({**C, "init_weights": False, "dropout": 0.0, "dropout_aux": 0.0}, 64, 2, ("train",)),
    "inception_v3": ({**C, "init_weights": False, "transform_input": True}, 75, 1, ("eval",)),
    "mnasnet0_5": ({**C, "dropout": 0.0}, 32, 2, ("eval", "train")),
    "mnasnet0_75": (C, 0, 0, ()),
    "mnasnet1_0": (C, 0, 0, ()),
    "mnasnet1_3": (C, 0, 0, ()),
    "efficientnet_v2_s": (C, 32, 1, ("eval",)),
    "efficientnet_v2_m": (C, 0, 0, ()),
    "swin_t": (C, 32, 1, ("eval",)),
    "swin_s": (C, 0, 0, ()),
    "swin_v2_t": (C, 32, 1, ("eval",)),
    "swin_v2_s": (C, 0, 0, ()),
    "maxvit_t": (C, 0, 0, ()),
    # maxvit_t only runs at 224x224 (its windows are 7x7): a small MaxVit of the same code runs here
    "maxvit_small": ({"_class": "maxvit.MaxVit", "input_size": (32, 32), "stem_channels": 8, "partition_size": 2,
                      "block_channels": [8, 16], "block_layers": [1, 1], "head_dim": 4, "stochastic_depth_prob": 0.0,
                      "num_classes": 3}, 32, 2, ("eval", "train")),
    "fcn_resnet50": ({**SEG, "aux_loss": True}, 0, 0, ()),   # its ResNet and FCNHead run in deeplabv3_resnet50,
    "fcn_resnet101": (SEG, 0, 0, ()),
    "deeplabv3_resnet50": ({**SEG, "aux_loss": True}, 16, 1, ("eval",)),
    "deeplabv3_resnet101": (SEG, 0, 0, ()),
    "deeplabv3_mobilenet_v3_large": ({**SEG, "aux_loss": True}, 32, 2, ("eval",)),
    "lraspp_mobilenet_v3_large": (SEG, 32, 2, ("eval",)),
}
# the RegNets too big to build in a test: their stage settings are compared instead
REGNET_PARAMS = ["regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf", "regnet_y_8gf",
                 "regnet_y_16gf", "regnet_y_32gf", "regnet_y_128gf", "regnet_x_400mf", "regnet_x_800mf",
                 "regnet_x_1_6gf", "regnet_x_3_2gf", "regnet_x_8gf", "regnet_x_16gf", "regnet_x_32gf"]


def builder_name(name):
    """``googlenet_train`` is googlenet built another way."""
    return name[:-len("_train")] if name.endswith("_train") else name
