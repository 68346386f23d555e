"""Chapter 14 of Raschka et al.'s "Machine Learning with PyTorch and Scikit-Learn": a 1-D and 2-D
convolution written in NumPy against F.conv1d / F.conv2d, the loss functions side by side
(BCELoss on probabilities vs BCEWithLogitsLoss, NLLLoss on log_softmax vs CrossEntropyLoss), an
L2 penalty added by hand, then the CelebA smile classifier on synthetic 40x40 faces: the
torchvision transforms of the chapter written as tensor ops (random crop, horizontal flip with
torch.flip, brightness / contrast adjustment with clamp, resize with F.interpolate and
antialias), a Dataset applying them with a NumPy generator, the nn.Sequential CNN built with
add_module (Conv2d, ReLU, MaxPool2d, Dropout, a global AvgPool2d, Flatten, Linear, Sigmoid),
BCELoss with Adam, and the train / valid loop with loss_hist and accuracy_hist."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


def conv1d(x, w, p=0, s=1):
    w_rot = np.array(w[::-1])
    x_padded = np.array(x)
    if p > 0:
        zero_pad = np.zeros(shape=p)
        x_padded = np.concatenate([zero_pad, x_padded, zero_pad])
    res = []
    for i in range(0, int(len(x_padded) - len(w_rot)) + 1, s):
        res.append(np.sum(x_padded[i:i + w_rot.shape[0]] * w_rot))
    return np.array(res)


def conv2d(X, W, p=(0, 0), s=(1, 1)):
    W_rot = np.array(W)[::-1, ::-1]
    X_orig = np.array(X)
    n1 = X_orig.shape[0] + 2 * p[0]
    n2 = X_orig.shape[1] + 2 * p[1]
    X_padded = np.zeros(shape=(n1, n2))
    X_padded[p[0]:p[0] + X_orig.shape[0], p[1]:p[1] + X_orig.shape[1]] = X_orig
    res = []
    for i in range(0, int(X_padded.shape[0] - W_rot.shape[0]) + 1, s[0]):
        res.append([])
        for j in range(0, int(X_padded.shape[1] - W_rot.shape[1]) + 1, s[1]):
            X_sub = X_padded[i:i + W_rot.shape[0], j:j + W_rot.shape[1]]
            res[-1].append(np.sum(X_sub * W_rot))
    return np.array(res)


def make_faces(n, size=40, seed=0):
    """Grey ovals with two eyes and a mouth bent up (smiling, label 1) or down."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1) * 2 - 1
    images, labels = [], []
    for i in range(n):
        smile = i % 2
        cx, cy = rng.uniform(-0.1, 0.1, 2)
        face = (((xx - cx) / 0.8) ** 2 + ((yy - cy) / 0.9) ** 2 < 1).astype(np.float32)
        img = np.stack([face * c for c in rng.uniform(0.5, 0.9, 3)])
        for ex in (-0.3, 0.3):
            img[:, ((xx - cx - ex) ** 2 + (yy - cy + 0.3) ** 2) < 0.01] = 0.1
        curve = 0.25 * (xx - cx) ** 2 * (1 if smile else -1)
        mouth = (np.abs(yy - cy - 0.4 - curve + (0.06 if smile else -0.06)) < 0.05) & (np.abs(xx - cx) < 0.4)
        img[:, mouth] = 0.05
        img += rng.normal(0, 0.03, img.shape).astype(np.float32)
        images.append(np.clip(img, 0, 1).astype(np.float32))
        labels.append(smile)
    return np.stack(images), np.array(labels)


def random_crop(img, size, rng):
    top = rng.randint(0, img.shape[1] - size[0] + 1)
    left = rng.randint(0, img.shape[2] - size[1] + 1)
    return img[:, top:top + size[0], left:left + size[1]]


def center_crop(img, size):
    top = (img.shape[1] - size[0]) // 2
    left = (img.shape[2] - size[1]) // 2
    return img[:, top:top + size[0], left:left + size[1]]


