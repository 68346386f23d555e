"""ember.utils.benchmark (torch.utils.benchmark): Measurement statistics equal torch's on the same
raw times; Timer runs the statement as many times as it says, with ember's threads set while it
times; Compare lays measurements out by label, sub_label and description."""
import pytest
import torch.utils.benchmark as tb
from torch.utils.benchmark.utils.common import TaskSpec

import ember
from ember.utils import benchmark as eb

RAW = [[1.0, 2.0, 3.0, 10.0], [5.0], [1.0, 1.1, 1.05, 0.99, 1.2], [2.0, 2.0, 2.1], [1e-6, 1.2e-6, 1e-6, 1.1e-6],
       [3e-4, 3.1e-4, 2.9e-4, 3e-4, 3e-4, 3.05e-4, 2.95e-4, 3e-4]]


@pytest.mark.parametrize("raw", RAW)
def test_measurement_statistics_equal_torch(raw):
    t, e = tb.Measurement(10, raw, TaskSpec("x", "pass")), eb.Measurement(10, raw, "x")
    for name in ("times", "median", "mean", "iqr"):
        assert getattr(e, name) == pytest.approx(getattr(t, name), rel=1e-12, abs=1e-18), name
    assert e.significant_figures == t.significant_figures
    assert e.has_warnings == t.has_warnings and e.meets_confidence(0.5) == t.meets_confidence(0.5)


def test_timer_runs_the_statement_the_stated_number_of_times():
    calls = []
    t = eb.Timer("f()", setup="calls.append('setup')", globals={"f": lambda: calls.append(1), "calls": calls},
                 label="L", sub_label="s", description="d")
    m = t.timeit(300)
    # torch's count: max(number // 100, 2) warm-up runs, then the measured ones; setup before each.
    torch_calls = []
    tb.Timer("f()", setup="calls.append('setup')", globals={"f": lambda: torch_calls.append(1), "calls": torch_calls}
             ).timeit(300)
    assert calls == torch_calls and calls.count(1) == 303
    assert (m.number_per_run, len(m.raw_times), m.title, m.description) == (300, 1, "L: s", "d")
    assert m.median == m.times[0] == m.raw_times[0] / 300 > 0
    assert "1 measurement, 300 runs , 1 thread" in repr(m)


def test_autorange_measures_at_least_min_run_time_and_restores_threads():
    before = ember.get_num_threads()
    seen = []
    t = eb.Timer("g()", globals={"g": lambda: seen.append(ember.get_num_threads())}, num_threads=1)
    blocks = []
    m = t.blocked_autorange(callback=lambda number, taken: blocks.append((number, taken)), min_run_time=0.02)
    assert sum(m.raw_times) >= 0.02 and [n for n, _ in blocks] == [m.number_per_run] * len(m.raw_times)
    assert set(seen) == {1} and ember.get_num_threads() == before
    a = t.adaptive_autorange(threshold=0.5, min_run_time=0.01, max_run_time=1.0)
    assert len(a.raw_times) >= 3 and sum(a.raw_times) <= 1.0 + max(a.raw_times)
    with pytest.raises(ZeroDivisionError):
        eb.Timer("1 / 0").timeit(1)


def test_compare_tables_rows_by_sub_label_and_columns_by_description(capsys):
    ms = [eb.Measurement(1, [2e-6], "a", label="add", sub_label="small", description="ember"),
          eb.Measurement(1, [4e-6], "a", label="add", sub_label="small", description="torch"),
          eb.Measurement(1, [8e-6], "a", label="add", sub_label="large", description="ember")]
    eb.Compare(ms).print()
    lines = capsys.readouterr().out.splitlines()
    assert " add " in lines[0] and [c.strip() for c in lines[1].split("|")] == ["", "ember", "torch"]
    small = next(line for line in lines if "small" in line)
    large = next(line for line in lines if "large" in line)
    assert [c.strip() for c in small.split("|")] == ["small", "2.0", "4.0"]
    assert [c.strip() for c in large.split("|")] == ["large", "8.0", ""]
    assert "Times are in microseconds (us)." in lines
