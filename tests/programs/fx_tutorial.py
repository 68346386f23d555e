"""An FX tutorial-style program: trace a CNN, fuse Conv+BatchNorm by editing the graph, swap ReLU for GELU,
profile with an Interpreter, propagate shapes, fine-tune the GraphModule, then export, save and reload it.

Follows the torch.fx tutorials (fx_conv_bn_fuser, fx_profiling, the FX overview) and the torch.export
tutorial, with small shapes. Prints ``RESULT {json}``.
"""
import argparse
import copy
import json
import operator
import os
import tempfile

import numpy as np
import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F
from torch.fx.passes.shape_prop import ShapeProp


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = torch.relu(self.bn2(self.conv2(x))) + x
        return self.fc(torch.flatten(x, 1))


def fuse_conv_bn_eval(conv, bn):
    """The tutorial's fusion: w' = w * gamma / sqrt(var + eps), b' = (b - mean) * gamma / sqrt(var + eps) + beta."""
    fused = copy.deepcopy(conv)
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    fused.weight = nn.Parameter((conv.weight * scale.reshape(-1, 1, 1, 1)).detach())
    fused.bias = nn.Parameter(((bias - bn.running_mean) * scale + bn.bias).detach())
    return fused


def _parent_name(target):
    *parent, name = target.rsplit(".", 1)
    return parent[0] if parent else "", name


def fuse(model):
    model = copy.deepcopy(model)
    gm = torch.fx.symbolic_trace(model)
    modules = dict(gm.named_modules())
    for node in gm.graph.nodes:
        if node.op != "call_module" or not isinstance(modules[node.target], nn.BatchNorm2d):
            continue
        prev = node.args[0]
        if prev.op != "call_module" or not isinstance(modules[prev.target], nn.Conv2d) or len(prev.users) > 1:
            continue
        fused = fuse_conv_bn_eval(modules[prev.target], modules[node.target])
        parent, name = _parent_name(prev.target)
        setattr(modules[parent], name, fused)
        node.replace_all_uses_with(prev)
        gm.graph.erase_node(node)
    gm.graph.lint()
    gm.delete_all_unused_submodules()
    gm.recompile()
    return gm


def relu_to_gelu(gm):
    for node in list(gm.graph.nodes):
        if node.op == "call_function" and node.target in (torch.relu, F.relu):
            with gm.graph.inserting_after(node):
                new = gm.graph.call_function(F.gelu, node.args)
            node.replace_all_uses_with(new)
            gm.graph.erase_node(node)
    gm.recompile()
    return gm


class ProfilingInterpreter(torch.fx.Interpreter):
    """The profiling tutorial's interpreter, counting calls instead of timing them (timings differ)."""

    def __init__(self, mod):
        super().__init__(mod)
        self.counts = {}

    def run_node(self, n):
        key = f"{n.op}:{n.target if isinstance(n.target, str) else n.target.__name__}"
        self.counts[key] = self.counts.get(key, 0) + 1
        return super().run_node(n)


def names(gm):
    return [[n.op, n.target if isinstance(n.target, str) else n.target.__name__] for n in gm.graph.nodes]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--init-out")
    parser.add_argument("--init-in")
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = Net()
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as z:
            model.load_state_dict({k: torch.tensor(z[k]) for k in z.files})
    rng = np.random.RandomState(0)
    x = torch.tensor(rng.randn(2, 1, 8, 8).astype(np.float32))
    y = torch.tensor(rng.randint(0, 3, size=2))
    # Running statistics that are not the identity, so that fusion has something to fold.
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(x)
    model.eval()
    eager = model(x)

    gm = torch.fx.symbolic_trace(model)
    traced_out = gm(x)
    fused = fuse(model)
    fused_out = fused(x)
    gelu = relu_to_gelu(copy.deepcopy(fused))
    gelu_out = gelu(x)

    prof = ProfilingInterpreter(gm)
    prof_out = prof.run(x)
    ShapeProp(gm).propagate(x)
    shapes = [[n.name, list(n.meta["tensor_meta"].shape)] for n in gm.graph.nodes if "tensor_meta" in n.meta]

    # Fine-tune the traced module: a GraphModule trains like the module it came from.
    train_gm = torch.fx.symbolic_trace(copy.deepcopy(model))
    opt = torch.optim.SGD(train_gm.parameters(), lr=0.1)
    losses = []
    for _ in range(args.steps):
        opt.zero_grad()
        loss = F.cross_entropy(train_gm(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    ep = torch.export.export(model, (x,))
    exported_out = ep.module()(x)
    path = os.path.join(tempfile.mkdtemp(), "net.pt2")
    torch.export.save(ep, path)
    reloaded = torch.export.load(path)
    reloaded_out = reloaded.module()(x)
    os.remove(path)
    os.rmdir(os.path.dirname(path))

    print(fused.code)
    result = {
        "ops": names(gm), "fused_ops": names(fused), "gelu_ops": names(gelu),
        "eager": eager.tolist(), "traced_diff": (traced_out - eager).abs().max().item(),
        "fused": fused_out.tolist(), "gelu": gelu_out.tolist(), "profile": prof.counts,
        "profile_diff": (prof_out - eager).abs().max().item(), "shapes": shapes, "losses": losses,
        "exported": exported_out.tolist(), "reloaded": reloaded_out.tolist(),
        "signature": [list(ep.graph_signature.parameters), list(ep.graph_signature.buffers),
                      list(ep.graph_signature.user_inputs)],
        "state_keys": list(fused.state_dict()), "add_is_operator": any(n.target is operator.add
                                                                       for n in gm.graph.nodes),
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
