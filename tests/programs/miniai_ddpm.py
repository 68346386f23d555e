"""fast.ai "from the foundations" diffusion (notebooks 17-26) in plain PyTorch: the DDPM schedule
(``torch.linspace`` betas, ``alpha.cumprod``, ``alphabar``, ``sigma = beta.sqrt()``) with a noisify that
gathers ``alphabar[t]`` and reshapes it to broadcast, a small UNet conditioned on a sinusoidal timestep
embedding (EmbResBlock with scale/shift from ``torch.chunk``, down blocks whose outputs are kept by
wrapping ``forward`` with a ``saved`` decorator, up blocks that ``pop`` them back, ``F.interpolate``
upsampling, a 2-D self-attention block with a hand head split), the DDPM ancestral sampling loop under
``@torch.no_grad()``, then the cosine schedule (``abar(t) = cos(t pi/2)^2`` and its inverse with ``acos``)
with a continuous-time noisify and a deterministic DDIM sampler (eta=0). The noise comes from NumPy so both
runs see the same draws."""
import argparse
import json
import math
from functools import wraps

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

device = "cuda" if torch.cuda.is_available() else "cpu"


class NoiseSource:
    """torch.randn / torch.randint stand-ins fed by NumPy (the same bytes in every framework)."""

    def __init__(self, seed):
        self.rng = np.random.RandomState(seed)

    def randn(self, *shape):
        return torch.from_numpy(self.rng.standard_normal(shape).astype(np.float32))

    def randint(self, high, n):
        return torch.from_numpy(self.rng.randint(0, high, size=n)).long()

    def rand(self, n):
        return torch.from_numpy(self.rng.uniform(size=n).astype(np.float32))


# ---- the DDPM schedule and its noisify ----------------------------------------------------------------------
def linear_sched(betamin=0.0001, betamax=0.02, n_steps=1000):
    beta = torch.linspace(betamin, betamax, n_steps)
    return dict(a=1. - beta, abar=(1. - beta).cumprod(dim=0), sig=beta.sqrt())


def noisify(x0, alphabar, noise):
    n = len(x0)
    t = noise.randint(len(alphabar), n).to(x0.device)
    eps = noise.randn(*x0.shape).to(x0.device)
    alphabar_t = alphabar[t].reshape(-1, 1, 1, 1).to(x0.device)
    xt = alphabar_t.sqrt() * x0 + (1 - alphabar_t).sqrt() * eps
    return (xt, t.to(x0.device)), eps


@torch.no_grad()
def sample(model, sz, alpha, alphabar, sigma, n_steps, noise):
    x_t = noise.randn(*sz).to(device)
    preds = []
    for t in reversed(range(n_steps)):
        t_batch = torch.full((x_t.shape[0],), t, device=device, dtype=torch.long)
        z = (noise.randn(*x_t.shape) if t > 0 else torch.zeros(x_t.shape)).to(device)
        alphabar_t1 = alphabar[t - 1] if t > 0 else torch.tensor(1)
        bbar_t = 1 - alphabar[t]
        bbar_t1 = 1 - alphabar_t1
        x_0_hat = ((x_t - bbar_t.sqrt() * model((x_t, t_batch))) / alphabar[t].sqrt()).clamp(-1, 1)
        x_t = x_0_hat * alphabar_t1.sqrt() * (1 - alpha[t]) / bbar_t + x_t * alpha[t].sqrt() * bbar_t1 / bbar_t \
            + sigma[t] * z
        preds.append(x_t.cpu())
    return preds


# ---- the cosine schedule, continuous time, DDIM ---------------------------------------------------------------
def abar(t):
    return (t * math.pi / 2).cos() ** 2


def inv_abar(x):
    return x.sqrt().acos() * 2 / math.pi


def noisify_cos(x0, noise):
    n = len(x0)
    t = noise.rand(n).to(x0).clamp(0, 0.999)
    eps = noise.randn(*x0.shape).to(x0)
    abar_t = abar(t).reshape(-1, 1, 1, 1).to(x0)
    xt = abar_t.sqrt() * x0 + (1 - abar_t).sqrt() * eps
    return (xt, t.to(x0)), eps


