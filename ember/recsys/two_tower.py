"""``TwoTower``: separate user and item encoders whose outputs meet only in a dot product.

    logit(u, i) = f(p_u) . g(q_i)

``f`` and ``g`` are ``Linear+ReLU`` towers (the last layer linear) over embedding tables ``p`` and
``q``. Because a user's vector does not depend on the item, all item vectors can be computed
once (``item_vectors()``) and a user's best items found by one matrix product, which is why
retrieval systems use this shape; NeuMF, which mixes user and item inside its MLP, cannot do
that. Trained like NeuMF, with BCE on sampled negatives (``fit_implicit``).

>>> import ember
>>> model = TwoTower(num_users=5, num_items=7, embedding_dim=8, tower_layers=(16, 4))
>>> model(ember.tensor([0, 4]), ember.tensor([6, 1])).shape
ember.Size([2])
>>> tuple(model.item_vectors().shape)
(7, 4)
"""
from ember import nn
from ember.creation import arange
from ember.nn import init

__all__ = ["TwoTower"]


def _tower(sizes):
    layers = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if k < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class TwoTower(nn.Module):
    """Dot product of a user tower and an item tower.

    Args:
        num_users, num_items (int): sizes of the embedding tables.
        embedding_dim (int): size of the embeddings fed to the towers.
        tower_layers (tuple[int]): widths of each tower's layers; the last is the size of the
            vectors whose dot product is the logit.

    Shape: ``user``, ``item`` integers ``(N,)``; output logits ``(N,)``.
    """

    def __init__(self, num_users, num_items, embedding_dim=32, tower_layers=(64, 32)):
        super().__init__()
        if len(tower_layers) < 1:
            raise ValueError(f"TwoTower: tower_layers needs at least one width, got {tuple(tower_layers)}")
        self.user_embedding = nn.Embedding(num_users, embedding_dim)
        self.item_embedding = nn.Embedding(num_items, embedding_dim)
        self.user_tower = _tower([embedding_dim] + list(tower_layers))
        self.item_tower = _tower([embedding_dim] + list(tower_layers))
        init.normal_(self.user_embedding.weight, 0.0, 0.1)
        init.normal_(self.item_embedding.weight, 0.0, 0.1)

    def user_vectors(self, user):
        return self.user_tower(self.user_embedding(user))

    def item_vectors(self, item=None):
        """The item tower's output for ``item`` (default: every item, in id order)."""
        if item is None:
            item = arange(self.item_embedding.num_embeddings)
        return self.item_tower(self.item_embedding(item))

    def forward(self, user, item):
        if tuple(user.shape) != tuple(item.shape):
            raise ValueError(f"TwoTower: user and item must have one shape, got {tuple(user.shape)} and "
                             f"{tuple(item.shape)}")
        return (self.user_vectors(user) * self.item_vectors(item)).sum(-1)
