"""NeRF (Mildenhall et al. 2020) in the manner of nerf-pytorch / the tiny-NeRF notebooks, on a synthetic
scene: rays from a pinhole camera built with ``torch.meshgrid(indexing="xy")`` and a camera-to-world matrix,
stratified samples along each ray (``torch.linspace`` expanded, jittered with ``torch.rand``), a Fourier
positional encoding, an MLP with a skip connection, volume rendering (``1 - exp(-sigma * delta)``, an
exclusive ``torch.cumprod`` for transmittance, ``1e10`` for the last interval), hierarchical sampling of a
fine pass from the coarse weights (``sample_pdf``: ``torch.cumsum`` CDF, ``torch.searchsorted(right=True)``,
``torch.gather`` of the bins), ``torch.sort`` of the merged samples, PSNR; training with Adam and an
exponential learning-rate decay written into ``param_groups``."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Embedder(nn.Module):
    def __init__(self, multires, include_input=True):
        super().__init__()
        self.include_input = include_input
        self.register_buffer("freq_bands", 2.0 ** torch.linspace(0.0, multires - 1, steps=multires), persistent=False)
        self.out_dim = 3 * (int(include_input) + 2 * multires)

    def forward(self, x):
        parts = [x] if self.include_input else []
        xb = x[..., None, :] * self.freq_bands[:, None]
        parts += [torch.sin(xb).flatten(-2), torch.cos(xb).flatten(-2)]
        return torch.cat(parts, -1)


class NeRF(nn.Module):
    def __init__(self, D=4, W=32, input_ch=27, input_ch_views=15, skips=(2,)):
        super().__init__()
        self.skips = skips
        self.pts_linears = nn.ModuleList([nn.Linear(input_ch, W)] + [
            nn.Linear(W, W) if i not in self.skips else nn.Linear(W + input_ch, W) for i in range(D - 1)])
        self.views_linears = nn.ModuleList([nn.Linear(input_ch_views + W, W // 2)])
        self.feature_linear = nn.Linear(W, W)
        self.alpha_linear = nn.Linear(W, 1)
        self.rgb_linear = nn.Linear(W // 2, 3)
        self.input_ch = input_ch

    def forward(self, x):
        input_pts, input_views = torch.split(x, [self.input_ch, x.shape[-1] - self.input_ch], dim=-1)
        h = input_pts
        for i, l in enumerate(self.pts_linears):
            h = F.relu(self.pts_linears[i](h))
            if i in self.skips:
                h = torch.cat([input_pts, h], -1)
        alpha = self.alpha_linear(h)
        feature = self.feature_linear(h)
        h = torch.cat([feature, input_views], -1)
        for l in self.views_linears:
            h = F.relu(l(h))
        rgb = self.rgb_linear(h)
        return torch.cat([rgb, alpha], -1)


def get_rays(H, W, focal, c2w):
    i, j = torch.meshgrid(torch.linspace(0, W - 1, W), torch.linspace(0, H - 1, H), indexing="xy")
    dirs = torch.stack([(i - W * .5) / focal, -(j - H * .5) / focal, -torch.ones_like(i)], -1)
    rays_d = torch.sum(dirs[..., np.newaxis, :] * c2w[:3, :3], -1)
    rays_o = c2w[:3, -1].expand(rays_d.shape)
    return rays_o, rays_d


def raw2outputs(raw, z_vals, rays_d, white_bkgd=False):
    raw2alpha = lambda raw, dists, act_fn=F.relu: 1. - torch.exp(-act_fn(raw) * dists)  # noqa: E731
    dists = z_vals[..., 1:] - z_vals[..., :-1]
    dists = torch.cat([dists, torch.Tensor([1e10]).expand(dists[..., :1].shape)], -1)
    dists = dists * torch.norm(rays_d[..., None, :], dim=-1)
    rgb = torch.sigmoid(raw[..., :3])
    alpha = raw2alpha(raw[..., 3], dists)
    weights = alpha * torch.cumprod(torch.cat([torch.ones((alpha.shape[0], 1)), 1. - alpha + 1e-10], -1), -1)[:, :-1]
    rgb_map = torch.sum(weights[..., None] * rgb, -2)
    depth_map = torch.sum(weights * z_vals, -1)
    disp_map = 1. / torch.max(1e-10 * torch.ones_like(depth_map), depth_map / torch.sum(weights, -1))
    acc_map = torch.sum(weights, -1)
    if white_bkgd:
        rgb_map = rgb_map + (1. - acc_map[..., None])
    return rgb_map, disp_map, acc_map, weights, depth_map


def sample_pdf(bins, weights, N_samples, det=False):
    weights = weights + 1e-5
    pdf = weights / torch.sum(weights, -1, keepdim=True)
    cdf = torch.cumsum(pdf, -1)
    cdf = torch.cat([torch.zeros_like(cdf[..., :1]), cdf], -1)
    if det:
        u = torch.linspace(0., 1., steps=N_samples)
        u = u.expand(list(cdf.shape[:-1]) + [N_samples])
    else:
        u = torch.rand(list(cdf.shape[:-1]) + [N_samples])
    u = u.contiguous()
    inds = torch.searchsorted(cdf, u, right=True)
    below = torch.max(torch.zeros_like(inds - 1), inds - 1)
    above = torch.min((cdf.shape[-1] - 1) * torch.ones_like(inds), inds)
    inds_g = torch.stack([below, above], -1)
    matched_shape = [inds_g.shape[0], inds_g.shape[1], cdf.shape[-1]]
    cdf_g = torch.gather(cdf.unsqueeze(1).expand(matched_shape), 2, inds_g)
    bins_g = torch.gather(bins.unsqueeze(1).expand(matched_shape), 2, inds_g)
    denom = (cdf_g[..., 1] - cdf_g[..., 0])
    denom = torch.where(denom < 1e-5, torch.ones_like(denom), denom)
    t = (u - cdf_g[..., 0]) / denom
    return bins_g[..., 0] + t * (bins_g[..., 1] - bins_g[..., 0])


def render_rays(rays_o, rays_d, coarse, fine, embed, embed_dirs, near=2.0, far=6.0, N_samples=16, N_importance=16,
                perturb=1.0):
    N_rays = rays_o.shape[0]
    viewdirs = rays_d / torch.norm(rays_d, dim=-1, keepdim=True)
    t_vals = torch.linspace(0., 1., steps=N_samples)
    z_vals = near * (1. - t_vals) + far * (t_vals)
    z_vals = z_vals.expand([N_rays, N_samples])
    if perturb > 0.:
        mids = .5 * (z_vals[..., 1:] + z_vals[..., :-1])
        upper = torch.cat([mids, z_vals[..., -1:]], -1)
        lower = torch.cat([z_vals[..., :1], mids], -1)
        t_rand = torch.rand(z_vals.shape)
        z_vals = lower + (upper - lower) * t_rand

    def run(model, z):
        pts = rays_o[..., None, :] + rays_d[..., None, :] * z[..., :, None]
        dirs = viewdirs[:, None].expand(pts.shape)
        h = torch.cat([embed(pts.reshape(-1, 3)), embed_dirs(dirs.reshape(-1, 3))], -1)
        return model(h).reshape(list(pts.shape[:-1]) + [4])

    rgb0, disp0, acc0, weights, depth0 = raw2outputs(run(coarse, z_vals), z_vals, rays_d)
    z_vals_mid = .5 * (z_vals[..., 1:] + z_vals[..., :-1])
    z_samples = sample_pdf(z_vals_mid, weights[..., 1:-1], N_importance, det=(perturb == 0.)).detach()
    z_vals, _ = torch.sort(torch.cat([z_vals, z_samples], -1), -1)
    rgb, disp, acc, _, depth = raw2outputs(run(fine, z_vals), z_vals, rays_d)
    return rgb, rgb0, depth, acc


def scene_color(rays_o, rays_d):
    """Ground truth: a unit sphere at the origin colored by its normal, black background."""
    b = (rays_o * rays_d).sum(-1)
    c = (rays_o * rays_o).sum(-1) - 1.0
    a = (rays_d * rays_d).sum(-1)
    disc = b * b - a * c
    hit = disc > 0
    t = (-b - torch.sqrt(disc.clamp(min=0))) / a
    p = rays_o + t[:, None] * rays_d
    return torch.where(hit[:, None], 0.5 * (p + 1.0), torch.zeros_like(p))


def pose(theta):
    c2w = torch.tensor([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 4.0], [0, 0, 0, 1]])
    rot = torch.tensor([[math.cos(theta), 0, -math.sin(theta), 0], [0, 1, 0, 0], [math.sin(theta), 0, math.cos(theta), 0],
                        [0, 0, 0, 1]], dtype=torch.float32)
    return rot @ c2w


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    embed, embed_dirs = Embedder(4), Embedder(2)
    coarse = NeRF(input_ch=embed.out_dim, input_ch_views=embed_dirs.out_dim)
    fine = NeRF(input_ch=embed.out_dim, input_ch_views=embed_dirs.out_dim)
    models = {"coarse": coarse, "fine": fine}
    if args.init_out:
        np.savez(args.init_out, **{f"{m}/{k}": v.detach().numpy() for m, mod in models.items()
                                   for k, v in mod.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            for m, mod in models.items():
                mod.load_state_dict({k.split("/", 1)[1]: torch.from_numpy(f[k]) for k in f.files
                                     if k.startswith(m + "/")})
    H = W = 12
    focal = 15.0
    rays = [get_rays(H, W, focal, pose(th)) for th in (0.0, 0.7, -0.7)]
    rays_o = torch.cat([r[0].reshape(-1, 3) for r in rays])
    rays_d = torch.cat([r[1].reshape(-1, 3) for r in rays])
    target = scene_color(rays_o, rays_d)
    params = list(coarse.parameters()) + list(fine.parameters())
    lrate, lrate_decay = 5e-3, 0.5
    optimizer = torch.optim.Adam(params=params, lr=lrate, betas=(0.9, 0.999))
    torch.manual_seed(1)
    losses, psnrs = [], []
    for step in range(args.steps):
        select = torch.randperm(rays_o.shape[0])[:64]
        rgb, rgb0, _, _ = render_rays(rays_o[select], rays_d[select], coarse, fine, embed, embed_dirs)
        img_loss = F.mse_loss(rgb, target[select])
        loss = img_loss + F.mse_loss(rgb0, target[select])
        psnr = -10. * torch.log(img_loss) / torch.log(torch.Tensor([10.]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        new_lrate = lrate * (lrate_decay ** (step / args.steps))
        for param_group in optimizer.param_groups:
            param_group["lr"] = new_lrate
        losses.append(loss.item())
        psnrs.append(psnr.item())
    with torch.no_grad():
        rgb, rgb0, depth, acc = render_rays(rays_o[:40], rays_d[:40], coarse, fine, embed, embed_dirs, perturb=0.)
    bins = torch.linspace(0, 1, 9).expand(3, 9)
    w = torch.tensor([[0., 1, 2, 3, 2, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 5, 0, 0, 0, 0]])
    det = sample_pdf(bins, w, 6, det=True)
    rays0 = get_rays(4, 3, 2.0, pose(0.3))
    print("RESULT " + json.dumps({"losses": losses, "psnr": psnrs, "rgb": rgb.sum().item(), "depth": depth[:8].tolist(),
                                  "acc": acc[:8].tolist(), "det_pdf": det.tolist(), "rays_d": rays0[1][0].tolist(),
                                  "rays_shape": list(rays0[0].shape), "target_sum": target.sum().item()}))


if __name__ == "__main__":
    main()
