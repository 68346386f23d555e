"""torchtext.data.utils: tokenizers by name and n-grams of a token list.

>>> list(ngrams_iterator(["here", "we", "are"], 2))
['here', 'we', 'are', 'here we', 'we are']
"""
from ember.text.tokenizers import get_tokenizer

__all__ = ["get_tokenizer", "ngrams_iterator"]


def ngrams_iterator(token_list, ngrams):
    """Yield the tokens, then every run of 2 .. ``ngrams`` consecutive tokens joined by spaces
    (all the bigrams, then all the trigrams ...), as torchtext orders them."""
    if ngrams < 1:
        raise ValueError(f"ngrams_iterator: ngrams must be >= 1, got {ngrams}")
    token_list = list(token_list)
    yield from token_list
    for n in range(2, ngrams + 1):
        for i in range(len(token_list) - n + 1):
            yield " ".join(token_list[i:i + n])
