"""``ember serve PATH``: serve models over the Open Inference Protocol (KServe v2) REST API.

PATH is a model file (``.onnx``, ``.keras``, ``.h5``, ``.safetensors`` from ``ember.save`` or
``ember train``), a directory of them (or Triton-style ``NAME/VERSION/model.onnx``), or a registry URI
``models:/NAME@ALIAS`` / ``models:/NAME/VERSION`` / ``models:/NAME/latest``. See docs/serving.md.

    ember serve ember-mnist-cnn.safetensors --port 8000
    ember serve models/ --max-batch-size 64 --max-delay-ms 1
    ember serve models:/mnist-cnn@production
"""


def _shape(text):
    try:
        dims = tuple(int(d) for d in text.replace("x", ",").split(",") if d.strip())
    except ValueError:
        dims = ()
    if not dims or any(d < 1 for d in dims):
        import argparse
        raise argparse.ArgumentTypeError(f"expected positive dimensions such as 1,28,28, got {text!r}")
    return dims


def add_parser(sub):
    p = sub.add_parser("serve", help="serve models over the Open Inference Protocol (KServe v2 REST)",
                       description="Serve ember checkpoints, .keras files and ONNX models over the Open Inference "
                                   "Protocol (KServe v2) REST API, with dynamic batching and Prometheus metrics at "
                                   "/metrics. Stops gracefully on Ctrl-C or SIGTERM.")
    p.add_argument("path", metavar="DIR_OR_MODEL",
                   help="a model file, a directory of models, or a registry URI: models:/NAME@ALIAS, "
                        "models:/NAME/VERSION or models:/NAME/latest")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on; 0 picks a free one (default: %(default)s)")
    p.add_argument("--model-name", default=None, help="serve a single model file under this name (default: its stem)")
    p.add_argument("--max-batch-size", type=int, default=32,
                   help="most rows in one model execution; 1 turns dynamic batching off (default: %(default)s)")
    p.add_argument("--max-delay-ms", type=float, default=2.0,
                   help="how long a batch's first request waits for others, in ms (default: %(default)s)")
    p.add_argument("--max-request-bytes", type=int, default=64 << 20,
                   help="largest request body accepted; larger ones get 413 (default: %(default)s)")
    p.add_argument("--worker-threads", type=int, default=1,
                   help="threads running model executions; 0 runs them on the event loop, the lowest latency for "
                        "sub-millisecond models (default: %(default)s)")
    p.add_argument("--arch", default=None, metavar="package.module.Class",
                   help="the ember nn.Module class of a state-dict checkpoint (default: matched by parameter names "
                        "and shapes against the bundled MNIST models)")
    p.add_argument("--input-shape", type=_shape, default=None, metavar="D1,D2,...",
                   help="a checkpoint's input shape without the batch dimension (default: 1,28,28 for the MNIST "
                        "models)")
    p.add_argument("--input-datatype", default="FP32", help="a checkpoint's input datatype (default: %(default)s)")
    p.add_argument("--onnx-backend", choices=["auto", "onnxruntime", "ember"], default="auto",
                   help="what runs ONNX models: onnxruntime if installed (auto), or ember.onnx (default: %(default)s)")
    p.add_argument("--tracking-uri", default=None, metavar="URI",
                   help="the registry database of models:/ URIs: sqlite:///PATH or a path (default: "
                        "$EMBER_TRACKING_URI, else sqlite:///ember-runs.db in the working directory)")
    p.add_argument("--graceful-timeout", type=float, default=30.0,
                   help="seconds in-flight requests get to finish after SIGTERM (default: %(default)s)")
    p.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"],
                   help="uvicorn's log level (default: %(default)s)")
    p.set_defaults(func=run)
    return p


def run(args):
    from ..serve import serve
    for option, value, low in (("--max-batch-size", args.max_batch_size, 1), ("--worker-threads", args.worker_threads, 0),
                               ("--max-request-bytes", args.max_request_bytes, 1)):
        if value < low:
            raise SystemExit(f"ember serve: error: {option} must be >= {low}, got {value}")
    if args.max_delay_ms < 0:
        raise SystemExit(f"ember serve: error: --max-delay-ms must be >= 0, got {args.max_delay_ms}")
    try:
        return serve(args.path, args.host, args.port, model_name=args.model_name, max_batch_size=args.max_batch_size,
                     max_delay_ms=args.max_delay_ms, max_request_bytes=args.max_request_bytes,
                     worker_threads=args.worker_threads, graceful_timeout=args.graceful_timeout,
                     log_level=args.log_level, arch=args.arch, input_shape=args.input_shape,
                     input_datatype=args.input_datatype, onnx_backend=args.onnx_backend,
                     tracking_uri=args.tracking_uri)
    except (FileNotFoundError, ValueError, OSError, ImportError) as e:
        message = str(e)
        message = message[len("ember serve: "):] if message.startswith("ember serve: ") else message
        raise SystemExit(f"ember serve: error: {message}") from None
