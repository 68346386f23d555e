"""MatrixFactorization, GMF, NCFMLP and NeuMF against the same networks written in PyTorch with
the same weights: outputs and every parameter's gradient."""
import numpy as np
import pytest
import torch

import ember
from ember.recsys import GMF, NCFMLP, MatrixFactorization, NeuMF, TwoTower


def copy_into_torch(module, tmod):
    state = {k: torch.tensor(v.numpy().copy()) for k, v in module.state_dict().items()}
    tmod.load_state_dict(state)


class TorchMF(torch.nn.Module):
    def __init__(self, nu, ni, d):
        super().__init__()
        self.user_embedding = torch.nn.Embedding(nu, d)
        self.item_embedding = torch.nn.Embedding(ni, d)
        self.user_bias = torch.nn.Embedding(nu, 1)
        self.item_bias = torch.nn.Embedding(ni, 1)
        self.register_buffer("mean", torch.tensor(0.0))

    def forward(self, u, i):
        return ((self.user_embedding(u) * self.item_embedding(i)).sum(-1) + self.user_bias(u)[:, 0]
                + self.item_bias(i)[:, 0] + self.mean)


def tower(sizes):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers)


class TorchNeuMF(torch.nn.Module):
    def __init__(self, nu, ni, g, layers):
        super().__init__()
        self.gmf_user, self.gmf_item = torch.nn.Embedding(nu, g), torch.nn.Embedding(ni, g)
        self.mlp_user = torch.nn.Embedding(nu, layers[0] // 2)
        self.mlp_item = torch.nn.Embedding(ni, layers[0] // 2)
        self.tower = tower(layers)
        self.dropout = torch.nn.Dropout(0.0)
        self.predict = torch.nn.Linear(g + layers[-1], 1)

    def forward(self, u, i):
        mlp = self.tower(torch.cat([self.mlp_user(u), self.mlp_item(i)], -1))
        return self.predict(torch.cat([self.gmf_user(u) * self.gmf_item(i), mlp], -1))[:, 0]


class TorchGMF(torch.nn.Module):
    def __init__(self, nu, ni, d):
        super().__init__()
        self.user_embedding, self.item_embedding = torch.nn.Embedding(nu, d), torch.nn.Embedding(ni, d)
        self.predict = torch.nn.Linear(d, 1)

    def forward(self, u, i):
        return self.predict(self.user_embedding(u) * self.item_embedding(i))[:, 0]


class TorchMLP(torch.nn.Module):
    def __init__(self, nu, ni, layers):
        super().__init__()
        self.user_embedding = torch.nn.Embedding(nu, layers[0] // 2)
        self.item_embedding = torch.nn.Embedding(ni, layers[0] // 2)
        self.tower = tower(layers)
        self.predict = torch.nn.Linear(layers[-1], 1)

    def forward(self, u, i):
        return self.predict(self.tower(torch.cat([self.user_embedding(u), self.item_embedding(i)], -1)))[:, 0]


class TorchTwoTower(torch.nn.Module):
    def __init__(self, nu, ni, d, layers):
        super().__init__()
        self.user_embedding, self.item_embedding = torch.nn.Embedding(nu, d), torch.nn.Embedding(ni, d)

        def tower():
            sizes, mods = [d] + list(layers), []
            for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                mods += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if k < len(sizes) - 2 else [])
            return torch.nn.Sequential(*mods)
        self.user_tower, self.item_tower = tower(), tower()

    def forward(self, u, i):
        return (self.user_tower(self.user_embedding(u)) * self.item_tower(self.item_embedding(i))).sum(-1)


CASES = [
    (lambda: MatrixFactorization(6, 5, 3, mean=3.2), lambda: TorchMF(6, 5, 3)),
    (lambda: GMF(6, 5, 4), lambda: TorchGMF(6, 5, 4)),
    (lambda: NCFMLP(6, 5, (8, 4, 2)), lambda: TorchMLP(6, 5, (8, 4, 2))),
    (lambda: NeuMF(6, 5, 4, (8, 4)), lambda: TorchNeuMF(6, 5, 4, (8, 4))),
    (lambda: TwoTower(6, 5, 4, (8, 3)), lambda: TorchTwoTower(6, 5, 4, (8, 3))),
]


@pytest.mark.parametrize("make, make_torch", CASES, ids=["mf", "gmf", "mlp", "neumf", "two_tower"])
def test_forward_and_gradients_match_torch(make, make_torch):
    ember.manual_seed(0)
    model, tmodel = make(), make_torch()
    # Random, not the tiny initial weights, so every path matters.
    rng = np.random.default_rng(0)
    for p in model.parameters():
        p.data = ember.from_numpy(rng.normal(size=tuple(p.shape)).astype(np.float32))
    copy_into_torch(model, tmodel)
    u = np.array([0, 5, 2, 2, 3], np.int64)
    i = np.array([4, 0, 1, 1, 2], np.int64)   # a repeated pair: gradients accumulate
    target = rng.normal(size=5).astype(np.float32)
    out = model(ember.from_numpy(u), ember.from_numpy(i))
    tout = tmodel(torch.from_numpy(u), torch.from_numpy(i))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-5)
    ((out - ember.from_numpy(target)) ** 2).mean().backward()
    ((tout - torch.from_numpy(target)) ** 2).mean().backward()
    tparams = dict(tmodel.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=name)


def test_state_dict_keys_and_mean_buffer():
    model = MatrixFactorization(3, 4, 2, mean=3.5)
    assert set(model.state_dict()) == {"user_embedding.weight", "item_embedding.weight", "user_bias.weight",
                                       "item_bias.weight", "mean"}
    assert float(model.state_dict()["mean"]) == 3.5
    assert "mean" not in dict(model.named_parameters())


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match=r"MatrixFactorization: user and item must have one shape, got \(2,\) and \(3,\)"):
        MatrixFactorization(3, 4)(ember.tensor([0, 1]), ember.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="even"):
        NeuMF(3, 4, mlp_layers=(7, 4))


def test_two_tower_item_vectors_score_every_item_at_once():
    ember.manual_seed(0)
    model = TwoTower(4, 6, 5, (7, 3))
    items = model.item_vectors()
    users = model.user_vectors(ember.tensor([2]))
    all_scores = (users @ items.T)[0]
    pairs = model(ember.tensor([2] * 6), ember.arange(6))
    np.testing.assert_allclose(all_scores.detach().numpy(), pairs.detach().numpy(), rtol=1e-5, atol=1e-6)
