"""Stanford CS231n's network visualization assignment (Network_Visualization.ipynb) on a small CNN trained
here first (in place of the pretrained SqueezeNet): preprocess / deprocess with per-channel mean and std,
the model frozen with ``requires_grad = False``; saliency maps (``scores.gather(1, y.view(-1, 1)).squeeze()``,
``backward`` of the gathered scores, ``X.grad.abs().max(dim=1)``); fooling images (gradient ascent on
``scores[0, target_y]`` with ``dX = lr * g / g.norm()`` until ``scores.data.max(1)[1][0].item()`` flips,
updating ``X_fooling.data`` and zeroing ``.grad.data``); class visualization with L2 regularization, jitter
both by ``torch.cat`` of slices and by ``torch.roll``, blur every few steps through scipy's
gaussian_filter1d on ``X.cpu().clone().numpy()`` copied back with ``copy_(torch.Tensor(X_np).type_as(X))``,
and the per-channel ``clamp_`` of the image data."""
import argparse
import json
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.ndimage import gaussian_filter1d

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
dtype = torch.FloatTensor


def preprocess(img):
    """HWC float image in [0, 1] -> normalized 1x3xHxW tensor (T.ToTensor + T.Normalize + unsqueeze)."""
    x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
    x = (x - torch.from_numpy(MEAN)[:, None, None]) / torch.from_numpy(STD)[:, None, None]
    return x[None]


def deprocess(img):
    x = img[0] * torch.from_numpy(STD)[:, None, None] + torch.from_numpy(MEAN)[:, None, None]
    x = (x - x.min()) / (x.max() - x.min())
    return x.permute(1, 2, 0).clamp(0, 1).numpy()


def compute_saliency_maps(X, y, model):
    model.eval()
    X.requires_grad_()
    scores = model(X)
    scores = scores.gather(1, y.view(-1, 1)).squeeze()
    scores.backward(torch.ones(scores.shape))
    saliency, _ = X.grad.abs().max(dim=1)
    return saliency


def make_fooling_image(X, target_y, model, learning_rate=1, max_iter=100):
    X_fooling = X.clone()
    X_fooling = X_fooling.requires_grad_()
    n_iter = 0
    for n_iter in range(max_iter):
        scores = model(X_fooling)
        if scores.data.max(1)[1][0].item() == target_y:
            break
        target_score = scores[0, target_y]
        target_score.backward()
        g = X_fooling.grad.data
        dX = learning_rate * g / g.norm()
        X_fooling.data += dX
        X_fooling.grad.data.zero_()
    return X_fooling, n_iter


def jitter(X, ox, oy):
    if ox != 0:
        left = X[:, :, :, :-ox]
        right = X[:, :, :, -ox:]
        X = torch.cat([right, left], dim=3)
    if oy != 0:
        top = X[:, :, :-oy]
        bottom = X[:, :, -oy:]
        X = torch.cat([bottom, top], dim=2)
    return X


def blur_image(X, sigma=1):
    X_np = X.cpu().clone().numpy()
    X_np = gaussian_filter1d(X_np, sigma, axis=2)
    X_np = gaussian_filter1d(X_np, sigma, axis=3)
    X.copy_(torch.Tensor(X_np).type_as(X))
    return X


def class_visualization_update_step(img, model, target_y, l2_reg, learning_rate):
    scores = model(img)
    target_score = scores[0, target_y] - l2_reg * img.norm() ** 2
    target_score.backward()
    img.data += learning_rate * img.grad.data / img.grad.data.norm()
    img.grad.data.zero_()
    return target_score.item()


def create_class_visualization(target_y, model, dtype, init, use_roll=False, **kwargs):
    model.type(dtype)
    l2_reg = kwargs.pop("l2_reg", 1e-3)
    learning_rate = kwargs.pop("learning_rate", 25)
    num_iterations = kwargs.pop("num_iterations", 100)
    blur_every = kwargs.pop("blur_every", 10)
    max_jitter = kwargs.pop("max_jitter", 2)
    img = init.clone().mul_(1.0).type(dtype).requires_grad_()
    rnd = random.Random(0)
    targets = []
    for t in range(num_iterations):
        ox, oy = rnd.randint(0, max_jitter), rnd.randint(0, max_jitter)
        if use_roll:
            img.data.copy_(torch.roll(img.data, shifts=(ox, oy), dims=(3, 2)))
        else:
            img.data.copy_(jitter(img.data, ox, oy))
        targets.append(class_visualization_update_step(img, model, target_y, l2_reg, learning_rate))
        if use_roll:
            img.data.copy_(torch.roll(img.data, shifts=(-ox, -oy), dims=(3, 2)))
        else:
            img.data.copy_(jitter(img.data, -ox, -oy))
        for c in range(3):
            lo = float(-MEAN[c] / STD[c])
            hi = float((1.0 - MEAN[c]) / STD[c])
            img.data[:, c].clamp_(min=lo, max=hi)
        if t % blur_every == 0:
            blur_image(img.data, sigma=0.5)
    return img.data, targets


