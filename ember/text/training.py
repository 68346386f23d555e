"""Training loops and metrics for the text models, shared by the examples and ``ember train``.

- ``fit_classifier`` / ``classifier_accuracy``: ``TextClassifier`` on lists of token indices,
  cross-entropy with Adam; accuracy is the fraction of texts whose arg-max class is right.
- ``fit_char_lm`` / ``perplexity``: ``CharRNN`` on a 1-D array of character indices, trained on
  random windows of ``seq_len`` characters (next-character cross-entropy, gradients clipped
  to norm 1); perplexity is ``exp`` of the mean cross-entropy per predicted character, so a
  model that knows nothing scores the vocabulary size and the unigram model scores
  ``exp(entropy of the character frequencies)``.
- ``unigram_perplexity``: that baseline, with add-one smoothing.

>>> import numpy as np
>>> unigram_perplexity(np.array([0, 1, 0, 1]), np.array([0, 1]), vocab_size=2)
2.0
"""
import math

import numpy as np

import ember
from ember import nn, optim
from ember.text.models import collate_bags

__all__ = ["fit_classifier", "classifier_accuracy", "fit_char_lm", "perplexity", "unigram_perplexity",
           "split_blocks"]


def classifier_accuracy(model, token_lists, labels, ngrams=1, vocab_size=None, batch_size=1024):
    """Fraction of ``token_lists`` that ``model`` labels right (eval mode, no gradients)."""
    labels = np.asarray(labels)
    was_training = model.training
    model.eval()
    preds = []
    with ember.no_grad():
        for s in range(0, len(token_lists), batch_size):
            text, offsets = collate_bags(token_lists[s:s + batch_size], ngrams, vocab_size)
            preds.append(model(text, offsets).argmax(1).numpy())
    model.train(was_training)
    return float(np.mean(np.concatenate(preds) == labels))


def fit_classifier(model, token_lists, labels, epochs=5, batch_size=32, lr=1e-2, ngrams=1, vocab_size=None,
                   seed=0, on_epoch=None):
    """Train a ``TextClassifier`` with cross-entropy and Adam; returns each epoch's mean loss."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels, np.int64)
    opt = optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for epoch in range(epochs):
        order = rng.permutation(len(token_lists))
        total = 0.0
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            text, offsets = collate_bags([token_lists[i] for i in idx], ngrams, vocab_size)
            loss = nn.functional.cross_entropy(model(text, offsets), ember.from_numpy(labels[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / len(order))
        if on_epoch is not None:
            on_epoch(epoch, losses[-1])
    return losses


def split_blocks(data, block=1024, every=10):
    """``(train, validation)``: every ``every``-th block of ``block`` items goes to validation."""
    data = np.asarray(data)
    idx = np.arange(len(data))
    val = (idx // block) % every == every - 1
    return data[~val], data[val]


def perplexity(model, data, seq_len=128, batch_size=64):
    """``exp`` of ``model``'s mean next-token cross-entropy over ``data`` cut into ``seq_len`` windows."""
    data = np.asarray(data, np.int64)
    n = (len(data) - 1) // seq_len
    if n < 1:
        raise ValueError(f"perplexity: need more than seq_len={seq_len} tokens, got {len(data)}")
    x = data[:n * seq_len].reshape(n, seq_len)
    y = data[1:n * seq_len + 1].reshape(n, seq_len)
    was_training = model.training
    model.eval()
    total = 0.0
    with ember.no_grad():
        for s in range(0, n, batch_size):
            logits, _ = model(ember.from_numpy(x[s:s + batch_size]))
            total += float(nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                       ember.from_numpy(y[s:s + batch_size].reshape(-1)),
                                                       reduction="sum"))
    model.train(was_training)
    return math.exp(total / (n * seq_len))


def unigram_perplexity(train, data, vocab_size):
    """Perplexity on ``data`` of the character frequencies of ``train`` (add-one smoothed)."""
    counts = np.bincount(np.asarray(train), minlength=vocab_size) + 1.0
    p = counts / counts.sum()
    return float(math.exp(-np.mean(np.log(p[np.asarray(data)]))))


def fit_char_lm(model, data, steps=1000, seq_len=64, batch_size=32, lr=3e-3, seed=0, on_step=None, every=100):
    """Train a ``CharRNN`` on random windows of ``data``; Adam with a cosine-annealed ``lr``.

    ``on_step(step, loss)`` is called every ``every`` steps. Returns the loss of each step.
    """
    data = np.asarray(data, np.int64)
    if len(data) <= seq_len + 1:
        raise ValueError(f"fit_char_lm: need more than seq_len + 1 = {seq_len + 1} tokens, got {len(data)}")
    rng = np.random.default_rng(seed)
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1))
    offsets = np.arange(seq_len)
    losses = []
    model.train()
    for step in range(steps):
        starts = rng.integers(0, len(data) - seq_len - 1, batch_size)[:, None]
        x, y = data[starts + offsets], data[starts + offsets + 1]
        logits, _ = model(ember.from_numpy(x))
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), ember.from_numpy(y.reshape(-1)))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if on_step is not None and (step + 1) % every == 0:
            on_step(step, losses[-1])
    return losses
