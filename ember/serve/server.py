"""Run the inference server on uvicorn until SIGINT/SIGTERM, then shut down gracefully.

On a signal uvicorn stops accepting connections, lets the requests in flight finish (up to
``graceful_timeout`` seconds), then the application's shutdown drains the batchers and the worker
threads; the process exits 0. The listening socket is bound before the models start serving so
that the first line printed names the real port (``port=0`` picks a free one).

>>> serve("model.onnx", port=8000)                  # doctest: +SKIP
ember serve: 1 model (model) on http://127.0.0.1:8000
"""
import signal
import socket
import sys
import threading

from .app import build_app
from .repository import load_repository

__all__ = ["serve", "bind"]


def bind(host, port):
    """A listening TCP socket on ``host:port`` (IPv6 when ``host`` has a colon)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets that
    # say they are TCP; with it on, a response's body segment waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise OSError(f"ember serve: cannot listen on {host}:{port} ({e.strerror or e})") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(source, host="127.0.0.1", port=8000, *, model_name=None, max_batch_size=32, max_delay_ms=2.0,
          max_request_bytes=64 << 20, worker_threads=1, graceful_timeout=30.0, log_level="warning",
          **load_options):
    """Serve ``source`` (a model file, a directory, a ``models:/`` URI, or a ``{name: {version: ServedModel}}``
    dict) until interrupted. ``load_options`` go to :func:`ember.serve.loaders.load_model`."""
    try:
        import uvicorn
    except ImportError:
        raise ImportError('ember serve needs uvicorn and starlette: pip install "ember[serve]"') from None
    repo = source if isinstance(source, dict) else load_repository(source, model_name=model_name, **load_options)
    app = build_app(repo, max_batch_size=max_batch_size, max_delay_ms=max_delay_ms,
                    max_request_bytes=max_request_bytes, worker_threads=worker_threads)
    sock = bind(host, port)
    shown = f"[{host}]" if ":" in host else host
    names = ", ".join(f"{n}" + (f" v{'/'.join(sorted(v))}" if len(v) > 1 else "") for n, v in sorted(repo.items()))
    print(f"ember serve: {len(repo)} model{'s' if len(repo) != 1 else ''} ({names}) on "
          f"http://{shown}:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on",
                            timeout_graceful_shutdown=graceful_timeout)
    server = uvicorn.Server(config)
    # uvicorn re-raises the signal that stopped it once it has shut down; a graceful stop is a
    # success, so SIGTERM is absorbed here and SIGINT's KeyboardInterrupt caught: the exit code is 0.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None) if main else None
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        if main:
            signal.signal(signal.SIGTERM, previous)
    if not server.started:
        print("ember serve: the server did not start (see the log above)", file=sys.stderr)
        return 1
    return 0
