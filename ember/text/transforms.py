"""torchtext.transforms: text pipelines as modules (each wraps ember.text.functional or a Vocab).

>>> from ember.text import build_vocab_from_iterator
>>> vocab = build_vocab_from_iterator([["a", "b"]], specials=["<pad>", "<bos>"])
>>> pipe = Sequential(VocabTransform(vocab), Truncate(2), AddToken(vocab["<bos>"]), ToTensor(padding_value=0))
>>> pipe([["a", "b", "a"], ["b"]]).tolist()
[[1, 2, 3], [1, 3, 0]]
"""
from ember import nn
from ember.text import functional as F

__all__ = ["VocabTransform", "Truncate", "AddToken", "ToTensor", "PadTransform", "StrToIntTransform",
           "Sequential"]


class VocabTransform(nn.Module):
    """Tokens (or a batch of token lists) -> their ids in ``vocab``."""

    def __init__(self, vocab):
        super().__init__()
        self.vocab = vocab

    def forward(self, input):
        if input and isinstance(input[0], (list, tuple)):
            return [self.vocab.lookup_indices(list(row)) for row in input]
        return self.vocab.lookup_indices(list(input))


class Truncate(nn.Module):
    def __init__(self, max_seq_len):
        super().__init__()
        self.max_seq_len = max_seq_len

    def forward(self, input):
        return F.truncate(input, self.max_seq_len)


class AddToken(nn.Module):
    def __init__(self, token, begin=True):
        super().__init__()
        self.token, self.begin = token, begin

    def forward(self, input):
        return F.add_token(input, self.token, self.begin)


class ToTensor(nn.Module):
    def __init__(self, padding_value=None, dtype=None):
        super().__init__()
        self.padding_value, self.dtype = padding_value, dtype

    def forward(self, input):
        return F.to_tensor(input, self.padding_value, self.dtype)


class PadTransform(nn.Module):
    """Pads the last dimension of a tensor at its end with ``pad_value`` up to ``max_length``
    (longer inputs are left as they are)."""

    def __init__(self, max_length, pad_value):
        super().__init__()
        self.max_length, self.pad_value = max_length, pad_value

    def forward(self, x):
        missing = self.max_length - x.size(-1)
        if missing <= 0:
            return x
        return nn.functional.pad(x, (0, missing), value=self.pad_value)


class StrToIntTransform(nn.Module):
    """Strings (or a batch of string lists) -> ints."""

    def forward(self, input):
        if input and isinstance(input[0], (list, tuple)):
            return [[int(s) for s in row] for row in input]
        return [int(s) for s in input]


class Sequential(nn.Sequential):
    """Transforms applied in order (nn.Sequential that passes lists as well as tensors)."""
