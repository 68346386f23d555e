"""The nn.Module and optimizer API that library code leans on: buffers (persistent or not),
named_modules / named_parameters / named_buffers with prefix and recurse, apply(init_fn),
ModuleDict / ParameterList / ParameterDict, state_dict hooks (a pre-hook, a post-hook and a
load_state_dict pre-hook that renames legacy keys), load_state_dict(strict=False) and its
missing/unexpected keys, module.to(dtype), optimizer.add_param_group with a per-group lr,
zero_grad(set_to_none), and a checkpoint dict (model, optimizer, scheduler, epoch) through
torch.save / torch.load(weights_only=True) whose resume gives the same later losses."""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, n)
        self.norm = nn.LayerNorm(n)
        self.register_buffer("running", torch.zeros(n))
        self.register_buffer("scratch", torch.ones(n), persistent=False)

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                self.running.mul_(0.9).add_(0.1 * x.mean(0))
        return x + F.gelu(self.norm(self.fc(x))) * self.scratch


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(4, 8)
        self.blocks = nn.ModuleDict({"a": Block(8), "b": Block(8)})
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(8)), nn.Parameter(torch.full((8,), 0.5))])
        self.heads = nn.ParameterDict({"w": nn.Parameter(torch.randn(8, 2) * 0.1), "b": nn.Parameter(torch.zeros(2))})

    def forward(self, x):
        h = self.inp(x)
        for i, key in enumerate(["a", "b"]):
            h = self.blocks[key](h) * self.scales[i]
        return h @ self.heads["w"] + self.heads["b"]


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight, gain=nn.init.calculate_gain("relu"))
        nn.init.constant_(m.bias, 0.01)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = Net()
    model.apply(init_weights)
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    out = {
        "modules": [n for n, _ in model.named_modules()],
        "modules_prefixed": [n for n, _ in model.named_modules(prefix="net")][:3],
        "params": [n for n, _ in model.named_parameters()],
        "params_top": [n for n, _ in model.named_parameters(recurse=False)],
        "params_prefixed": [n for n, _ in model.blocks.named_parameters(prefix="blocks")][:2],
        "buffers": [n for n, _ in model.named_buffers()],
        "state_keys": list(model.state_dict().keys()),
        "children": [n for n, _ in model.named_children()],
        "n_params": sum(p.numel() for p in model.parameters()),
    }
    # state_dict hooks.
    calls = []
    h1 = model.register_state_dict_pre_hook(lambda module, prefix, keep_vars: calls.append(("pre", prefix)))

    def post(module, state_dict, prefix, local_metadata):
        state_dict[prefix + "version_tag"] = torch.tensor(2)
    h2 = model.blocks["a"].register_state_dict_post_hook(post) if hasattr(
        model.blocks["a"], "register_state_dict_post_hook") else model.blocks["a"]._register_state_dict_hook(post)
    sd = model.state_dict()
    out["hooked_keys"] = [k for k in sd if "version_tag" in k]
    out["pre_calls"] = calls[:1]
    h1.remove()
    h2.remove()
    out["keys_after_remove"] = len(model.state_dict())

    def rename_legacy(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        for key in list(state_dict):
            if key.startswith(prefix + "legacy_fc."):
                state_dict[key.replace("legacy_fc.", "fc.")] = state_dict.pop(key)
    for block in model.blocks.values():
        block._register_load_state_dict_pre_hook(rename_legacy, with_module=True)
    legacy = {k.replace("blocks.a.fc.", "blocks.a.legacy_fc."): v.clone() for k, v in model.state_dict().items()}
    legacy.pop("heads.b")
    legacy["extra.weight"] = torch.zeros(1)
    result = model.load_state_dict(legacy, strict=False)
    out["missing"] = list(result.missing_keys)
    out["unexpected"] = list(result.unexpected_keys)
    try:
        model.load_state_dict({"inp.weight": torch.zeros(3, 3)}, strict=False)
        out["size_mismatch_raised"] = False
    except RuntimeError as exc:
        out["size_mismatch_raised"] = "size mismatch" in str(exc)
    # dtype conversion keeps buffers and parameters in step.
    double = Net().to(torch.float64)
    out["double_dtypes"] = sorted({str(t.dtype).split(".")[-1] for t in double.state_dict().values()})
    double.half()
    out["half_dtype"] = str(next(double.parameters()).dtype).split(".")[-1]

    # Training with two param groups (the head gets its own lr), a scheduler and a mid-run checkpoint.
    rng = np.random.RandomState(0)
    X = torch.tensor(rng.randn(64, 4), dtype=torch.float32)
    Y = torch.tensor(rng.randint(0, 2, 64))
    body = [p for n, p in model.named_parameters() if not n.startswith("heads")]
    opt = torch.optim.AdamW(body, lr=3e-3, weight_decay=0.01)
    opt.add_param_group({"params": list(model.heads.parameters()), "lr": 1e-2, "weight_decay": 0.0})
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
    out["group_lrs"] = [g["lr"] for g in opt.param_groups]
    out["group_keys"] = sorted(opt.param_groups[1].keys())

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(X), Y)
        loss.backward()
        opt.step()
        sched.step()
        return loss.item()

    losses = []
    half = args.steps // 2
    for _ in range(half):
        losses.append(step())
    opt.zero_grad(set_to_none=True)
    out["grad_none"] = all(p.grad is None for p in model.parameters())
    ckpt = {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
            "epoch": half, "rng": torch.get_rng_state()}
    torch.save(ckpt, "ckpt.pt")
    for _ in range(half, args.steps):
        losses.append(step())
    resumed = Net()
    opt2_body = [p for n, p in resumed.named_parameters() if not n.startswith("heads")]
    loaded = torch.load("ckpt.pt", weights_only=True)
    resumed.load_state_dict(loaded["model"])
    model, opt = resumed, torch.optim.AdamW(opt2_body, lr=3e-3, weight_decay=0.01)
    opt.add_param_group({"params": list(resumed.heads.parameters()), "lr": 1e-2, "weight_decay": 0.0})
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
    opt.load_state_dict(loaded["optimizer"])
    sched.load_state_dict(loaded["scheduler"])
    resumed_losses = [step() for _ in range(loaded["epoch"], args.steps)]
    out.update(losses=losses, resumed_losses=resumed_losses, epoch=loaded["epoch"], last_lr=sched.get_last_lr(),
               opt_state_keys=sorted(loaded["optimizer"]["state"][0].keys()),
               ckpt_size_ok=os.path.getsize("ckpt.pt") > 1000,
               running=model.blocks["a"].running[:3].tolist())
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
