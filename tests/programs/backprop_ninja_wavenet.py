"""Karpathy's "Zero to Hero" makemore part 4 ("becoming a backprop ninja") and part 5 (WaveNet) as a
script: a two-layer MLP with batchnorm whose forward is broken into small steps, each
intermediate kept with .retain_grad(), then a backward written by hand through cross-entropy,
batchnorm, tanh, the linear layers and the embedding lookup, checked against autograd with
torch.allclose and (dt - t.grad).abs().max(); then a hierarchical model built from hand-written
Embedding / FlattenConsecutive / Linear / BatchNorm1d / Tanh / Sequential classes that mimic
torch.nn, trained with manual SGD."""
import argparse
import json

import numpy as np
import torch
import torch.nn.functional as F


def build_dataset(words, stoi, block_size):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + '.':
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


def cmp(s, dt, t):
    ex = torch.all(dt == t.grad).item()
    app = torch.allclose(dt, t.grad)
    maxdiff = (dt - t.grad).abs().max().item()
    print(f'{s:15s} | exact: {str(ex):5s} | approximate: {str(app):5s} | maxdiff: {maxdiff}')
    return app, maxdiff


class Linear:
    def __init__(self, fan_in, fan_out, bias=True):
        self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps = eps
        self.momentum = momentum
        self.training = True
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x):
        if self.training:
            if x.ndim == 2:
                dim = 0
            elif x.ndim == 3:
                dim = (0, 1)
            xmean = x.mean(dim, keepdim=True)
            xvar = x.var(dim, keepdim=True)
        else:
            xmean = self.running_mean
            xvar = self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
        self.out = self.gamma * xhat + self.beta
        if self.training:
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh:
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


class Embedding:
    def __init__(self, num_embeddings, embedding_dim):
        self.weight = torch.randn((num_embeddings, embedding_dim))

    def __call__(self, IX):
        self.out = self.weight[IX]
        return self.out

    def parameters(self):
        return [self.weight]


class FlattenConsecutive:
    def __init__(self, n):
        self.n = n

    def __call__(self, x):
        B, T, C = x.shape
        x = x.view(B, T // self.n, C * self.n)
        if x.shape[1] == 1:
            x = x.squeeze(1)
        self.out = x
        return self.out

    def parameters(self):
        return []


class Sequential:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        self.out = x
        return self.out

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def ninja(Xtr, Ytr, vocab_size, init, save):
    n_embd, n_hidden, block_size, batch_size = 10, 64, 3, 32
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((vocab_size, n_embd), generator=g)
    W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5 / 3) / ((n_embd * block_size)**0.5)
    b1 = torch.randn(n_hidden, generator=g) * 0.1
    W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.1
    b2 = torch.randn(vocab_size, generator=g) * 0.1
    bngain = torch.randn((1, n_hidden)) * 0.1 + 1.0
    bnbias = torch.randn((1, n_hidden)) * 0.1
    parameters = [C, W1, b1, W2, b2, bngain, bnbias]
    ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
    if init is not None:
        parameters = [torch.from_numpy(init[f'ninja{i}']) for i in range(len(parameters))]
        C, W1, b1, W2, b2, bngain, bnbias = parameters
        ix = torch.from_numpy(init['ninja_ix'])
    else:
        save.update({f'ninja{i}': p.numpy().copy() for i, p in enumerate(parameters)})
        save['ninja_ix'] = ix.numpy()
    for p in parameters:
        p.requires_grad = True
    Xb, Yb = Xtr[ix], Ytr[ix]
    n = batch_size

    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = 1 / (n - 1) * (bndiff2).sum(0, keepdim=True)
    bnvar_inv = (bnvar + 1e-5)**-0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum**-1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    for p in parameters:
        p.grad = None
    for t in [logprobs, probs, counts, counts_sum, counts_sum_inv, norm_logits, logit_maxes, logits, h, hpreact,
              bnraw, bnvar_inv, bnvar, bndiff2, bndiff, hprebn, bnmeani, embcat, emb]:
        t.retain_grad()
    loss.backward()

    checks = {}
    dlogprobs = torch.zeros_like(logprobs)
    dlogprobs[range(n), Yb] = -1.0 / n
    checks['logprobs'] = cmp('logprobs', dlogprobs, logprobs)
    dprobs = (1.0 / probs) * dlogprobs
    checks['probs'] = cmp('probs', dprobs, probs)
    dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
    checks['counts_sum_inv'] = cmp('counts_sum_inv', dcounts_sum_inv, counts_sum_inv)
    dcounts = counts_sum_inv * dprobs
    dcounts_sum = (-counts_sum**-2) * dcounts_sum_inv
    checks['counts_sum'] = cmp('counts_sum', dcounts_sum, counts_sum)
    dcounts += torch.ones_like(counts) * dcounts_sum
    checks['counts'] = cmp('counts', dcounts, counts)
    dnorm_logits = counts * dcounts
    checks['norm_logits'] = cmp('norm_logits', dnorm_logits, norm_logits)
    dlogits = dnorm_logits.clone()
    dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
    checks['logit_maxes'] = cmp('logit_maxes', dlogit_maxes, logit_maxes)
    dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
    checks['logits'] = cmp('logits', dlogits, logits)
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    checks['h'] = cmp('h', dh, h)
    checks['W2'] = cmp('W2', dW2, W2)
    checks['b2'] = cmp('b2', db2, b2)
    dhpreact = (1.0 - h**2) * dh
    checks['hpreact'] = cmp('hpreact', dhpreact, hpreact)
    dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
    dbnraw = bngain * dhpreact
    dbnbias = dhpreact.sum(0, keepdim=True)
    checks['bngain'] = cmp('bngain', dbngain, bngain)
    checks['bnraw'] = cmp('bnraw', dbnraw, bnraw)
    checks['bnbias'] = cmp('bnbias', dbnbias, bnbias)
    dbndiff = bnvar_inv * dbnraw
    dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
    checks['bnvar_inv'] = cmp('bnvar_inv', dbnvar_inv, bnvar_inv)
    dbnvar = (-0.5 * (bnvar + 1e-5)**-1.5) * dbnvar_inv
    checks['bnvar'] = cmp('bnvar', dbnvar, bnvar)
    dbndiff2 = (1.0 / (n - 1)) * torch.ones_like(bndiff2) * dbnvar
    checks['bndiff2'] = cmp('bndiff2', dbndiff2, bndiff2)
    dbndiff += (2 * bndiff) * dbndiff2
    checks['bndiff'] = cmp('bndiff', dbndiff, bndiff)
    dhprebn = dbndiff.clone()
    dbnmeani = (-dbndiff).sum(0)
    checks['bnmeani'] = cmp('bnmeani', dbnmeani, bnmeani)
    dhprebn += 1.0 / n * (torch.ones_like(hprebn) * dbnmeani)
    checks['hprebn'] = cmp('hprebn', dhprebn, hprebn)
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    checks['embcat'] = cmp('embcat', dembcat, embcat)
    checks['W1'] = cmp('W1', dW1, W1)
    checks['b1'] = cmp('b1', db1, b1)
    demb = dembcat.view(emb.shape)
    checks['emb'] = cmp('emb', demb, emb)
    dC = torch.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            dC[Xb[k, j]] += demb[k, j]
    checks['C'] = cmp('C', dC, C)

    # Exercise 2: the cross-entropy and batchnorm backward passes in one expression each.
    loss_fast = F.cross_entropy(logits, Yb)
    dlogits2 = F.softmax(logits, 1)
    dlogits2[range(n), Yb] -= 1
    dlogits2 /= n
    checks['logits_fast'] = cmp('logits', dlogits2, logits)
    hpreact_fast = bngain * (hprebn - hprebn.mean(0, keepdim=True)) / torch.sqrt(
        hprebn.var(0, keepdim=True, unbiased=True) + 1e-5) + bnbias
    dhprebn2 = bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw
                                         * (dhpreact * bnraw).sum(0))
    checks['hprebn_fast'] = cmp('hprebn', dhprebn2, hprebn)
    return {'loss': loss.item(), 'loss_fast_diff': (loss_fast - loss).item(),
            'hpreact_fast_diff': (hpreact_fast - hpreact).abs().max().item(),
            'all_close': all(v[0] for v in checks.values()),
            'maxdiffs': {k: v[1] for k, v in checks.items()},
            'grads': [p.grad.abs().sum().item() for p in parameters]}


