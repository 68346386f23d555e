"""``torch.futures``: a :class:`Future` for results computed elsewhere (DDP communication hooks,
RPC), with ``then`` chaining, and :func:`collect_all` / :func:`wait_all`.

Ember runs everything in the calling thread, so a future is completed by ``set_result`` (or
``set_exception``) and ``wait()`` returns at once; callbacks run when the future completes (or
immediately, when added to a completed one), as PyTorch's do.

>>> fut = Future()
>>> doubled = fut.then(lambda f: f.wait() * 2)
>>> fut.set_result(21)
>>> doubled.wait()
42
"""
import threading

__all__ = ["Future", "collect_all", "wait_all"]


class Future:
    """The eventual result of a computation: ``set_result`` / ``set_exception`` complete it,
    ``wait`` returns the result (or raises the exception), ``then(cb)`` chains ``cb(self)``."""

    def __init__(self, *, devices=None):
        self._done = threading.Event()
        self._result = None
        self._exception = None
        self._callbacks = []
        self._lock = threading.Lock()

    def done(self):
        """Whether the future has a result or an exception."""
        return self._done.is_set()

    def wait(self):
        """Block until complete; the result, or raise the stored exception."""
        self._done.wait()
        if self._exception is not None:
            raise self._exception
        return self._result

    def value(self):
        """The result of a completed future (raises its exception)."""
        if not self.done():
            raise RuntimeError("Future.value() called on a future that is not yet completed")
        return self.wait()

    def _complete(self, result=None, exception=None):
        with self._lock:
            if self._done.is_set():
                raise RuntimeError("Future can only be marked completed once.")
            self._result, self._exception = result, exception
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            cb(self)

    def set_result(self, result):
        self._complete(result=result)

    def set_exception(self, result):
        if not isinstance(result, BaseException):
            raise TypeError(f"{result} is of type {type(result)}, not an Exception.")
        self._complete(exception=result)

    def add_done_callback(self, callback):
        """Run ``callback(self)`` when complete (now, if it already is)."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback(self)

    def then(self, callback):
        """A new future holding ``callback(self)`` (or, as a RuntimeError naming it, what it raised)."""
        child = Future()

        def run(fut):
            try:
                child.set_result(callback(fut))
            except Exception as e:  # noqa: BLE001 - the exception belongs to the child future
                error = RuntimeError(f"Got the following error when running the callback: {type(e).__name__}: {e}")
                error.__cause__ = e
                child.set_exception(error)
        self.add_done_callback(run)
        return child

    def __repr__(self):
        return f"Future(done={self.done()})"


def collect_all(futures):
    """A future completed when all ``futures`` are, holding the list of them."""
    futures = list(futures)
    combined = Future()
    if not futures:
        combined.set_result([])
        return combined
    remaining = [len(futures)]
    lock = threading.Lock()

    def one_done(_):
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            combined.set_result(futures)
    for fut in futures:
        fut.add_done_callback(one_done)
    return combined


def wait_all(futures):
    """Wait for every future; their results as a list (the first exception is raised)."""
    return [fut.wait() for fut in collect_all(futures).wait()]
