"""Server metrics in the Prometheus text exposition format (version 0.0.4), served at ``GET /metrics``.

Per model and version: requests that succeeded and failed (counters), requests received and not
yet answered (a gauge), request latency in seconds
and time spent queued before a batch ran (histograms), and the batch size of every model
execution (a histogram: ``ember_inference_batch_size_count`` is the number of executions,
``..._sum`` the rows they ran). Updated from the event loop only, so no locks.

>>> m = Metrics()
>>> m.observe_request("mnist", "1", True, 0.003)
>>> print(m.render().splitlines()[2])
ember_inference_requests_total{model="mnist",version="1",status="success"} 1
"""
import bisect
import collections

__all__ = ["Metrics", "Histogram"]

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Histogram:
    """Cumulative-bucket histogram, Prometheus style (each bucket counts observations <= its bound)."""

    def __init__(self, bounds):
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value):
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1

    def lines(self, name, labels):
        running = 0
        for bound, n in zip(self.bounds + (float("inf"),), self.counts):
            running += n
            le = "+Inf" if bound == float("inf") else repr(float(bound))
            yield f'{name}_bucket{{{labels},le="{le}"}} {running}'
        yield f"{name}_sum{{{labels}}} {self.sum!r}"
        yield f"{name}_count{{{labels}}} {self.count}"


def _escape(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    """The server's counters and histograms, keyed by (model, version)."""

    def __init__(self):
        self.requests = collections.Counter()            # (model, version, status) -> n
        self.pending = collections.Counter()             # (model, version) -> requests not yet answered
        self.latency = {}
        self.queue = {}
        self.batch = {}

    def observe_request(self, model, version, ok, seconds):
        self.requests[(model, version, "success" if ok else "failure")] += 1
        if ok:
            self.latency.setdefault((model, version), Histogram(_LATENCY_BUCKETS)).observe(seconds)

    def observe_batch(self, model, version, rows, queue_seconds):
        """One model execution over ``rows`` rows; ``queue_seconds`` per request waited before it."""
        self.batch.setdefault((model, version), Histogram(_BATCH_BUCKETS)).observe(rows)
        hist = self.queue.setdefault((model, version), Histogram(_LATENCY_BUCKETS))
        for q in queue_seconds:
            hist.observe(q)

    def render(self):
        out = ["# HELP ember_inference_requests_total Inference requests by outcome.",
               "# TYPE ember_inference_requests_total counter"]
        for (model, version, status), n in sorted(self.requests.items()):
            out.append(f'ember_inference_requests_total{{model="{_escape(model)}",version="{_escape(version)}",'
                       f'status="{status}"}} {n}')
        out += ["# HELP ember_inference_pending_requests Inference requests received and not yet answered.",
                "# TYPE ember_inference_pending_requests gauge"]
        for (model, version), n in sorted(self.pending.items()):
            out.append(f'ember_inference_pending_requests{{model="{_escape(model)}",version="{_escape(version)}"}} {n}')
        for name, table, help_text in (
                ("ember_inference_request_duration_seconds", self.latency,
                 "Time from a request's arrival to its response being ready."),
                ("ember_inference_queue_duration_seconds", self.queue,
                 "Time a request waited for its batch to start."),
                ("ember_inference_batch_size", self.batch, "Rows in each model execution.")):
            out += [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
            for (model, version), hist in sorted(table.items()):
                out.extend(hist.lines(name, f'model="{_escape(model)}",version="{_escape(version)}"'))
        return "\n".join(out) + "\n"
