"""The pytorch.org tutorial "Learning PyTorch with Examples", end to end: a third-order
polynomial fitted to sin(x) with tensors and hand-written gradients, then with autograd, then
with a custom autograd.Function (LegendrePolynomial3), then with nn.Sequential (x.unsqueeze(-1)
.pow(p), nn.Flatten(0, 1)) and a manual parameter update under torch.no_grad, then with
optim.RMSprop, then a custom nn.Module, and finally the "dynamic" network that reuses one weight
a random number of times per forward pass (Python's random, seeded)."""
import argparse
import json
import math
import random

import numpy as np
import torch


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class Polynomial3(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3"


class DynamicNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))
        self.e = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, random.randint(4, 6)):
            y = y + self.e * x ** exp
        return y


def main():
    parser = argparse.ArgumentParser(description="Learning PyTorch with Examples")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    dtype = torch.float
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    result = {}

    # Initial values for every stage, from torch's stream (or the shared file).
    init = {"w4": torch.randn(4, device=device, dtype=dtype), "legendre": torch.tensor([0.0, -1.0, 0.0, 0.3])}
    seq = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    rms = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    poly, dyn = Polynomial3(), DynamicNet()
    modules = {"seq": seq, "rms": rms, "poly": poly, "dyn": dyn}
    if args.init_out:
        arrays = {k: v.numpy() for k, v in init.items()}
        for name, m in modules.items():
            arrays.update({f"{name}.{k}": v.detach().numpy() for k, v in m.state_dict().items()})
        np.savez(args.init_out, **arrays)
    if args.init_in:
        with np.load(args.init_in) as f:
            init = {k: torch.from_numpy(f[k]) for k in ("w4", "legendre")}
            for name, m in modules.items():
                m.load_state_dict({k[len(name) + 1:]: torch.from_numpy(f[k]) for k in f.files
                                   if k.startswith(name + ".")})

    # 1. Tensors, gradients by hand.
    a, b, c, d = (init["w4"][i].clone() for i in range(4))
    learning_rate = 1e-6
    losses = []
    for t in range(args.steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum().item()
        losses.append(loss)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    result["manual"] = losses[::30] + [losses[-1]]
    result["manual_coef"] = [a.item(), b.item(), c.item(), d.item()]

    # 2. Autograd.
    a, b, c, d = (init["w4"][i].clone().requires_grad_(True) for i in range(4))
    losses = []
    for t in range(args.steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    result["autograd"] = losses[::30] + [losses[-1]]
    result["autograd_coef"] = [a.item(), b.item(), c.item(), d.item()]

    # 3. A custom autograd.Function.
    a, b, c, d = (torch.full((), float(v), dtype=dtype, requires_grad=True) for v in init["legendre"].tolist())
    learning_rate = 5e-6
    losses = []
    for t in range(args.steps):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    result["legendre"] = losses[::30] + [losses[-1]]
    result["legendre_grad_fn"] = y_pred.grad_fn.name()

    # 4. nn.Sequential with a manual update.
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    result["xx_shape"] = list(xx.shape)
    model = seq
    loss_fn = torch.nn.MSELoss(reduction="sum")
    learning_rate = 1e-6
    losses = []
    for t in range(args.steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    linear_layer = model[0]
    result["nn"] = losses[::30] + [losses[-1]]
    result["nn_coef"] = [linear_layer.bias.item(), *linear_layer.weight[:, 0:3].flatten().tolist()]

    # 5. optim.RMSprop.
    model = rms
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    losses = []
    for t in range(args.steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    result["rmsprop"] = losses[::30] + [losses[-1]]

    # 6. A custom nn.Module with SGD.
    model = poly
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
    losses = []
    for t in range(args.steps):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    result["module"] = losses[::30] + [losses[-1]]
    result["module_string_len"] = len(model.string().split())

    # 7. Control flow + weight sharing.
    random.seed(args.seed)
    model = dyn
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
    losses = []
    for t in range(args.steps):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    result["dynamic"] = losses[::30] + [losses[-1]]
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
