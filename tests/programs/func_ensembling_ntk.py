"""torch.func in the manner of the pytorch.org tutorials "Model ensembling", "Per-sample
gradients", "Jacobians, Hessians, hvp, vhp, and more" and "Neural Tangent Kernels": several MLPs'
states stacked with torch.func.stack_module_state, a "meta" copy of the base model called through
functional_call under vmap (same minibatch and different minibatches per model), per-sample
gradients with vmap(grad(compute_loss), in_dims=(None, None, 0, 0)), Jacobians by jacrev / jacfwd
and their agreement, hessian, the empirical NTK from the Jacobians (einsum over every parameter)
and from vjp/jvp products, plus an ensemble trained together by vmapping the loss."""
import argparse
import copy
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, hessian, jacfwd, jacrev, jvp, stack_module_state, vjp, vmap


class SimpleMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 32)
        self.fc3 = nn.Linear(32, 4)

    def forward(self, x):
        x = x.flatten(1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)
        x = F.relu(x)
        x = self.fc3(x)
        return x


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, (3, 3))
        self.conv2 = nn.Conv2d(8, 8, (3, 3))
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        x = self.conv1(x)
        x = x.relu()
        x = self.conv2(x)
        x = x.relu()
        x = F.adaptive_avg_pool2d(x, (1, 1))
        x = x.flatten(1)
        return self.fc(x)


def tolist(t):
    return t.detach().reshape(-1).tolist()


