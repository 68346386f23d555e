"""``torch.cond`` and ``torch.while_loop``: data-dependent control flow written as functions.

PyTorch captures these as single graph ops for ``torch.compile`` and export; run eagerly (as
ember runs everything) they are the ``if`` and the ``while`` they stand for, with PyTorch's
argument checks. Gradients flow through the branch taken and the iterations run.

>>> import ember
>>> x = ember.tensor([1.0, 2.0])
>>> cond(x.sum() > 0, lambda a: a * 2, lambda a: a - 1, (x,))
tensor([2., 4.])
>>> while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * 2), (ember.tensor(0), ember.tensor(1.0)))
(tensor(3), tensor(8.))
"""
from ember.autograd import Tensor

__all__ = ["cond", "while_loop"]


def _truth(pred, what):
    if isinstance(pred, Tensor):
        if pred.numel() != 1:
            raise RuntimeError(f"Expected {what} to be bool or single-element tensor, but got {pred}.")
        return bool(pred.item())
    if not isinstance(pred, (bool, int, float)):
        raise RuntimeError(f"Expected {what} to be bool or single-element tensor, but got {type(pred).__name__}.")
    return bool(pred)


def cond(pred, true_fn, false_fn, operands=()):
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)``."""
    if not (callable(true_fn) and callable(false_fn)):
        raise RuntimeError("Expect both branches to be callable.")
    if not isinstance(operands, (tuple, list)):
        raise RuntimeError(f"Expect operands to be a tuple of possibly nested dict/list/tuple, got "
                           f"{type(operands).__name__}")
    return true_fn(*operands) if _truth(pred, "pred") else false_fn(*operands)


def while_loop(cond_fn, body_fn, carried_inputs):
    """Run ``carried = body_fn(*carried)`` while ``cond_fn(*carried)``; returns the final ``carried``."""
    if not (callable(cond_fn) and callable(body_fn)):
        raise RuntimeError("Expect cond_fn and body_fn to be callable.")
    if not isinstance(carried_inputs, (tuple, list)):
        raise RuntimeError(f"carried_inputs must be a tuple but got {type(carried_inputs).__name__}")
    carried = tuple(carried_inputs)
    while _truth(cond_fn(*carried), "cond_fn's output"):
        out = body_fn(*carried)
        out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        if len(out) != len(carried):
            raise RuntimeError(f"body_fn should return the same number of elements as carried_inputs: got "
                               f"{len(out)}, expected {len(carried)}")
        carried = out
    return carried
