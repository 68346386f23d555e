"""Vocab and build_vocab_from_iterator against a direct Counter reference of torchtext's rules
(frequency descending, ties alphabetical, specials first or last, min_freq, max_tokens)."""
import collections

import pytest

from ember.text import Vocab, build_vocab_from_iterator

DOCS = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat"], ["a", "cat", "and", "a", "dog"]]


def reference(docs, min_freq=1, specials=(), special_first=True, max_tokens=None):
    counts = collections.Counter(t for d in docs for t in d)
    kept = [t for t in sorted(counts, key=lambda t: (-counts[t], t)) if counts[t] >= min_freq and t not in specials]
    if max_tokens is not None:
        kept = kept[:max_tokens - len(specials)]
    return list(specials) + kept if special_first else kept + list(specials)


@pytest.mark.parametrize("kw", [{}, {"min_freq": 2}, {"specials": ["<unk>", "<pad>"]},
                                {"specials": ["<unk>"], "special_first": False},
                                {"specials": ["<unk>"], "max_tokens": 4}, {"min_freq": 3, "specials": ["the"]}])
def test_order_matches_reference(kw):
    v = build_vocab_from_iterator(DOCS, **kw)
    assert v.get_itos() == reference(DOCS, **kw)
    assert v.get_stoi() == {t: i for i, t in enumerate(v.get_itos())}


def test_lookup_default_index_and_errors():
    v = build_vocab_from_iterator(DOCS, specials=["<unk>"])
    assert v["the"] == 1 and "cat" in v and "zebra" not in v
    with pytest.raises(RuntimeError, match="token 'zebra' not found and the default index is not set"):
        v["zebra"]
    v.set_default_index(v["<unk>"])
    assert v(["cat", "zebra"]) == [v["cat"], 0]
    assert v.lookup_tokens([1, 2]) == v.get_itos()[1:3]
    with pytest.raises(RuntimeError, match=r"index 99 is out of range \[0, 8\]"):
        v.lookup_token(99)
    with pytest.raises(RuntimeError, match="already exists"):
        v.append_token("cat")
    with pytest.raises(ValueError, match="max_tokens=1 is smaller than the 2 specials"):
        build_vocab_from_iterator(DOCS, specials=["a", "b"], max_tokens=1)


def test_insert_token_shifts_indices_and_default():
    v = Vocab(["<unk>", "a", "b"], default_index=0)
    v.insert_token("<pad>", 0)
    assert v.get_itos() == ["<pad>", "<unk>", "a", "b"] and v["b"] == 3 and v["zzz"] == 1


def test_json_round_trip(tmp_path):
    v = build_vocab_from_iterator(DOCS + [["naïve", "café"]], specials=["<unk>"])
    v.set_default_index(0)
    v.save(tmp_path / "vocab.json")
    assert (tmp_path / "vocab.json").read_bytes().startswith(b"{")
    w = Vocab.load(tmp_path / "vocab.json")
    assert w == v and w["café"] == v["café"] and w["unseen"] == 0
