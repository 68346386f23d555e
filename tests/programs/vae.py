"""A variational autoencoder on MNIST in the manner of pytorch/examples' vae/main.py: fc encoder
to mean and log-variance, the reparameterization trick with randn_like, a summed binary
cross-entropy plus KL loss, Adam, a test pass that also keeps a reconstruction grid, and
samples decoded from torch.randn."""
import argparse
import gzip
import json
import os

import numpy as np
import torch
import torch.utils.data
from torch import nn, optim
from torch.nn import functional as F


def load_images(root, train, limit):
    name = "train-images-idx3-ubyte.gz" if train else "t10k-images-idx3-ubyte.gz"
    with gzip.open(os.path.join(root, name)) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:limit]
    x = torch.from_numpy(images.copy()).float().div(255)
    return torch.utils.data.TensorDataset(x, torch.zeros(len(x), dtype=torch.long))


class VAE(nn.Module):
    def __init__(self, hidden=200, latent=10):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def main():
    parser = argparse.ArgumentParser(description="VAE MNIST Example")
    parser.add_argument("--data", required=True)
    parser.add_argument("--batch-size", type=int, default=64, metavar="N")
    parser.add_argument("--epochs", type=int, default=3, metavar="N")
    parser.add_argument("--train-size", type=int, default=512)
    parser.add_argument("--no-cuda", action="store_true", default=False)
    parser.add_argument("--seed", type=int, default=1, metavar="S")
    parser.add_argument("--log-interval", type=int, default=4, metavar="N")
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    args.cuda = not args.no_cuda and torch.cuda.is_available()
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if args.cuda else "cpu")
    kwargs = {"num_workers": 1, "pin_memory": True} if args.cuda else {}
    train_loader = torch.utils.data.DataLoader(load_images(args.data, True, args.train_size),
                                               batch_size=args.batch_size, shuffle=True, **kwargs)
    test_loader = torch.utils.data.DataLoader(load_images(args.data, False, 256),
                                              batch_size=args.batch_size, shuffle=False, **kwargs)
    model = VAE().to(device)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    train_losses, test_losses = [], []
    for epoch in range(1, args.epochs + 1):
        model.train()
        train_loss = 0
        for batch_idx, (data, _) in enumerate(train_loader):
            data = data.to(device)
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(data)
            loss = loss_function(recon_batch, data, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
            if batch_idx % args.log_interval == 0:
                print("Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}".format(
                    epoch, batch_idx * len(data), len(train_loader.dataset),
                    100. * batch_idx / len(train_loader), loss.item() / len(data)))
        train_losses.append(train_loss / len(train_loader.dataset))
        print("====> Epoch: {} Average loss: {:.4f}".format(epoch, train_losses[-1]))
        model.eval()
        test_loss = 0
        with torch.no_grad():
            for i, (data, _) in enumerate(test_loader):
                data = data.to(device)
                recon_batch, mu, logvar = model(data)
                test_loss += loss_function(recon_batch, data, mu, logvar).item()
                if i == 0:
                    n = min(data.size(0), 8)
                    comparison = torch.cat([data[:n], recon_batch.view(args.batch_size, 1, 28, 28)[:n]])
        test_losses.append(test_loss / len(test_loader.dataset))
        print("====> Test set loss: {:.4f}".format(test_losses[-1]))
        with torch.no_grad():
            sample = torch.randn(64, 10).to(device)
            sample = model.decode(sample).cpu()
    print("RESULT " + json.dumps({"train": train_losses, "test": test_losses,
                                  "comparison": list(comparison.shape), "sample": list(sample.shape),
                                  "sample_range": [sample.min().item(), sample.max().item()]}))


if __name__ == "__main__":
    main()
