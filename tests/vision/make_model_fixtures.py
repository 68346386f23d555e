"""Regenerate fixtures/torchvision_models_more.json and .npz from torchvision itself.

torchvision cannot be installed beside the torch 2.13 test oracle, so this runs in its own
environment (``python -m venv /tmp/tvenv && /tmp/tvenv/bin/pip install torch==2.14.1
torchvision==0.29.1``), from the repository root:

    /tmp/tvenv/bin/python tests/vision/make_model_fixtures.py [name ...]

For each model of tests/vision/_tv_models_more.py it records the state_dict keys and shapes,
the parameter count, and with every floating-point entry set by ``_tv_formula.value`` (by
sorted key) the float64 outputs for ``_tv_formula.image`` in the recorded modes (their shapes,
and their values at up to 256 fixed positions), plus the
gradient of ``sum(output * r)`` (``r`` seeded normal) with respect to the input at 64 fixed
positions. Every model's default-configuration parameter count, the RegNets' stage settings,
the builders' and model classes' signatures and the weights enums' members and URLs are
recorded too. Names given on the command line are re-recorded and merged; the name ``meta``
re-records the counts, settings, signatures and enums.
"""
import gzip
import json
import os
import sys

import numpy as np
import torch
import torchvision
from torchvision.models import segmentation

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _tv_formula import image, value  # noqa: E402
from _tv_models_more import MODELS, REGNET_PARAMS, builder_name  # noqa: E402

JSON = os.path.join(HERE, "fixtures", "torchvision_models_more.json.gz")
NPZ = os.path.join(HERE, "fixtures", "torchvision_models_more.npz")


def build(name, kwargs):
    if "_class" in kwargs:
        kwargs = dict(kwargs)
        mod, cls = kwargs.pop("_class").split(".")
        return getattr(getattr(torchvision.models, mod), cls)(**kwargs)
    name = builder_name(name)
    fn = getattr(segmentation, name, None) or getattr(torchvision.models, name)
    return fn(weights=None, **kwargs)


def flat_outputs(out):
    """The outputs as named arrays: a tensor, a dict ("out"/"aux") or a namedtuple."""
    if isinstance(out, torch.Tensor):
        return {"": out}
    if isinstance(out, dict):
        return dict(out)
    return {f: getattr(out, f) for f in out._fields}


def positions(n, k, seed):
    """``k`` fixed flat positions of an array of ``n`` values (all of them when ``n <= k``)."""
    return np.arange(n) if n <= k else np.sort(np.random.default_rng(seed).choice(n, size=k, replace=False))


def grad_positions(n):
    return positions(n, 64, 5)


def output_positions(n):
    """Segmentation maps are large: 256 of their values are kept."""
    return positions(n, 256, 6)


def record(name, kwargs, size, batch, modes):
    model = build(name, kwargs).double()
    sd = model.state_dict()
    entry = {"keys": [[k, list(v.shape)] for k, v in sd.items()],
             "num_params": sum(p.numel() for p in model.parameters())}
    arrays = {}
    if modes:
        with torch.no_grad():   # in place: a plain dict would lose the metadata MNASNet's loader wants
            for i, k in enumerate(sorted(sd)):
                if sd[k].is_floating_point():
                    sd[k].copy_(torch.from_numpy(value(i, k, tuple(sd[k].shape))))
        for mode in modes:
            model.train(mode == "train")
            x = torch.from_numpy(image(size, batch)).requires_grad_(True)
            outs = flat_outputs(model(x))
            loss = 0
            for part, o in outs.items():
                arrays[f"{name}|{mode}|{part}"] = o.detach().numpy().reshape(-1)[output_positions(o.numel())]
                entry.setdefault("shapes", {})[f"{mode}|{part}"] = list(o.shape)
                r = torch.from_numpy(np.random.default_rng(11).standard_normal(tuple(o.shape)))
                loss = loss + (o * r).sum()
            loss.backward()
            g = x.grad.numpy().reshape(-1)
            arrays[f"{name}|{mode}|grad"] = g[grad_positions(g.size)]
            entry.setdefault("outputs", {})[mode] = sorted(outs)
    return entry, arrays


def builders():
    """Every builder of the table, the RegNets, and the big variants the table leaves out."""
    names = {builder_name(n) for n in MODELS if "_class" not in MODELS[n][0]} | set(REGNET_PARAMS)
    return sorted(names | {"swin_b", "swin_v2_b", "convnext_base", "convnext_large", "efficientnet_v2_l"})


