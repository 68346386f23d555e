"""``torch.compiler``'s helpers around ``compile``.

ember's compiler traces a function by running it eagerly once and replays the NumPy work it
recorded, so Python code always runs as eager code does: ``is_compiling()`` is False, and
``disable``/``allow_in_graph``/``assume_constant_result`` return the function unchanged (a
function ember cannot replay makes its caller run eagerly, with a warning saying why).
``set_stance("force_eager")`` makes ``compile`` (and ``torch.compile``) return what it is given
while the stance holds.

>>> from ember import compiler
>>> with compiler.set_stance("force_eager"):
...     f = compiler.compile(lambda x: x)
>>> compiler.is_compiling(), callable(f)
(False, True)
"""
import contextlib

__all__ = ["disable", "allow_in_graph", "assume_constant_result", "is_compiling", "is_dynamo_compiling",
           "is_exporting", "reset", "list_backends", "set_stance", "cudagraph_mark_step_begin", "stance"]

_STANCES = ("default", "force_eager", "eager_on_recompile", "fail_on_recompile")
_stance = ["default"]


def stance():
    """The stance ``set_stance`` set (``"default"``)."""
    return _stance[0]


def disable(fn=None, recursive=True, *, reason=None):
    """``fn`` unchanged (also as ``@disable`` and ``@disable()``)."""
    if fn is None:
        return lambda f: f
    return fn


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn


def is_compiling():
    """False: ember traces by running the code eagerly, so the code sees eager execution."""
    return False


def is_dynamo_compiling():
    return False


def is_exporting():
    return False


def reset():
    """Nothing to clear: each compiled function keeps its own traces."""


def list_backends(exclude_tags=("debug", "experimental")):
    """The backends ``compile`` accepts by name: every name replays ember's trace except "eager"."""
    return ["cudagraphs", "inductor", "onnxrt", "openxla", "tvm"]


def cudagraph_mark_step_begin():
    """No CUDA graphs on the CPU: nothing to mark."""


@contextlib.contextmanager
def _stance_scope(previous):
    try:
        yield
    finally:
        _stance[0] = previous


class set_stance:
    """``set_stance(stance)`` sets it until changed; as a context manager or decorator it holds
    only inside. ``"force_eager"`` makes ``compile`` return its argument uncompiled."""

    def __init__(self, stance="default", *, skip_guard_eval_unsafe=False, force_backend=None):
        if stance not in _STANCES:
            raise ValueError(f"set_stance: stance must be one of {_STANCES}, got {stance!r}")
        self.previous, self.stance = _stance[0], stance
        _stance[0] = stance

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _stance[0] = self.previous

    def __call__(self, fn):
        def wrapped(*args, **kwargs):
            before = _stance[0]
            _stance[0] = self.stance
            try:
                return fn(*args, **kwargs)
            finally:
                _stance[0] = before
        _stance[0] = self.previous  # as a decorator it holds only while fn runs
        return wrapped
