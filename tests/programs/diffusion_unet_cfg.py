"""A class-conditional DDPM in the style of lucidrains' denoising-diffusion-pytorch and Hugging Face
diffusers' DDPMScheduler: a small UNet (sinusoidal ``timestep_embedding`` with ``torch.exp`` of
``-log(10000) * arange / half``, ResBlocks with ``nn.GroupNorm`` + ``nn.SiLU`` and a time projection
added as ``[:, :, None, None]``, downsampling by strided conv, upsampling by ``nn.Upsample`` and by
``F.interpolate(mode="bilinear")``, skip connections concatenated), a linear and a cosine beta
schedule (``torch.linspace``, ``torch.cumprod``, ``F.pad`` of ``alphas_cumprod[:-1]``), ``extract`` by
``gather`` and reshape, classifier-free guidance (labels dropped to a null class with ``torch.where``
on a ``torch.rand`` mask), an EMA copy through ``torch.optim.swa_utils.AveragedModel`` with
``get_ema_multi_avg_fn``, and DDPM / DDIM sampling (``torch.flip`` of a ``linspace(...).long()``
timestep grid) with all noise from a seeded ``torch.Generator``."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


def timestep_embedding(timesteps, dim, max_period=10000):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(start=0, end=half, dtype=torch.float32) / half)
    args = timesteps[:, None].float() * freqs[None]
    embedding = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        embedding = torch.cat([embedding, torch.zeros_like(embedding[:, :1])], dim=-1)
    return embedding


class ResBlock(nn.Module):
    def __init__(self, dim_in, dim_out, time_dim, groups=4):
        super().__init__()
        self.mlp = nn.Sequential(nn.SiLU(), nn.Linear(time_dim, dim_out * 2))
        self.norm1 = nn.GroupNorm(groups, dim_in)
        self.conv1 = nn.Conv2d(dim_in, dim_out, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, dim_out)
        self.conv2 = nn.Conv2d(dim_out, dim_out, 3, padding=1)
        self.res_conv = nn.Conv2d(dim_in, dim_out, 1) if dim_in != dim_out else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.mlp(emb)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (scale + 1) + shift
        h = self.conv2(F.silu(h))
        return h + self.res_conv(x)


class UNet(nn.Module):
    def __init__(self, ch=8, num_classes=3, time_dim=32):
        super().__init__()
        self.ch = ch
        self.time_mlp = nn.Sequential(nn.Linear(ch, time_dim), nn.GELU(), nn.Linear(time_dim, time_dim))
        self.class_emb = nn.Embedding(num_classes + 1, time_dim)  # the last index is the null class
        self.init_conv = nn.Conv2d(1, ch, 3, padding=1)
        self.down1 = ResBlock(ch, ch, time_dim)
        self.ds1 = nn.Conv2d(ch, ch, 4, stride=2, padding=1)
        self.down2 = ResBlock(ch, 2 * ch, time_dim)
        self.ds2 = nn.Conv2d(2 * ch, 2 * ch, 4, stride=2, padding=1)
        self.mid = ResBlock(2 * ch, 2 * ch, time_dim)
        self.us2 = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(2 * ch, 2 * ch, 3, padding=1))
        self.up2 = ResBlock(4 * ch, ch, time_dim)
        self.up1 = ResBlock(2 * ch, ch, time_dim)
        self.final = nn.Sequential(nn.GroupNorm(4, ch), nn.SiLU(), nn.Conv2d(ch, 1, 1))

    def forward(self, x, t, y):
        emb = self.time_mlp(timestep_embedding(t, self.ch)) + self.class_emb(y)
        x = self.init_conv(x)
        h1 = self.down1(x, emb)
        h2 = self.down2(self.ds1(h1), emb)
        h = self.mid(self.ds2(h2), emb)
        h = self.us2(h)
        h = self.up2(torch.cat([h, h2], dim=1), emb)
        h = F.interpolate(h, scale_factor=2, mode="bilinear", align_corners=False)
        h = self.up1(torch.cat([h, h1], dim=1), emb)
        return self.final(h)


def linear_beta_schedule(timesteps):
    scale = 1000 / timesteps
    return torch.linspace(scale * 0.0001, scale * 0.02, timesteps, dtype=torch.float64)


def cosine_beta_schedule(timesteps, s=0.008):
    steps = timesteps + 1
    t = torch.linspace(0, timesteps, steps, dtype=torch.float64) / timesteps
    alphas_cumprod = torch.cos((t + s) / (1 + s) * math.pi * 0.5) ** 2
    alphas_cumprod = alphas_cumprod / alphas_cumprod[0]
    betas = 1 - (alphas_cumprod[1:] / alphas_cumprod[:-1])
    return torch.clip(betas, 0, 0.999)


def extract(a, t, x_shape):
    b, *_ = t.shape
    out = a.gather(-1, t)
    return out.reshape(b, *((1,) * (len(x_shape) - 1)))


class Diffusion(nn.Module):
    def __init__(self, model, timesteps=50, schedule="linear", null_class=3):
        super().__init__()
        self.model, self.num_timesteps, self.null_class = model, timesteps, null_class
        betas = linear_beta_schedule(timesteps) if schedule == "linear" else cosine_beta_schedule(timesteps)
        alphas = 1.0 - betas
        alphas_cumprod = torch.cumprod(alphas, dim=0)
        alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)
        register = lambda name, val: self.register_buffer(name, val.to(torch.float32), persistent=False)  # noqa
        register("betas", betas)
        register("alphas_cumprod", alphas_cumprod)
        register("alphas_cumprod_prev", alphas_cumprod_prev)
        register("sqrt_alphas_cumprod", torch.sqrt(alphas_cumprod))
        register("sqrt_one_minus_alphas_cumprod", torch.sqrt(1.0 - alphas_cumprod))
        register("sqrt_recip_alphas_cumprod", torch.sqrt(1.0 / alphas_cumprod))
        register("sqrt_recipm1_alphas_cumprod", torch.sqrt(1.0 / alphas_cumprod - 1))
        posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
        register("posterior_variance", posterior_variance)
        register("posterior_log_variance_clipped", torch.log(posterior_variance.clamp(min=1e-20)))
        register("posterior_mean_coef1", betas * torch.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod))
        register("posterior_mean_coef2", (1.0 - alphas_cumprod_prev) * torch.sqrt(alphas) / (1.0 - alphas_cumprod))

    def q_sample(self, x_start, t, noise):
        return (extract(self.sqrt_alphas_cumprod, t, x_start.shape) * x_start
                + extract(self.sqrt_one_minus_alphas_cumprod, t, x_start.shape) * noise)

    def p_losses(self, x_start, y, generator, p_uncond=0.2):
        b = x_start.shape[0]
        t = torch.randint(0, self.num_timesteps, (b,), generator=generator).long()
        noise = torch.randn(x_start.shape, generator=generator)
        drop = torch.rand(b, generator=generator) < p_uncond
        y = torch.where(drop, torch.full_like(y, self.null_class), y)
        x = self.q_sample(x_start, t, noise)
        pred = self.model(x, t, y)
        return F.smooth_l1_loss(pred, noise) if False else F.mse_loss(pred, noise, reduction="none").mean(
            dim=(1, 2, 3)).mean()

    def guided_eps(self, x, t, y, w):
        both = self.model(torch.cat([x, x]), torch.cat([t, t]), torch.cat([y, torch.full_like(y, self.null_class)]))
        cond, uncond = both.chunk(2)
        return torch.lerp(uncond, cond, 1.0 + w) if w else cond

    @torch.no_grad()
    def p_sample_loop(self, y, generator, w=1.0):
        img = torch.randn((y.shape[0], 1, 8, 8), generator=generator)
        for i in reversed(range(0, self.num_timesteps)):
            t = torch.full((y.shape[0],), i, dtype=torch.long)
            eps = self.guided_eps(img, t, y, w)
            x0 = extract(self.sqrt_recip_alphas_cumprod, t, img.shape) * img - \
                extract(self.sqrt_recipm1_alphas_cumprod, t, img.shape) * eps
            x0 = x0.clamp(-1.0, 1.0)
            mean = extract(self.posterior_mean_coef1, t, img.shape) * x0 + \
                extract(self.posterior_mean_coef2, t, img.shape) * img
            log_var = extract(self.posterior_log_variance_clipped, t, img.shape)
            noise = torch.randn(img.shape, generator=generator) if i > 0 else torch.zeros_like(img)
            img = mean + (0.5 * log_var).exp() * noise
        return img

    @torch.no_grad()
    def ddim_sample(self, y, generator, steps=10, eta=0.0, w=1.0):
        times = torch.linspace(-1, self.num_timesteps - 1, steps=steps + 1)
        times = list(reversed(times.int().tolist()))
        time_pairs = list(zip(times[:-1], times[1:]))
        img = torch.randn((y.shape[0], 1, 8, 8), generator=generator)
        for time, time_next in time_pairs:
            t = torch.full((y.shape[0],), time, dtype=torch.long)
            eps = self.guided_eps(img, t, y, w)
            x0 = (extract(self.sqrt_recip_alphas_cumprod, t, img.shape) * img
                  - extract(self.sqrt_recipm1_alphas_cumprod, t, img.shape) * eps).clamp(-1, 1)
            if time_next < 0:
                img = x0
                continue
            alpha, alpha_next = self.alphas_cumprod[time], self.alphas_cumprod[time_next]
            sigma = eta * ((1 - alpha / alpha_next) * (1 - alpha_next) / (1 - alpha)).sqrt()
            c = (1 - alpha_next - sigma ** 2).sqrt()
            img = x0 * alpha_next.sqrt() + c * eps + sigma * torch.randn(img.shape, generator=generator)
        return img


def make_data(n, rng):
    x = -np.ones((n, 1, 8, 8), dtype=np.float32)
    y = rng.randint(0, 3, n)
    for i in range(n):
        r, c = rng.randint(1, 5, 2)
        if y[i] == 0:
            x[i, 0, r, 1:7] = 1
        elif y[i] == 1:
            x[i, 0, 1:7, c] = 1
        else:
            x[i, 0, r:r + 3, c:c + 3] = 1
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    unet = UNet()
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in unet.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            unet.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    diffusion = Diffusion(unet)
    cosine = Diffusion(unet, schedule="cosine")
    ema = AveragedModel(unet, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    sched = {"linear_acp": diffusion.alphas_cumprod[::10].tolist(), "cos_acp": cosine.alphas_cumprod[::10].tolist(),
             "post_var": diffusion.posterior_variance[:3].tolist(), "buffers": sorted(diffusion.state_dict().keys())[:3],
             "emb": timestep_embedding(torch.tensor([0, 7, 49]), 9)[:, [0, 3, 5, 8]].tolist()}
    optimizer = torch.optim.Adam(unet.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(42)
    rng = np.random.RandomState(0)
    losses = []
    for step in range(args.steps):
        x, y = make_data(16, rng)
        loss = diffusion.p_losses(x, y, gen)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ema.update_parameters(unet)
        losses.append(loss.item())
    ema_diff = sum((p - q).abs().sum().item() for p, q in zip(ema.module.parameters(), unet.parameters()))
    ema.eval()
    y = torch.tensor([0, 1, 2])
    samples = diffusion.p_sample_loop(y, torch.Generator().manual_seed(1))
    ddim = diffusion.ddim_sample(y, torch.Generator().manual_seed(2))
    ddim_eta = diffusion.ddim_sample(y, torch.Generator().manual_seed(2), eta=1.0, w=0.0)
    result = {"sched": sched, "losses": losses, "ema_diff": ema_diff, "n_averaged": ema.n_averaged.item(),
              "samples": samples.flatten()[::7].tolist(), "ddim": ddim.flatten()[::7].tolist(),
              "ddim_eta": ddim_eta.flatten()[::7].tolist(), "sample_mean": samples.mean().item()}
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