def adjust_brightness(img, factor):
    return (img * factor).clamp(0, 1)


def adjust_contrast(img, factor):
    weights = torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)
    mean = (img * weights).sum(dim=0).mean()
    return (factor * img + (1 - factor) * mean).clamp(0, 1)


def resize(img, size):
    return F.interpolate(img.unsqueeze(0), size=size, mode="bilinear", align_corners=False, antialias=True)[0]


class FaceDataset(Dataset):
    def __init__(self, images, labels, train, seed=0):
        self.images = torch.from_numpy(images)
        self.labels = labels
        self.train = train
        self.rng = np.random.RandomState(seed)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        img = self.images[idx]
        if self.train:
            img = random_crop(img, [36, 36], self.rng)
            if self.rng.rand() < 0.5:
                img = torch.flip(img, dims=[2])
            img = adjust_brightness(img, float(self.rng.uniform(0.8, 1.2)))
            img = adjust_contrast(img, float(self.rng.uniform(0.8, 1.2)))
        else:
            img = center_crop(img, [36, 36])
        img = resize(img, [32, 32])
        return img, self.labels[idx]


def build_model(dropout):
    model = nn.Sequential()
    model.add_module("conv1", nn.Conv2d(in_channels=3, out_channels=8, kernel_size=3, padding=1))
    model.add_module("relu1", nn.ReLU())
    model.add_module("pool1", nn.MaxPool2d(kernel_size=2))
    model.add_module("dropout1", nn.Dropout(p=dropout))
    model.add_module("conv2", nn.Conv2d(in_channels=8, out_channels=16, kernel_size=3, padding=1))
    model.add_module("relu2", nn.ReLU())
    model.add_module("pool2", nn.MaxPool2d(kernel_size=2))
    model.add_module("dropout2", nn.Dropout(p=dropout))
    model.add_module("conv3", nn.Conv2d(in_channels=16, out_channels=32, kernel_size=3, padding=1))
    model.add_module("relu3", nn.ReLU())
    model.add_module("pool3", nn.MaxPool2d(kernel_size=2))
    model.add_module("conv4", nn.Conv2d(in_channels=32, out_channels=64, kernel_size=3, padding=1))
    model.add_module("relu4", nn.ReLU())
    model.add_module("pool4", nn.AvgPool2d(kernel_size=4))
    model.add_module("flatten", nn.Flatten())
    model.add_module("fc", nn.Linear(64, 1))
    model.add_module("sigmoid", nn.Sigmoid())
    return model


