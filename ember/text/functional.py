"""torchtext.functional: batches of token ids to tensors, truncation and added tokens.

>>> to_tensor([[1, 2, 3], [4]], padding_value=0).tolist()
[[1, 2, 3], [4, 0, 0]]
>>> truncate([[1, 2, 3], [4]], 2), add_token([1, 2], 0)
([[1, 2], [4]], [0, 1, 2])
"""
import ember

__all__ = ["to_tensor", "truncate", "add_token"]


def _is_batch(x):
    return isinstance(x, (list, tuple)) and len(x) > 0 and isinstance(x[0], (list, tuple))


def to_tensor(input, padding_value=None, dtype=None):
    """One sequence of ids -> a 1-D tensor; a batch -> a 2-D tensor, shorter rows padded at the
    end with ``padding_value`` (needed when the rows differ in length)."""
    dtype = ember.long if dtype is None else dtype
    if not _is_batch(input):
        return ember.tensor(list(input), dtype=dtype)
    longest = max(len(row) for row in input)
    if padding_value is None and any(len(row) != longest for row in input):
        raise ValueError("to_tensor: rows of different lengths need a padding_value, got lengths "
                         f"{sorted({len(row) for row in input})}")
    return ember.tensor([list(row) + [padding_value] * (longest - len(row)) for row in input], dtype=dtype)


def truncate(input, max_seq_len):
    """Each sequence (or the one sequence) cut to its first ``max_seq_len`` items."""
    if _is_batch(input):
        return [list(row)[:max_seq_len] for row in input]
    return list(input)[:max_seq_len]


def add_token(input, token_id, begin=True):
    """``token_id`` put at the start (``begin=True``) or the end of each sequence."""
    if _is_batch(input):
        return [add_token(row, token_id, begin) for row in input]
    return [token_id, *input] if begin else [*input, token_id]
