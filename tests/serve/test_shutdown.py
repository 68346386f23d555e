"""Graceful shutdown: SIGTERM lets the requests in flight (running and queued) finish, then exits 0."""
import threading
import time

import ember
import httpx
import numpy as np
import tritonclient.http as triton

from .conftest import ServerProcess
from .slow_model import SlowScale


def _counts(server):
    """(requests pending, requests answered) from one scrape of the server's metrics."""
    pending = answered = 0.0
    for line in httpx.get(server.base + "/metrics", timeout=10).text.splitlines():
        if line.startswith("ember_inference_pending_requests{"):
            pending = float(line.rsplit(" ", 1)[1])
        elif line.startswith("ember_inference_requests_total{"):
            answered += float(line.rsplit(" ", 1)[1])
    return pending, answered


def test_sigterm_finishes_in_flight_requests_and_exits_0(tmp_path):
    model = SlowScale()
    with ember.no_grad():
        model.scale.fill_(3.0)
    path = tmp_path / "slow.safetensors"
    ember.save(model.state_dict(), str(path))
    # Batches of at most 2 rows: 6 concurrent requests make 3 batches of 0.4 s each, so when SIGTERM
    # arrives one batch is running and the others are still queued in the batcher.
    server = ServerProcess(path, "--arch", "tests.serve.slow_model.SlowScale", "--input-shape", "3",
                           "--max-batch-size", "2", "--max-delay-ms", "50")
    try:
        n = 6
        inputs = [np.full((1, 3), i, np.float32) for i in range(n)]
        results, errors = [None] * n, []

        barrier = threading.Barrier(n)

        def worker(i):
            try:
                client = triton.InferenceServerClient(server.url, network_timeout=30)
                inp = triton.InferInput("input", [1, 3], "FP32")
                inp.set_data_from_numpy(inputs[i])
                barrier.wait(30)            # all six go out together
                results[i] = client.infer("slow", [inp]).as_numpy("output")
            except Exception as e:          # reported below
                errors.append((i, repr(e)))
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        # SIGTERM once the server has received all six requests (none may be refused), while at least
        # one batch still waits in the queue behind the running one.
        deadline = time.monotonic() + 30
        pending, answered = _counts(server)
        while pending + answered < n and time.monotonic() < deadline:
            time.sleep(0.01)
            pending, answered = _counts(server)
        assert pending + answered == n and pending >= 3, (pending, answered)
        stopped_at = time.monotonic()
        server.proc.send_signal(__import__("signal").SIGTERM)
        for t in threads:
            t.join(30)
        assert not errors, errors
        for x, got in zip(inputs, results):
            np.testing.assert_array_equal(got, x * 3)
        code = server.proc.wait(15)
        took = time.monotonic() - stopped_at
        assert code == 0, server.proc.stderr.read()
        assert took < 5, f"shutdown took {took:.1f}s"
        # Stopped means stopped: no one listens on the port any more.
        try:
            httpx.get(server.base + "/v2/health/live", timeout=2)
            still_listening = True
        except httpx.HTTPError:
            still_listening = False
        assert not still_listening
    finally:
        server.stop()
