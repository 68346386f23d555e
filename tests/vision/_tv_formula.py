"""Deterministic weights and inputs for comparing ember's vision models with torchvision's.

Both sides fill every floating-point state_dict entry with the same formula (by sorted key),
so the same architecture must give the same logits. Pure NumPy: the fixture generator runs it
beside torchvision, the tests beside ember.
"""
import numpy as np

MODELS = {  # name -> (input size, builder kwargs)
    "resnet18": (64, {}), "resnet50": (64, {}), "resnext50_32x4d": (64, {}), "wide_resnet50_2": (64, {}),
    "vgg11": (32, {}), "vgg16_bn": (32, {}), "alexnet": (64, {}),
    "squeezenet1_0": (64, {}), "squeezenet1_1": (64, {}),
    "mobilenet_v2": (32, {}), "mobilenet_v3_large": (32, {}), "mobilenet_v3_small": (32, {}),
    "densenet121": (32, {}), "efficientnet_b0": (32, {}), "efficientnet_b5": (32, {}),
    "vit_b_16": (224, {}), "vit_b_32": (64, {"image_size": 64}),
}


def value(index, name, shape):
    """The deterministic value of state_dict entry number ``index`` (in sorted key order)."""
    n = int(np.prod(shape)) if len(shape) else 1
    # Seeded PCG64 uniforms in [-1, 1): full-rank weight matrices (a sinusoid pattern would
    # make every layer rank 2 and hide wiring mistakes); the stream is the same in any NumPy >= 1.17.
    s = np.random.default_rng(1000 + index).uniform(-1.0, 1.0, n)
    if name.endswith("running_var"):
        v = 1.0 + 0.5 * np.abs(s)
    elif name.endswith("running_mean") or (len(shape) == 1 and name.endswith("bias")):
        v = 0.1 * s
    elif len(shape) == 1:
        v = 1.0 + 0.1 * s                      # norm scales
    elif name.endswith(("class_token", "pos_embedding")):
        v = 0.02 * s
    else:
        fan_in = n // shape[0]
        v = s * np.sqrt(4.5 / max(fan_in, 1))  # variance 1.5 / fan_in: keeps activations bounded
    return v.reshape(shape)


def image(size, batch=2):
    return np.random.default_rng(7).standard_normal((batch, 3, size, size))
