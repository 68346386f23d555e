"""basic_english on hand-worked cases of torchtext's documented rules; char and word tokenizers
round-trip real text and save as JSON."""
import json

import pytest

from ember.text import CharTokenizer, WordTokenizer, basic_english, get_tokenizer
from ember.text.datasets import load_shakespeare


@pytest.mark.parametrize("line, tokens", [
    ("Hello, World!", ["hello", ",", "world", "!"]),
    ('He said "yes" (twice).', ["he", "said", "yes", "(", "twice", ")", "."]),
    ("a;b:c<br />d   e\tf\ng", ["a", "b", "c", "d", "e", "f", "g"]),
    ("'Tis NOW struck twelve?", ["'", "tis", "now", "struck", "twelve", "?"]),
    ("", []),
])
def test_basic_english(line, tokens):
    assert basic_english(line) == tokens
    assert get_tokenizer("basic_english")(line) == tokens


def test_get_tokenizer_choices():
    assert get_tokenizer(None)("a  b\nc") == ["a", "b", "c"]
    assert get_tokenizer("char")("ab ") == ["a", "b", " "]
    assert get_tokenizer(str.upper) is str.upper
    with pytest.raises(ValueError, match="expected 'basic_english', 'char', None or a callable, got 'spacy'"):
        get_tokenizer("spacy")


def test_char_tokenizer_round_trips_shakespeare(tmp_path):
    text = load_shakespeare("macbeth")
    tok = CharTokenizer().fit(text)
    assert len(tok) == len(set(text)) + 1 and tok.vocab["<unk>"] == 0
    ids = tok.encode(text)
    assert len(ids) == len(text) and tok.decode(ids) == text
    assert tok.encode("\u00e9") == [0]
    tok.save(tmp_path / "char.json")
    assert json.loads((tmp_path / "char.json").read_text())["type"] == "CharTokenizer"
    again = CharTokenizer.load(tmp_path / "char.json")
    assert again.encode(text[:500]) == ids[:500]
    with pytest.raises(ValueError, match="holds a 'CharTokenizer', not a WordTokenizer"):
        WordTokenizer.load(tmp_path / "char.json")


def test_word_tokenizer_vocabulary_and_unknowns(tmp_path):
    tok = WordTokenizer().fit(["To be, or not to be: that is the question.", "To sleep, perchance to dream"],
                              min_freq=2)
    assert tok.vocab.get_itos() == ["<unk>", "to", ",", "be"]
    assert tok.decode(tok.encode("To be, or not")) == "to be , <unk> <unk>"
    tok.save(tmp_path / "w.json")
    assert WordTokenizer.load(tmp_path / "w.json").encode("be to") == tok.encode("be to")
    with pytest.raises(RuntimeError, match="WordTokenizer: no vocabulary yet; call fit"):
        WordTokenizer().encode("x")
