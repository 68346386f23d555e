"""Neural collaborative filtering (He et al., 2017): ``GMF``, ``NCFMLP`` and their fusion ``NeuMF``.

Each model maps a (user, item) pair to a *logit* of "the user interacts with the item", trained
with ``nn.BCEWithLogitsLoss`` on observed pairs (label 1) and sampled unobserved ones (label 0):

    GMF:    logit = h . (p_u * q_i)                                (element-wise product)
    MLP:    logit = h . MLP([p'_u, q'_i])                          (concatenation, ReLU layers)
    NeuMF:  logit = h . [p_u * q_i, MLP([p'_u, q'_i])]

with separate embedding tables for the GMF and the MLP paths (N(0, 0.01^2) initially, as in the
paper) and ``h`` a final ``nn.Linear(..., 1)``.

>>> import ember
>>> model = NeuMF(num_users=5, num_items=7, gmf_dim=4, mlp_layers=(8, 4))
>>> model(ember.tensor([0, 4]), ember.tensor([6, 1])).shape
ember.Size([2])
"""
from ember import nn
from ember.autograd.ops import cat
from ember.nn import init

__all__ = ["GMF", "NCFMLP", "NeuMF"]


def _check_pair(module, user, item):
    if tuple(user.shape) != tuple(item.shape):
        raise ValueError(f"{type(module).__name__}: user and item must have one shape, got "
                         f"{tuple(user.shape)} and {tuple(item.shape)}")


def _tower(sizes):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers)


class GMF(nn.Module):
    """Generalized matrix factorization: ``Linear(p_u * q_i) -> logit``.

    Shape: ``user``, ``item`` integers ``(N,)``; output logits ``(N,)``.
    """

    def __init__(self, num_users, num_items, embedding_dim=16):
        super().__init__()
        self.user_embedding = nn.Embedding(num_users, embedding_dim)
        self.item_embedding = nn.Embedding(num_items, embedding_dim)
        self.predict = nn.Linear(embedding_dim, 1)
        init.normal_(self.user_embedding.weight, 0.0, 0.01)
        init.normal_(self.item_embedding.weight, 0.0, 0.01)

    def forward(self, user, item):
        _check_pair(self, user, item)
        return self.predict(self.user_embedding(user) * self.item_embedding(item)).squeeze(-1)


class NCFMLP(nn.Module):
    """The MLP path: ``[p_u, q_i] -> Linear+ReLU tower -> Linear -> logit``.

    ``mlp_layers[0]`` is the width of the concatenated embeddings (each table has half of it).
    """

    def __init__(self, num_users, num_items, mlp_layers=(64, 32, 16, 8)):
        super().__init__()
        if len(mlp_layers) < 1 or mlp_layers[0] % 2:
            raise ValueError(f"NCFMLP: mlp_layers[0] must be even (two halves), got {tuple(mlp_layers)}")
        self.user_embedding = nn.Embedding(num_users, mlp_layers[0] // 2)
        self.item_embedding = nn.Embedding(num_items, mlp_layers[0] // 2)
        self.tower = _tower(list(mlp_layers))
        self.predict = nn.Linear(mlp_layers[-1], 1)
        init.normal_(self.user_embedding.weight, 0.0, 0.01)
        init.normal_(self.item_embedding.weight, 0.0, 0.01)

    def features(self, user, item):
        return self.tower(cat([self.user_embedding(user), self.item_embedding(item)], -1))

    def forward(self, user, item):
        _check_pair(self, user, item)
        return self.predict(self.features(user, item)).squeeze(-1)


class NeuMF(nn.Module):
    """GMF and MLP paths side by side, fused by one ``Linear(gmf_dim + mlp_layers[-1], 1)``.

    Args:
        num_users, num_items (int): sizes of the tables.
        gmf_dim (int): size of the GMF embeddings.
        mlp_layers (tuple[int]): widths of the MLP path, the first being the concatenated
            embedding width (even).
        dropout (float): dropout on the MLP path's hidden layers' output.

    Shape: ``user``, ``item`` integers ``(N,)``; output logits ``(N,)``.
    """

    def __init__(self, num_users, num_items, gmf_dim=16, mlp_layers=(64, 32, 16), dropout=0.0):
        super().__init__()
        if len(mlp_layers) < 1 or mlp_layers[0] % 2:
            raise ValueError(f"NeuMF: mlp_layers[0] must be even (two halves), got {tuple(mlp_layers)}")
        self.gmf_user = nn.Embedding(num_users, gmf_dim)
        self.gmf_item = nn.Embedding(num_items, gmf_dim)
        self.mlp_user = nn.Embedding(num_users, mlp_layers[0] // 2)
        self.mlp_item = nn.Embedding(num_items, mlp_layers[0] // 2)
        self.tower = _tower(list(mlp_layers))
        self.dropout = nn.Dropout(dropout)
        self.predict = nn.Linear(gmf_dim + mlp_layers[-1], 1)
        for table in (self.gmf_user, self.gmf_item, self.mlp_user, self.mlp_item):
            init.normal_(table.weight, 0.0, 0.01)

    def forward(self, user, item):
        _check_pair(self, user, item)
        gmf = self.gmf_user(user) * self.gmf_item(item)
        mlp = self.dropout(self.tower(cat([self.mlp_user(user), self.mlp_item(item)], -1)))
        return self.predict(cat([gmf, mlp], -1)).squeeze(-1)
