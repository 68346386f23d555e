"""fast.ai "from the foundations" notebooks 10-13 (activations, initializing, resnets) in plain PyTorch: a Hook
class over ``register_forward_hook`` that records each layer's activation mean, std and a histogram of
``abs().histc(40, 0, 10)``; a ``Hooks`` list that is a context manager; get_hist / get_min (the dead-activation
share) from the stacked histograms; GeneralRelu (leaky, shifted, clamped); kaiming_normal_ with the ``a=`` leak
applied through ``model.apply(partial(init_weights, leaky=...))``; LSUV init (a hook measures each activation
and the preceding conv is rescaled until mean 0 / std 1); a BatchNorm written by hand with running statistics
kept by ``lerp_`` in registered buffers, and a hand LayerNorm; a ResBlock with an identity conv and
``AvgPool2d(2, ceil_mode=True)``; ``@torch.no_grad()`` decorated evaluation."""
import argparse
import json
import random
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim

def_device = "cuda" if torch.cuda.is_available() else "cpu"


def to_cpu(x):
    if isinstance(x, dict):
        return {k: to_cpu(v) for k, v in x.items()}
    if isinstance(x, list):
        return [to_cpu(o) for o in x]
    if isinstance(x, tuple):
        return tuple(to_cpu(list(x)))
    return x.detach().cpu()


class Hook:
    def __init__(self, m, f):
        self.hook = m.register_forward_hook(partial(f, self))

    def remove(self):
        self.hook.remove()

    def __del__(self):
        self.remove()


def append_stats(hook, mod, inp, outp):
    if not hasattr(hook, "stats"):
        hook.stats = ([], [], [])
    acts = to_cpu(outp)
    hook.stats[0].append(acts.mean())
    hook.stats[1].append(acts.std())
    hook.stats[2].append(acts.abs().histc(40, 0, 10))


class Hooks(list):
    def __init__(self, ms, f):
        super().__init__([Hook(m, f) for m in ms])

    def __enter__(self, *args):
        return self

    def __exit__(self, *args):
        self.remove()

    def __del__(self):
        self.remove()

    def __delitem__(self, i):
        self[i].remove()
        super().__delitem__(i)

    def remove(self):
        for h in self:
            h.remove()


def get_hist(h):
    return torch.stack(h.stats[2]).t().float().log1p()


def get_min(h):
    h1 = torch.stack(h.stats[2]).t().float()
    return h1[0] / h1.sum(0)


class GeneralRelu(nn.Module):
    def __init__(self, leak=None, sub=None, maxv=None):
        super().__init__()
        self.leak, self.sub, self.maxv = leak, sub, maxv

    def forward(self, x):
        x = F.leaky_relu(x, self.leak) if self.leak is not None else F.relu(x)
        if self.sub is not None:
            x -= self.sub
        if self.maxv is not None:
            x.clamp_max_(self.maxv)
        return x


class BatchNorm(nn.Module):
    def __init__(self, nf, mom=0.1, eps=1e-5):
        super().__init__()
        self.mom, self.eps = mom, eps
        self.mults = nn.Parameter(torch.ones(nf, 1, 1))
        self.adds = nn.Parameter(torch.zeros(nf, 1, 1))
        self.register_buffer("vars", torch.ones(1, nf, 1, 1))
        self.register_buffer("means", torch.zeros(1, nf, 1, 1))

    def update_stats(self, x):
        m = x.mean((0, 2, 3), keepdim=True)
        v = x.var((0, 2, 3), keepdim=True)
        self.means.lerp_(m, self.mom)
        self.vars.lerp_(v, self.mom)
        return m, v

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                m, v = self.update_stats(x)
        else:
            m, v = self.means, self.vars
        x = (x - m) / (v + self.eps).sqrt()
        return x * self.mults + self.adds


