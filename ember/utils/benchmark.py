"""torch.utils.benchmark: timing statements with replicates (``Timer``), their summary
(``Measurement``: median, mean, interquartile range) and side-by-side tables (``Compare``).

``Timer`` runs ``stmt`` with :mod:`timeit` (``setup`` once, ``globals`` as its namespace) with
ember's threads set to ``num_threads`` while it times, as torch's does. ``timeit(n)`` is one
measurement of ``n`` runs after a short warm-up; ``blocked_autorange`` picks a block size whose
time dwarfs the timer's own overhead and times blocks until ``min_run_time`` has passed;
``adaptive_autorange`` times blocks until the IQR falls below ``threshold`` times the median.

>>> m = Timer("x + y", globals={"x": 1, "y": 2}, label="add").timeit(1000)
>>> m.number_per_run, len(m.raw_times), m.median == m.times[0]
(1000, 1, True)
"""
import statistics
import timeit as _timeit

__all__ = ["Timer", "Measurement", "Compare", "select_unit"]

_UNITS = ((1e-9, "ns", "nanoseconds"), (1e-6, "us", "microseconds"), (1e-3, "ms", "milliseconds"),
          (1.0, "s", "seconds"))


def select_unit(t):
    """The unit to show a time of ``t`` seconds in and its scale: ``("us", 1e-6)`` for 3e-6."""
    scale, unit = 1e-9, "ns"
    for s, u, _ in _UNITS:
        if t >= s:
            scale, unit = s, u
    return unit, scale


class _Threads:
    def __init__(self, n):
        self.n = n

    def __enter__(self):
        import ember
        self.before = ember.get_num_threads()
        ember.set_num_threads(self.n)

    def __exit__(self, *exc):
        import ember
        ember.set_num_threads(self.before)


