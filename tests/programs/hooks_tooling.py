"""The tooling people bolt onto a model, on a small CNN: forward hooks collecting activations by name
(``named_modules``, ``register_forward_hook`` with handles removed later, ``with_kwargs=True`` pre-hooks),
a full backward hook and tensor ``register_hook`` for Grad-CAM, ``torch.utils.checkpoint`` (``use_reentrant=False``)
inside ``forward``, gradient accumulation over micro-batches with ``loss / accum``, a WGAN-style gradient
penalty by ``torch.autograd.grad(create_graph=True)``, ``parameters_to_vector`` / ``vector_to_parameters`` for a
flat-weight interpolation, ``clip_grad_value_`` and ``clip_grad_norm_(error_if_nonfinite=True)``,
``requires_grad_(False)`` freezing with ``named_parameters`` filtering, ``model.apply`` re-initialisation,
``torch.jit.trace`` / ``torch.jit.script`` of the model, ``torch.save`` of a whole checkpoint dict into a
buffer and back, ``state_dict`` hooks, and ``torch.autograd.functional.jacobian`` of a small head."""
import argparse
import io
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import parameters_to_vector, vector_to_parameters
from torch.utils.checkpoint import checkpoint


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Net(nn.Module):
    def __init__(self, use_checkpoint=False):
        super().__init__()
        self.features = nn.Sequential(Block(1, 8), nn.MaxPool2d(2), Block(8, 16))
        self.head = nn.Linear(16, 4)
        self.use_checkpoint = use_checkpoint

    def forward(self, x, scale=1.0):
        if self.use_checkpoint and self.training:
            f = checkpoint(self.features, x, use_reentrant=False)
        else:
            f = self.features(x)
        return self.head(f.mean((2, 3))) * scale


def make_data(n, rng):
    x = rng.normal(0, 0.2, (n, 1, 8, 8)).astype(np.float32)
    y = rng.randint(0, 4, n)
    for i in range(n):
        q = y[i]
        x[i, 0, (q // 2) * 4:(q // 2) * 4 + 4, (q % 2) * 4:(q % 2) * 4 + 4] += 1.0
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = Net(use_checkpoint=True)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    rng = np.random.RandomState(0)
    out = {}

    # activations by name
    activations, handles = {}, []
    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.BatchNorm2d, nn.Linear)):
            handles.append(module.register_forward_hook(
                lambda m, inp, outp, name=name: activations.__setitem__(name, outp.detach())))
    seen_kwargs = []
    handles.append(model.register_forward_pre_hook(
        lambda m, a, kw: seen_kwargs.append(sorted(kw)) or None, with_kwargs=True))
    model.eval()
    x, y = make_data(4, rng)
    with torch.no_grad():
        model(x, scale=2.0)
    out["activations"] = {k: [list(v.shape), round(v.abs().sum().item(), 4)] for k, v in sorted(activations.items())}
    out["seen_kwargs"] = seen_kwargs
    for h in handles:
        h.remove()
    activations.clear()
    with torch.no_grad():
        model(x)
    out["after_remove"] = len(activations)

    # Grad-CAM with a full backward hook and a tensor hook
    grads, feats = {}, {}
    last = model.features[2]
    fh = last.register_forward_hook(lambda m, i, o: feats.__setitem__("a", o))
    bh = last.register_full_backward_hook(lambda m, gi, go: grads.__setitem__("a", go[0].detach()))
    xr = x.clone().requires_grad_(True)
    logits = model(xr)
    tensor_grads = []
    feats["a"].register_hook(lambda g: tensor_grads.append(g.abs().sum().item()))
    logits[torch.arange(4), logits.argmax(1)].sum().backward()
    weights = grads["a"].mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * feats["a"].detach()).sum(1))
    cam = cam / (cam.amax(dim=(1, 2), keepdim=True) + 1e-8)
    out["cam"] = cam.flatten()[:10].tolist()
    out["input_grad"] = xr.grad.abs().sum().item()
    out["tensor_hook"] = tensor_grads
    fh.remove()
    bh.remove()
    model.zero_grad(set_to_none=True)

    # training with checkpointing, accumulation, gradient penalty and clipping
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    accum = 2
    losses, norms, penalties = [], [], []
    for step in range(args.steps):
        for micro in range(accum):
            xb, yb = make_data(8, rng)
            xb.requires_grad_(True)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb) / accum
            g, = torch.autograd.grad(logits.logsumexp(1).sum(), xb, create_graph=True)
            penalty = ((g.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
            (loss + 0.01 * penalty).backward()
            losses.append(loss.item())
            penalties.append(penalty.item())
        torch.nn.utils.clip_grad_value_(model.parameters(), 0.5)
        norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True)))
        optimizer.step()
        optimizer.zero_grad()
    out["losses"], out["norms"], out["penalties"] = losses, norms, penalties

    # flat weights
    vec = parameters_to_vector(model.parameters())
    out["n_params"] = vec.numel()
    other = Net()
    other.load_state_dict(model.state_dict())
    vector_to_parameters(vec * 0.5, other.parameters())
    out["half_norm"] = parameters_to_vector(other.parameters()).norm().item()

    # freezing and re-initialisation
    for name, p in model.named_parameters():
        if name.startswith("features.0"):
            p.requires_grad_(False)
    out["trainable"] = [n for n, p in model.named_parameters() if p.requires_grad]

    def reinit(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)
            nn.init.constant_(m.bias, 0.25)
    other.apply(reinit)
    out["reinit"] = other.head.bias.tolist()

    # tracing, scripting and saving
    model.eval()
    with torch.no_grad():
        ref = model(x)
        traced = torch.jit.trace(model, (x,))
        scripted_head = torch.jit.script(model.head)
        out["traced_diff"] = (traced(x) - ref).abs().max().item()
        out["scripted_diff"] = (scripted_head(torch.ones(2, 16)) - model.head(torch.ones(2, 16))).abs().max().item()
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": args.steps,
                "rng": torch.get_rng_state()}, buf)
    buf.seek(0)
    ckpt = torch.load(buf, weights_only=False)
    fresh = Net()
    fresh.load_state_dict(ckpt["model"])
    fresh.eval()
    opt2 = torch.optim.SGD(fresh.parameters(), lr=0.05, momentum=0.9)
    opt2.load_state_dict(ckpt["optimizer"])
    with torch.no_grad():
        out["reload_diff"] = (fresh(x) - ref).abs().max().item()
    out["opt_state_keys"] = sorted(ckpt["optimizer"]["state"][0].keys())
    out["ckpt_keys"] = sorted(ckpt)

    seen = []
    h = fresh.register_state_dict_post_hook(lambda m, sd, prefix, local: seen.append(len(sd)))
    fresh.state_dict()
    h.remove()
    out["sd_hook"] = seen

    jac = torch.autograd.functional.jacobian(lambda v: torch.tanh(model.head(v)), torch.ones(16) * 0.1)
    out["jacobian"] = [list(jac.shape), jac.sum().item()]
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
