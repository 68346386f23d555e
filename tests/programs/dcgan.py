"""A small DCGAN in the manner of pytorch/examples' dcgan/main.py: a generator of transposed
convolutions with batch norm, a discriminator of strided convolutions with LeakyReLU, a
weights_init applied by class name, BCELoss with real/fake labels made by torch.full, Adam with
beta1 = 0.5, fake.detach() for the discriminator step; optionally a WGAN-GP gradient penalty
computed with torch.autograd.grad(create_graph=True)."""
import argparse
import gzip
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
import torch.utils.data


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


class Generator(nn.Module):
    def __init__(self, nz, ngf):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 7, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, 1, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self, ndf, sigmoid=True):
        super().__init__()
        layers = [
            nn.Conv2d(1, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2) if sigmoid else nn.InstanceNorm2d(ndf * 2, affine=True),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 7, 1, 0, bias=False),
        ]
        if sigmoid:
            layers.append(nn.Sigmoid())
        self.main = nn.Sequential(*layers)

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


class Noise:
    """torch.randn / torch.rand, or, when a seed is given (runs that must match another
    framework), the same draws from a NumPy stream."""

    def __init__(self, seed, device):
        self.rng = None if seed is None else np.random.RandomState(seed)
        self.device = device

    def randn(self, *shape):
        if self.rng is None:
            return torch.randn(*shape, device=self.device)
        return torch.from_numpy(self.rng.standard_normal(shape).astype(np.float32)).to(self.device)

    def rand(self, *shape):
        if self.rng is None:
            return torch.rand(*shape, device=self.device)
        return torch.from_numpy(self.rng.random_sample(shape).astype(np.float32)).to(self.device)


def gradient_penalty(netD, real, fake, noise):
    alpha = noise.rand(real.size(0), 1, 1, 1)
    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    out = netD(interp)
    grads = torch.autograd.grad(outputs=out, inputs=interp, grad_outputs=torch.ones_like(out),
                                create_graph=True, retain_graph=True, only_inputs=True)[0]
    grads = grads.view(grads.size(0), -1)
    return ((grads.norm(2, dim=1) - 1) ** 2).mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--batchSize", type=int, default=32)
    parser.add_argument("--nz", type=int, default=16)
    parser.add_argument("--ngf", type=int, default=8)
    parser.add_argument("--ndf", type=int, default=8)
    parser.add_argument("--niter", type=int, default=1)
    parser.add_argument("--lr", type=float, default=0.0002)
    parser.add_argument("--beta1", type=float, default=0.5)
    parser.add_argument("--gp", type=float, default=0.0, help="WGAN-GP penalty weight (0: the DCGAN loss)")
    parser.add_argument("--manualSeed", type=int, default=999)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--noise-seed", type=int, default=None)
    parser.add_argument("--no-shuffle", action="store_true")
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    opt = parser.parse_args()
    torch.manual_seed(opt.manualSeed)
    torch.backends.cudnn.benchmark = True
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    with gzip.open(os.path.join(opt.data, "train-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:opt.batchSize * opt.steps]
    real_images = torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0)
    dataloader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(real_images), batch_size=opt.batchSize,
                                             shuffle=not opt.no_shuffle, drop_last=True)
    netG = Generator(opt.nz, opt.ngf).to(device)
    netG.apply(weights_init)
    wgan = opt.gp > 0
    netD = Discriminator(opt.ndf, sigmoid=not wgan).to(device)
    netD.apply(weights_init)
    if opt.init_out:
        arrays = {"G." + k: v.numpy() for k, v in netG.state_dict().items()}
        arrays.update({"D." + k: v.numpy() for k, v in netD.state_dict().items()})
        np.savez(opt.init_out, **arrays)
    if opt.init_in:
        with np.load(opt.init_in) as f:
            for prefix, net in (("G.", netG), ("D.", netD)):
                net.load_state_dict({k[2:]: torch.from_numpy(f[k]) for k in f.files if k.startswith(prefix)})
    criterion = nn.BCELoss()
    noise_source = Noise(opt.noise_seed, device)
    fixed_noise = noise_source.randn(16, opt.nz, 1, 1)
    real_label, fake_label = 1., 0.
    optimizerD = optim.Adam(netD.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
    history = []
    for epoch in range(opt.niter):
        for i, (real_cpu,) in enumerate(dataloader, 0):
            netD.zero_grad()
            real_cpu = real_cpu.to(device)
            batch_size = real_cpu.size(0)
            noise = noise_source.randn(batch_size, opt.nz, 1, 1)
            fake = netG(noise)
            if wgan:
                errD = netD(fake.detach()).mean() - netD(real_cpu).mean()
                errD = errD + opt.gp * gradient_penalty(netD, real_cpu, fake.detach(), noise_source)
                errD.backward()
                D_x = D_G_z1 = 0.0
            else:
                label = torch.full((batch_size,), real_label, dtype=real_cpu.dtype, device=device)
                output = netD(real_cpu)
                errD_real = criterion(output, label)
                errD_real.backward()
                D_x = output.mean().item()
                label.fill_(fake_label)
                output = netD(fake.detach())
                errD_fake = criterion(output, label)
                errD_fake.backward()
                D_G_z1 = output.mean().item()
                errD = errD_real + errD_fake
            optimizerD.step()
            netG.zero_grad()
            output = netD(fake)
            if wgan:
                errG = -output.mean()
            else:
                label.fill_(real_label)
                errG = criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            optimizerG.step()
            print("[%d/%d][%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f"
                  % (epoch, opt.niter, i, len(dataloader), errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
            history.append([errD.item(), errG.item(), D_x, D_G_z1, D_G_z2])
    netG.eval()
    with torch.no_grad():
        fake = netG(fixed_noise).detach().cpu()
    torch.save(netG.state_dict(), "netG_epoch_%d.pth" % epoch)
    torch.save(netD.state_dict(), "netD_epoch_%d.pth" % epoch)
    print("RESULT " + json.dumps({"history": history, "fake": list(fake.shape),
                                  "fake_range": [fake.min().item(), fake.max().item()]}))


if __name__ == "__main__":
    main()