def ddim_step(x_t, noise_pred, abar_t, abar_t1, bbar_t, bbar_t1, eta, noise):
    sig = ((bbar_t1 / bbar_t).sqrt() * (1 - abar_t / abar_t1).sqrt()) * eta
    x_0_hat = ((x_t - (1 - abar_t).sqrt() * noise_pred) / abar_t.sqrt())
    if bbar_t1 <= sig ** 2 + 0.01:
        sig = 0.
    x_t = abar_t1.sqrt() * x_0_hat + (bbar_t1 - sig ** 2).sqrt() * noise_pred
    if eta:
        x_t += sig * noise.randn(*x_t.shape).to(x_t)
    return x_0_hat, x_t


@torch.no_grad()
def sample_ddim(model, sz, steps, noise, eta=0.):
    ts = torch.linspace(1 - 1 / steps, 0, steps)
    x_t = noise.randn(*sz).to(device)
    preds = []
    for i, t in enumerate(ts):
        t = t[None].to(device)
        abar_t = abar(t)
        noise_pred = model((x_t, t.expand(sz[0])))
        abar_t1 = abar(t - 1 / steps) if t >= 1 / steps else torch.tensor(1)
        x_0_hat, x_t = ddim_step(x_t, noise_pred, abar_t, abar_t1, 1 - abar_t, 1 - abar_t1, eta, noise)
        preds.append(x_0_hat.float().cpu())
    return preds


