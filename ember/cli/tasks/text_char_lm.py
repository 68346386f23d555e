"""``ember train --task char-lm``: a character-level GRU language model (``ember.text.CharRNN``) on
Shakespeare's Sonnets, which ship with ember; every tenth block of 1,024 characters is held out.
Reports the held-out perplexity after each epoch against the unigram model's, writes a sample
from a prompt, and saves the model and its tokenizer (``NAME.tokenizer.json``).

An epoch is as many random windows of 64 characters as the training text holds
(``len(train) // (64 * batch_size)`` steps); the learning rate is cosine-annealed over the run.
"""
import os
import time

import numpy as np

DEFAULTS = {"epochs": 10, "batch_size": 32, "lr": 5e-3, "out": "ember-char-lm.safetensors"}
SEQ_LEN, EMBED_DIM, HIDDEN = 64, 32, 128
PROMPT = "Shall I compare thee"
SAMPLE_LENGTH = 160


def _fail(message):
    raise SystemExit(f"ember train --task char-lm: error: {message}")


def run(args):
    import ember
    from ember import text
    from ember.text.datasets import load_shakespeare
    from ..train import validate
    from .text_classify import tokenizer_path
    if getattr(args, "resume", False):
        _fail("--resume is not supported by this task")
    if args.data_root is not None:
        _fail("--data-root is not used: the task trains on the Sonnets that ship with ember")
    validate(args)
    ember.manual_seed(args.seed)
    corpus = load_shakespeare("sonnets")
    tok = text.CharTokenizer().fit(corpus)
    train, val = text.split_blocks(np.array(tok.encode(corpus)), block=1024, every=10)
    unigram = text.unigram_perplexity(train, val, len(tok))
    steps_per_epoch = max(len(train) // (SEQ_LEN * args.batch_size), 1)
    print(f"ember {ember.__version__}: character GRU on Shakespeare's Sonnets ({len(train)} training, {len(val)} "
          f"held-out characters, {len(tok)} symbols; unigram perplexity {unigram:.2f})")
    model = text.CharRNN(len(tok), EMBED_DIM, HIDDEN)
    start = time.perf_counter()

    history = []

    def report(step, loss):
        history.append(text.perplexity(model, val, seq_len=256))
        print(f"epoch {len(history)}/{args.epochs}: train loss {loss:.4f}, held-out perplexity {history[-1]:.3f}")
    text.fit_char_lm(model, train, steps=args.epochs * steps_per_epoch, seq_len=SEQ_LEN, batch_size=args.batch_size,
                     lr=args.lr, seed=args.seed, on_step=report, every=steps_per_epoch)
    ppl = history[-1] if history else text.perplexity(model, val, seq_len=256)
    print(f"held-out perplexity: {ppl:.3f} (unigram {unigram:.2f}, uniform {len(tok)}) after {args.epochs} epochs "
          f"in {time.perf_counter() - start:.1f}s")
    sample = model.generate(tok.encode(PROMPT), SAMPLE_LENGTH, temperature=0.8, generator=np.random.default_rng(args.seed))
    print("sample:\n" + tok.decode(sample))
    if args.out:
        ember.save(model.state_dict(), args.out)
        tok.save(tokenizer_path(args.out))
        print(f"saved the model to {os.path.abspath(args.out)} and its tokenizer to "
              f"{os.path.abspath(tokenizer_path(args.out))}")
    return 0