def main():
    parser = argparse.ArgumentParser(description="torch.func: ensembling, per-sample grads, NTK")
    parser.add_argument("--num-models", type=int, default=4)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    data = torch.from_numpy(rng.randn(24, 1, 4, 4).astype(np.float32))
    targets = torch.from_numpy(rng.randint(0, 4, size=24).astype(np.int64))
    images = torch.from_numpy(rng.randn(6, 1, 8, 8).astype(np.float32))
    models = [SimpleMLP() for _ in range(args.num_models)]
    cnn = CNN()
    named = {f"m{i}": m for i, m in enumerate(models)}
    named["cnn"] = cnn
    if args.init_out:
        np.savez(args.init_out, **{f"{n}.{k}": v.detach().numpy() for n, m in named.items()
                                   for k, v in m.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            for n, m in named.items():
                m.load_state_dict({k[len(n) + 1:]: torch.from_numpy(f[k]) for k in f.files if k.startswith(n + ".")})
    result = {}

    # Ensembling: one minibatch for every model, then a different minibatch per model.
    minibatches = data[:16].reshape(args.num_models, 4, 1, 4, 4)
    minibatch = minibatches[0]
    predictions_diff = [model(mb) for model, mb in zip(models, minibatches)]
    predictions_same = [model(minibatch) for model in models]
    params, buffers = stack_module_state(models)
    result["stacked"] = {k: list(v.shape) for k, v in params.items()}
    base_model = copy.deepcopy(models[0])
    base_model = base_model.to("meta")

    def fmodel(params, buffers, x):
        return functional_call(base_model, (params, buffers), (x,))

    predictions1_vmap = vmap(fmodel)(params, buffers, minibatches)
    predictions2_vmap = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)
    result["ens_diff"] = float((predictions1_vmap - torch.stack(predictions_diff)).abs().max())
    result["ens_same"] = float((predictions2_vmap - torch.stack(predictions_same)).abs().max())
    result["ens_out"] = tolist(predictions1_vmap)
    result["requires_grad_stacked"] = [p.requires_grad for p in params.values()]

    # Per-sample gradients.
    model = models[0]
    params0 = {k: v.detach() for k, v in model.named_parameters()}
    buffers0 = {k: v.detach() for k, v in model.named_buffers()}

    def compute_loss(params, buffers, sample, target):
        batch = sample.unsqueeze(0)
        targets = target.unsqueeze(0)
        predictions = functional_call(model, (params, buffers), (batch,))
        return F.cross_entropy(predictions, targets)

    ft_compute_grad = grad(compute_loss)
    ft_compute_sample_grad = vmap(ft_compute_grad, in_dims=(None, None, 0, 0))
    ft_per_sample_grads = ft_compute_sample_grad(params0, buffers0, data[:8], targets[:8])
    loop = []
    for i in range(8):
        model.zero_grad()
        F.cross_entropy(model(data[i:i + 1]), targets[i:i + 1]).backward()
        loop.append({k: p.grad.clone() for k, p in model.named_parameters()})
    result["psg_diff"] = max(float((ft_per_sample_grads[k] - torch.stack([g[k] for g in loop])).abs().max())
                             for k in params0)
    result["psg_norms"] = [float(v.norm()) for v in ft_per_sample_grads.values()]

    # Jacobians and Hessians of a small function.
    weight = torch.from_numpy(rng.randn(5, 5))
    bias = torch.from_numpy(rng.randn(5))
    x = torch.from_numpy(rng.randn(5))

    def predict(weight, bias, x):
        return F.linear(x, weight, bias).tanh()

    jac_rev = jacrev(predict, argnums=2)(weight, bias, x)
    jac_fwd = jacfwd(predict, argnums=2)(weight, bias, x)
    jw, jb = jacrev(predict, argnums=(0, 1))(weight, bias, x)
    hess = hessian(predict, argnums=2)(weight, bias, x)
    hess_rf = jacfwd(jacrev(predict, argnums=2), argnums=2)(weight, bias, x)
    xs = torch.from_numpy(rng.randn(3, 5))
    batch_jac = vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))(weight, bias, xs)
    result["jac"] = tolist(jac_rev)
    result["jac_fwd_diff"] = float((jac_rev - jac_fwd).abs().max())
    result["jw_shape"] = [list(jw.shape), list(jb.shape)]
    result["jw"] = tolist(jw)
    result["hess"] = tolist(hess)
    result["hess_diff"] = float((hess - hess_rf).abs().max())
    result["batch_jac"] = tolist(batch_jac)

    # Empirical NTK of the CNN.
    cparams = {k: v.detach() for k, v in cnn.named_parameters()}

    def fnet_single(params, x):
        return functional_call(cnn, params, (x.unsqueeze(0),)).squeeze(0)

    def empirical_ntk_jacobian_contraction(fnet_single, params, x1, x2, compute="full"):
        jac1 = vmap(jacrev(fnet_single), (None, 0))(params, x1)
        jac1 = jac1.values()
        jac1 = [j.flatten(2) for j in jac1]
        jac2 = vmap(jacrev(fnet_single), (None, 0))(params, x2)
        jac2 = jac2.values()
        jac2 = [j.flatten(2) for j in jac2]
        einsum_expr = {"full": "Naf,Mbf->NMab", "trace": "Naf,Maf->NM", "diagonal": "Naf,Maf->NMa"}[compute]
        result = torch.stack([torch.einsum(einsum_expr, j1, j2) for j1, j2 in zip(jac1, jac2)])
        return result.sum(0)

    def empirical_ntk_ntk_vps(func, params, x1, x2, compute="full"):
        def get_ntk(x1, x2):
            def func_x1(params):
                return func(params, x1)

            def func_x2(params):
                return func(params, x2)

            output, vjp_fn = vjp(func_x1, params)

            def get_ntk_slice(vec):
                vjps = vjp_fn(vec)
                _, jvps = jvp(func_x2, (params,), vjps)
                return jvps

            basis = torch.eye(output.numel(), dtype=output.dtype, device=output.device).view(output.numel(), -1)
            return vmap(get_ntk_slice)(basis)

        result = vmap(vmap(get_ntk, (None, 0)), (0, None))(x1, x2)
        if compute == "full":
            return result
        if compute == "trace":
            return torch.einsum("NMKK->NM", result)
        if compute == "diagonal":
            return torch.einsum("NMKK->NMK", result)

    x_train, x_test = images[:4], images[4:]
    ntk_full = empirical_ntk_jacobian_contraction(fnet_single, cparams, x_train, x_test, "full")
    ntk_trace = empirical_ntk_jacobian_contraction(fnet_single, cparams, x_train, x_test, "trace")
    ntk_vps = empirical_ntk_ntk_vps(fnet_single, cparams, x_train, x_test, "full")
    result["ntk_shape"] = list(ntk_full.shape)
    result["ntk"] = tolist(ntk_full)
    result["ntk_trace"] = tolist(ntk_trace)
    result["ntk_vps_diff"] = float((ntk_vps - ntk_full).abs().max() / ntk_full.abs().max())

    # Training the ensemble together: vmap the loss, one optimizer over the stacked leaves.
    params, buffers = stack_module_state(models)
    opt = torch.optim.Adam(list(params.values()), lr=1e-2)
    batches = data[:16].reshape(args.num_models, 4, 1, 4, 4)
    labels = targets[:16].reshape(args.num_models, 4)

    def loss_one(p, b, x, y):
        return F.cross_entropy(functional_call(base_model, (p, b), (x,)), y)

    ens_losses = []
    for step in range(args.steps):
        losses = vmap(loss_one)(params, buffers, batches, labels)
        opt.zero_grad()
        losses.sum().backward()
        opt.step()
        ens_losses.append(losses.tolist())
    result["ens_losses"] = ens_losses
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
