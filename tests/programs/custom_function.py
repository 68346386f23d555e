"""Custom autograd.Functions the ways PyTorch's "Extending torch.autograd" notes and research
code write them: the classic forward(ctx, ...) with save_for_backward, the torch 2.x
forward + setup_context split (with generate_vmap_rule for torch.func), ctx.needs_input_grad,
ctx.mark_non_differentiable on an index output, ctx.set_materialize_grads(False) with a
backward that receives None, ctx.mark_dirty for an in-place op, @once_differentiable, a
straight-through estimator, Function.apply inside an nn.Module trained with SGD, and
torch.autograd.gradcheck / gradgradcheck in float64."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Function, gradcheck, gradgradcheck
from torch.autograd.function import once_differentiable

CALLS = {"linear_bwd_weight": 0, "linear_bwd_input": 0}


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        return grad_out * y  # differentiable: gradgradcheck passes


class LinearFunction(Function):
    @staticmethod
    def forward(x, weight, bias=None):
        out = x.mm(weight.t())
        if bias is not None:
            out = out + bias.unsqueeze(0).expand_as(out)
        return out

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, bias = inputs
        ctx.save_for_backward(x, weight, bias)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            CALLS["linear_bwd_input"] += 1
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            CALLS["linear_bwd_weight"] += 1
            grad_weight = grad_output.t().mm(x)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


class Cube(Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return x ** 3, 3 * x ** 2

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0], output[1])

    @staticmethod
    def backward(ctx, grad_out, grad_dx):
        x, dx = ctx.saved_tensors
        return grad_out * dx + grad_dx * 6 * x


class SortWithIndex(Function):
    @staticmethod
    def forward(ctx, x):
        values, idx = x.sort(dim=-1)
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(idx)
        return values, idx

    @staticmethod
    def backward(ctx, grad_values, grad_idx):
        (idx,) = ctx.saved_tensors
        grad = torch.zeros_like(grad_values)
        grad.scatter_(-1, idx, grad_values)
        return grad


class SplitScale(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g1, g2):
        seen = [g1 is None, g2 is None]
        SplitScale.seen.append(seen)
        grad = None
        if g1 is not None:
            grad = g1 * 2
        if g2 is not None:
            grad = g2 * 3 if grad is None else grad + g2 * 3
        return grad


SplitScale.seen = []


class InplaceClamp(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.mark_dirty(x)
        mask = x > 0
        ctx.save_for_backward(mask)
        x.clamp_(min=0)
        return x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        (mask,) = ctx.saved_tensors
        return grad_out * mask


class StraightThroughSign(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sign()

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * (x.abs() <= 1).to(grad_out.dtype)


class MyLinear(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in).uniform_(-0.5, 0.5))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return LinearFunction.apply(x, self.weight, self.bias)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = MyLinear(4, 8)
        self.fc2 = MyLinear(8, 1)

    def forward(self, x):
        h = StraightThroughSign.apply(self.fc1(x)) * 0.5 + torch.tanh(self.fc1(x))
        return self.fc2(h)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    out = {}
    d = torch.tensor([[0.3, -0.7, 1.1], [0.2, 0.5, -0.4]], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([[0.1, 0.2, -0.3], [0.5, -0.1, 0.4]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.05, -0.02], dtype=torch.float64, requires_grad=True)
    out["gradcheck"] = [gradcheck(Exp.apply, (d,)), gradgradcheck(Exp.apply, (d,)),
                        gradcheck(LinearFunction.apply, (d, w, b), eps=1e-6, atol=1e-4),
                        gradcheck(lambda x: Cube.apply(x)[0] + Cube.apply(x)[1], (d,)),
                        gradcheck(lambda x: SortWithIndex.apply(x)[0], (d,))]
    # needs_input_grad: a frozen weight skips its gradient.
    CALLS.update(linear_bwd_weight=0, linear_bwd_input=0)
    LinearFunction.apply(d, w.detach(), b).sum().backward()
    out["calls"] = dict(CALLS)
    values, idx = SortWithIndex.apply(d)
    out["idx_requires_grad"] = idx.requires_grad
    out["values_requires_grad"] = values.requires_grad
    out["idx"] = idx.tolist()
    # set_materialize_grads(False): the unused output's gradient arrives as None.
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    a, _ = SplitScale.apply(x)
    a.sum().backward()
    out["split_grad"] = x.grad.tolist()
    out["split_seen"] = SplitScale.seen
    # mark_dirty: the in-place result is the same tensor, with a gradient path.
    z = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    y = z.clone()
    y2 = InplaceClamp.apply(y)
    (y2 * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    out["dirty_same"] = y2 is y
    out["dirty_grad"] = z.grad.tolist()
    out["dirty_version_bumped"] = y._version > 0
    # once_differentiable forbids double backward.
    z2 = torch.tensor([0.5, -0.5], requires_grad=True)
    g = torch.autograd.grad((InplaceClamp.apply(z2.clone()) ** 2).sum(), z2, create_graph=True)[0]
    out["first_order"] = g.tolist()
    try:
        g.sum().backward()
        out["once_differentiable_raised"] = False
    except RuntimeError as exc:
        out["once_differentiable_raised"] = "once_differentiable" in str(exc)
    # generate_vmap_rule: vmap and torch.func.grad through a custom Function.
    xs = torch.tensor([[1.0, 2.0], [3.0, -1.0]])
    vm = torch.func.vmap(lambda t: Cube.apply(t)[0].sum())(xs)
    gr = torch.func.vmap(torch.func.grad(lambda t: Cube.apply(t)[0].sum()))(xs)
    out["vmap"] = vm.tolist()
    out["vmap_grad"] = gr.tolist()
    # Train a net built on Function.apply.
    model = Net()
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    rng = np.random.RandomState(0)
    X = torch.tensor(rng.randn(32, 4), dtype=torch.float32)
    Y = torch.tensor((rng.randn(32, 1) + X.numpy()[:, :1]), dtype=torch.float32)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(args.steps):
        opt.zero_grad()
        loss = ((model(X) - Y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out["losses"] = losses
    out["grad_fn"] = model(X).grad_fn.name()
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
