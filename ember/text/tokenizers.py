"""Character and word tokenizers with their vocabularies.

``get_tokenizer("basic_english")`` is torchtext's rule-based English tokenizer: lowercase, put
spaces around ``' . , ( ) ! ?``, drop ``"``, turn ``<br />``, ``;``, ``:`` and runs of whitespace
into single spaces, split on spaces. ``get_tokenizer("char")`` splits into characters and
``get_tokenizer(None)`` on whitespace.

``CharTokenizer`` and ``WordTokenizer`` pair such a split with a ``Vocab`` learnt by ``fit``:
``encode`` maps text to indices (unknown tokens to ``"<unk>"``), ``decode`` maps indices back.
A character tokenizer's round trip is exact for every character it was fitted on; a word
tokenizer's ``decode`` joins the words with spaces. Both save as JSON.

>>> tok = CharTokenizer().fit(["hello world"])
>>> tok.decode(tok.encode("hold the door"))
'hold <unk>he door'
>>> get_tokenizer("basic_english")("Don't PANIC: it's (only) a test!")
['don', "'", 't', 'panic', 'it', "'", 's', '(', 'only', ')', 'a', 'test', '!']
"""
import json
import re

from ember.io.atomic import write_atomic
from ember.text.vocab import Vocab, build_vocab_from_iterator

__all__ = ["get_tokenizer", "basic_english", "CharTokenizer", "WordTokenizer"]

_BASIC_ENGLISH = [(re.compile(p), r) for p, r in (
    (r"\'", " '  "), (r"\"", ""), (r"\.", " . "), (r"<br \/>", " "), (r",", " , "), (r"\(", " ( "),
    (r"\)", " ) "), (r"\!", " ! "), (r"\?", " ? "), (r"\;", " "), (r"\:", " "), (r"\s+", " "))]


def basic_english(line):
    """torchtext's ``basic_english`` tokenizer (see the module docstring)."""
    line = line.lower()
    for pattern, replacement in _BASIC_ENGLISH:
        line = pattern.sub(replacement, line)
    return line.split()


def _chars(text):
    return list(text)


def get_tokenizer(tokenizer):
    """A function ``str -> list[str]``: ``"basic_english"``, ``"char"``, ``None`` (whitespace split)
    or any callable (returned as is)."""
    if tokenizer is None:
        return str.split
    if callable(tokenizer):
        return tokenizer
    if tokenizer == "basic_english":
        return basic_english
    if tokenizer == "char":
        return _chars
    raise ValueError(f"get_tokenizer: expected 'basic_english', 'char', None or a callable, got {tokenizer!r}")


class _VocabTokenizer:
    """A split function plus a vocabulary learnt from text."""

    kind = None
    joiner = ""

    def __init__(self, vocab=None, unk_token="<unk>"):
        self.unk_token = unk_token
        self.vocab = vocab

    def __len__(self):
        return len(self._fitted())

    def split(self, text):
        raise NotImplementedError

    def __call__(self, text):
        return self.split(text)

    def fit(self, texts, min_freq=1, max_tokens=None, specials=()):
        """Learn the vocabulary from an iterable of strings; ``"<unk>"`` (index 0) and ``specials`` come first."""
        if isinstance(texts, str):
            texts = [texts]
        specials = [self.unk_token] + [s for s in specials if s != self.unk_token]
        self.vocab = build_vocab_from_iterator((self.split(t) for t in texts), min_freq=min_freq,
                                               specials=specials, max_tokens=max_tokens)
        self.vocab.set_default_index(self.vocab[self.unk_token])
        return self

    def _fitted(self):
        if self.vocab is None:
            raise RuntimeError(f"{type(self).__name__}: no vocabulary yet; call fit(texts) first")
        return self.vocab

    def encode(self, text):
        """Indices of the tokens of ``text``."""
        return self._fitted()(self.split(text))

    def decode(self, indices):
        """The tokens of ``indices``, joined."""
        return self.joiner.join(self._fitted().lookup_tokens(indices))

    def to_dict(self):
        return {"type": type(self).__name__, "unk_token": self.unk_token, "vocab": self._fitted().to_dict(),
                **self._config()}

    def _config(self):
        return {}

    def save(self, path):
        """Write the tokenizer as JSON (atomically)."""
        write_atomic(path, json.dumps(self.to_dict(), ensure_ascii=False).encode("utf-8"))

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if data.get("type") != cls.__name__:
            raise ValueError(f"{cls.__name__}.load: {path} holds a {data.get('type')!r}, not a {cls.__name__}")
        return cls._from_dict(data)

    @classmethod
    def _from_dict(cls, data):
        return cls(vocab=Vocab.from_dict(data["vocab"]), unk_token=data["unk_token"])

    def __repr__(self):
        size = "unfitted" if self.vocab is None else f"vocab_size={len(self.vocab)}"
        return f"{type(self).__name__}({size})"


class CharTokenizer(_VocabTokenizer):
    """Characters as tokens: ``encode("ab") == [vocab["a"], vocab["b"]]``."""

    def split(self, text):
        return list(text)


class WordTokenizer(_VocabTokenizer):
    """Words as tokens, split by ``basic_english`` (default) or by whitespace (``tokenizer=None``)."""

    joiner = " "

    def __init__(self, vocab=None, unk_token="<unk>", tokenizer="basic_english"):
        super().__init__(vocab, unk_token)
        if tokenizer not in ("basic_english", None):
            raise ValueError(f"WordTokenizer: tokenizer must be 'basic_english' or None, got {tokenizer!r}")
        self.tokenizer = tokenizer
        self._split = get_tokenizer(tokenizer)

    def split(self, text):
        return self._split(text)

    def _config(self):
        return {"tokenizer": self.tokenizer}

    @classmethod
    def _from_dict(cls, data):
        return cls(vocab=Vocab.from_dict(data["vocab"]), unk_token=data["unk_token"], tokenizer=data["tokenizer"])
