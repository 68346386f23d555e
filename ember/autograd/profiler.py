"""A CPU profiler of labelled ranges: ``record_function`` and ``profile`` (``torch.autograd.profiler``).

``with record_function("name"):`` (or ``@record_function("name")``) marks a range; while a
:class:`profile` is recording, each range becomes a :class:`FunctionEvent` with its wall-clock
start, duration and nesting. ``prof.key_averages()`` groups events by name (count, total,
average and self time, the time not spent in nested ranges) and ``.table()`` prints them;
``prof.export_chrome_trace(path)`` writes the Chrome / Perfetto trace format.

Unlike PyTorch's, this profiler does not time each tensor operation: it times the ranges the
program labels (and the steps of :class:`ember.profiler.profile`).

>>> with profile() as prof:
...     with record_function("outer"):
...         with record_function("inner"):
...             pass
>>> [(e.key, e.count) for e in prof.key_averages()]
[('outer', 1), ('inner', 1)]
"""
import functools
import os
import threading
import time

__all__ = ["profile", "record_function", "emit_nvtx", "emit_itt", "FunctionEvent", "FunctionEventAvg", "EventList"]

_recording = []          # the profilers currently recording, innermost last
_local = threading.local()


def _depth_stack():
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


class FunctionEvent:
    """One recorded range: ``name``, ``start_us`` / ``end_us`` (microseconds from the profiler's
    start), ``thread`` and the ranges nested in it (``cpu_children``)."""

    def __init__(self, id, name, thread, start_us, end_us, input_shapes=None):
        self.id = id
        self.name = self.key = name
        self.thread = thread
        self.start_us = start_us
        self.end_us = end_us
        self.input_shapes = input_shapes or []
        self.cpu_children = []
        self.cpu_parent = None
        self.count = 1

    @property
    def cpu_time_total(self):
        return self.end_us - self.start_us

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    cpu_time = cpu_time_total

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time={self.cpu_time_total:.3f}us "
                f"start_us={self.start_us:.3f} end_us={self.end_us:.3f} thread={self.thread}>")


class FunctionEventAvg:
    """The events of one name together: ``count``, ``cpu_time_total``, ``self_cpu_time_total`` and
    the averages ``cpu_time`` / ``self_cpu_time``."""

    def __init__(self, key):
        self.key = key
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.input_shapes = None

    def add(self, event):
        self.count += event.count
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        return self

    @property
    def cpu_time(self):
        return self.cpu_time_total / max(self.count, 1)

    @property
    def self_cpu_time(self):
        return self.self_cpu_time_total / max(self.count, 1)

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time:.3f}us "
                f"cpu_time={self.cpu_time:.3f}us count={self.count}>")


def _format_us(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


_SORT_KEYS = {"cpu_time_total", "self_cpu_time_total", "cpu_time", "self_cpu_time", "count"}


class EventList(list):
    """A list of events (or of averages) with ``table``, ``key_averages`` and ``export_chrome_trace``."""

    def key_averages(self, group_by_input_shapes=False):
        groups = {}
        for event in self:
            # The steps of a scheduled profile average together, as PyTorch's "ProfilerStep*".
            name = "ProfilerStep*" if event.key.startswith("ProfilerStep#") else event.key
            key = (name, str(event.input_shapes)) if group_by_input_shapes else name
            if key not in groups:
                groups[key] = FunctionEventAvg(name)
                if group_by_input_shapes:
                    groups[key].input_shapes = event.input_shapes
            groups[key].add(event)
        return EventList(groups.values())

    def total_average(self):
        total = FunctionEventAvg("Total")
        for event in self:
            total.add(event)
        return total

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by=None, row_limit=100, max_name_column_width=55, header=None, top_level_events_only=False):
        """The rows as a text table (PyTorch's columns for CPU time), sorted by ``sort_by``
        (descending) and cut to ``row_limit`` rows."""
        rows = list(self)
        if sort_by is not None:
            if sort_by not in _SORT_KEYS:
                raise ValueError(f"table(sort_by={sort_by!r}): expected one of {sorted(_SORT_KEYS)}")
            rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        total_self = sum(e.self_cpu_time_total for e in self) or 1.0
        names = [e.key if len(e.key) <= max_name_column_width else e.key[:max_name_column_width - 3] + "..."
                 for e in rows]
        width = max([len("Name")] + [len(n) for n in names]) + 2
        columns = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
        line = "-" * width + "  " + "  ".join("-" * 12 for _ in columns)
        out = [line, "Name".ljust(width) + "  " + "  ".join(c.rjust(12) for c in columns), line]
        for name, e in zip(names, rows):
            cells = [f"{100 * e.self_cpu_time_total / total_self:.2f}%", _format_us(e.self_cpu_time_total),
                     f"{100 * e.cpu_time_total / total_self:.2f}%", _format_us(e.cpu_time_total),
                     _format_us(e.cpu_time), str(e.count)]
            out.append(name.ljust(width) + "  " + "  ".join(c.rjust(12) for c in cells))
        out += [line, f"Self CPU time total: {_format_us(self.self_cpu_time_total)}", ""]
        return (header + "\n" if header else "") + "\n".join(out)

    def export_chrome_trace(self, path):
        """Write the events as a Chrome trace (``chrome://tracing``, Perfetto)."""
        events = [{"name": e.name, "ph": "X", "cat": "user_annotation", "ts": e.start_us,
                   "dur": e.cpu_time_total, "pid": os.getpid(), "tid": e.thread,
                   "args": {"Input Dims": e.input_shapes} if e.input_shapes else {}}
                  for e in self if isinstance(e, FunctionEvent)]
        with open(path, "w") as f:
            import json   # on use: it is not needed by most programs
            json.dump({"traceEvents": events, "displayTimeUnit": "ms"}, f)

    def __str__(self):
        return self.table()


