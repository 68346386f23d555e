"""BPETokenizer.train against a textbook BPE written here (recount every pair after each merge,
replay merges in order to encode): same merges, same tokens; exact round trips; JSON save/load."""
import collections
import re

import pytest

from ember.text import BPETokenizer, pre_tokenize
from ember.text.datasets import load_shakespeare


def naive_bpe(text, vocab_size, min_frequency, n_specials=1):
    words = collections.Counter(re.findall(r" ?\w+| ?[^\s\w]+|\s+(?!\S)|\s+", text))
    corpus = {w: list(w) for w in words}
    size = n_specials + len({c for w in words for c in w})
    merges = []
    while size < vocab_size:
        pairs = collections.Counter()
        for w, syms in corpus.items():
            for k in range(len(syms) - 1):
                pairs[syms[k], syms[k + 1]] += words[w]
        if not pairs:
            break
        best = max(pairs.values())
        if best < min_frequency:
            break
        a, b = min(p for p, c in pairs.items() if c == best)
        merges.append((a, b))
        size += 1
        for w, syms in corpus.items():
            out, k = [], 0
            while k < len(syms):
                if k + 1 < len(syms) and (syms[k], syms[k + 1]) == (a, b):
                    out.append(a + b)
                    k += 2
                else:
                    out.append(syms[k])
                    k += 1
            corpus[w] = out
    return merges


def replay(merges, chunk):
    syms = list(chunk)
    for a, b in merges:
        out, k = [], 0
        while k < len(syms):
            if k + 1 < len(syms) and syms[k] == a and syms[k + 1] == b:
                out.append(a + b)
                k += 2
            else:
                out.append(syms[k])
                k += 1
        syms = out
    return syms


SONNETS = load_shakespeare("sonnets")


@pytest.mark.parametrize("vocab_size, min_frequency", [(150, 2), (300, 3)])
def test_merges_and_tokens_match_the_textbook_algorithm(vocab_size, min_frequency):
    text = SONNETS[:6000]
    tok = BPETokenizer.train(text, vocab_size=vocab_size, min_frequency=min_frequency)
    merges = naive_bpe(text, vocab_size, min_frequency)
    assert tok.merges == merges
    assert len(tok) <= vocab_size
    probe = SONNETS[20000:22000]
    expected = [s for chunk in re.findall(r" ?\w+| ?[^\s\w]+|\s+(?!\S)|\s+", probe) for s in replay(merges, chunk)]
    known = set(text)
    expected = [s if len(s) > 1 or s in known else "<unk>" for s in expected]
    assert tok.tokenize(probe) == expected


def test_round_trip_and_compression():
    text = SONNETS[:40000]
    tok = BPETokenizer.train(text, vocab_size=500)
    assert len(tok) == 500
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert len(ids) < 0.5 * len(text)              # merges shorten the sequence
    alphabet = set(text)
    rest = "".join(c for c in SONNETS[60000:] if c in alphabet)   # unseen text, seen characters
    assert tok.decode(tok.encode(rest)) == rest          # merges shorten the sequence
    assert tok.encode("Shall I compare thee") == tok.encode("Shall I compare thee")
    assert tok.decode(tok.encode("caf\u00e9 \u00e9")) == "caf "          # unknown characters are <unk>
    assert tok.decode(tok.encode("caf\u00e9"), skip_special_tokens=False) == "caf<unk>"


def test_pre_tokenize_keeps_every_character():
    text = "  Hello,  world!!\n\n\tIt's 42 o'clock  "
    chunks = pre_tokenize(text)
    assert "".join(chunks) == text
    assert " world" in chunks and "!!" in chunks


def test_save_load_json(tmp_path):
    tok = BPETokenizer.train(SONNETS[:5000], vocab_size=200, special_tokens=("<unk>", "<pad>"))
    tok.save(tmp_path / "bpe.json")
    again = BPETokenizer.load(tmp_path / "bpe.json")
    assert again.merges == tok.merges and again.vocab == tok.vocab
    assert again.encode(SONNETS[9000:10000]) == tok.encode(SONNETS[9000:10000])
    assert tok.vocab.get_itos()[:2] == ["<unk>", "<pad>"]


def test_vocab_size_below_the_alphabet_is_refused():
    with pytest.raises(ValueError, match=r"vocab_size=5 is smaller than the 1 special tokens plus the \d+ characters"):
        BPETokenizer.train(SONNETS[:1000], vocab_size=5)
