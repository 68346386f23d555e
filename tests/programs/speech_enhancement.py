"""Speech enhancement by spectral masking, the way torchaudio-free enhancement repositories write it:
``torch.stft(..., window=torch.hann_window(n_fft), return_complex=True)``, magnitude and phase from
``.abs()`` / ``torch.angle``, a log-mel front end from a hand-built triangular filterbank (``torch.linspace``,
mel <-> Hz, ``torch.clamp``), a bidirectional GRU predicting a sigmoid mask, reconstruction with
``torch.polar`` and ``torch.istft(length=...)``, the negative SI-SDR loss, a pre-emphasis FIR filter via
``F.conv1d``, an FFT convolution with ``torch.fft.rfft`` / ``irfft`` checked against ``F.conv1d``,
``torch.signal.windows`` and ``clip_grad_norm_``; trained on synthetic harmonic "speech" plus noise."""
import argparse
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def hz_to_mel(f):
    return 2595.0 * math.log10(1.0 + f / 700.0)


def mel_filterbank(n_mels, n_fft, sr, f_min=0.0, f_max=None):
    f_max = f_max or sr / 2
    n_freqs = n_fft // 2 + 1
    all_freqs = torch.linspace(0, sr // 2, n_freqs)
    m_pts = torch.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2)
    f_pts = 700.0 * (10 ** (m_pts / 2595.0) - 1.0)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    down_slopes = (-1.0 * slopes[:, :-2]) / f_diff[:-1]
    up_slopes = slopes[:, 2:] / f_diff[1:]
    return torch.max(torch.zeros(1), torch.min(down_slopes, up_slopes))   # (n_freqs, n_mels)


def si_sdr(est, ref, eps=1e-8):
    ref = ref - ref.mean(-1, keepdim=True)
    est = est - est.mean(-1, keepdim=True)
    proj = (est * ref).sum(-1, keepdim=True) * ref / (ref.pow(2).sum(-1, keepdim=True) + eps)
    noise = est - proj
    return 10 * torch.log10(proj.pow(2).sum(-1) / (noise.pow(2).sum(-1) + eps) + eps)


class MaskNet(nn.Module):
    def __init__(self, n_fft=128, n_mels=16, sr=8000, hidden=24):
        super().__init__()
        self.n_fft, self.hop = n_fft, n_fft // 4
        self.register_buffer("window", torch.hann_window(n_fft))
        self.register_buffer("fb", mel_filterbank(n_mels, n_fft, sr))
        self.norm = nn.LayerNorm(n_mels)
        self.rnn = nn.GRU(n_mels, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, n_fft // 2 + 1)

    def forward(self, wav):
        spec = torch.stft(wav, self.n_fft, hop_length=self.hop, window=self.window, return_complex=True,
                          center=True, pad_mode="reflect")
        mag, phase = spec.abs(), torch.angle(spec)
        mel = torch.matmul(mag.pow(2).transpose(1, 2), self.fb)
        feats = self.norm(torch.log(torch.clamp(mel, min=1e-6)))
        h, _ = self.rnn(feats)
        mask = torch.sigmoid(self.out(h)).transpose(1, 2)
        enhanced = torch.polar(mag * mask, phase)
        return torch.istft(enhanced, self.n_fft, hop_length=self.hop, window=self.window, length=wav.shape[-1]), mask


def make_batch(g, n=4, length=2048, sr=8000):
    t = torch.arange(length) / sr
    f0 = 120 + 80 * torch.rand(n, 1, generator=g)
    clean = sum(torch.sin(2 * math.pi * k * f0 * t) / k for k in range(1, 5))
    clean = clean * (0.5 + 0.5 * torch.sin(2 * math.pi * 3 * t))            # syllable-like envelope
    noise = 0.3 * torch.randn(n, length, generator=g)
    return clean + noise, clean


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args()
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    model = MaskNet()
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    losses, norms = [], []
    for step in range(args.steps):
        noisy, clean = make_batch(g)
        est, mask = model(noisy)
        loss = -si_sdr(est, clean).mean()
        opt.zero_grad()
        loss.backward()
        norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0).item())
        opt.step()
        losses.append(loss.item())
    noisy, clean = make_batch(g)
    with torch.no_grad():
        est, mask = model(noisy)
    # round trip, pre-emphasis and FFT convolution
    spec = torch.stft(clean, 128, hop_length=32, window=torch.hann_window(128), return_complex=True)
    back = torch.istft(spec, 128, hop_length=32, window=torch.hann_window(128), length=clean.shape[-1])
    pre = F.conv1d(F.pad(clean.unsqueeze(1), (1, 0)), torch.tensor([[[-0.97, 1.0]]])).squeeze(1)
    h = torch.hamming_window(31, periodic=False) * torch.sinc(torch.linspace(-3, 3, 31))
    n = clean.shape[-1] + h.numel() - 1
    fft_conv = torch.fft.irfft(torch.fft.rfft(clean, n=n) * torch.fft.rfft(h, n=n), n=n)
    direct = F.conv1d(clean.unsqueeze(1), h.flip(0).view(1, 1, -1), padding=h.numel() - 1).squeeze(1)
    print("RESULT " + json.dumps({
        "losses": losses, "norms": norms, "eval_sisdr": si_sdr(est, clean).tolist(),
        "noisy_sisdr": si_sdr(noisy, clean).tolist(), "mask_mean": mask.mean().item(),
        "spec_shape": list(spec.shape), "roundtrip": (back - clean).abs().max().item(),
        "fb": [model.fb.sum().item(), model.fb.argmax(0).tolist()], "pre": pre[0, :4].tolist(),
        "fft_vs_direct": (fft_conv - direct).abs().max().item(), "fft_conv": fft_conv[0, 100:103].tolist(),
        "windows": [torch.signal.windows.gaussian(7, std=1.5).tolist(), torch.blackman_window(5).tolist(),
                    torch.kaiser_window(6, True, 8.0).tolist(), torch.bartlett_window(5).tolist()],
    }))


if __name__ == "__main__":
    main()