class profile:
    """Record the :class:`record_function` ranges run inside ``with profile() as prof:``.

    Args:
        enabled (bool): False makes the context do nothing.
        record_shapes (bool): keep the shapes of the tensors a range's ``args`` names.
        The other PyTorch arguments (``use_cuda``, ``profile_memory``, ``with_stack`` ...) are
        accepted; ember profiles the CPU only.
    """

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None):
        self.enabled = enabled
        self.record_shapes = record_shapes
        self.function_events = None
        self._events = []
        self._open = None
        self._t0 = None
        self.entered = False

    def _start(self):
        self._t0 = time.perf_counter_ns()
        _recording.append(self)

    def _stop(self):
        if self in _recording:
            _recording.remove(self)

    def _now_us(self):
        return (time.perf_counter_ns() - self._t0) / 1e3

    def _record(self, name, start_ns, end_ns, depth, input_shapes):
        self._events.append((name, start_ns, end_ns, depth, threading.get_ident(),
                             input_shapes if self.record_shapes else None))

    def _build(self):
        events = EventList()
        stack = []
        for i, (name, start, end, depth, thread, shapes) in enumerate(sorted(self._events, key=lambda r: r[1])):
            event = FunctionEvent(i, name, thread, (start - self._t0) / 1e3, (end - self._t0) / 1e3, shapes)
            while stack and (stack[-1].thread != thread or stack[-1].end_us < event.end_us):
                stack.pop()
            if stack:
                event.cpu_parent = stack[-1]
                stack[-1].cpu_children.append(event)
            stack.append(event)
            events.append(event)
        self.function_events = events
        return events

    def __enter__(self):
        if self.enabled:
            if self.entered:
                raise RuntimeError("Profiler context manager is not reentrant")
            self.entered = True
            self._start()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self._stop()
            self._build()
        return False

    def _check_finished(self):
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")

    def events(self):
        self._check_finished()
        return self.function_events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        self._check_finished()
        return self.function_events.key_averages(group_by_input_shape)

    def total_average(self):
        self._check_finished()
        return self.function_events.total_average()

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False):
        self._check_finished()
        return self.function_events.table(sort_by=sort_by, row_limit=row_limit, header=header,
                                          max_name_column_width=max_name_column_width)

    def export_chrome_trace(self, path):
        self._check_finished()
        self.function_events.export_chrome_trace(path)

    @property
    def self_cpu_time_total(self):
        self._check_finished()
        return self.function_events.self_cpu_time_total

    def __str__(self):
        return self.table() if self.function_events is not None else "<unfinished profile>"


def _shapes(args):
    if args is None:
        return None
    items = args if isinstance(args, (list, tuple)) else [args]
    return [list(getattr(a, "shape", ())) for a in items]


class record_function:
    """Label a range of code for the profiler: a context manager, or a decorator of functions.

    Args:
        name (str): the label shown in the profiler's tables and traces.
        args: tensors whose shapes are kept with ``record_shapes=True`` (optional).
    """

    def __init__(self, name, args=None):
        self.name = name
        self.args = args
        self._start = None

    def __enter__(self):
        stack = _depth_stack()
        self._depth = len(stack)
        stack.append(self)
        self._start = time.perf_counter_ns()
        return self

    def __exit__(self, *exc):
        end = time.perf_counter_ns()
        stack = _depth_stack()
        if stack and stack[-1] is self:
            stack.pop()
        for prof in list(_recording):
            if getattr(prof, "_is_recording", True):
                prof._record(self.name, self._start, end, self._depth, _shapes(self.args))
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*a, **kw):
            with record_function(self.name, self.args):
                return fn(*a, **kw)
        return wrapper


class emit_nvtx:
    """NVTX ranges are a CUDA tool: accepted and does nothing on ember's CPU backend."""

    def __init__(self, enabled=True, record_shapes=False):
        self.enabled = enabled

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


emit_itt = emit_nvtx