def main():
    parser = argparse.ArgumentParser(description="ML with PyTorch, chapter 14: smile classifier")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    out = {}

    x = [1, 3, 2, 4, 5, 6, 1, 3]
    w = [1, 0, 3, 1, 2]
    torch_1d = F.conv1d(torch.tensor(x, dtype=torch.float64).view(1, 1, -1),
                        torch.tensor(w[::-1], dtype=torch.float64).view(1, 1, -1), padding=2)
    out["conv1d"] = [conv1d(x, w, p=2, s=1).tolist(), torch_1d.flatten().tolist()]
    X = [[1, 3, 2, 4], [5, 6, 1, 3], [1, 2, 0, 2], [3, 4, 3, 2]]
    W = [[1, 0, 3], [1, 2, 1], [0, 1, 1]]
    torch_2d = F.conv2d(torch.tensor(X, dtype=torch.float64)[None, None],
                        torch.flip(torch.tensor(W, dtype=torch.float64), dims=[0, 1])[None, None], padding=1, stride=2)
    out["conv2d"] = [conv2d(X, W, p=(1, 1), s=(2, 2)).tolist(), torch_2d[0, 0].tolist()]

    bce_loss_fn = nn.BCELoss()
    loss = nn.BCEWithLogitsLoss()
    logits = torch.tensor([0.8])
    probas = torch.sigmoid(logits)
    target = torch.tensor([1.0])
    out["bce"] = [bce_loss_fn(probas, target).item(), loss(logits, target).item()]
    cce_loss_fn = nn.NLLLoss()
    loss = nn.CrossEntropyLoss()
    logits = torch.tensor([[1.5, 0.8, 2.1]])
    probas = torch.softmax(logits, dim=1)
    target = torch.tensor([2])
    out["cce"] = [cce_loss_fn(torch.log(probas), target).item(), loss(logits, target).item()]

    torch.manual_seed(1)
    model = build_model(args.dropout)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    x = torch.ones((4, 3, 32, 32))
    out["feature_shape"] = list(model[:-3](x).shape)
    out["output_shape"] = list(model(x).shape)
    l2_lambda = 0.001
    l2_penalty = l2_lambda * sum([(p ** 2).sum() for p in model.parameters()])
    out["l2_penalty"] = l2_penalty.item()
    conv_layer = model.conv1
    out["weight_decay_term"] = (l2_lambda * torch.norm(conv_layer.weight, p=2) ** 2).item()

    images, labels = make_faces(96)
    train_ds = FaceDataset(images[:64], labels[:64], train=True, seed=1)
    valid_ds = FaceDataset(images[64:], labels[64:], train=False)
    img, lab = train_ds[0]
    out["sample"] = [list(img.shape), str(img.dtype), round(float(img.mean()), 5), int(lab)]
    train_ds.rng = np.random.RandomState(1)
    # shuffle=False: the augmentation draws from NumPy in index order, the same in both runs.
    train_dl = DataLoader(train_ds, batch_size=16, shuffle=False)
    valid_dl = DataLoader(valid_ds, batch_size=16, shuffle=False)
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.003)

    def train(model, num_epochs, train_dl, valid_dl):
        loss_hist_train = [0] * num_epochs
        accuracy_hist_train = [0] * num_epochs
        loss_hist_valid = [0] * num_epochs
        accuracy_hist_valid = [0] * num_epochs
        batch_losses = []
        for epoch in range(num_epochs):
            model.train()
            for x_batch, y_batch in train_dl:
                pred = model(x_batch)[:, 0]
                loss = loss_fn(pred, y_batch.float())
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                batch_losses.append(loss.item())
                loss_hist_train[epoch] += loss.item() * y_batch.size(0)
                is_correct = ((pred >= 0.5).float() == y_batch).float()
                accuracy_hist_train[epoch] += is_correct.sum().cpu()
            loss_hist_train[epoch] /= len(train_dl.dataset)
            accuracy_hist_train[epoch] /= len(train_dl.dataset)
            model.eval()
            with torch.no_grad():
                for x_batch, y_batch in valid_dl:
                    pred = model(x_batch)[:, 0]
                    loss = loss_fn(pred, y_batch.float())
                    loss_hist_valid[epoch] += loss.item() * y_batch.size(0)
                    is_correct = ((pred >= 0.5).float() == y_batch).float()
                    accuracy_hist_valid[epoch] += is_correct.sum().cpu()
            loss_hist_valid[epoch] /= len(valid_dl.dataset)
            accuracy_hist_valid[epoch] /= len(valid_dl.dataset)
            print(f"Epoch {epoch + 1} accuracy: {accuracy_hist_train[epoch]:.4f} "
                  f"val_accuracy: {accuracy_hist_valid[epoch]:.4f}")
        return loss_hist_train, loss_hist_valid, accuracy_hist_train, accuracy_hist_valid, batch_losses

    hist = train(model, args.epochs, train_dl, valid_dl)
    out["loss_train"], out["loss_valid"] = hist[0], hist[1]
    out["acc_train"], out["acc_valid"] = [float(a) for a in hist[2]], [float(a) for a in hist[3]]
    out["batch_losses"] = hist[4]
    model.eval()
    with torch.no_grad():
        pred = model(torch.stack([valid_ds[i][0] for i in range(4)]))[:, 0]
    out["probs"] = pred.tolist()
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