# ---- the UNet -------------------------------------------------------------------------------------------------
def timestep_embedding(tsteps, emb_dim, max_period=10000):
    exponent = -math.log(max_period) * torch.linspace(0, 1, emb_dim // 2, device=tsteps.device)
    emb = tsteps[:, None].float() * exponent.exp()[None, :]
    emb = torch.cat([emb.sin(), emb.cos()], dim=-1)
    return F.pad(emb, (0, 1, 0, 0)) if emb_dim % 2 == 1 else emb


def pre_conv(ni, nf, ks=3, stride=1, act=nn.SiLU, norm=None, bias=True):
    layers = nn.Sequential()
    if norm:
        layers.append(norm(ni))
    if act:
        layers.append(act())
    layers.append(nn.Conv2d(ni, nf, stride=stride, kernel_size=ks, padding=ks // 2, bias=bias))
    return layers


def lin(ni, nf, act=nn.SiLU, norm=None, bias=True):
    layers = nn.Sequential()
    if norm:
        layers.append(norm(ni))
    if act:
        layers.append(act())
    layers.append(nn.Linear(ni, nf, bias=bias))
    return layers


class Upsample(nn.Module):
    def __init__(self, nf):
        super().__init__()
        self.conv = nn.Conv2d(nf, nf, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2., mode="nearest"))


class SelfAttention2D(nn.Module):
    def __init__(self, ni, attn_chans):
        super().__init__()
        self.nheads = ni // attn_chans
        self.scale = math.sqrt(ni / self.nheads)
        self.norm = nn.LayerNorm(ni)
        self.qkv = nn.Linear(ni, ni * 3)
        self.proj = nn.Linear(ni, ni)

    def forward(self, x):
        n, c, h, w = x.shape
        x = x.view(n, c, -1).transpose(1, 2)
        x = self.qkv(self.norm(x))
        s = x.shape[1]
        x = x.view(n, s, self.nheads, -1).transpose(1, 2).reshape(n * self.nheads, s, -1)
        q, k, v = torch.chunk(x, 3, dim=-1)
        att = (q @ k.transpose(1, 2)) / self.scale
        x = att.softmax(dim=-1) @ v
        x = x.view(n, self.nheads, s, -1).transpose(1, 2).reshape(n, s, c)
        x = self.proj(x)
        return x.transpose(1, 2).reshape(n, c, h, w)


def noop(x=None, *args, **kwargs):
    return x


class EmbResBlock(nn.Module):
    def __init__(self, n_emb, ni, nf=None, ks=3, act=nn.SiLU, norm=nn.BatchNorm2d, attn_chans=0):
        super().__init__()
        if nf is None:
            nf = ni
        self.emb_proj = nn.Linear(n_emb, nf * 2)
        self.conv1 = pre_conv(ni, nf, ks, act=act, norm=norm)
        self.conv2 = pre_conv(nf, nf, ks, act=act, norm=norm)
        self.idconv = noop if ni == nf else nn.Conv2d(ni, nf, 1)
        self.attn = False
        if attn_chans:
            self.attn = SelfAttention2D(nf, attn_chans)

    def forward(self, x, t):
        inp = x
        x = self.conv1(x)
        emb = self.emb_proj(F.silu(t))[:, :, None, None]
        scale, shift = torch.chunk(emb, 2, dim=1)
        x = x * (1 + scale) + shift
        x = self.conv2(x)
        x = x + self.idconv(inp)
        if self.attn:
            x = x + self.attn(x)
        return x


def saved(m, blk):
    m_ = m.forward

    @wraps(m.forward)
    def _f(*args, **kwargs):
        res = m_(*args, **kwargs)
        blk.saved.append(res)
        return res
    m.forward = _f
    return m


class DownBlock(nn.Module):
    def __init__(self, n_emb, ni, nf, add_down=True, num_layers=1, attn_chans=0):
        super().__init__()
        self.resnets = nn.ModuleList([saved(EmbResBlock(n_emb, ni if i == 0 else nf, nf, attn_chans=attn_chans), self)
                                      for i in range(num_layers)])
        self.down = saved(nn.Conv2d(nf, nf, 3, stride=2, padding=1), self) if add_down else nn.Identity()

    def forward(self, x, t):
        self.saved = []
        for resnet in self.resnets:
            x = resnet(x, t)
        x = self.down(x)
        return x


class UpBlock(nn.Module):
    def __init__(self, n_emb, ni, prev_nf, nf, add_up=True, num_layers=2, attn_chans=0):
        super().__init__()
        self.resnets = nn.ModuleList(
            [EmbResBlock(n_emb, (prev_nf if i == 0 else nf) + (ni if (i == num_layers - 1) else nf), nf,
                         attn_chans=attn_chans) for i in range(num_layers)])
        self.up = Upsample(nf) if add_up else nn.Identity()

    def forward(self, x, t, ups):
        for resnet in self.resnets:
            x = resnet(torch.cat([x, ups.pop()], dim=1), t)
        return self.up(x)


class EmbUNetModel(nn.Module):
    def __init__(self, in_channels=1, out_channels=1, nfs=(8, 16, 16), num_layers=1, attn_chans=8, attn_start=1,
                 t_scale=1.):
        super().__init__()
        self.t_scale = t_scale
        self.conv_in = nn.Conv2d(in_channels, nfs[0], kernel_size=3, padding=1)
        self.n_temb = nf = nfs[0]
        n_emb = nf * 4
        self.emb_mlp = nn.Sequential(lin(self.n_temb, n_emb, norm=nn.BatchNorm1d), lin(n_emb, n_emb))
        self.downs = nn.ModuleList()
        n = len(nfs)
        for i in range(n):
            ni = nf
            nf = nfs[i]
            self.downs.append(DownBlock(n_emb, ni, nf, add_down=i != n - 1, num_layers=num_layers,
                                        attn_chans=0 if i < attn_start else attn_chans))
        self.mid_block = EmbResBlock(n_emb, nfs[-1])
        rev_nfs = list(reversed(nfs))
        nf = rev_nfs[0]
        self.ups = nn.ModuleList()
        for i in range(n):
            prev_nf = nf
            nf = rev_nfs[i]
            ni = rev_nfs[min(i + 1, len(nfs) - 1)]
            self.ups.append(UpBlock(n_emb, ni, prev_nf, nf, add_up=i != n - 1, num_layers=num_layers + 1,
                                    attn_chans=0 if i >= n - attn_start else attn_chans))
        self.conv_out = pre_conv(nfs[0], out_channels, act=nn.SiLU, norm=nn.BatchNorm2d, bias=False)

    def forward(self, inp):
        x, t = inp
        temb = timestep_embedding(t * self.t_scale, self.n_temb)
        emb = self.emb_mlp(temb)
        x = self.conv_in(x)
        saved_ = [x]
        for block in self.downs:
            x = block(x, emb)
        saved_ += [p for o in self.downs for p in o.saved]
        x = self.mid_block(x, emb)
        for block in self.ups:
            x = block(x, emb, saved_)
        return self.conv_out(x)


def make_images(n, rng):
    """16x16 images in [-1, 1]: a bright square at a random place on a dark ground."""
    x = np.full((n, 1, 16, 16), -0.8, np.float32)
    for i in range(n):
        r, c = rng.randint(0, 10, size=2)
        x[i, 0, r:r + 6, c:c + 6] = 0.8
    return torch.from_numpy(x)


def train(model, x, noisify_fn, epochs, bs, lr):
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-5)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * (len(x) // bs))
    losses = []
    model.train()
    for _ in range(epochs):
        for i in range(0, len(x) - bs + 1, bs):
            (xt, t), eps = noisify_fn(x[i:i + bs])
            loss = F.mse_loss(model((xt, t)), eps)
            loss.backward()
            opt.step()
            opt.zero_grad()
            sched.step()
            losses.append(loss.item())
    return losses


def main():
    parser = argparse.ArgumentParser(description="DDPM / DDIM on tiny images")
    parser.add_argument("--n-steps", type=int, default=40)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    x = make_images(64, rng)
    result = {}

    sched = linear_sched(betamax=0.2, n_steps=args.n_steps)
    alpha, alphabar, sigma = sched["a"], sched["abar"], sched["sig"]
    result["alphabar"] = [alphabar[0].item(), alphabar[args.n_steps // 2].item(), alphabar[-1].item()]
    result["cos_abar"] = abar(torch.linspace(0, 1, 5)).tolist()
    result["inv_abar"] = inv_abar(abar(torch.tensor([0.1, 0.5, 0.9]))).tolist()
    result["temb"] = timestep_embedding(torch.tensor([0, 3, 17]), 9)[:, [0, 3, 5, 8]].tolist()

    ddpm = EmbUNetModel(t_scale=1.)
    ddim = EmbUNetModel(t_scale=1000.)
    if args.init_out:
        np.savez(args.init_out, **{f"{name}.{k}": v.numpy() for name, m in (("ddpm", ddpm), ("ddim", ddim))
                                   for k, v in m.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            for name, m in (("ddpm", ddpm), ("ddim", ddim)):
                m.load_state_dict({k[len(name) + 1:]: torch.from_numpy(f[k]) for k in f.files
                                   if k.startswith(name + ".")})
    result["n_params"] = sum(p.numel() for p in ddpm.parameters())

    noise = NoiseSource(1)
    (xt, t), eps = noisify(x[:4], alphabar, noise)
    result["noisify"] = [t.tolist(), xt.mean().item(), (xt - x[:4]).std().item()]
    result["ddpm_losses"] = train(ddpm, x, lambda xb: noisify(xb, alphabar, noise), epochs=2, bs=16, lr=4e-3)
    ddpm.eval()
    preds = sample(ddpm, (4, 1, 16, 16), alpha, alphabar, sigma, args.n_steps, NoiseSource(2))
    result["ddpm_sample_len"] = len(preds)
    result["ddpm_sample"] = [p.mean().item() for p in preds[::8]] + [preds[-1].std().item()]

    result["ddim_losses"] = train(ddim, x, lambda xb: noisify_cos(xb, noise), epochs=2, bs=16, lr=4e-3)
    ddim.eval()
    preds = sample_ddim(ddim, (4, 1, 16, 16), 10, NoiseSource(3))
    result["ddim_sample"] = [p.mean().item() for p in preds] + [preds[-1].abs().max().item()]
    up = F.interpolate(x[:1, :, :4, :4], size=(6, 6), mode="bilinear", align_corners=False)
    result["bilinear"] = up.flatten()[:12].tolist()
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
