"""Text: tokenizers, vocabularies, a text classifier and a character language model, with
text that ships with ember (five works of Shakespeare, public domain).

- tokenizers: ``get_tokenizer("basic_english")`` (torchtext's rules), ``CharTokenizer``,
  ``WordTokenizer`` and ``BPETokenizer.train`` (byte-pair encoding over characters), each with
  ``encode``/``decode`` and JSON ``save``/``load``;
- vocabularies: ``Vocab`` and ``build_vocab_from_iterator`` (as torchtext);
- data: ``ember.text.datasets.load_shakespeare`` and ``ShakespearePlays`` (which play is a
  speech from?);
- models: ``TextClassifier`` (bag of embeddings) and ``CharRNN`` (GRU), trained with
  ``fit_classifier`` and ``fit_char_lm``, judged by accuracy and ``perplexity``.

>>> from ember import text
>>> vocab = text.build_vocab_from_iterator([text.get_tokenizer("basic_english")("To be, or not to be")])
>>> vocab.get_itos()
['be', 'to', ',', 'not', 'or']
"""
from ember.text.bpe import BPETokenizer, pre_tokenize
from ember.text.models import CharRNN, TextClassifier, collate_bags
from ember.text.tokenizers import CharTokenizer, WordTokenizer, basic_english, get_tokenizer
from ember.text.training import (classifier_accuracy, fit_char_lm, fit_classifier, perplexity, split_blocks,
                                 unigram_perplexity)
from ember.text.vocab import Vocab, build_vocab_from_iterator

__all__ = ["BPETokenizer", "pre_tokenize", "CharRNN", "TextClassifier", "collate_bags", "CharTokenizer",
           "WordTokenizer", "basic_english", "get_tokenizer", "classifier_accuracy", "fit_char_lm",
           "fit_classifier", "perplexity", "split_blocks", "unigram_perplexity", "Vocab",
           "build_vocab_from_iterator"]