class Measurement:
    """``raw_times[i]`` seconds for ``number_per_run`` runs each; ``times`` per run."""

    def __init__(self, number_per_run, raw_times, stmt, label=None, sub_label=None, description=None,
                 env=None, num_threads=1):
        self.number_per_run, self.raw_times = number_per_run, list(raw_times)
        self.stmt, self.label, self.sub_label, self.description = stmt, label, sub_label, description
        self.env, self.num_threads, self.metadata = env, num_threads, None

    @property
    def times(self):
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self):
        return statistics.median(self.times)

    @property
    def mean(self):
        return statistics.fmean(self.times)

    def _quartiles(self):
        times = sorted(self.times)
        if len(times) < 2:
            return times[0], times[0]
        q = statistics.quantiles(times, n=4, method="inclusive")
        return q[0], q[2]

    @property
    def iqr(self):
        low, high = self._quartiles()
        return high - low

    @property
    def significant_figures(self):
        """Figures the measurement supports, 1 to 4: floor(log10(median / ci)), where ci is a 90%
        confidence half-width from the middle half of the sorted times (1.645 std / sqrt(n)),
        at least 25 ns."""
        import math
        times = sorted(self.times)
        middle = times[len(times) // 4:math.ceil(3 * len(times) / 4)]
        ci = max(1.645 * statistics.pstdev(middle) / math.sqrt(len(middle)), 25e-9)
        return min(max(int(math.floor(math.log10(self.median / ci))), 1), 4)

    def meets_confidence(self, threshold=0.1):
        """True when IQR / median is below ``threshold``."""
        return self.iqr / self.median < threshold

    @property
    def has_warnings(self):
        return not self.meets_confidence(0.1)

    @property
    def title(self):
        if self.label is not None:
            return f"{self.label}: {self.sub_label}" if self.sub_label else self.label
        return self.stmt

    def __repr__(self):
        unit, scale = select_unit(self.median)
        lines = [f"<ember.utils.benchmark.Measurement object at {hex(id(self))}>", self.title]
        if self.description:
            lines.append(self.description)
        threads = f"{self.num_threads} thread{'s' if self.num_threads != 1 else ''}"
        if len(self.times) == 1:
            lines += [f"  {self.median / scale:.2f} {unit}", f"  1 measurement, {self.number_per_run} runs , {threads}"]
        else:
            low, high = self._quartiles()
            lines += [f"  Median: {self.median / scale:.2f} {unit}",
                      f"  IQR:    {self.iqr / scale:.2f} {unit} ({low / scale:.2f} to {high / scale:.2f})",
                      f"  {len(self.times)} measurements, {self.number_per_run} runs per measurement, {threads}"]
        return "\n".join(lines)


class Timer:
    """``Timer(stmt, setup, timer, globals, label, sub_label, description, env, num_threads)``."""

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=_timeit.default_timer, globals=None,
                 label=None, sub_label=None, description=None, env=None, num_threads=1, language="python"):
        if str(language).lower().split(".")[-1] not in ("python", "py"):
            raise ValueError(f"Timer: only Python statements can be timed, got language={language!r}")
        self._stmt, self._meta = stmt, dict(label=label, sub_label=sub_label, description=description, env=env,
                                            num_threads=num_threads)
        self._timer = _timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=dict(globals or {}))
        self._num_threads = num_threads

    def _time(self, number):
        with _Threads(self._num_threads):
            return self._timer.timeit(number)

    def _measurement(self, number, times):
        return Measurement(number, times, self._stmt, **self._meta)

    def timeit(self, number=1000000):
        """One measurement of ``number`` runs, after ``max(number // 100, 2)`` warm-up runs."""
        self._time(max(number // 100, 2))
        return self._measurement(number, [self._time(number)])

    def _block_size(self, min_run_time):
        overhead = statistics.median(self._time(0) for _ in range(5))
        number = 1
        while True:
            taken = self._time(number)
            if (taken >= min_run_time / 1000 and overhead <= 1e-4 * taken) or taken > min_run_time:
                return number
            number *= 10

    def _blocks(self, number, keep_going, callback):
        times, total = [], 0.0
        while keep_going(times, total):
            taken = self._time(number)
            times.append(taken)
            total += taken
            if callback is not None:
                callback(number, taken)
        return self._measurement(number, times)

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Blocks of a fixed size, timed until ``min_run_time`` seconds have been measured."""
        number = self._block_size(min_run_time)
        return self._blocks(number, lambda times, total: total < min_run_time, callback)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0, callback=None):
        """Blocks timed until IQR / median <= ``threshold`` (after ``min_run_time`` seconds and at
        least 3 blocks) or ``max_run_time`` seconds."""
        number = self._block_size(min_run_time=0.05)

        def keep_going(times, total):
            if total >= max_run_time:
                return False
            if total < min_run_time or len(times) < 3:
                return True
            return not self._measurement(number, times).iqr <= threshold * statistics.median(times) / number
        return self._blocks(number, keep_going, callback)


class Compare:
    """A table of measurements: one per ``label``, rows by ``sub_label``, columns by
    ``description``, the median of each cell in a shared unit. ``print()`` shows it."""

    def __init__(self, results):
        self._results = list(results)
        self._trim = False

    def trim_significant_figures(self):
        self._trim = True

    def colorize(self, rowwise=False):
        """Colours are not drawn (a plain-text table); kept for torch's API."""

    def highlight_warnings(self):
        """Cells with noisy measurements are not marked; kept for torch's API."""

    def __str__(self):
        out = []
        for label in dict.fromkeys(m.label for m in self._results):
            group = [m for m in self._results if m.label == label]
            rows = list(dict.fromkeys(m.sub_label or m.stmt for m in group))
            cols = list(dict.fromkeys(m.description or "" for m in group))
            unit, scale = select_unit(min(m.median for m in group))
            cell = {(m.sub_label or m.stmt, m.description or ""): m for m in group}
            body = [[r] + [self._fmt(cell.get((r, c)), scale) for c in cols] for r in rows]
            widths = [max(len(str(x)) for x in col) for col in zip(["", *cols], *body)]
            header = "  " + " | ".join(str(c).center(w) for c, w in zip(["", *cols], widths))
            title = f" {label} " if label else ""
            out.append(f"[{title.center(len(header) - 2, '-')}]")
            out.append(header)
            threads = group[0].num_threads
            out.append(f"{threads} threads: ".ljust(len(header), "-"))
            out += ["  " + " | ".join(str(x).rjust(w) for x, w in zip(row, widths)) for row in body]
            out.append("")
            out.append(f"Times are in {dict((u, e) for _, u, e in _UNITS)[unit]} ({unit}).")
            out.append("")
        return "\n".join(out)

    def _fmt(self, m, scale):
        if m is None:
            return ""
        v = m.median / scale
        return f"{v:.{max(0, m.significant_figures - len(str(int(v))))}f}" if self._trim else f"{v:.1f}"

    def print(self):
        print(str(self))