class LayerNorm(nn.Module):
    def __init__(self, dummy, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.mult = nn.Parameter(torch.tensor(1.))
        self.add = nn.Parameter(torch.tensor(0.))

    def forward(self, x):
        m = x.mean((1, 2, 3), keepdim=True)
        v = x.var((1, 2, 3), keepdim=True)
        x = (x - m) / ((v + self.eps).sqrt())
        return x * self.mult + self.add


def conv(ni, nf, ks=3, stride=2, act=nn.ReLU, norm=None, bias=None):
    if bias is None:
        bias = not isinstance(norm, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d))
    layers = [nn.Conv2d(ni, nf, stride=stride, kernel_size=ks, padding=ks // 2, bias=bias)]
    if norm:
        layers.append(norm(nf))
    if act:
        layers.append(act())
    return nn.Sequential(*layers)


def get_model(act=nn.ReLU, nfs=None, norm=None):
    if nfs is None:
        nfs = [1, 8, 16, 32, 32]
    layers = [conv(nfs[i], nfs[i + 1], act=act, norm=norm) for i in range(len(nfs) - 1)]
    return nn.Sequential(*layers, conv(nfs[-1], 4, act=None, norm=None, bias=True), nn.Flatten()).to(def_device)


def _conv_block(ni, nf, stride, act, norm=None, ks=3):
    return nn.Sequential(conv(ni, nf, stride=1, act=act, norm=norm, ks=ks),
                         conv(nf, nf, stride=stride, act=None, norm=norm, ks=ks))


def noop(x=None, *args, **kwargs):
    return x


class ResBlock(nn.Module):
    def __init__(self, ni, nf, stride=1, ks=3, act=nn.ReLU, norm=None):
        super().__init__()
        self.convs = _conv_block(ni, nf, stride, act=act, ks=ks, norm=norm)
        self.idconv = noop if ni == nf else conv(ni, nf, ks=1, stride=1, act=None)
        self.pool = noop if stride == 1 else nn.AvgPool2d(2, ceil_mode=True)
        self.act = act()

    def forward(self, x):
        return self.act(self.convs(x) + self.idconv(self.pool(x)))


def get_resnet(act=nn.ReLU, nfs=(8, 16, 32), norm=nn.BatchNorm2d):
    layers = [ResBlock(1, 8, stride=1, act=act, norm=norm)]
    layers += [ResBlock(nfs[i], nfs[i + 1], act=act, norm=norm, stride=2) for i in range(len(nfs) - 1)]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(nfs[-1], 4, bias=False), nn.BatchNorm1d(4)]
    return nn.Sequential(*layers).to(def_device)


def init_weights(m, leaky=0.):
    if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)):
        nn.init.kaiming_normal_(m.weight, a=leaky)


def _lsuv_stats(hook, mod, inp, outp):
    acts = to_cpu(outp)
    hook.mean = acts.mean()
    hook.std = acts.std()


def lsuv_init(model, m, m_in, xb):
    h = Hook(m, _lsuv_stats)
    n = 0
    with torch.no_grad():
        while model(xb) is not None and (abs(h.std - 1) > 1e-3 or abs(h.mean) > 1e-3):
            m_in.bias -= h.mean
            m_in.weight.data /= h.std
            n += 1
            if n > 50:
                break
    h.remove()
    return n


def _flops(x, h, w):
    if x.dim() < 3:
        return x.numel()
    if x.dim() == 4:
        return x.numel() * h * w


def summary(model, xb):
    res = "|Module|Input|Output|Num params|MFLOPS|\n|--|--|--|--|--|\n"
    totp, totf = 0, 0

    def _f(hook, mod, inp, outp):
        nonlocal res, totp, totf
        nparms = sum(o.numel() for o in mod.parameters())
        totp += nparms
        *_, h, w = outp.shape
        flops = sum(_flops(o, h, w) for o in mod.parameters()) / 1e6
        totf += flops
        res += f"|{type(mod).__name__}|{tuple(inp[0].shape)}|{tuple(outp.shape)}|{nparms}|{flops:.3f}|\n"
    with Hooks(model, _f):
        model(xb)
    return res + f"Tot params: {totp}; MFLOPS: {totf:.3f}"


def _rand_erase1(x, pct, xm, xs, mn, mx):
    szx = int(pct * x.shape[-2])
    szy = int(pct * x.shape[-1])
    stx = int(random.random() * (1 - pct) * x.shape[-2])
    sty = int(random.random() * (1 - pct) * x.shape[-1])
    nn.init.normal_(x[:, :, stx:stx + szx, sty:sty + szy], mean=xm, std=xs)
    x.clamp_(mn, mx)


