"""``torch.profiler``: a profile context with a step schedule over :func:`record_function` ranges.

``profile(schedule=schedule(wait=1, warmup=1, active=2), on_trace_ready=handler)`` follows a
training loop that calls ``prof.step()`` once per iteration: steps in the ``active`` part of the
cycle are recorded (each as a ``ProfilerStep#<n>`` range holding the ranges run in it), and at
the end of each active part ``on_trace_ready(prof)`` is called; without a schedule everything
inside the ``with`` block is recorded and the handler runs at its end. Ember times the ranges a
program labels (and the steps), not each tensor operation, and profiles the CPU only.

>>> import ember
>>> with profile(activities=[ProfilerActivity.CPU]) as prof:
...     with record_function("model_inference"):
...         y = ember.ones(3) * 2
>>> prof.key_averages()[0].key
'model_inference'
"""
import enum
import os
import socket
import time

from ember.autograd.profiler import EventList, record_function  # noqa: F401
from ember.autograd.profiler import profile as _RangeProfile

__all__ = ["profile", "record_function", "schedule", "ProfilerAction", "ProfilerActivity",
           "tensorboard_trace_handler", "supported_activities", "kineto_available"]


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities():
    """The activities ember can profile: the CPU."""
    return {ProfilerActivity.CPU}


def kineto_available():
    return False


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """The action for each step number: after ``skip_first`` steps, cycles of ``wait`` idle,
    ``warmup`` and ``active`` recorded steps (the last one ``RECORD_AND_SAVE``), ``repeat`` times
    (0: forever). ``skip_first_wait=1`` drops the wait of the first cycle."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise ValueError(f"schedule: wait ({wait}), warmup ({warmup}), repeat ({repeat}) and skip_first "
                         f"({skip_first}) must be >= 0 and active ({active}) > 0")
    num_steps = wait + warmup + active

    def action(step):
        if step < 0:
            raise ValueError(f"schedule: the step must be >= 0, got {step}")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait:
            step += wait
        if repeat > 0 and step / num_steps >= repeat:
            return ProfilerAction.NONE
        mod = step % num_steps
        if mod < wait:
            return ProfilerAction.NONE
        if mod < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if mod < num_steps - 1 else ProfilerAction.RECORD_AND_SAVE
    return action


def _always_record(step):
    return ProfilerAction.RECORD


_RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """An ``on_trace_ready`` handler writing ``<dir_name>/<worker>.<ms>.pt.trace.json`` (``.gz``
    with ``use_gzip``), the files TensorBoard's profiler plugin reads."""
    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{worker}.{int(time.time() * 1000)}.pt.trace.json")
        prof.export_chrome_trace(path)
        if use_gzip:
            import gzip
            import shutil
            with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.remove(path)
    return handler


class profile(_RangeProfile):
    """Profile the ranges of a block, following ``schedule`` as ``step()`` is called.

    Args:
        activities: accepted for portability (only ``ProfilerActivity.CPU`` is profiled).
        schedule (callable): step number -> :class:`ProfilerAction`; default: record everything.
        on_trace_ready (callable): called with the profiler when a recorded cycle ends.
        record_shapes (bool): keep the shapes of the tensors given to ``record_function(args=...)``.
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False, use_cuda=None,
                 custom_trace_id_callback=None, post_processing_timeout_s=None):
        super().__init__(record_shapes=record_shapes)
        self.activities = set(activities) if activities else supported_activities()
        self.schedule = schedule or _always_record
        self._mark_steps = schedule is not None  # PyTorch labels steps only under a schedule
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.current_action = self.schedule(0)
        self._is_recording = False
        self._step_range = None
        self._started = False

    def _begin_cycle(self):
        self._events = []
        self.function_events = None
        self._is_recording = True

    def _open_step(self):
        if self._is_recording and self._mark_steps:
            self._step_range = record_function(f"ProfilerStep#{self.step_num}")
            self._step_range.__enter__()

    def _close_step(self):
        if self._step_range is not None:
            self._step_range.__exit__(None, None, None)
            self._step_range = None

    def _finish_cycle(self):
        self._is_recording = False
        self._build()
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def start(self):
        self._started = True
        self._start()
        if self.current_action in _RECORDING:
            self._begin_cycle()
        self._open_step()

    def stop(self):
        if not self._started:
            return
        self._close_step()
        if self._is_recording:
            self._finish_cycle()
        self._stop()
        self._started = False

    def step(self):
        """Mark the end of one training step: the schedule decides what the next one records."""
        self._close_step()
        previous = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        if previous == ProfilerAction.RECORD_AND_SAVE or (previous in _RECORDING
                                                          and self.current_action not in _RECORDING):
            self._finish_cycle()
        if self.current_action in _RECORDING and not self._is_recording:
            self._begin_cycle()
        self._open_step()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
