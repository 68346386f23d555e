"""Two small text models: ``TextClassifier`` (a bag of embeddings) and ``CharRNN`` (a GRU language model).

``TextClassifier`` is the model of torchtext's text-classification tutorial: each text's token
indices are averaged by ``nn.EmbeddingBag(mode="mean")`` (texts concatenated, ``offsets`` marking
where each starts) and one ``nn.Linear`` maps the mean to class logits. Token bigrams can be
added to the input as extra tokens (``ngrams=2`` in ``collate_bags``) for word-order cues.

``CharRNN`` embeds each character, runs ``nn.GRU`` (``batch_first``) and predicts the next
character at every step; ``generate`` samples from it one character at a time.

>>> import ember
>>> clf = TextClassifier(vocab_size=10, embed_dim=4, num_classes=3)
>>> clf(ember.tensor([1, 2, 3, 4, 5]), ember.tensor([0, 2])).shape
ember.Size([2, 3])
>>> lm = CharRNN(vocab_size=12, embed_dim=8, hidden_size=16)
>>> logits, h = lm(ember.zeros(2, 5, dtype=ember.int64))
>>> tuple(logits.shape), tuple(h.shape)
((2, 5, 12), (1, 2, 16))
"""
import numpy as np

import ember
from ember import nn
from ember.nn import init

__all__ = ["TextClassifier", "CharRNN", "collate_bags"]


class TextClassifier(nn.Module):
    """Mean of token embeddings -> ``Linear`` -> logits.

    Args:
        vocab_size (int): rows of the embedding table.
        embed_dim (int): embedding size.
        num_classes (int): number of classes.

    Shape: ``text`` ``(total_tokens,)`` integers, ``offsets`` ``(batch,)`` start of each text;
    output ``(batch, num_classes)``.
    """

    def __init__(self, vocab_size, embed_dim=64, num_classes=2, dropout=0.0):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, mode="mean")
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(embed_dim, num_classes)
        # The tutorial's initialisation: small uniform weights, zero bias.
        init.uniform_(self.embedding.weight, -0.5, 0.5)
        init.uniform_(self.fc.weight, -0.5, 0.5)
        init.zeros_(self.fc.bias)

    def forward(self, text, offsets):
        return self.fc(self.dropout(self.embedding(text, offsets)))


def collate_bags(token_lists, ngrams=1, vocab_size=None):
    """``(text, offsets)`` tensors for ``TextClassifier`` from lists of token indices.

    With ``ngrams=2`` each adjacent pair ``(a, b)`` is also added as the token
    ``vocab_size + hash(a, b) % vocab_size`` (the hashing trick), so the model needs
    ``2 * vocab_size`` rows. An empty text contributes index 0 alone.
    """
    if ngrams not in (1, 2):
        raise ValueError(f"collate_bags: ngrams must be 1 or 2, got {ngrams}")
    if ngrams == 2 and vocab_size is None:
        raise ValueError("collate_bags: ngrams=2 needs vocab_size")
    parts, offsets, start = [], [], 0
    for tokens in token_lists:
        ids = np.asarray(tokens, np.int64)
        if ids.size == 0:
            ids = np.zeros(1, np.int64)
        if ngrams == 2 and ids.size > 1:
            pairs = (ids[:-1] * 1_000_003 + ids[1:]) % vocab_size + vocab_size
            ids = np.concatenate([ids, pairs])
        offsets.append(start)
        start += ids.size
        parts.append(ids)
    return ember.from_numpy(np.concatenate(parts)), ember.from_numpy(np.asarray(offsets, np.int64))


class CharRNN(nn.Module):
    """Character language model: ``Embedding -> GRU -> Dropout -> Linear``.

    Args:
        vocab_size (int): number of characters.
        embed_dim (int): embedding size.
        hidden_size (int): GRU state size.
        num_layers (int): stacked GRU layers.
        dropout (float): dropout on the GRU's output.

    Shape: ``tokens`` ``(batch, seq)`` integers; returns logits ``(batch, seq, vocab_size)`` and
    the final state ``(num_layers, batch, hidden_size)``.
    """

    def __init__(self, vocab_size, embed_dim=64, hidden_size=256, num_layers=1, dropout=0.0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.gru = nn.GRU(embed_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, h=None):
        out, h = self.gru(self.embed(tokens), h)
        return self.head(self.drop(out)), h

    def generate(self, prompt, length, temperature=1.0, generator=None):
        """``prompt`` (list of indices) followed by ``length`` sampled indices.

        ``generator`` is a ``numpy.random.Generator`` (the same one gives the same text).
        """
        if not prompt:
            raise ValueError("CharRNN.generate: the prompt needs at least one token")
        rng = np.random.default_rng() if generator is None else generator
        was_training = self.training
        self.eval()
        out = list(prompt)
        with ember.no_grad():
            logits, h = self(ember.tensor([out], dtype=ember.int64))
            for _ in range(length):
                z = logits[0, -1].numpy().astype(np.float64) / max(temperature, 1e-6)
                p = np.exp(z - z.max())
                nxt = int(rng.choice(len(p), p=p / p.sum()))
                out.append(nxt)
                logits, h = self(ember.tensor([[nxt]], dtype=ember.int64), h)
        self.train(was_training)
        return out
