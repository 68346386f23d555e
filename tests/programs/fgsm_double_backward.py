"""Two gradient-of-the-input tutorials on one MNIST LeNet. (1) pytorch.org's "Adversarial Example
Generation": a LeNet trained briefly, then the fast gradient sign method (data.requires_grad = True,
model.zero_grad(), F.nll_loss, data.grad.data, sign(), torch.clamp to [0, 1] after denormalising)
at several epsilons, with accuracy and the adversarial examples' prediction counts, plus a
projected-gradient (PGD) attack. (2) "Double Backward with Custom Functions": a custom
autograd.Function whose backward is itself differentiable (save_for_backward of the output, as
the tutorial's Exp / Sinh), checked by gradgradcheck, and an input-gradient penalty (the
WGAN-GP / R1 regulariser) trained through torch.autograd.grad(create_graph=True)."""
import argparse
import gzip
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(16 * 12 * 12, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


def fgsm_attack(image, epsilon, data_grad):
    sign_data_grad = data_grad.sign()
    perturbed_image = image + epsilon * sign_data_grad
    perturbed_image = torch.clamp(perturbed_image, 0, 1)
    return perturbed_image


def denorm(batch, mean=[0.1307], std=[0.3081]):
    if isinstance(mean, list):
        mean = torch.tensor(mean)
    if isinstance(std, list):
        std = torch.tensor(std)
    return batch * std.view(1, -1, 1, 1) + mean.view(1, -1, 1, 1)


def test(model, test_loader, epsilon):
    correct = 0
    adv_examples = []
    for data, target in test_loader:
        data.requires_grad = True
        output = model(data)
        init_pred = output.max(1, keepdim=True)[1]
        if init_pred.item() != target.item():
            continue
        loss = F.nll_loss(output, target)
        model.zero_grad()
        loss.backward()
        data_grad = data.grad.data
        data_denorm = denorm(data)
        perturbed_data = fgsm_attack(data_denorm, epsilon, data_grad)
        perturbed_data_normalized = (perturbed_data - 0.1307) / 0.3081
        output = model(perturbed_data_normalized)
        final_pred = output.max(1, keepdim=True)[1]
        if final_pred.item() == target.item():
            correct += 1
        elif len(adv_examples) < 3:
            adv_ex = perturbed_data.squeeze().detach().cpu().numpy()
            adv_examples.append((init_pred.item(), final_pred.item(), float(adv_ex.mean())))
    final_acc = correct / float(len(test_loader))
    return final_acc, adv_examples


def pgd(model, x, y, eps, alpha, steps):
    x_adv = x.clone().detach()
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = F.nll_loss(model((x_adv - 0.1307) / 0.3081), y)
        grad, = torch.autograd.grad(loss, [x_adv])
        x_adv = x_adv.detach() + alpha * grad.sign()
        x_adv = torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0, 1)
    return x_adv


class Sinh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        expx = torch.exp(x)
        expnegx = torch.exp(-x)
        ctx.save_for_backward(expx, expnegx)
        return (expx - expnegx) / 2, expx, expnegx

    @staticmethod
    def backward(ctx, grad_out, _grad_out_exp, _grad_out_negexp):
        expx, expnegx = ctx.saved_tensors
        grad_input = grad_out * (expx + expnegx) / 2
        grad_input += _grad_out_exp * expx
        grad_input -= _grad_out_negexp * expnegx
        return grad_input


def sinh(x):
    return Sinh.apply(x)[0]


class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        result = torch.exp(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_out):
        result, = ctx.saved_tensors
        return grad_out * result


def main():
    parser = argparse.ArgumentParser(description="FGSM and double backward")
    parser.add_argument("--data", required=True)
    parser.add_argument("--train-size", type=int, default=320)
    parser.add_argument("--test-size", type=int, default=40)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(1)
    images = read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz"))[:args.train_size]
    labels = read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz"))[:args.train_size]
    timages = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"))[:args.test_size]
    tlabels = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz"))[:args.test_size]
    norm = lambda a: (torch.from_numpy(a.astype(np.float32) / 255.0).unsqueeze(1) - 0.1307) / 0.3081
    train_loader = DataLoader(TensorDataset(norm(images), torch.from_numpy(labels.astype(np.int64))), batch_size=32)
    test_loader = DataLoader(TensorDataset(norm(timages), torch.from_numpy(tlabels.astype(np.int64))), batch_size=1)
    model = Net()
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    model.dropout1.p = 0.0
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    result = {"train": []}
    model.train()
    for epoch in range(2):
        for data, target in train_loader:
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            result["train"].append(loss.item())
    model.eval()
    accuracies, examples = [], []
    for eps in [0, 0.05, 0.1, 0.2]:
        acc, ex = test(model, test_loader, eps)
        accuracies.append(acc)
        examples.append(ex)
    result["fgsm_acc"] = accuracies
    result["fgsm_examples"] = examples

    x0 = denorm(norm(timages[:8])).clamp(0, 1)
    y0 = torch.from_numpy(tlabels[:8].astype(np.int64))
    x_adv = pgd(model, x0, y0, eps=0.1, alpha=0.02, steps=5)
    with torch.no_grad():
        result["pgd"] = [float((x_adv - x0).abs().max()), F.nll_loss(model((x_adv - 0.1307) / 0.3081), y0).item(),
                         F.nll_loss(model((x0 - 0.1307) / 0.3081), y0).item()]

    # Double backward through custom Functions.
    x = torch.linspace(-1, 1, 7, dtype=torch.double, requires_grad=True)
    result["gradgradcheck"] = [torch.autograd.gradcheck(sinh, x), torch.autograd.gradgradcheck(sinh, x),
                               torch.autograd.gradgradcheck(Exp.apply, x)]
    y = sinh(x)
    g, = torch.autograd.grad(y.sum(), x, create_graph=True)
    gg, = torch.autograd.grad(g.sum(), x)
    result["sinh_grads"] = [g.tolist(), gg.tolist()]

    # Gradient penalty on the input gradient (R1), trained.
    critic = nn.Sequential(nn.Linear(2, 16), nn.Softplus(), nn.Linear(16, 1))
    with torch.no_grad():
        for i, p in enumerate(critic.parameters()):
            p.copy_(torch.from_numpy(np.random.RandomState(i).randn(*p.shape).astype(np.float32) * 0.5))
    opt = optim.Adam(critic.parameters(), lr=1e-2)
    pts = torch.from_numpy(np.random.RandomState(9).randn(32, 2).astype(np.float32))
    gp_losses = []
    for step in range(20):
        inp = pts.clone().requires_grad_(True)
        out = critic(inp)
        grad_in, = torch.autograd.grad(outputs=out, inputs=inp, grad_outputs=torch.ones_like(out), create_graph=True,
                                       retain_graph=True, only_inputs=True)
        penalty = ((grad_in.norm(2, dim=1) - 1) ** 2).mean()
        loss = -out.mean() * 0.1 + 10 * penalty
        opt.zero_grad()
        loss.backward()
        opt.step()
        gp_losses.append([loss.item(), penalty.item()])
    result["gp"] = gp_losses
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
