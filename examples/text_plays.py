"""Which Shakespeare play is a speech from? Word and BPE tokenizers, one bag-of-embeddings classifier.

The speeches of Hamlet, Macbeth, A Midsummer Night's Dream and Romeo and Juliet ship with ember
(``ember.text.datasets.ShakespearePlays``: speaker names and stage directions removed, every fifth
run of 20 speeches held out). The same ``TextClassifier`` (mean of token embeddings, one linear
layer) is trained twice: on ``basic_english`` words, and on subword tokens of a ``BPETokenizer``
trained on the training speeches. Both are compared with the majority class; the BPE tokenizer is
saved as JSON and loaded back, and shows how it cuts a line it has never seen.

Run: ``python examples/text_plays.py`` (under a minute on a CPU).
"""
import os
import tempfile

import numpy as np

import ember
from ember import text
from ember.text.datasets import ShakespearePlays

ember.manual_seed(0)
train, test = ShakespearePlays("train"), ShakespearePlays("test")
print(f"{len(train)} training and {len(test)} test speeches from {', '.join(train.classes)}; majority class "
      f"{np.bincount(test.targets).max() / len(test) * 100:.1f}% of the test set")

words = text.WordTokenizer().fit(train.texts, min_freq=2)
bpe = text.BPETokenizer.train(train.texts, vocab_size=2000, min_frequency=2)
path = os.path.join(tempfile.mkdtemp(), "bpe.json")
bpe.save(path)
bpe = text.BPETokenizer.load(path)
line = "Now is the winter of our discontent made glorious summer"
print(f"BPE ({len(bpe)} tokens) cuts an unseen line as: {bpe.tokenize(line)}")

for name, tok in (("words", words), ("BPE", bpe)):
    xtr = [tok.encode(t) for t in train.texts]
    xte = [tok.encode(t) for t in test.texts]
    model = text.TextClassifier(len(tok), 32, len(train.classes))
    text.fit_classifier(model, xtr, train.targets, epochs=4, batch_size=32, lr=1e-2)
    acc = text.classifier_accuracy(model, xte, test.targets)
    print(f"{name:>5}: {len(tok)} tokens, {np.mean([len(x) for x in xte]):.1f} tokens per speech, "
          f"test accuracy {acc * 100:.1f}%")
