"""Hooks on the tensors an op saves for backward (``torch.autograd.graph.saved_tensors_hooks``).

Inside ``saved_tensors_hooks(pack_hook, unpack_hook)`` every tensor a recorded op saves for its gradient
rule goes through ``pack_hook(tensor) -> packed`` when the op runs; the node keeps ``packed`` (and the
hook pair in force then), and when backward reaches the node, ``unpack_hook(packed) -> tensor`` gives the
values its rule uses. Only the innermost context's pair applies. ``save_on_cpu`` is one such pair
(a copy on the CPU, which in ember is every tensor's home); ``allow_mutation_on_saved_tensors`` is
another (a copy at save time, so later in-place changes of the tensor do not reach the gradient).

Ember's rules read the saved tensors through the tensor objects they closed over, so the node runs
its rule with those tensors holding the unpacked values for the call and restores them after.

>>> import ember
>>> from ember.autograd.graph import saved_tensors_hooks
>>> x = ember.tensor([1.0, 2.0], requires_grad=True)
>>> with saved_tensors_hooks(lambda t: t, lambda t: t * 2):
...     y = (x * x).sum()
>>> y.backward()
>>> x.grad          # d(x*x) = x' g + x g, with each saved x read as 2x
tensor([4., 8.])
"""
import contextlib

__all__ = ["saved_tensors_hooks", "disable_saved_tensors_hooks", "save_on_cpu", "allow_mutation_on_saved_tensors"]

# The hook pairs in force, innermost last. ``None`` is the stand-in ``shadowed()`` pushes: inside it
# nothing is packed (activation checkpointing keeps the segment's tensors out of the user's hooks, as
# PyTorch's does with hooks of its own).
stack = []
_disabled = [None]   # the message of the innermost disable_saved_tensors_hooks, or None


class saved_tensors_hooks:
    """Context manager: pack and unpack every tensor an op saves for backward.

    Args:
        pack_hook: ``pack_hook(tensor) -> Any``, called when an op saves ``tensor``.
        unpack_hook: ``unpack_hook(packed) -> Tensor``, called when backward needs it; the tensor
            returned is what the gradient rule uses.
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _disabled[0] is not None:
            raise RuntimeError(_disabled[0])
        stack.append((self.pack_hook, self.unpack_hook))

    def __exit__(self, *exc):
        stack.pop()


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Inside it, entering ``saved_tensors_hooks`` raises ``RuntimeError(error_message)``; entering it while
    hooks are in force raises the same error, as PyTorch's does."""
    if stack and stack[-1] is not None:
        raise RuntimeError(error_message)
    previous, _disabled[0] = _disabled[0], error_message
    try:
        yield
    finally:
        _disabled[0] = previous


class save_on_cpu(saved_tensors_hooks):
    """Keep saved tensors on the CPU until backward needs them (PyTorch's memory saving for GPU training;
    ember's tensors are all on the CPU, so this saves a copy and gives it back)."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack(tensor):
            return tensor.device, tensor.detach().clone()

        def unpack(packed):
            device, tensor = packed
            return tensor.to(device)
        super().__init__(pack, unpack)


class _AllowMutationOnSavedContext:
    """The state of one ``allow_mutation_on_saved_tensors`` block."""

    def __init__(self):
        self.active = True


@contextlib.contextmanager
def allow_mutation_on_saved_tensors():
    """Inside it, a tensor saved for backward may be changed in place: the gradient uses its value at save
    time. Backward of a graph recorded inside must run inside too (PyTorch's AssertionError otherwise)."""
    ctx = _AllowMutationOnSavedContext()

    def pack(tensor):
        return tensor.detach().clone()

    def unpack(saved):
        if not ctx.active:
            raise AssertionError("Trying to backward outside of the 'allow_mutation_on_saved_tensors' context"
                                 "in which the graph was originally recorded.")
        return saved
    with saved_tensors_hooks(pack, unpack):
        try:
            yield ctx
        finally:
            ctx.active = False


@contextlib.contextmanager
def shadowed():
    """Nothing is packed inside (the user's hooks do not see these tensors)."""
    stack.append(None)
    try:
        yield
    finally:
        stack.pop()


def pack(tensors):
    """``[(unpack_hook, packed), ...]`` for ``tensors`` under the innermost hooks, or None without hooks."""
    hooks = stack[-1]
    if hooks is None:
        return None
    pack_hook, unpack_hook = hooks
    stack.append(None)   # what the hook itself computes is not packed again
    try:
        return [(unpack_hook, pack_hook(t)) for t in tensors]
    finally:
        stack.pop()


def unpack(packed):
    """The tensors the unpack hooks give back, checked as PyTorch checks them."""
    from .tensor import Tensor   # here: node.py imports this module before tensor.py is complete
    out = []
    for unpack_hook, p in packed:
        t = unpack_hook(p)
        if not isinstance(t, Tensor):
            raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                            f"{type(t).__name__}")
        out.append(t)
    return out


def run_unpacked(node, grad):
    """``node.fn(grad)`` with each saved tensor holding the value its unpack hook returns."""
    values = unpack(node.packed)   # all first: a tensor saved twice must not be unpacked from a swapped value
    swapped = []
    try:
        for t, u in zip(node.saved, values):
            if u is not t:
                swapped.append((t, t._data))
                t._data = u._data
        return node.fn(grad)
    finally:
        for t, data in reversed(swapped):
            t._data = data
