"""Stanford CS231n assignment 3, GANs in PyTorch (GANs-PyTorch.ipynb, cs231n/gan_pytorch.py) on a slice of
MNIST, scaled down: a ChunkSampler (a Sampler subclass) for the train / val split, sample_noise in [-1, 1),
Flatten / Unflatten modules, ``initialize_weights`` applied with ``xavier_uniform_`` on ``m.weight.data``, the
vanilla GAN (BCEWithLogitsLoss on squeezed logits), the least-squares GAN losses, and the DCGAN pair
(Unflatten -> Conv2d / MaxPool2d classifier; Linear / BatchNorm1d / Unflatten / ConvTranspose2d / BatchNorm2d
/ Tanh / Flatten generator), trained by ``run_a_gan`` with Adam(betas=(0.5, 0.999)) and ``.type(dtype)``
casts; the notebook's count_params. The noise comes from NumPy so both runs see the same draws."""
import argparse
import gzip
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, Dataset, sampler

dtype = torch.FloatTensor
NOISE_DIM = 16
_noise_rng = np.random.RandomState(0)


class ChunkSampler(sampler.Sampler):
    """Samples elements sequentially from some offset."""

    def __init__(self, num_samples, start=0):
        self.num_samples = num_samples
        self.start = start

    def __iter__(self):
        return iter(range(self.start, self.start + self.num_samples))

    def __len__(self):
        return self.num_samples


class MNIST(Dataset):
    def __init__(self, root, n):
        with gzip.open(os.path.join(root, "train-images-idx3-ubyte.gz")) as f:
            self.images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:n]
        with gzip.open(os.path.join(root, "train-labels-idx1-ubyte.gz")) as f:
            self.labels = np.frombuffer(f.read(), np.uint8, offset=8)[:n]

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        # T.ToTensor(): uint8 HxW -> float 1xHxW in [0, 1]
        return torch.from_numpy(self.images[i].astype(np.float32) / 255.0).unsqueeze(0), int(self.labels[i])


def sample_noise(batch_size, dim, seed=None):
    """Uniform noise in [-1, 1) of shape (batch_size, dim), from NumPy."""
    rng = np.random.RandomState(seed) if seed is not None else _noise_rng
    return torch.from_numpy(rng.uniform(size=(batch_size, dim)).astype(np.float32)) * 2 - 1


class Flatten(nn.Module):
    def forward(self, x):
        N, C, H, W = x.size()
        return x.view(N, -1)


class Unflatten(nn.Module):
    def __init__(self, N=-1, C=128, H=7, W=7):
        super().__init__()
        self.N, self.C, self.H, self.W = N, C, H, W

    def forward(self, x):
        return x.view(self.N, self.C, self.H, self.W)


def initialize_weights(m):
    if isinstance(m, nn.Linear) or isinstance(m, nn.ConvTranspose2d):
        nn.init.xavier_uniform_(m.weight.data)


def discriminator(hidden=64):
    return nn.Sequential(Flatten(), nn.Linear(784, hidden), nn.LeakyReLU(0.01), nn.Linear(hidden, hidden),
                         nn.LeakyReLU(0.01), nn.Linear(hidden, 1))


def generator(noise_dim=NOISE_DIM, hidden=64):
    return nn.Sequential(nn.Linear(noise_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, 784), nn.Tanh())


def bce_loss(input, target):
    bce = nn.BCEWithLogitsLoss()
    return bce(input.squeeze(), target)


def discriminator_loss(logits_real, logits_fake):
    N = logits_real.size(0)
    real_labels = torch.ones(N).type(dtype)
    fake_labels = torch.zeros(N).type(dtype)
    return bce_loss(logits_real, real_labels) + bce_loss(logits_fake, fake_labels)


def generator_loss(logits_fake):
    N = logits_fake.size(0)
    return bce_loss(logits_fake, torch.ones(N).type(dtype))


def ls_discriminator_loss(scores_real, scores_fake):
    return 0.5 * torch.mean((scores_real - 1) ** 2) + 0.5 * torch.mean(scores_fake ** 2)


def ls_generator_loss(scores_fake):
    return 0.5 * torch.mean((scores_fake - 1) ** 2)


def get_optimizer(model):
    return optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))


def build_dc_classifier(batch_size):
    return nn.Sequential(
        Unflatten(batch_size, 1, 28, 28), nn.Conv2d(1, 8, 5, 1), nn.LeakyReLU(0.01), nn.MaxPool2d(2, 2),
        nn.Conv2d(8, 16, 5, 1), nn.LeakyReLU(0.01), nn.MaxPool2d(2, 2), Flatten(), nn.Linear(4 * 4 * 16, 64),
        nn.LeakyReLU(0.01), nn.Linear(64, 1))