def rand_erase(x, pct=0.2, max_num=4):
    xm, xs, mn, mx = x.mean(), x.std(), x.min(), x.max()
    num = random.randint(0, max_num)
    for i in range(num):
        _rand_erase1(x, pct, xm, xs, mn, mx)
    return x, num


def _rand_copy1(x, pct):
    szx = int(pct * x.shape[-2])
    szy = int(pct * x.shape[-1])
    stx1 = int(random.random() * (1 - pct) * x.shape[-2])
    sty1 = int(random.random() * (1 - pct) * x.shape[-1])
    stx2 = int(random.random() * (1 - pct) * x.shape[-2])
    sty2 = int(random.random() * (1 - pct) * x.shape[-1])
    x[:, :, stx1:stx1 + szx, sty1:sty1 + szy] = x[:, :, stx2:stx2 + szx, sty2:sty2 + szy]


def rand_copy(x, pct=0.2, max_num=4):
    num = random.randint(0, max_num)
    for i in range(num):
        _rand_copy1(x, pct)
    return x


@torch.no_grad()
def evaluate(model, x, y):
    model.eval()
    preds = model(x)
    return F.cross_entropy(preds, y).item(), (preds.argmax(1) == y).float().mean().item()


def fit(model, x, y, epochs=2, bs=32, lr=0.2, opt_func=optim.SGD):
    opt = opt_func(model.parameters(), lr=lr)
    losses = []
    for epoch in range(epochs):
        model.train()
        for i in range(0, len(x), bs):
            xb, yb = x[i:i + bs], y[i:i + bs]
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
            losses.append(loss.item())
    return losses


def make_data(n, rng):
    """Four classes of 16x16 images: a bright bar in one of four places plus noise, normalized."""
    x = rng.uniform(0, 0.3, size=(n, 1, 16, 16)).astype(np.float32)
    y = np.arange(n) % 4
    for i, label in enumerate(y):
        if label == 0:
            x[i, 0, 3:6, :] += 0.7
        elif label == 1:
            x[i, 0, :, 10:13] += 0.7
        elif label == 2:
            x[i, 0, 10:13, :] += 0.7
        else:
            x[i, 0, :, 3:6] += 0.7
    return torch.from_numpy(x), torch.from_numpy(y)


def load_into(model, path, prefix):
    with np.load(path) as f:
        model.load_state_dict({k[len(prefix):]: torch.from_numpy(f[k]) for k in f.files if k.startswith(prefix)})


