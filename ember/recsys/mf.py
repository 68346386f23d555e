"""``MatrixFactorization``: biased matrix factorization for explicit ratings (Koren et al., 2009).

    r_hat(u, i) = mean + b_u + b_i + p_u . q_i

with user vectors ``p`` and item vectors ``q`` (``nn.Embedding`` tables of ``embedding_dim``
columns, initialised N(0, ``init_std``^2)), user and item biases (1-column tables, zeros) and a
fixed global ``mean`` (a buffer; set it to the training mean). Trained with the mean squared
error, usually with weight decay on the tables.

>>> import ember
>>> model = MatrixFactorization(num_users=4, num_items=3, embedding_dim=2, mean=3.5)
>>> model(ember.tensor([0, 3]), ember.tensor([2, 0])).shape
ember.Size([2])
"""
from ember import creation, nn
from ember.nn import init

__all__ = ["MatrixFactorization"]


class MatrixFactorization(nn.Module):
    """Predicted rating of each (user, item) pair.

    Args:
        num_users, num_items (int): sizes of the tables (ids ``0..n-1``).
        embedding_dim (int): size of the latent vectors.
        mean (float): the global mean rating added to every prediction.
        init_std (float): standard deviation of the initial latent vectors.

    Shape: ``user``, ``item`` integer tensors of one shape ``(*)``; output ``(*)``, float32.
    """

    def __init__(self, num_users, num_items, embedding_dim=32, mean=0.0, init_std=0.1):
        super().__init__()
        self.user_embedding = nn.Embedding(num_users, embedding_dim)
        self.item_embedding = nn.Embedding(num_items, embedding_dim)
        self.user_bias = nn.Embedding(num_users, 1)
        self.item_bias = nn.Embedding(num_items, 1)
        self.register_buffer("mean", creation.tensor(float(mean)))
        self.init_std = init_std
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.user_embedding.weight, 0.0, self.init_std)
        init.normal_(self.item_embedding.weight, 0.0, self.init_std)
        init.zeros_(self.user_bias.weight)
        init.zeros_(self.item_bias.weight)

    def forward(self, user, item):
        if tuple(user.shape) != tuple(item.shape):
            raise ValueError(f"MatrixFactorization: user and item must have one shape, got "
                             f"{tuple(user.shape)} and {tuple(item.shape)}")
        dot = (self.user_embedding(user) * self.item_embedding(item)).sum(-1)
        return dot + self.user_bias(user).squeeze(-1) + self.item_bias(item).squeeze(-1) + self.mean

    def extra_repr(self):
        return (f"num_users={self.user_embedding.num_embeddings}, num_items={self.item_embedding.num_embeddings}, "
                f"embedding_dim={self.user_embedding.embedding_dim}")