class SmallNet(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2, ceil_mode=True))
        self.classifier = nn.Sequential(nn.Dropout(p=0.0), nn.Conv2d(32, num_classes, kernel_size=1),
                                        nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1)))

    def forward(self, x):
        x = self.features(x)
        x = self.classifier(x)
        return torch.flatten(x, 1)


def make_images(n, rng):
    """Five classes of 12x12 RGB images: a coloured blob whose colour and corner name the class."""
    imgs = rng.uniform(0.3, 0.5, size=(n, 12, 12, 3)).astype(np.float32)
    labels = np.arange(n) % 5
    colours = np.eye(3, dtype=np.float32)
    for i, c in enumerate(labels):
        r, col = [(1, 1), (1, 6), (6, 1), (6, 6), (3, 3)][c]
        imgs[i, r:r + 5, col:col + 5] = 0.2 + 0.7 * colours[c % 3]
    return imgs, labels


def main():
    parser = argparse.ArgumentParser(description="saliency maps, fooling images, class visualization")
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    imgs, labels = make_images(100, rng)
    X = torch.cat([preprocess(im) for im in imgs], dim=0)
    y = torch.LongTensor(labels)
    model = SmallNet()
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    result = {"X": [list(X.shape), X.mean().item(), X.std().item()],
              "deprocess": deprocess(X[:1]).reshape(-1)[:6].tolist()}

    # "Pretraining" the classifier the visualizations look into.
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    losses = []
    for epoch in range(6):
        for i in range(0, 100, 20):
            loss = F.cross_entropy(model(X[i:i + 20]), y[i:i + 20])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    result["pretrain_losses"] = losses
    for param in model.parameters():
        param.requires_grad = False
    model.eval()
    with torch.no_grad():
        result["pretrain_acc"] = (model(X).argmax(1) == y).float().mean().item()

    X_tensor, y_tensor = X[:5].clone(), y[:5].clone()
    saliency = compute_saliency_maps(X_tensor, y_tensor, model)
    result["saliency_shape"] = list(saliency.shape)
    result["saliency"] = saliency.sum(dim=(1, 2)).tolist() + saliency[0, 3].tolist()
    result["params_frozen"] = all(p.grad is None for p in model.parameters())

    idx, target_y = 0, 3
    X_fooling, n_iter = make_fooling_image(X[idx:idx + 1], target_y, model, learning_rate=1)
    scores = model(X_fooling)
    result["fooling"] = [n_iter, scores.data.max(1)[1][0].item(), (X_fooling - X[idx:idx + 1]).abs().max().item(),
                         (X_fooling - X[idx:idx + 1]).norm().item()]
    result["fooling_grad_is_zero"] = X_fooling.grad.abs().sum().item()

    init = torch.from_numpy(np.random.RandomState(7).standard_normal((1, 3, 12, 12)).astype(np.float32))
    out = {}
    for use_roll in (False, True):
        img, targets = create_class_visualization(2, model, dtype, init, use_roll=use_roll, num_iterations=40,
                                                  learning_rate=2, l2_reg=1e-3)
        out[use_roll] = img
        result[f"classvis_roll{int(use_roll)}"] = targets[::5] + [img.mean().item(), img.std().item()]
    result["roll_equals_cat"] = float((out[True] - out[False]).abs().max())
    a = torch.arange(24.).view(1, 2, 3, 4)
    result["roll"] = [torch.roll(a, shifts=(1, -2), dims=(3, 2)).flatten().tolist(), torch.roll(a, 5).flatten().tolist(),
                      jitter(a, 1, 2).flatten().tolist()]
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