def public_callables():
    """The builders and model classes whose signatures ember must share."""
    import importlib
    # torchvision.models.googlenet is the builder, not the module: import the modules by name
    convnext, googlenet, inception, mnasnet, regnet, shufflenetv2, swin_transformer, efficientnet, maxvit = (
        importlib.import_module(f"torchvision.models.{m}") for m in
        ["convnext", "googlenet", "inception", "mnasnet", "regnet", "shufflenetv2", "swin_transformer",
         "efficientnet", "maxvit"])
    out = {n: getattr(segmentation, n) for n in ["fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50",
                                                 "deeplabv3_resnet101", "deeplabv3_mobilenet_v3_large",
                                                 "lraspp_mobilenet_v3_large"]}
    for name in builders():
        if name not in out:
            out[name] = getattr(torchvision.models, name)
    for mod, names in [(convnext, ["ConvNeXt", "CNBlockConfig"]), (googlenet, ["GoogLeNet"]),
                       (inception, ["Inception3"]), (mnasnet, ["MNASNet"]), (regnet, ["RegNet"]),
                       (shufflenetv2, ["ShuffleNetV2"]), (swin_transformer, ["SwinTransformer"]),
                       (efficientnet, ["EfficientNet", "FusedMBConvConfig"]),
                       (maxvit, ["MaxVit"]), (segmentation.deeplabv3, ["DeepLabHead", "ASPP"]),
                       (segmentation.fcn, ["FCNHead"])]:
        for n in names:
            out[f"{mod.__name__.rsplit('.', 1)[-1]}.{n}"] = getattr(mod, n)
    return out


def signature(fn):
    """[name, kind, default] per parameter; an enum default as its "Enum.MEMBER" name."""
    import inspect
    params = inspect.signature(fn).parameters.values()
    return [[p.name, p.kind.name, None if p.default is inspect.Parameter.empty else
             (str(p.default) if hasattr(p.default, "url") else repr(p.default))] for p in params]


def main(names):
    data = json.load(gzip.open(JSON, "rt")) if os.path.exists(JSON) and names else {}
    arrays = dict(np.load(NPZ)) if os.path.exists(NPZ) and names else {}
    data["torchvision"] = torchvision.__version__
    for name, (kwargs, size, batch, modes) in MODELS.items():
        if names and name not in names:
            continue
        arrays = {k: v for k, v in arrays.items() if not k.startswith(name + "|")}
        entry, new = record(name, kwargs, size, batch, modes)
        data.setdefault("models", {})[name] = entry
        arrays.update(new)
        print(name, entry["num_params"], {k: v.shape for k, v in new.items()}, flush=True)
    save(data, arrays)      # before the slow part below, which builds the biggest models
    if not names or "meta" in names:
        # the default configurations (1000 classes) of every builder of the table, counted only
        data["default_num_params"] = {}
        for name in sorted({builder_name(n) for n in MODELS if "_class" not in MODELS[n][0]}):
            kw = {"weights_backbone": None} if hasattr(segmentation, name) else {}
            if name in ("googlenet", "inception_v3"):
                kw["init_weights"] = False
            data["default_num_params"][name] = sum(p.numel() for p in build(name, kw).parameters())
        data["regnet_params"] = {}
        for name in REGNET_PARAMS:
            m = getattr(torchvision.models, name)()
            stages = [[len(stage), stage[0].f.b[0].out_channels, stage[0].f.c[0].out_channels,
                       stage[0].f.b[0].groups] for stage in m.trunk_output]
            data["regnet_params"][name] = {"stages": stages, "num_params": sum(p.numel() for p in m.parameters())}
            del m
        data["signatures"] = {n: signature(f) for n, f in public_callables().items()}
        data["weights"] = {}
        older = [f"efficientnet_b{i}" for i in range(8)] + ["vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14",
                                                            "densenet161", "densenet169", "densenet201", "vgg16"]
        for name in builders() + older:
            enum = torchvision.models.get_model_weights(name)
            data["weights"][name] = {"enum": enum.__name__, "default": enum.DEFAULT.name,
                                     "members": {w.name: w.url for w in enum}}
    save(data, arrays)


def save(data, arrays):
    with gzip.open(JSON, "wt") as f:
        json.dump(data, f, separators=(",", ":"))
    np.savez_compressed(NPZ, **arrays)


if __name__ == "__main__":
    main(sys.argv[1:])
