"""torchtext.data's names: ``ember.text.data.utils`` (get_tokenizer, ngrams_iterator) and
``ember.text.data.functional`` (to_map_style_dataset, simple_space_split,
numericalize_tokens_from_iterator)."""
from ember.text.data.functional import numericalize_tokens_from_iterator, simple_space_split, to_map_style_dataset
from ember.text.data.utils import get_tokenizer, ngrams_iterator

__all__ = ["get_tokenizer", "ngrams_iterator", "to_map_style_dataset", "simple_space_split",
           "numericalize_tokens_from_iterator"]
