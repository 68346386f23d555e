"""``Vocab``: a two-way map between tokens and indices, as ``torchtext.vocab``.

``build_vocab_from_iterator`` counts the tokens of an iterable of token lists and keeps those
seen at least ``min_freq`` times, most frequent first (ties in alphabetical order, as
torchtext), after the ``specials`` (or before them with ``special_first=False``); ``max_tokens``
caps the size, specials included. Looking up a token that is not in the vocabulary raises,
unless ``set_default_index`` gave an index for unknown tokens (usually that of ``"<unk>"``).

A vocabulary saves as JSON (``save``/``load``): the token list and the default index.

>>> vocab = build_vocab_from_iterator([["a", "b", "b"], ["c", "b", "a"]], specials=["<unk>"])
>>> vocab.get_itos()
['<unk>', 'b', 'a', 'c']
>>> vocab.set_default_index(vocab["<unk>"])
>>> vocab(["b", "zebra"])
[1, 0]
"""
import collections
import json

from ember.io.atomic import write_atomic

__all__ = ["Vocab", "build_vocab_from_iterator", "vocab"]


class Vocab:
    """Tokens ``itos`` (index to string) and their indices ``stoi``.

    Args:
        tokens (iterable of str): the tokens in index order, each once.
        default_index (int, optional): returned for tokens that are not in the vocabulary.
    """

    def __init__(self, tokens, default_index=None):
        self._itos = []
        self._stoi = {}
        for t in tokens:
            self.append_token(t)
        self._default = None
        if default_index is not None:
            self.set_default_index(default_index)

    def __len__(self):
        return len(self._itos)

    def __contains__(self, token):
        return token in self._stoi

    def __getitem__(self, token):
        index = self._stoi.get(token)
        if index is not None:
            return index
        if self._default is None:
            raise RuntimeError(f"Vocab: token {token!r} not found and the default index is not set "
                               f"(call set_default_index, e.g. with the index of '<unk>')")
        return self._default

    def __call__(self, tokens):
        return self.lookup_indices(tokens)

    def __iter__(self):
        return iter(self._itos)

    def __eq__(self, other):
        return isinstance(other, Vocab) and self._itos == other._itos and self._default == other._default

    def __repr__(self):
        return f"Vocab(size={len(self)}, default_index={self._default})"

    def set_default_index(self, index):
        """Index for out-of-vocabulary tokens, or ``None`` to raise on them."""
        if index is not None and not 0 <= index < len(self):
            raise ValueError(f"Vocab.set_default_index: index must be in [0, {len(self) - 1}], got {index}")
        self._default = index

    def get_default_index(self):
        return self._default

    def append_token(self, token):
        """Add ``token`` at the end; it must not be in the vocabulary yet."""
        if not isinstance(token, str):
            raise TypeError(f"Vocab: tokens must be str, got {type(token).__name__} {token!r}")
        if token in self._stoi:
            raise RuntimeError(f"Vocab.append_token: token {token!r} already exists in the Vocab with index "
                               f"{self._stoi[token]}")
        self._stoi[token] = len(self._itos)
        self._itos.append(token)

    def insert_token(self, token, index):
        """Insert ``token`` at ``index``, shifting the tokens from there by one."""
        if token in self._stoi:
            raise RuntimeError(f"Vocab.insert_token: token {token!r} already exists with index {self._stoi[token]}")
        if not 0 <= index <= len(self):
            raise ValueError(f"Vocab.insert_token: index must be in [0, {len(self)}], got {index}")
        self._itos.insert(index, token)
        self._stoi = {t: i for i, t in enumerate(self._itos)}
        if self._default is not None and self._default >= index:
            self._default += 1

    def lookup_token(self, index):
        if not 0 <= index < len(self):
            raise RuntimeError(f"Vocab.lookup_token: index {index} is out of range [0, {len(self) - 1}]")
        return self._itos[index]

    def lookup_tokens(self, indices):
        return [self.lookup_token(int(i)) for i in indices]

    def lookup_indices(self, tokens):
        return [self[t] for t in tokens]

    def get_stoi(self):
        return dict(self._stoi)

    def get_itos(self):
        return list(self._itos)

    def to_dict(self):
        return {"itos": list(self._itos), "default_index": self._default}

    @classmethod
    def from_dict(cls, data):
        return cls(data["itos"], data.get("default_index"))

    def save(self, path):
        """Write the vocabulary as JSON (atomically)."""
        write_atomic(path, json.dumps(self.to_dict(), ensure_ascii=False).encode("utf-8"))

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls.from_dict(json.load(f))


def vocab(ordered_dict, min_freq=1, specials=None, special_first=True):
    """A ``Vocab`` of the keys of ``ordered_dict`` (token -> count) with count ``>= min_freq``, in its order."""
    specials = list(specials or [])
    tokens = [t for t, c in ordered_dict.items() if c >= min_freq and t not in specials]
    return Vocab(specials + tokens if special_first else tokens + specials)


def build_vocab_from_iterator(iterator, min_freq=1, specials=None, special_first=True, max_tokens=None):
    """A ``Vocab`` from an iterable of token lists, most frequent first.

    Args:
        iterator: yields lists (or iterables) of tokens.
        min_freq (int): keep tokens seen at least this often.
        specials (list[str], optional): tokens added whatever their counts, e.g. ``["<unk>", "<pad>"]``.
        special_first (bool): put the specials at the start (else at the end).
        max_tokens (int, optional): at most this many tokens, specials included.
    """
    if min_freq < 1:
        raise ValueError(f"build_vocab_from_iterator: min_freq must be >= 1, got {min_freq}")
    counter = collections.Counter()
    for tokens in iterator:
        counter.update(tokens)
    specials = list(specials or [])
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    if max_tokens is not None:
        if max_tokens < len(specials):
            raise ValueError(f"build_vocab_from_iterator: max_tokens={max_tokens} is smaller than the "
                             f"{len(specials)} specials")
        kept = [kv for kv in ranked if kv[0] not in specials][:max_tokens - len(specials)]
        ranked = kept
    return vocab(collections.OrderedDict(ranked), min_freq, specials, special_first)
