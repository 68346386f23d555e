"""A Fourier Neural Operator as in neuraloperator/fourier_1d.py and fourier_2d.py (zongyi-li's reference code):
``SpectralConv1d`` / ``SpectralConv2d`` with complex weights ``scale * torch.rand(..., dtype=torch.cfloat)``,
``torch.fft.rfft`` / ``rfftn`` of the input, a complex ``torch.einsum`` on the kept modes written into a
``torch.zeros(..., dtype=torch.cfloat)`` buffer, ``irfft(n=...)`` back; a grid channel from ``torch.linspace``
concatenated to the input, GELU between layers, a relative L2 ``LpLoss`` with ``torch.norm``, Adam on the
complex parameters with StepLR, trained on a synthetic smoothing operator."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class SpectralConv1d(nn.Module):
    def __init__(self, in_channels, out_channels, modes1):
        super().__init__()
        self.in_channels, self.out_channels, self.modes1 = in_channels, out_channels, modes1
        self.scale = 1 / (in_channels * out_channels)
        self.weights1 = nn.Parameter(self.scale * torch.rand(in_channels, out_channels, self.modes1,
                                                             dtype=torch.cfloat))

    def compl_mul1d(self, input, weights):
        return torch.einsum("bix,iox->box", input, weights)

    def forward(self, x):
        batchsize = x.shape[0]
        x_ft = torch.fft.rfft(x)
        out_ft = torch.zeros(batchsize, self.out_channels, x.size(-1) // 2 + 1, device=x.device, dtype=torch.cfloat)
        out_ft[:, :, :self.modes1] = self.compl_mul1d(x_ft[:, :, :self.modes1], self.weights1)
        return torch.fft.irfft(out_ft, n=x.size(-1))


class SpectralConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, modes1, modes2):
        super().__init__()
        self.out_channels, self.modes1, self.modes2 = out_channels, modes1, modes2
        scale = 1 / (in_channels * out_channels)
        self.weights1 = nn.Parameter(scale * torch.rand(in_channels, out_channels, modes1, modes2, dtype=torch.cfloat))
        self.weights2 = nn.Parameter(scale * torch.rand(in_channels, out_channels, modes1, modes2, dtype=torch.cfloat))

    def forward(self, x):
        b = x.shape[0]
        x_ft = torch.fft.rfft2(x)
        out_ft = torch.zeros(b, self.out_channels, x.size(-2), x.size(-1) // 2 + 1, dtype=torch.cfloat)
        out_ft[:, :, :self.modes1, :self.modes2] = torch.einsum("bixy,ioxy->boxy",
                                                                x_ft[:, :, :self.modes1, :self.modes2], self.weights1)
        out_ft[:, :, -self.modes1:, :self.modes2] = torch.einsum("bixy,ioxy->boxy",
                                                                 x_ft[:, :, -self.modes1:, :self.modes2], self.weights2)
        return torch.fft.irfft2(out_ft, s=(x.size(-2), x.size(-1)))


class FNO1d(nn.Module):
    def __init__(self, modes, width):
        super().__init__()
        self.fc0 = nn.Linear(2, width)
        self.convs = nn.ModuleList([SpectralConv1d(width, width, modes) for _ in range(3)])
        self.ws = nn.ModuleList([nn.Conv1d(width, width, 1) for _ in range(3)])
        self.fc1 = nn.Linear(width, 32)
        self.fc2 = nn.Linear(32, 1)

    def get_grid(self, shape, device):
        batchsize, size_x = shape[0], shape[1]
        gridx = torch.tensor(np.linspace(0, 1, size_x), dtype=torch.float)
        return gridx.reshape(1, size_x, 1).repeat([batchsize, 1, 1]).to(device)

    def forward(self, x):
        grid = self.get_grid(x.shape, x.device)
        x = torch.cat((x, grid), dim=-1)
        x = self.fc0(x).permute(0, 2, 1)
        for i, (conv, w) in enumerate(zip(self.convs, self.ws)):
            x = conv(x) + w(x)
            if i < len(self.convs) - 1:
                x = F.gelu(x)
        x = x.permute(0, 2, 1)
        return self.fc2(F.gelu(self.fc1(x)))


class LpLoss:
    def __init__(self, p=2, size_average=True):
        self.p, self.size_average = p, size_average

    def rel(self, x, y):
        n = x.size()[0]
        diff_norms = torch.norm(x.reshape(n, -1) - y.reshape(n, -1), self.p, 1)
        y_norms = torch.norm(y.reshape(n, -1), self.p, 1)
        return torch.mean(diff_norms / y_norms) if self.size_average else torch.sum(diff_norms / y_norms)

    def __call__(self, x, y):
        return self.rel(x, y)


def make_data(n, s, rng):
    # u(x) = sum of a few random sines; the target is a heat-kernel smoothing of it, done in Fourier space
    x = np.linspace(0, 1, s, endpoint=False)
    a = np.zeros((n, s))
    for k in range(1, 5):
        a += rng.normal(size=(n, 1)) * np.sin(2 * np.pi * k * x) / k
    u = np.fft.irfft(np.fft.rfft(a) * np.exp(-0.02 * np.arange(s // 2 + 1) ** 2), n=s)
    return torch.tensor(a, dtype=torch.float32)[..., None], torch.tensor(u, dtype=torch.float32)[..., None]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    x_train, y_train = make_data(32, 32, rng)
    x_test, y_test = make_data(8, 32, rng)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train), batch_size=8,
                                         shuffle=True)
    model = FNO1d(modes=8, width=12)
    n_params = sum(p.numel() * (2 if p.is_complex() else 1) for p in model.parameters())
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    myloss = LpLoss(size_average=False)
    train_l2, test_l2 = [], []
    for ep in range(args.epochs):
        model.train()
        total = 0.0
        for x, y in loader:
            optimizer.zero_grad()
            out = model(x)
            l2 = myloss(out.view(x.size(0), -1), y.view(x.size(0), -1))
            l2.backward()
            optimizer.step()
            total += l2.item()
        scheduler.step()
        model.eval()
        with torch.no_grad():
            test_l2.append(myloss(model(x_test).view(8, -1), y_test.view(8, -1)).item() / 8)
        train_l2.append(total / 32)

    conv2 = SpectralConv2d(3, 4, 3, 3)
    img = torch.randn(2, 3, 8, 10, requires_grad=True)
    y2 = conv2(img)
    y2.pow(2).sum().backward()
    w = model.convs[0].weights1
    spec = torch.fft.fft(torch.arange(8.0))
    print("RESULT " + json.dumps({
        "train": train_l2, "test": test_l2, "n_params": n_params, "dtype": str(w.dtype),
        "w_abs": w.abs().sum().item(), "w_grad": [w.grad.real.sum().item(), w.grad.imag.sum().item()],
        "conv2": [y2.sum().item(), y2.shape[-1], img.grad.abs().sum().item()],
        "conv2_grad": conv2.weights2.grad.abs().sum().item(),
        "spec": [spec.real.tolist(), spec.imag.tolist(), torch.view_as_real(spec).shape[-1]],
        "angle": torch.angle(spec[1:3]).tolist(), "lr": scheduler.get_last_lr(),
    }))


if __name__ == "__main__":
    main()
