"""Image super-resolution with sub-pixel convolution in the manner of pytorch/examples'
super_resolution: a small conv net ending in nn.PixelShuffle, orthogonal init scaled by
calculate_gain, low-resolution inputs made with F.interpolate / avg_pool2d, MSE loss and PSNR,
Adam, and a checkpoint written each epoch."""
import argparse
import gzip
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.init as init
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 16, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(16, 16, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(16, 8, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(8, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        return self.pixel_shuffle(self.conv4(x))

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv2.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv3.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv4.weight)


def dataset(root, limit, factor):
    with gzip.open(os.path.join(root, "t10k-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:limit]
    target = torch.from_numpy(images.astype(np.float32) / 255.0)
    blurred = F.interpolate(target, scale_factor=1.0 / factor, mode="bilinear", align_corners=False)
    coarse = F.avg_pool2d(target, factor)
    return TensorDataset(0.5 * (blurred + coarse), target)


def main():
    parser = argparse.ArgumentParser(description="PyTorch Super Res Example")
    parser.add_argument("--data", required=True)
    parser.add_argument("--upscale_factor", type=int, default=2)
    parser.add_argument("--batchSize", type=int, default=32)
    parser.add_argument("--testBatchSize", type=int, default=50)
    parser.add_argument("--nEpochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    opt = parser.parse_args()
    torch.manual_seed(opt.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    full = dataset(opt.data, 192, opt.upscale_factor)
    train_set = torch.utils.data.Subset(full, range(0, 128))
    test_set = torch.utils.data.Subset(full, range(128, 192))
    training_data_loader = DataLoader(dataset=train_set, batch_size=opt.batchSize, shuffle=False)
    testing_data_loader = DataLoader(dataset=test_set, batch_size=opt.testBatchSize, shuffle=False)
    model = Net(upscale_factor=opt.upscale_factor).to(device)
    if opt.init_out:
        np.savez(opt.init_out, **{k: v.numpy() for k, v in model.state_dict().items()})
    if opt.init_in:
        with np.load(opt.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    criterion = nn.MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=opt.lr)
    losses, psnrs = [], []
    for epoch in range(1, opt.nEpochs + 1):
        epoch_loss = 0
        for iteration, batch in enumerate(training_data_loader, 1):
            input, target = batch[0].to(device), batch[1].to(device)
            optimizer.zero_grad()
            loss = criterion(model(input), target)
            epoch_loss += loss.item()
            losses.append(loss.item())
            loss.backward()
            optimizer.step()
            print("===> Epoch[{}]({}/{}): Loss: {:.4f}".format(epoch, iteration, len(training_data_loader),
                                                               loss.item()))
        avg_psnr = 0
        with torch.no_grad():
            for batch in testing_data_loader:
                input, target = batch[0].to(device), batch[1].to(device)
                mse = criterion(model(input), target)
                avg_psnr += 10 * math.log10(1 / mse.item())
        psnrs.append(avg_psnr / len(testing_data_loader))
        print("===> Avg. PSNR: {:.4f} dB".format(psnrs[-1]))
        torch.save(model.state_dict(), "model_epoch_{}.pth".format(epoch))
    print("RESULT " + json.dumps({"losses": losses, "psnr": psnrs, "gain": init.calculate_gain("relu")}))


if __name__ == "__main__":
    main()