def build_dc_generator(noise_dim=NOISE_DIM):
    return nn.Sequential(
        nn.Linear(noise_dim, 64), nn.ReLU(), nn.BatchNorm1d(64), nn.Linear(64, 7 * 7 * 16), nn.ReLU(),
        nn.BatchNorm1d(7 * 7 * 16), Unflatten(-1, 16, 7, 7), nn.ConvTranspose2d(16, 8, 4, 2, 1), nn.ReLU(),
        nn.BatchNorm2d(8), nn.ConvTranspose2d(8, 1, 4, 2, 1), nn.Tanh(), Flatten())


def run_a_gan(D, G, D_solver, G_solver, discriminator_loss, generator_loss, loader_train, show_every=5,
              batch_size=32, noise_size=NOISE_DIM, num_epochs=1):
    iter_count = 0
    history = []
    for epoch in range(num_epochs):
        for x, _ in loader_train:
            if len(x) != batch_size:
                continue
            D_solver.zero_grad()
            real_data = x.type(dtype)
            logits_real = D(2 * (real_data - 0.5)).type(dtype)
            g_fake_seed = sample_noise(batch_size, noise_size).type(dtype)
            fake_images = G(g_fake_seed).detach()
            logits_fake = D(fake_images.view(batch_size, 1, 28, 28))
            d_total_error = discriminator_loss(logits_real, logits_fake)
            d_total_error.backward()
            D_solver.step()

            G_solver.zero_grad()
            g_fake_seed = sample_noise(batch_size, noise_size).type(dtype)
            fake_images = G(g_fake_seed)
            gen_logits_fake = D(fake_images.view(batch_size, 1, 28, 28))
            g_error = generator_loss(gen_logits_fake)
            g_error.backward()
            G_solver.step()
            history.append([d_total_error.item(), g_error.item()])
            if iter_count % show_every == 0:
                imgs_numpy = fake_images.data.cpu().numpy()
                history[-1].append(float(np.abs(imgs_numpy).mean()))
            iter_count += 1
    return history


def count_params(model):
    return sum([np.prod(p.size()) for p in model.parameters()])


def main():
    parser = argparse.ArgumentParser(description="CS231n GANs in PyTorch")
    parser.add_argument("--data", required=True)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(231)
    NUM_TRAIN, NUM_VAL, batch_size = 256, 64, 32
    mnist = MNIST(args.data, NUM_TRAIN + NUM_VAL)
    loader_train = DataLoader(mnist, batch_size=batch_size, sampler=ChunkSampler(NUM_TRAIN, 0))
    loader_val = DataLoader(mnist, batch_size=batch_size, sampler=ChunkSampler(NUM_VAL, NUM_TRAIN))
    imgs = next(iter(loader_train))[0].view(batch_size, 784).numpy().squeeze()
    result = {"loader": [len(loader_train), len(loader_val), float(imgs.mean())],
              "noise": [list(sample_noise(3, 4, seed=1).shape), bool((sample_noise(100, 4).abs() <= 1).all())]}

    nets = {"D": discriminator(), "G": generator(), "D_ls": discriminator(), "G_ls": generator(),
            "D_dc": build_dc_classifier(batch_size), "G_dc": build_dc_generator()}
    for name in ("D", "G", "D_dc", "G_dc"):
        nets[name].apply(initialize_weights)
    if args.init_out:
        np.savez(args.init_out, **{f"{n}.{k}": v.numpy() for n, m in nets.items() for k, v in m.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            for n, m in nets.items():
                m.load_state_dict({k[len(n) + 1:]: torch.from_numpy(f[k]) for k in f.files if k.startswith(n + ".")})
    result["params"] = {n: int(count_params(m)) for n, m in nets.items()}

    # Loss checks on fixed logits, as the notebook's test_discriminator_loss / test_lsgan_loss.
    logits_real = torch.tensor([0.3, -1.2, 2.0, 0.1]).view(4, 1)
    logits_fake = torch.tensor([-0.5, 0.7, -2.2, 1.1]).view(4, 1)
    result["loss_checks"] = [discriminator_loss(logits_real, logits_fake).item(), generator_loss(logits_fake).item(),
                             ls_discriminator_loss(logits_real, logits_fake).item(),
                             ls_generator_loss(logits_fake).item()]

    for tag, dl, gl in (("", discriminator_loss, generator_loss), ("_ls", ls_discriminator_loss, ls_generator_loss)):
        D, G = nets["D" + tag], nets["G" + tag]
        result["history" + tag] = run_a_gan(D, G, get_optimizer(D), get_optimizer(G), dl, gl, loader_train,
                                            batch_size=batch_size)
    D, G = nets["D_dc"], nets["G_dc"]
    result["history_dc"] = run_a_gan(D, G, get_optimizer(D), get_optimizer(G), discriminator_loss, generator_loss,
                                     loader_train, batch_size=batch_size)
    G.eval()
    with torch.no_grad():
        fake = G(sample_noise(4, NOISE_DIM, seed=3)).view(4, 1, 28, 28)
    result["dc_fake"] = [list(fake.shape), fake.mean().item(), fake.std().item(), G[2].running_var[:4].tolist()]
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
