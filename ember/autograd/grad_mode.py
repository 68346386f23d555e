"""Whether operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

Each works as a context manager and as a decorator, as in PyTorch.

>>> import ember
>>> x = ember.ones(2, requires_grad=True)
>>> with ember.no_grad():
...     y = x * 2
>>> y.requires_grad
False
"""
import functools


class _State:
    # A mutable module-level flag read by every op; a plain attribute read is the cheapest check.
    enabled = True
    inference = False
    multithreading = True   # set_multithreading_enabled's switch (ember's backward runs in one thread anyway)


state = _State()


def is_grad_enabled():
    return state.enabled


class _GradMode:
    """Base of the grad-mode switches: a context manager that is also a decorator."""
    _mode = True

    def __new__(cls, *args, **kwargs):
        # ``@ember.no_grad`` without parentheses passes the function straight in.
        if cls is not set_grad_enabled and len(args) == 1 and callable(args[0]) and not kwargs:
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self):
        self._prev = state.enabled
        if self._mode is not None:
            state.enabled = self._mode
        return self

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = state.enabled
            if mode is not None:
                state.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                state.enabled = prev
        return wrapper

    def clone(self):
        return self


class no_grad(_GradMode):
    """Disable graph recording: results of ops do not require grad."""
    _mode = False


class enable_grad(_GradMode):
    """Re-enable graph recording inside a ``no_grad`` block."""
    _mode = True


class set_grad_enabled(_GradMode):
    """Set graph recording on or off; takes effect at once, as in PyTorch, and restores on exit."""

    def __init__(self, mode):
        self._prev = state.enabled
        self._mode = bool(mode)
        state.enabled = self._mode

    def __enter__(self):
        return self

    def __call__(self, fn):
        state.enabled = self._prev  # used as a decorator: do not change the mode now
        return super().__call__(fn)


class inference_mode(_GradMode):
    """``inference_mode(True)`` disables graph recording and ``is_inference_mode_enabled()`` is then true;
    ``inference_mode(False)`` leaves inference mode and turns grad mode on, as torch's guard sets
    ``grad_mode = not mode`` (even inside ``no_grad``). ember has no separate inference tensors."""

    def __init__(self, mode=True):
        self._inference = bool(mode)
        self._mode = not self._inference

    def __enter__(self):
        self._prev_inference = state.inference
        state.inference = self._inference
        return super().__enter__()

    def __exit__(self, *exc):
        state.inference = self._prev_inference
        return super().__exit__(*exc)

    def __call__(self, fn):
        inner = super().__call__(fn)
        inference = self._inference

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = state.inference
            state.inference = inference
            try:
                return inner(*args, **kwargs)
            finally:
                state.inference = prev
        return wrapper


def is_inference_mode_enabled():
    """Whether an ``inference_mode(True)`` block is active (``no_grad`` alone is not inference mode)."""
    return state.inference


def is_multithreading_enabled():
    """Whether the backward may run on several threads (PyTorch's switch; ember's backward is one thread)."""
    return state.multithreading


class set_multithreading_enabled:
    """``set_multithreading_enabled(mode)``: set the switch at once; as a context manager it restores the previous
    value on exit, as PyTorch's does. Ember records it: its backward pass runs in the calling thread either way."""

    def __init__(self, mode):
        self.prev = state.multithreading
        self.mode = bool(mode)
        state.multithreading = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        state.multithreading = self.prev
        return False

    def clone(self):
        return self.__class__(self.mode)