def wavenet(Xtr, Ytr, Xdev, Ydev, vocab_size, steps, init, save):
    torch.manual_seed(42)
    n_embd, n_hidden = 8, 48
    model = Sequential([
        Embedding(vocab_size, n_embd),
        FlattenConsecutive(2), Linear(n_embd * 2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
        FlattenConsecutive(2), Linear(n_hidden * 2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
        FlattenConsecutive(2), Linear(n_hidden * 2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
        Linear(n_hidden, vocab_size),
    ])
    with torch.no_grad():
        model.layers[-1].weight *= 0.1
    parameters = model.parameters()
    if init is not None:
        for i, p in enumerate(parameters):
            p.data = torch.from_numpy(init[f'wavenet{i}'])
        batches = torch.from_numpy(init['wavenet_batches'])
    else:
        save.update({f'wavenet{i}': p.numpy().copy() for i, p in enumerate(parameters)})
        batches = torch.randint(0, Xtr.shape[0], (steps, 32))
        save['wavenet_batches'] = batches.numpy()
    n_params = sum(p.nelement() for p in parameters)
    for p in parameters:
        p.requires_grad = True
    lossi = []
    for i in range(steps):
        ix = batches[i]
        Xb, Yb = Xtr[ix], Ytr[ix]
        logits = model(Xb)
        loss = F.cross_entropy(logits, Yb)
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < steps * 3 // 4 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.log10().item())
    shapes = []
    model(Xtr[:4])
    for layer in model.layers:
        shapes.append([layer.__class__.__name__, list(layer.out.shape)])
    for layer in model.layers:
        layer.training = False
    with torch.no_grad():
        dev = F.cross_entropy(model(Xdev), Ydev).item()
    avg = torch.tensor(lossi).view(-1, 10).mean(1)
    return {'lossi': lossi, 'avg': avg.tolist(), 'dev': dev, 'shapes': shapes, 'n_params': n_params}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--names', required=True)
    parser.add_argument('--steps', type=int, default=40)
    parser.add_argument('--init-out', default=None)
    parser.add_argument('--init-in', default=None)
    args = parser.parse_args()
    words = open(args.names, 'r').read().splitlines()
    chars = sorted(list(set(''.join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi['.'] = 0
    vocab_size = len(stoi)
    n1 = int(0.9 * len(words))
    init = dict(np.load(args.init_in)) if args.init_in else None
    save = {}
    Xtr, Ytr = build_dataset(words[:n1], stoi, 3)
    result = {'ninja': ninja(Xtr, Ytr, vocab_size, init, save)}
    Xtr, Ytr = build_dataset(words[:n1], stoi, 8)
    Xdev, Ydev = build_dataset(words[n1:], stoi, 8)
    result['wavenet'] = wavenet(Xtr, Ytr, Xdev, Ydev, vocab_size, args.steps, init, save)
    if args.init_out:
        np.savez(args.init_out, **save)
    print('RESULT ' + json.dumps(result))


if __name__ == '__main__':
    main()
