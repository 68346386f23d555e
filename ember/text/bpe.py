"""``BPETokenizer``: byte-pair encoding over characters (Sennrich et al., 2016), trained on your text.

Text is first cut into chunks that keep their leading space, as GPT-2 does (`` ?\\w+``,
`` ?[^\\s\\w]+`` and runs of whitespace), so joining the chunks gives the text back. Training starts
from the characters of the corpus as the alphabet and repeats, until the vocabulary has
``vocab_size`` tokens or no pair occurs ``min_frequency`` times:

    count every pair of adjacent symbols over all chunks (weighted by chunk frequency);
    merge the most frequent pair (ties: the alphabetically smallest pair) into a new symbol.

Encoding applies the learnt merges to each chunk, lowest-ranked (earliest learnt) pair first,
which gives the same symbols as replaying the merges in training order. Characters never seen
in training become ``unk_token``. ``decode(encode(text)) == text`` for any text whose characters
were in the training corpus. A trained tokenizer saves as JSON (vocabulary and merges).

>>> tok = BPETokenizer.train(["low lower lowest", "low low"], vocab_size=20, min_frequency=2)
>>> tok.merges[:3]
[('l', 'o'), ('lo', 'w'), (' ', 'low')]
>>> tok.decode(tok.encode("lowest low"))
'lowest low'
"""
import collections
import json
import re

from ember.io.atomic import write_atomic
from ember.text.vocab import Vocab

__all__ = ["BPETokenizer", "pre_tokenize"]

_CHUNK = re.compile(r" ?\w+| ?[^\s\w]+|\s+(?!\S)|\s+")


def pre_tokenize(text):
    """Chunks of ``text`` (words with their leading space, punctuation runs, whitespace); they join to ``text``."""
    return _CHUNK.findall(text)


def _merge_word(symbols, a, b, merged):
    out, k, n = [], 0, len(symbols)
    while k < n:
        if k + 1 < n and symbols[k] == a and symbols[k + 1] == b:
            out.append(merged)
            k += 2
        else:
            out.append(symbols[k])
            k += 1
    return out


class BPETokenizer:
    """A trained BPE model: ``encode(text) -> list[int]``, ``decode(ids) -> str``.

    Args:
        vocab (Vocab): tokens (specials, then the alphabet, then one per merge).
        merges (list[tuple[str, str]]): the merges in the order they were learnt.
        special_tokens (sequence of str): tokens never produced by merges (``unk_token`` first).
        unk_token (str): the token for characters outside the alphabet.
    """

    def __init__(self, vocab, merges, special_tokens=("<unk>",), unk_token="<unk>"):
        self.vocab = vocab
        self.merges = [tuple(m) for m in merges]
        self.special_tokens = list(special_tokens)
        self.unk_token = unk_token
        self._ranks = {m: r for r, m in enumerate(self.merges)}
        self._cache = {}
        if unk_token in vocab:
            vocab.set_default_index(vocab[unk_token])

    def __len__(self):
        return len(self.vocab)

    @classmethod
    def train(cls, texts, vocab_size=1000, min_frequency=2, special_tokens=("<unk>",), unk_token="<unk>"):
        """Learn merges from an iterable of strings (see the module docstring).

        Args:
            texts: strings (or one string).
            vocab_size (int): the largest vocabulary, specials and alphabet included.
            min_frequency (int): a pair must occur at least this often to be merged.
            special_tokens (sequence of str): reserved tokens, placed first.
        """
        if isinstance(texts, str):
            texts = [texts]
        specials = list(dict.fromkeys([unk_token] + list(special_tokens)))
        words = collections.Counter()
        for text in texts:
            words.update(pre_tokenize(text))
        alphabet = sorted({c for w in words for c in w})
        if vocab_size < len(specials) + len(alphabet):
            raise ValueError(f"BPETokenizer.train: vocab_size={vocab_size} is smaller than the "
                             f"{len(specials)} special tokens plus the {len(alphabet)} characters of the corpus")
        symbols = [list(w) for w in words]
        freq = list(words.values())
        counts = collections.defaultdict(int)
        where = collections.defaultdict(set)
        for w, syms in enumerate(symbols):
            for pair in zip(syms, syms[1:]):
                counts[pair] += freq[w]
                where[pair].add(w)
        merges = []
        size = len(specials) + len(alphabet)
        while size < vocab_size and counts:
            best = max(counts.values())
            if best < min_frequency:
                break
            a, b = min(p for p, c in counts.items() if c == best)
            merged = a + b
            merges.append((a, b))
            size += 1
            for w in where.pop((a, b)):
                old = symbols[w]
                if len(old) < 2:
                    continue
                new = _merge_word(old, a, b, merged)
                if len(new) == len(old):
                    continue
                for pair in zip(old, old[1:]):
                    counts[pair] -= freq[w]
                    if counts[pair] <= 0:
                        del counts[pair]
                for pair in zip(new, new[1:]):
                    counts[pair] += freq[w]
                    where[pair].add(w)
                symbols[w] = new
            counts.pop((a, b), None)
        tokens = specials + [c for c in alphabet if c not in specials]
        tokens += [a + b for a, b in merges if a + b not in set(tokens)]
        return cls(Vocab(list(dict.fromkeys(tokens))), merges, specials, unk_token)

    def _encode_chunk(self, chunk):
        cached = self._cache.get(chunk)
        if cached is not None:
            return cached
        syms = [c if c in self.vocab else self.unk_token for c in chunk]
        while len(syms) > 1:
            ranked = [(self._ranks.get(p, None), p) for p in zip(syms, syms[1:])]
            ranked = [rp for rp in ranked if rp[0] is not None]
            if not ranked:
                break
            _, (a, b) = min(ranked)
            syms = _merge_word(syms, a, b, a + b)
        if len(self._cache) < 100_000:
            self._cache[chunk] = syms
        return syms

    def tokenize(self, text):
        """The BPE tokens (strings) of ``text``."""
        return [s for chunk in pre_tokenize(text) for s in self._encode_chunk(chunk)]

    __call__ = tokenize

    def encode(self, text):
        """Token indices of ``text``."""
        return self.vocab(self.tokenize(text))

    def decode(self, ids, skip_special_tokens=True):
        """The text of ``ids`` (special tokens dropped unless ``skip_special_tokens=False``)."""
        tokens = self.vocab.lookup_tokens(ids)
        if skip_special_tokens:
            tokens = [t for t in tokens if t not in self.special_tokens]
        return "".join(tokens)

    def to_dict(self):
        return {"type": "BPETokenizer", "vocab": self.vocab.get_itos(), "merges": [list(m) for m in self.merges],
                "special_tokens": self.special_tokens, "unk_token": self.unk_token}

    def save(self, path):
        """Write the vocabulary and merges as JSON (atomically)."""
        write_atomic(path, json.dumps(self.to_dict(), ensure_ascii=False).encode("utf-8"))

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if data.get("type") != "BPETokenizer":
            raise ValueError(f"BPETokenizer.load: {path} holds a {data.get('type')!r}, not a BPETokenizer")
        return cls(Vocab(data["vocab"]), data["merges"], data["special_tokens"], data["unk_token"])

    def __repr__(self):
        return f"BPETokenizer(vocab_size={len(self.vocab)}, merges={len(self.merges)})"
