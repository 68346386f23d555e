"""The text models reach stated metrics on the shipped Shakespeare: the bag-of-embeddings
classifier tells four plays apart from single speeches far above the majority class and close
to a multinomial naive Bayes computed here; the character GRU's held-out perplexity on the
Sonnets falls well below the unigram model's after 30 steps."""
import collections
import math

import numpy as np

import ember
from ember import text
from ember.text.datasets import ShakespearePlays, load_shakespeare


def naive_bayes_accuracy(train, test):
    counts = [collections.Counter() for _ in train.classes]
    for t, y in zip(train.texts, train.targets):
        counts[y].update(text.basic_english(t))
    vocab = set().union(*counts)
    totals = [sum(c.values()) for c in counts]
    prior = np.log(np.bincount(train.targets) / len(train))

    def predict(t):
        words = text.basic_english(t)
        return int(np.argmax([prior[k] + sum(math.log((counts[k][w] + 1) / (totals[k] + len(vocab))) for w in words)
                              for k in range(len(counts))]))
    return float(np.mean([predict(t) == y for t, y in zip(test.texts, test.targets)]))


def test_classifier_tells_the_plays_apart():
    train, test = ShakespearePlays("train"), ShakespearePlays("test")
    tok = text.WordTokenizer().fit(train.texts, min_freq=2)
    xtr = [tok.encode(t) for t in train.texts]
    xte = [tok.encode(t) for t in test.texts]
    ember.manual_seed(0)
    model = text.TextClassifier(len(tok), 32, len(train.classes))
    text.fit_classifier(model, xtr, train.targets, epochs=3, batch_size=32, lr=1e-2)
    acc = text.classifier_accuracy(model, xte, test.targets)
    majority = np.bincount(test.targets).max() / len(test)
    assert majority < 0.4
    assert acc > 0.5, acc
    assert acc > naive_bayes_accuracy(train, test) - 0.08


def test_char_lm_beats_the_unigram_model():
    sonnets = load_shakespeare("sonnets")
    tok = text.CharTokenizer().fit(sonnets)
    train, val = text.split_blocks(np.array(tok.encode(sonnets)), block=1024, every=10)
    unigram = text.unigram_perplexity(train, val, len(tok))
    ember.manual_seed(0)
    model = text.CharRNN(len(tok), embed_dim=32, hidden_size=64)
    before = text.perplexity(model, val, seq_len=128)
    text.fit_char_lm(model, train, steps=30, seq_len=32, batch_size=32, lr=1e-2)
    after = text.perplexity(model, val, seq_len=128)
    assert abs(before - len(tok)) < 0.3 * len(tok)       # untrained: about uniform
    assert 15 < unigram < 30
    assert after < 0.7 * unigram, (after, unigram)
