"""A VQ-VAE (van den Oord et al. 2017) as people write it after zalandoresearch/pytorch-vq-vae and
lucidrains' vector-quantize-pytorch: encoder to a latent grid, nearest codebook vectors by ``torch.cdist``
and ``argmin`` (and by the expanded ``x^2 - 2xe + e^2`` with ``torch.addmm``), codes ``scatter_`` into
one-hot encodings, codebook and commitment losses, the straight-through estimator
``x + (q - x).detach()``, perplexity, an EMA codebook updated with ``index_add_``/``scatter_add_`` and
Laplace smoothing in ``register_buffer``s, dead-code counts by ``torch.unique(return_counts=True)``;
then a Gumbel-softmax dVAE head (``F.gumbel_softmax(hard=True)`` against a hand-written straight-through
Gumbel) and a KL to a uniform prior with ``torch.distributions`` (OneHotCategorical, kl_divergence,
RelaxedOneHotCategorical)."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import OneHotCategorical, RelaxedOneHotCategorical, kl_divergence


class VectorQuantizerEMA(nn.Module):
    def __init__(self, num_embeddings, embedding_dim, commitment_cost, decay, epsilon=1e-5):
        super().__init__()
        self._embedding_dim, self._num_embeddings = embedding_dim, num_embeddings
        self._embedding = nn.Embedding(self._num_embeddings, self._embedding_dim)
        self._embedding.weight.data.normal_()
        self._commitment_cost = commitment_cost
        self.register_buffer("_ema_cluster_size", torch.zeros(num_embeddings))
        self._ema_w = nn.Parameter(torch.Tensor(num_embeddings, self._embedding_dim))
        self._ema_w.data.normal_()
        self._decay, self._epsilon = decay, epsilon

    def forward(self, inputs):
        inputs = inputs.permute(0, 2, 3, 1).contiguous()
        input_shape = inputs.shape
        flat_input = inputs.view(-1, self._embedding_dim)
        distances = (torch.sum(flat_input ** 2, dim=1, keepdim=True) + torch.sum(self._embedding.weight ** 2, dim=1)
                     - 2 * torch.matmul(flat_input, self._embedding.weight.t()))
        encoding_indices = torch.argmin(distances, dim=1).unsqueeze(1)
        encodings = torch.zeros(encoding_indices.shape[0], self._num_embeddings, device=inputs.device)
        encodings.scatter_(1, encoding_indices, 1)
        quantized = torch.matmul(encodings, self._embedding.weight).view(input_shape)
        if self.training:
            self._ema_cluster_size = self._ema_cluster_size * self._decay + (1 - self._decay) * torch.sum(encodings, 0)
            n = torch.sum(self._ema_cluster_size.data)
            self._ema_cluster_size = ((self._ema_cluster_size + self._epsilon)
                                      / (n + self._num_embeddings * self._epsilon) * n)
            dw = torch.matmul(encodings.t(), flat_input)
            self._ema_w = nn.Parameter(self._ema_w * self._decay + (1 - self._decay) * dw)
            self._embedding.weight = nn.Parameter(self._ema_w / self._ema_cluster_size.unsqueeze(1))
        e_latent_loss = F.mse_loss(quantized.detach(), inputs)
        loss = self._commitment_cost * e_latent_loss
        quantized = inputs + (quantized - inputs).detach()
        avg_probs = torch.mean(encodings, dim=0)
        perplexity = torch.exp(-torch.sum(avg_probs * torch.log(avg_probs + 1e-10)))
        return loss, quantized.permute(0, 3, 1, 2).contiguous(), perplexity, encoding_indices.view(input_shape[:-1])


class VectorQuantizer(nn.Module):
    """The codebook-loss variant, with cdist, and an EMA of code usage kept by index_add_ / scatter_add_."""

    def __init__(self, num_embeddings, embedding_dim, beta=0.25):
        super().__init__()
        self.codebook = nn.Embedding(num_embeddings, embedding_dim)
        self.codebook.weight.data.uniform_(-1.0 / num_embeddings, 1.0 / num_embeddings)
        self.beta = beta
        self.register_buffer("usage", torch.zeros(num_embeddings))
        self.register_buffer("usage2", torch.zeros(num_embeddings))

    def forward(self, z):
        b, c, h, w = z.shape
        z_flat = z.permute(0, 2, 3, 1).reshape(-1, c)
        d = torch.cdist(z_flat, self.codebook.weight)
        d2 = torch.addmm(torch.sum(self.codebook.weight ** 2, dim=1), z_flat, self.codebook.weight.t(), alpha=-2.0,
                         beta=1.0) + torch.sum(z_flat ** 2, dim=1, keepdim=True)
        idx = d.argmin(dim=1)
        idx2 = d2.argmin(dim=1)
        z_q = self.codebook(idx).view(b, h, w, c).permute(0, 3, 1, 2)
        loss = F.mse_loss(z_q, z.detach()) + self.beta * F.mse_loss(z_q.detach(), z)
        z_q = z + (z_q - z).detach()
        with torch.no_grad():
            self.usage.mul_(0.9).index_add_(0, idx, torch.full(idx.shape, 0.1))
            self.usage2.mul_(0.9).scatter_add_(0, idx, torch.full(idx.shape, 0.1))
        return z_q, loss, idx.view(b, h, w), (idx == idx2).float().mean()


def make_encoder(dim):
    return nn.Sequential(nn.Conv2d(1, 16, 4, 2, 1), nn.ReLU(), nn.Conv2d(16, dim, 4, 2, 1))


def make_decoder(dim):
    return nn.Sequential(nn.ConvTranspose2d(dim, 16, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(16, 1, 4, 2, 1))


class VQVAE(nn.Module):
    def __init__(self, ema, num_embeddings=16, dim=8):
        super().__init__()
        self.ema = ema
        self.encoder, self.decoder = make_encoder(dim), make_decoder(dim)
        self.vq = VectorQuantizerEMA(num_embeddings, dim, 0.25, 0.9) if ema else VectorQuantizer(num_embeddings, dim)

    def forward(self, x):
        z = self.encoder(x)
        if self.ema:
            loss, q, perplexity, idx = self.vq(z)
            agree = torch.tensor(1.0)
        else:
            q, loss, idx, agree = self.vq(z)
            perplexity = torch.tensor(0.0)
        return self.decoder(q), loss, perplexity, idx, agree


class GumbelHead(nn.Module):
    def __init__(self, dim=8, n=16):
        super().__init__()
        self.encoder = make_encoder(dim)
        self.proj = nn.Conv2d(dim, n, 1)
        self.codebook = nn.Embedding(n, dim)
        self.decoder = make_decoder(dim)
        self.n = n

    def forward(self, x, tau, generator_noise):
        logits = self.proj(self.encoder(x))
        # hand-written straight-through Gumbel with fixed noise, and F.gumbel_softmax for its shape/dtype
        y = F.softmax((logits + generator_noise) / tau, dim=1)
        index = y.max(dim=1, keepdim=True)[1]
        y_hard = torch.zeros_like(logits, memory_format=torch.legacy_contiguous_format).scatter_(1, index, 1.0)
        soft_one_hot = y_hard - y.detach() + y
        sampled = torch.einsum("b n h w, n d -> b d h w", soft_one_hot, self.codebook.weight)
        qy = F.softmax(logits, dim=1)
        kl = torch.sum(qy * torch.log(qy * self.n + 1e-10), dim=1).mean()
        return self.decoder(sampled), kl, logits


def make_data(n, rng):
    x = np.zeros((n, 1, 16, 16), dtype=np.float32)
    for i in range(n):
        r, c = rng.randint(0, 12, 2)
        x[i, 0, r:r + 4, c:c + 4] = 1.0
        x[i, 0, rng.randint(16), :] += 0.5
    return torch.from_numpy(x)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    models = {"ema": VQVAE(True), "vq": VQVAE(False), "gumbel": GumbelHead()}
    if args.init_out:
        np.savez(args.init_out, **{f"{m}/{k}": v.detach().numpy() for m, mod in models.items()
                                   for k, v in mod.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            for m, mod in models.items():
                mod.load_state_dict({k.split("/", 1)[1]: torch.from_numpy(f[k]) for k in f.files
                                     if k.startswith(m + "/")})
    out = {}
    for name in ("ema", "vq"):
        model = models[name]
        opt = torch.optim.Adam(model.parameters(), lr=2e-3, amsgrad=False)
        rng = np.random.RandomState(0)
        hist = []
        for step in range(args.steps):
            x = make_data(16, rng)
            recon, vq_loss, perplexity, idx, agree = model(x)
            recon_loss = F.mse_loss(recon, x)
            loss = recon_loss + vq_loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            if name == "ema":   # the EMA quantizer replaces its Parameters: rebuild the optimizer as the repo does
                opt = torch.optim.Adam(model.parameters(), lr=2e-3)
            hist.append([recon_loss.item(), vq_loss.item(), perplexity.item(), agree.item()])
        codes, counts = torch.unique(idx, return_counts=True)
        codes2, inverse = torch.unique(idx.flatten(), sorted=True, return_inverse=True)
        out[name] = {"hist": hist, "codes": codes.tolist(), "counts": counts.tolist(),
                     "inverse_ok": torch.equal(codes2[inverse], idx.flatten())}
    vq = models["vq"].vq
    out["usage"] = vq.usage.tolist()
    out["usage_same"] = torch.allclose(vq.usage, vq.usage2)
    out["ema_cluster"] = models["ema"].vq._ema_cluster_size.tolist()

    model = models["gumbel"]
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    rng = np.random.RandomState(1)
    hist = []
    for step in range(args.steps):
        x = make_data(8, rng)
        u = torch.from_numpy(rng.uniform(1e-6, 1 - 1e-6, (8, 16, 4, 4)).astype(np.float32))
        g = -torch.log(-torch.log(u))
        tau = max(0.5, float(np.exp(-0.1 * step)))
        recon, kl, logits = model(x, tau, g)
        loss = F.binary_cross_entropy_with_logits(recon, x) + 0.01 * kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.append([loss.item(), kl.item()])
    out["gumbel"] = hist
    lg = logits.detach().permute(0, 2, 3, 1).reshape(-1, 16)[:5]
    hard = F.gumbel_softmax(lg, tau=0.7, hard=True)
    soft = F.gumbel_softmax(lg, tau=0.7, hard=False, dim=-1)
    prior = OneHotCategorical(probs=torch.full((16,), 1.0 / 16))
    post = OneHotCategorical(logits=lg)
    relaxed = RelaxedOneHotCategorical(torch.tensor(0.5), logits=lg)
    rs = relaxed.rsample()
    out["dist"] = {"hard_sums": hard.sum(-1).tolist(), "hard_max": hard.max(-1).values.tolist(),
                   "soft_sums": soft.sum(-1).tolist(), "kl": kl_divergence(post, prior).tolist(),
                   "entropy": post.entropy().tolist(), "log_prob": post.log_prob(F.one_hot(lg.argmax(-1), 16).float()).tolist(),
                   "relaxed_shape": list(rs.shape), "relaxed_sum": rs.sum(-1).tolist(),
                   "relaxed_lp_finite": bool(torch.isfinite(relaxed.log_prob(rs)).all()),
                   "mean": post.mean[0].tolist(), "sample_shape": list(post.sample((3,)).shape)}
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
