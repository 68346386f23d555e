"""Serving benchmark: `ember serve` under 1, 8 and 32 concurrent tritonclient clients, beside onnxruntime in-process.

``python -m benchmarks.serve_bench`` (about a minute). The model is the MNIST CNN
(ember.vision.models.MnistCNN, seed 0) written to ONNX; each request is one 1x1x28x28 FP32 image in
the binary tensor extension, as tritonclient sends it by default. For each concurrency the clients
(threads, one InferenceServerClient each, spread over up to 4 client processes so that the
clients' own GIL does not cap the load) send requests back to back for
``--seconds``, after a warm-up; the report gives requests/s, p50/p99 latency, errors, and the mean
batch size the server ran (from its /metrics). The same ONNX file run by onnxruntime in this
process (batch 1, no HTTP) is the floor. ``--models onnx,ember`` also serves the ember checkpoint
(the same weights run by ember itself). Results go to docs/serve_bench.md and .json.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _percentiles(latencies):
    a = np.sort(np.asarray(latencies)) * 1e3
    return (float(np.percentile(a, 50)), float(np.percentile(a, 99))) if len(a) else (float("nan"),) * 2


def onnxruntime_latency(path, n=2000):
    """p50/p99 (ms) of one batch-1 session.run in this process, and rows/s at batch 32."""
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((1, 1, 28, 28)).astype(np.float32)
    for _ in range(50):
        session.run(None, {"input": x})
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        session.run(None, {"input": x})
        times.append(time.perf_counter() - t0)
    xb = np.repeat(x, 32, axis=0)
    t0 = time.perf_counter()
    for _ in range(100):
        session.run(None, {"input": xb})
    p50, p99 = _percentiles(times)
    return {"p50_ms": p50, "p99_ms": p99, "batch32_rows_per_s": 3200 / (time.perf_counter() - t0)}


class Server:
    def __init__(self, path, options):
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "ember", "serve", path, "--port", "0", *options],
                                     cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "http://" not in line:
            raise RuntimeError(f"ember serve did not start: {line!r} {self.proc.stderr.read()}")
        self.url = line.strip().rsplit("http://", 1)[1]
        import tritonclient.http as triton
        client = triton.InferenceServerClient(self.url)
        deadline = time.monotonic() + 120
        while True:
            try:
                if client.is_server_ready():
                    break
            except Exception:                  # not accepting yet
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("ember serve never became ready")
            time.sleep(0.05)

    def batches(self, model):
        """(model executions, rows run) so far, from one scrape of /metrics."""
        import httpx
        values = {}
        for line in httpx.get(f"http://{self.url}/metrics").text.splitlines():
            name = line.split("{", 1)[0]
            if name in ("ember_inference_batch_size_count", "ember_inference_batch_size_sum") and \
                    f'model="{model}"' in line:
                values[name] = float(line.rsplit(" ", 1)[1])
        return values.get("ember_inference_batch_size_count", 0.0), values.get("ember_inference_batch_size_sum", 0.0)

    def cpu_seconds(self):
        """User + system CPU time of the server process so far (Linux /proc; None elsewhere)."""
        try:
            fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.terminate()
        code = self.proc.wait(30)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code


def client_process(url, model, input_name, output_name, threads):
    """One client process: ``threads`` tritonclient clients. Says ``ready`` once imported, reads the
    wall-clock times ``warmup start stop`` from stdin, sends back to back from ``warmup`` to ``stop``
    and prints the latencies and errors of the requests sent from ``start`` on."""
    import tritonclient.http as triton
    print("ready", flush=True)
    warmup_at, start_at, stop_at = map(float, sys.stdin.readline().split())
    x = np.random.default_rng(1).standard_normal((1, 1, 28, 28)).astype(np.float32)
    results = [([], [0]) for _ in range(threads)]

    def client(i):
        lat, errors = results[i]
        c = triton.InferenceServerClient(url, concurrency=1, network_timeout=60)
        inp = triton.InferInput(input_name, [1, 1, 28, 28], "FP32")
        inp.set_data_from_numpy(x)
        out = [triton.InferRequestedOutput(output_name)]
        time.sleep(max(0.0, warmup_at - time.time()))
        while True:
            t0 = time.time()
            if t0 >= stop_at:
                break
            try:
                ok = c.infer(model, [inp], outputs=out).as_numpy(output_name).shape == (1, 10)
            except Exception:                 # counted: the benchmark reports errors
                ok = False
            t1 = time.time()
            if t0 >= start_at:
                if ok:
                    lat.append(t1 - t0)
                else:
                    errors[0] += 1
        c.close()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    print(json.dumps({"latencies": [v for r in results for v in r[0]], "errors": sum(r[1][0] for r in results)}))


def load(server, model, input_name, output_name, concurrency, seconds, processes, warmup=1.5):
    """``concurrency`` clients (threads spread over up to ``processes`` client processes, so that the
    clients' own GIL does not cap the load) sending back to back; latency, throughput, errors."""
    procs = min(concurrency, processes)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    clients = [subprocess.Popen([sys.executable, "-m", "benchmarks.serve_bench", "--client", server.url, model,
                                 input_name, output_name, str(concurrency // procs + (i < concurrency % procs))],
                                cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for i in range(procs)]
    for c in clients:
        if c.stdout.readline().strip() != "ready":
            raise RuntimeError("a benchmark client process did not start")
    warmup_at = time.time() + 0.2
    start_at = warmup_at + warmup
    stop_at = start_at + seconds
    for c in clients:
        c.stdin.write(f"{warmup_at!r} {start_at!r} {stop_at!r}\n")
        c.stdin.flush()
    time.sleep(max(0.0, start_at - time.time()))
    before = server.batches(model)
    cpu_start = server.cpu_seconds()
    time.sleep(max(0.0, stop_at - time.time()))
    cpu_used = server.cpu_seconds() - cpu_start if cpu_start is not None else float("nan")
    after = server.batches(model)
    lat, errors = [], 0
    for c in clients:
        out, _ = c.communicate(timeout=300)
        result = json.loads(out.strip().splitlines()[-1])
        lat += result["latencies"]
        errors += result["errors"]
    p50, p99 = _percentiles(lat)
    executions = after[0] - before[0]
    return {"concurrency": concurrency, "client_processes": procs, "requests": len(lat), "errors": errors,
            "requests_per_s": len(lat) / seconds, "p50_ms": p50, "p99_ms": p99,
            "server_cpu_ms_per_request": cpu_used * 1e3 / max(len(lat), 1),
            "mean_batch": (after[1] - before[1]) / executions if executions else float("nan")}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.serve_bench")
    ap.add_argument("--seconds", type=float, default=5.0, help="timed seconds per concurrency (default 5)")
    ap.add_argument("--concurrency", default="1,8,32", help="client counts (default 1,8,32)")
    ap.add_argument("--models", default="onnx", help="onnx and/or ember (the checkpoint run by ember), comma-separated")
    ap.add_argument("--server-options", default="", help="extra `ember serve` options, e.g. '--max-delay-ms 1'")
    ap.add_argument("--client-processes", type=int, default=4, help="processes the clients are spread over (default 4)")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "serve_bench.md"))
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--client"]:
        url, model, inp, out, threads = argv[1:6]
        return client_process(url, model, inp, out, int(threads))
    args = ap.parse_args(argv)
    import ember
    from ember.vision.models import MnistCNN
    sys.path.insert(0, ROOT)
    from tests.serve.mnist_onnx import mnist_cnn_onnx
    levels = [int(c) for c in args.concurrency.split(",")]
    report = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
                         f"Python {platform.python_version()}",
              "command": "python -m benchmarks.serve_bench " + " ".join(argv),
              "server_options": args.server_options or "(defaults: --max-batch-size 32 --max-delay-ms 2)",
              "load_average_before": [round(v, 2) for v in os.getloadavg()], "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        ember.manual_seed(0)
        model = MnistCNN().eval()
        onnx_path = mnist_cnn_onnx(model, os.path.join(tmp, "mnist.onnx"))
        ckpt_path = os.path.join(tmp, "mnist-ember.safetensors")
        ember.save(model.state_dict(), ckpt_path)
        report["onnxruntime_in_process"] = onnxruntime_latency(onnx_path)
        print("onnxruntime in-process:", json.dumps(report["onnxruntime_in_process"]), flush=True)
        for kind in args.models.split(","):
            path, name, out = {"onnx": (onnx_path, "mnist", "logits"),
                               "ember": (ckpt_path, "mnist-ember", "output")}[kind]
            server = Server(path, args.server_options.split())
            rows = []
            try:
                for c in levels:
                    row = load(server, name, "input", out, c, args.seconds, args.client_processes)
                    rows.append(row)
                    print(kind, json.dumps(row), flush=True)
            finally:
                report.setdefault("exit_codes", {})[kind] = server.stop()
            report["runs"][kind] = rows
    report["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(report, f, indent=1)
    with open(args.out, "w") as f:
        f.write(render(report))
    print(render(report))


def render(report):
    ort = report["onnxruntime_in_process"]
    lines = ["# Serving benchmark (generated by benchmarks/serve_bench.py)", "",
             f"{report['date']}; {report['machine']}; `{report['command']}`; server: {report['server_options']}; "
             f"load average (1, 5, 15 min) before {report['load_average_before']}, after "
             f"{report['load_average_after']} (the machine is shared: other jobs ran meanwhile).", "",
             "| model | clients | requests/s | p50 ms | p99 ms | errors | mean batch | server CPU ms/request |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for kind, rows in report["runs"].items():
        label = {"onnx": "MnistCNN .onnx (onnxruntime)", "ember": "MnistCNN .safetensors (ember)"}[kind]
        for r in rows:
            lines.append(f"| {label} | {r['concurrency']} | {r['requests_per_s']:.0f} | {r['p50_ms']:.2f} | "
                         f"{r['p99_ms']:.2f} | {r['errors']} | {r['mean_batch']:.1f} | {r['server_cpu_ms_per_request']:.2f} |")
    lines += ["", f"onnxruntime in-process, batch 1: p50 {ort['p50_ms']:.3f} ms, p99 {ort['p99_ms']:.3f} ms; "
                  f"batch 32: {ort['batch32_rows_per_s']:.0f} images/s.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
