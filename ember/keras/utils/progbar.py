"""``keras.utils.Progbar``: Keras's progress bar.

On a terminal the bar redraws one line in place::

    125/125 ━━━━━━━━━━━━━━━━━━━━ 2s 12ms/step - accuracy: 0.9012 - loss: 0.3187

(bold counts and time, a green done part, as Keras draws it). When the output is not a
terminal (a log file, a pipe, a notebook capture) only the final line of each bar is
written, without colors. ``verbose=2`` writes one line at the end:
``125/125 - 2s - 12ms/step - accuracy: 0.9012 - loss: 0.3187``.

Values of metrics not listed in ``stateful_metrics`` are averaged over the steps by the bar
(the last update, when finalizing, is shown as given), as Keras's bar does.
"""
import math
import os
import sys
import time

import numpy as np


def _is_tty(stream):
    if os.environ.get("EMBER_PROGBAR_FORCE_TTY"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def format_time(time_per_unit, unit_name):
    if time_per_unit >= 1 or time_per_unit == 0:
        return f" {time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f" {time_per_unit * 1000.0:.0f}ms/{unit_name}"
    return f" {time_per_unit * 1000000.0:.0f}us/{unit_name}"


def format_value(v):
    if isinstance(v, (list, tuple, np.ndarray)) and np.ndim(v) > 0:
        return " " + str(np.asarray(v).tolist())
    return f" {v:.4f}" if abs(v) > 1e-3 else f" {v:.4e}"


def _compile_line_breakers():
    from ...compiler.compiled import _LINE_BREAKERS
    return _LINE_BREAKERS


class Progbar:
    """Displays a progress bar.

    Args:
        target (int): total number of steps, None if unknown.
        width (int): bar width in characters (default 20).
        verbose (int): 0 silent, 1 bar, 2 one line when done.
        stateful_metrics: names of metrics shown as given rather than averaged by the bar.
        interval (float): minimum seconds between redraws on a terminal.
        unit_name (str): 'step' or 'sample'.
        stream: where to write (default ``sys.stdout`` at the time of each write).
    """
    # Updated outside training steps: ember.compile does not treat it as captured state.
    _ember_compile_ignore = True

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None, unit_name="step",
                 stream=None):
        self.target, self.width, self.verbose = target, width, verbose
        self.interval, self.unit_name = interval, unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self._stream = stream
        self._dynamic = _is_tty(self.stream)
        self._seen_so_far = 0
        self._values = {}
        self._values_order = []
        self._start = time.time()
        self._last_update = 0
        self._time_after_first_step = None
        self._prev_total_width = 0

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stdout

    def update(self, current, values=None, finalize=None):
        """Move to step ``current`` with ``values`` (``[(name, value), ...]``); ``finalize`` ends the bar."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for k, v in values or []:
            if k not in self._values_order:
                self._values_order.append(k)
            if k in self.stateful_metrics or finalize or isinstance(v, (list, tuple, np.ndarray)) and np.ndim(v):
                self._values[k] = [v, 1]
            else:
                base = max(current - self._seen_so_far, 1)
                if k not in self._values:
                    self._values[k] = [v * base, base]
                else:
                    self._values[k][0] += v * base
                    self._values[k][1] += base
        self._seen_so_far = current
        now = time.time()
        per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            if self._dynamic:
                self._draw_dynamic(current, now, per_unit, finalize)
            elif finalize:
                self._write(self._plain_line(current, now, per_unit) + "\n")
        elif self.verbose == 2 and finalize:
            self._write(self._verbose2_line(current, now, per_unit) + "\n")
        self._last_update = now

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)

    def _metrics_text(self):
        info = ""
        for k in self._values_order:
            total, count = self._values[k]
            if isinstance(total, (list, tuple, np.ndarray)) and np.ndim(total):
                info += f" - {k}:{format_value(total)}"
                continue
            info += f" - {k}:{format_value(float(total) / max(1, count))}"
        return info

    def _count(self, current):
        if self.target is None or self.target <= 0:
            return "%7d/Unknown" % current
        digits = int(math.log10(self.target)) + 1
        return f"%{digits}d/%d" % (current, self.target)

    def _time_text(self, current, now, per_unit, finalize):
        if self.target is not None and self.target > 0 and not finalize:
            eta = per_unit * (self.target - current)
            if eta > 3600:
                return "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
            if eta > 60:
                return "%d:%02d" % (eta // 60, eta % 60)
            return "%ds" % eta
        return f"{now - self._start:.0f}s"

    def _bar_parts(self, current):
        if self.target is None or self.target <= 0:
            return "", ""
        done = int(self.width * (current / self.target))
        return "━" * done, "━" * (self.width - done)

    def _plain_line(self, current, now, per_unit):
        done, todo = self._bar_parts(current)
        bar = self._count(current) + (" " + done + todo if done or todo else "")
        return bar + " " + self._time_text(current, now, per_unit, True) + format_time(per_unit, self.unit_name) \
            + self._metrics_text()

    def _draw_dynamic(self, current, now, per_unit, finalize):
        done, todo = self._bar_parts(current)
        count = self._count(current)
        if done or todo:
            bar = f"\x1b[1m{count}\x1b[0m " + (f"\x1b[32m{done}\x1b[0m" if done else "") + f"\x1b[37m{todo}\x1b[0m"
            visible = len(count) + 1 + len(done) + len(todo)
        else:
            bar, visible = count, len(count)
        info = f" \x1b[1m{self._time_text(current, now, per_unit, finalize)}\x1b[0m" \
            + format_time(per_unit, self.unit_name) + self._metrics_text()
        visible += len(info) - 8
        message = "\r" + bar + info
        if self._prev_total_width > visible:
            message += " " * (self._prev_total_width - visible)
        if finalize:
            message += "\n"
        self._write(message)
        self._prev_total_width = visible
        _line_breakers = _compile_line_breakers()
        if finalize:
            if self._end_line in _line_breakers:
                _line_breakers.remove(self._end_line)
        elif self._end_line not in _line_breakers:
            # An ember.compile warning during the epoch ends this line first (it is not glued to the bar).
            _line_breakers.append(self._end_line)

    def _end_line(self):
        self._write("\n")
        self._prev_total_width = 0
        _compile_line_breakers().remove(self._end_line)

    def _verbose2_line(self, current, now, per_unit):
        return f"{self._count(current)} - {now - self._start:.0f}s -" + format_time(per_unit, self.unit_name) \
            + self._metrics_text()

    def _write(self, text):
        self.stream.write(text)
        self.stream.flush()

    def _estimate_step_duration(self, current, now):
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            per = (now - self._time_after_first_step) / (current - 1)
        else:
            per = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per
