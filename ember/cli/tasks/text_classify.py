"""``ember train --task text-classify``: which Shakespeare play is a speech from? A bag-of-embeddings
classifier (``ember.text.TextClassifier``) over ``basic_english`` words, trained on the speeches of
Hamlet, Macbeth, A Midsummer Night's Dream and Romeo and Juliet that ship with ember
(``ember.text.datasets.ShakespearePlays``); reports held-out accuracy against the majority class
and saves the model and its tokenizer (``NAME.tokenizer.json``).

Load and predict::

    import ember
    from ember.text import TextClassifier, WordTokenizer, collate_bags
    tok = WordTokenizer.load("ember-text-classifier.tokenizer.json")
    model = TextClassifier(len(tok), 32, 4)
    model.load_state_dict(ember.load("ember-text-classifier.safetensors"))
    model.eval()
    play = model(*collate_bags([tok.encode("Out, damned spot! out, I say!")])).argmax(1)
"""
import os
import time

import numpy as np

DEFAULTS = {"epochs": 5, "batch_size": 32, "lr": 1e-2, "out": "ember-text-classifier.safetensors"}
EMBED_DIM = 32


def _fail(message):
    raise SystemExit(f"ember train --task text-classify: error: {message}")


def tokenizer_path(out):
    stem = out[:-len(".safetensors")] if out.endswith(".safetensors") else out
    return stem + ".tokenizer.json"


def run(args):
    import ember
    from ember import text
    from ember.text.datasets import ShakespearePlays
    from ..train import validate
    if getattr(args, "resume", False):
        _fail("--resume is not supported by this task (a run takes seconds)")
    if args.data_root is not None:
        _fail("--data-root is not used: the task trains on the Shakespeare that ships with ember")
    validate(args)
    ember.manual_seed(args.seed)
    train, test = ShakespearePlays("train"), ShakespearePlays("test")
    tok = text.WordTokenizer().fit(train.texts, min_freq=2)
    xtr, xte = [tok.encode(t) for t in train.texts], [tok.encode(t) for t in test.texts]
    print(f"ember {ember.__version__}: which play is a speech from? {len(train)} training and {len(test)} test "
          f"speeches of {', '.join(train.classes)}; {len(tok)} words")
    model = text.TextClassifier(len(tok), EMBED_DIM, len(train.classes))
    start = time.perf_counter()

    def report(epoch, loss):
        acc = text.classifier_accuracy(model, xte, test.targets)
        print(f"epoch {epoch + 1}/{args.epochs}: train loss {loss:.4f}, test accuracy {acc * 100:.2f}%")
    text.fit_classifier(model, xtr, train.targets, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                        seed=args.seed, on_epoch=report)
    acc = text.classifier_accuracy(model, xte, test.targets)
    majority = np.bincount(test.targets).max() / len(test)
    print(f"test accuracy: {acc * 100:.2f}% ({int(round(acc * len(test)))}/{len(test)}; majority class "
          f"{majority * 100:.2f}%, chance 25%) after {args.epochs} epochs in {time.perf_counter() - start:.1f}s")
    if args.out:
        ember.save(model.state_dict(), args.out)
        tok.save(tokenizer_path(args.out))
        print(f"saved the model to {os.path.abspath(args.out)} and its tokenizer to "
              f"{os.path.abspath(tokenizer_path(args.out))}")
    return 0
