"""``ember.accelerator``: PyTorch's device-agnostic accelerator API; ember has none.

So the idiom ``device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"``
picks the CPU. ``torch.Stream`` and ``torch.Event`` (defined here) behave as PyTorch's do on the CPU: the
stream is the one synchronous queue (``query()`` True, ``synchronize()`` and ``wait_event`` return at once, a
``with`` block runs as usual), and recording an event, which needs an accelerator, raises PyTorch's error.

>>> import ember
>>> ember.accelerator.is_available(), ember.accelerator.current_accelerator(), ember.accelerator.device_count()
(False, None, 0)
"""
import contextlib

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index", "set_device_index",
           "device_index", "synchronize", "empty_cache", "Stream", "Event"]


def is_available():
    return False


def current_accelerator(check_available=False):
    """None: no accelerator is present."""
    return None


def device_count():
    return 0


def _none(what):
    return RuntimeError(f"ember.accelerator.{what}: cannot access an accelerator device when none is available "
                        f"(ember runs on the CPU)")


def current_device_index():
    raise _none("current_device_index")


current_device_idx = current_device_index


def set_device_index(device):
    raise _none("set_device_index")


set_device_idx = set_device_index


@contextlib.contextmanager
def device_index(device):
    """``with device_index(None):`` is accepted (PyTorch does nothing for None); any device index fails."""
    if device is not None:
        raise _none("device_index")
    yield


def synchronize(device=None):
    """Nothing to wait for on the CPU."""


def empty_cache():
    """Nothing to free on the CPU."""


_NO_EVENTS = "cpu backend doesn't support events."


def _cpu(device, what):
    from .autograd.tensor import require_cpu
    return require_cpu("cpu" if device is None else device, what)


class Stream:
    """``torch.Stream(device=None, *, priority=0)``: on the CPU, the one in-order queue every op already runs on.

    >>> import ember
    >>> s = ember.Stream()
    >>> s.query(), s.device_index, s == ember.Stream()
    (True, -1, True)
    """

    def __init__(self, device=None, *, priority=0):
        self.device = _cpu(device, "a Stream")
        self.device_type, self.device_index, self.stream_id = 0, -1, 0   # DeviceType.CPU, no index, the default

    def query(self):
        return True

    def synchronize(self):
        return None

    def wait_event(self, event):
        return None

    def wait_stream(self, stream):
        raise RuntimeError(_NO_EVENTS)

    def record_event(self, event=None):
        raise RuntimeError(_NO_EVENTS)

    def is_capturing(self):
        return False

    @property
    def native_handle(self):
        raise RuntimeError("Backend doesn't support getting stream native handle.")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __eq__(self, other):
        return isinstance(other, Stream) and (other.device_type, other.device_index, other.stream_id) == \
            (self.device_type, self.device_index, self.stream_id)

    def __hash__(self):
        return hash((self.device_type, self.device_index, self.stream_id))

    def __repr__(self):
        return f"torch.Stream device_type=cpu, device_index={self.device_index}, stream_id={self.stream_id}"


class Event:
    """``torch.Event(device=None, *, enable_timing=False, blocking=False, interprocess=False)``: on the CPU
    ``query()`` is True, ``synchronize()`` and ``wait()`` return at once, and ``record()`` raises (events need an
    accelerator), so ``elapsed_time`` says the events were never recorded, as in PyTorch."""

    def __init__(self, device=None, *, enable_timing=False, blocking=False, interprocess=False):
        self.device = _cpu(device, "an Event")
        self._flag = 1 if enable_timing else 0
        self.event_id = 0

    def record(self, stream=None):
        raise RuntimeError(_NO_EVENTS)

    def query(self):
        return True

    def synchronize(self):
        return None

    def wait(self, stream=None):
        return None

    def elapsed_time(self, end_event):
        raise ValueError("Both events must be recorded before calculating elapsed time.")

    def ipc_handle(self):
        raise NotImplementedError("torch.Event ipc is not supported yet, please open an issue if you need this!")

    @classmethod
    def from_ipc_handle(cls, device, ipc_handle):
        raise NotImplementedError("torch.Event ipc is not supported yet, please open an issue if you need this!")

    def __repr__(self):
        return f"torch.Event device_type=cpu, device_index=-1, event_flag={self._flag}, event_id={self.event_id}"