def main():
    parser = argparse.ArgumentParser(description="activations, init, hand-written norms")
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(42)
    rng = np.random.RandomState(0)
    x_train, y_train = make_data(128, rng)
    x_valid, y_valid = make_data(64, rng)
    xmean, xstd = x_train.mean(), x_train.std()
    x_train, x_valid = (x_train - xmean) / xstd, (x_valid - xmean) / xstd
    result = {"norm": [xmean.item(), xstd.item()]}

    # kaiming_normal_ with a leak: the spread depends on a, not on the random stream.
    w = torch.empty(256, 64, 3, 3)
    nn.init.kaiming_normal_(w, a=0.1)
    result["kaiming_std"] = w.std().item()
    result["gain"] = nn.init.calculate_gain("leaky_relu", 0.1)
    nn.init.kaiming_normal_(w, a=0.1, mode="fan_out", nonlinearity="leaky_relu")
    result["kaiming_fan_out_std"] = w.std().item()

    act_gr = partial(GeneralRelu, leak=0.1, sub=0.4)
    iw = partial(init_weights, leaky=0.1)
    models = {"plain": get_model(act_gr).apply(iw), "lsuv": get_model(act_gr),
              "bn": get_model(act_gr, norm=BatchNorm).apply(iw), "ln": get_model(act_gr, norm=LayerNorm).apply(iw),
              "res": get_resnet(act_gr).apply(iw)}
    if args.init_out:
        np.savez(args.init_out, **{f"{name}.{k}": v.numpy() for name, m in models.items()
                                   for k, v in m.state_dict().items()})
    if args.init_in:
        for name, m in models.items():
            load_into(m, args.init_in, name + ".")

    # Hooks as a context manager over the conv blocks; the stats of every training batch.
    model = models["plain"]
    with Hooks(model, append_stats) as hooks:
        result["plain_losses"] = fit(model, x_train, y_train)
        result["means"] = [torch.stack(h.stats[0]).tolist() for h in hooks]
        result["stds"] = [torch.stack(h.stats[1]).tolist() for h in hooks]
        result["hist_shape"] = list(get_hist(hooks[0]).shape)
        result["hist_sum"] = [get_hist(h).sum().item() for h in hooks]
        result["hist_last"] = [h.stats[2][-1].tolist() for h in hooks]
        result["dead"] = [get_min(h).tolist() for h in hooks]
        del hooks[0]
        result["n_hooks"] = len(hooks)
    n_before = len(hooks[0].stats[0])
    model(x_train[:8])
    result["removed"] = len(hooks[0].stats[0]) == n_before
    result["plain_eval"] = evaluate(model, x_valid, y_valid)

    # LSUV: rescale each conv so its GeneralRelu output has mean 0, std 1 on a batch.
    model = models["lsuv"]
    relus = [o for o in model.modules() if isinstance(o, GeneralRelu)]
    convs = [o for o in model.modules() if isinstance(o, nn.Conv2d)]
    xb = x_train[:64].to(def_device)
    result["lsuv_iters"] = [lsuv_init(model, *ms, xb) for ms in zip(relus, convs)]
    with Hooks(relus, _lsuv_stats) as hooks:
        model(xb)
        result["lsuv_stats"] = [[h.mean.item(), h.std.item()] for h in hooks]
    result["lsuv_losses"] = fit(model, x_train, y_train)

    # The hand-written BatchNorm: batch statistics in training, lerp_'d running ones in eval.
    model = models["bn"]
    result["bn_losses"] = fit(model, x_train, y_train, lr=0.4)
    bn = model[0][1]
    result["bn_means"] = bn.means.flatten().tolist()
    result["bn_vars"] = bn.vars.flatten().tolist()
    result["bn_buffers"] = sorted(k for k, _ in model.named_buffers())[:2]
    result["bn_eval"] = evaluate(model, x_valid, y_valid)

    model = models["ln"]
    result["ln_losses"] = fit(model, x_train, y_train, lr=0.1)
    result["ln_params"] = [model[0][1].mult.item(), model[0][1].add.item()]

    model = models["res"]
    result["res_losses"] = fit(model, x_train, y_train, lr=0.05, opt_func=partial(optim.AdamW, eps=1e-5))
    result["res_eval"] = evaluate(model, x_valid, y_valid)
    result["res_pool_shape"] = list(model[2].pool(torch.zeros(1, 16, 7, 7)).shape)

    result["summary"] = summary(get_resnet(act_gr), x_train[:16])

    # Random erasing / copying (fast.ai 14_augment): where comes from Python's random, the values from torch.
    random.seed(3)
    xe = x_train[:8].clone()
    counts = []
    for _ in range(5):
        before = xe.clone()
        xe, num = rand_erase(xe)
        counts.append([num, int((xe != before).any(1).sum())])
    result["rand_erase"] = [counts, bool(xe.min() >= x_train[:8].min()), bool(xe.max() <= x_train[:8].max())]
    # A seed whose copies do not overlap their sources: torch's result for an overlapping strided copy
    # follows its element order (undefined; 1-D overlaps raise), NumPy's buffers the source first.
    random.seed(5)
    xc = rand_copy(x_train[:8].clone())
    result["rand_copy"] = [xc.sum().item(), int((xc != x_train[:8]).sum())]

    # torch.lerp, functional form, scalar and tensor weights.
    a, b = torch.arange(4.), torch.full((4,), 10.)
    result["lerp"] = [torch.lerp(a, b, 0.25).tolist(), torch.lerp(a, b, torch.tensor([0., .5, 1., 2.])).tolist()]
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
