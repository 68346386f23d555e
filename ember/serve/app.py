"""The ASGI application (starlette): the Open Inference Protocol (KServe v2) REST endpoints.

=========================================================  =========================================
``GET  /v2/health/live``, ``GET /v2/health/ready``         200 when live / ready (ready: 400 while stopping)
``GET  /v2``                                               server metadata: name, version, extensions
``GET  /v2/models/NAME[/versions/V]``                      model metadata: versions, platform, inputs, outputs
``GET  /v2/models/NAME[/versions/V]/ready``                200 when the model can serve
``POST /v2/models/NAME[/versions/V]/infer``                inference, JSON or binary tensors
``POST /v2/repository/index`` (also ``GET``)               every model and version, with its state
``GET  /metrics``                                          Prometheus text (see :mod:`ember.serve.metrics`)
=========================================================  =========================================

Errors are JSON ``{"error": "..."}``: 400 for a malformed request or one that does not fit the
model's signature, 404 for an unknown model or version, 413 for a body above the size limit,
500 when the model itself fails.

>>> from ember.serve.model import ServedModel, TensorSpec
>>> model = ServedModel("double", "1", "python", [TensorSpec("x", "FP32", (-1, 2))],
...                     [TensorSpec("y", "FP32", (-1, 2))], lambda feeds: {"y": feeds["x"] * 2})
>>> app = build_app({"double": {"1": model}})
>>> [route.path for route in app.routes][:3]
['/v2/health/live', '/v2/health/ready', '/v2']
>>> import uvicorn                                             # doctest: +SKIP
>>> uvicorn.run(app, host="127.0.0.1", port=8000)              # doctest: +SKIP
"""
import asyncio
import contextlib
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

from .batcher import DynamicBatcher
from .metrics import Metrics
from .protocol import ProtocolError, encode_infer_response, parse_infer_request
from .repository import default_version

__all__ = ["build_app"]

EXTENSIONS = ["binary_tensor_data", "model_repository"]


def _starlette():
    try:
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse, PlainTextResponse, Response
        from starlette.routing import Route
    except ImportError:
        raise ImportError('ember serve needs starlette and uvicorn: pip install "ember[serve]"') from None
    return Starlette, JSONResponse, PlainTextResponse, Response, Route


async def _read_body(request, limit):
    """The request body, refused (413) as soon as it passes ``limit`` bytes, before or after decoding."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ProtocolError(f"the request body is {int(declared)} bytes, above the limit of {limit} bytes "
                            f"(ember serve --max-request-bytes)", status=413)
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise ProtocolError(f"the request body passed the limit of {limit} bytes (ember serve "
                                f"--max-request-bytes)", status=413)
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").lower()
    if encoding in ("gzip", "deflate"):
        # tritonclient's request_compression_algorithm; bounded so a small bomb cannot blow up memory.
        inflater = zlib.decompressobj(wbits=31 if encoding == "gzip" else 15)
        try:
            body = inflater.decompress(body, limit + 1)
        except zlib.error as e:
            raise ProtocolError(f"the {encoding} request body does not decompress ({e})") from None
        if len(body) > limit or inflater.unconsumed_tail:
            raise ProtocolError(f"the decompressed request body is above the limit of {limit} bytes", status=413)
    elif encoding != "identity":
        raise ProtocolError(f"Content-Encoding {encoding!r} is not supported; use gzip, deflate or none", status=415)
    return body


def build_app(repository, *, max_batch_size=32, max_delay_ms=2.0, max_request_bytes=64 << 20, worker_threads=1):
    """The starlette application serving ``repository`` (``{name: {version: ServedModel}}``).

    Args:
        max_batch_size (int): most rows one model execution runs (dynamic batching; 1 turns it off).
        max_delay_ms (float): how long a batch's first request may wait for others.
        max_request_bytes (int): the largest request body accepted (413 above it).
        worker_threads (int): threads running model executions (also each model's concurrent batches);
            0 runs them on the event loop thread.
    """
    Starlette, JSONResponse, PlainTextResponse, Response, Route = _starlette()
    import ember
    if not repository:
        raise ValueError("ember.serve.build_app: the repository holds no models")
    if worker_threads < 0:
        raise ValueError(f"ember serve: --worker-threads must be >= 0, got {worker_threads}")
    if max_request_bytes < 1:
        raise ValueError(f"ember serve: --max-request-bytes must be >= 1, got {max_request_bytes}")
    metrics = Metrics()
    state = {"ready": False, "batchers": {}}
    executor = ThreadPoolExecutor(max_workers=worker_threads, thread_name_prefix="ember-serve") if worker_threads else None

    def error(message, status):
        return JSONResponse({"error": message}, status_code=status)

    def lookup(request):
        name = request.path_params["name"]
        version = request.path_params.get("version")
        versions = repository.get(name)
        if versions is None:
            raise ProtocolError(f"model {name!r} is not served; served models: {sorted(repository)}", status=404)
        if version is None:
            version = default_version(versions)
        if version not in versions:
            raise ProtocolError(f"model {name!r} has no version {version!r}; versions: {sorted(versions)}",
                                status=404)
        return versions[version], versions

    def handles_errors(endpoint):
        async def wrapped(request):
            try:
                return await endpoint(request)
            except ProtocolError as e:
                return error(str(e), e.status)
        return wrapped

    async def live(request):
        return JSONResponse({"live": True})

    async def ready(request):
        return JSONResponse({"ready": state["ready"]}, status_code=200 if state["ready"] else 400)

    async def server_metadata(request):
        return JSONResponse({"name": "ember", "version": ember.__version__, "extensions": EXTENSIONS})

    @handles_errors
    async def model_metadata(request):
        model, versions = lookup(request)
        return JSONResponse(model.metadata(sorted(versions, key=lambda v: (len(v), v))))

    @handles_errors
    async def model_ready(request):
        model, _ = lookup(request)
        ok = state["ready"] and (model.name, model.version) in state["batchers"]
        return JSONResponse({"name": model.name, "ready": ok}, status_code=200 if ok else 400)

    async def repository_index(request):
        return JSONResponse([{"name": name, "version": v, "state": "READY" if state["ready"] else "UNAVAILABLE"}
                             for name in sorted(repository) for v in sorted(repository[name])])

    async def infer(request):
        started = time.perf_counter()
        try:
            model, _ = lookup(request)
        except ProtocolError as e:
            return error(str(e), e.status)
        key = (model.name, model.version)
        metrics.pending[key] += 1
        try:
            body = await _read_body(request, max_request_bytes)
            header_length = request.headers.get("inference-header-content-length")
            if header_length is not None:
                if not header_length.strip().isdigit():
                    raise ProtocolError(f"Inference-Header-Content-Length must be an integer, got {header_length!r}")
                header_length = int(header_length)
            req = parse_infer_request(body, header_length)
            model.check_inputs(req.inputs)
            names = [t.name for t in model.outputs]
            if req.outputs is None:
                binary = {n: req.binary_output for n in names}
            else:
                unknown = [n for n in req.outputs if n not in names]
                if unknown:
                    raise ProtocolError(f"model {model.name!r} has outputs {names}; requested {unknown} it lacks")
                binary = req.outputs
            batcher = state["batchers"].get(key)
            if batcher is None:
                raise ProtocolError(f"model {model.name!r} is not ready (the server is starting or stopping)",
                                    status=503)
            outputs = await batcher.submit(req.inputs)
            outputs = {n: outputs[n] for n in binary}
            content, json_length = encode_infer_response(model.name, model.version, req.id, outputs, binary)
        except ProtocolError as e:
            metrics.observe_request(model.name, model.version, False, time.perf_counter() - started)
            return error(str(e), e.status)
        except Exception as e:                 # the model failed on valid input
            metrics.observe_request(model.name, model.version, False, time.perf_counter() - started)
            return error(f"model {model.name!r} version {model.version} failed: {type(e).__name__}: {e}", 500)
        finally:
            metrics.pending[key] -= 1
        metrics.observe_request(model.name, model.version, True, time.perf_counter() - started)
        if json_length is None:
            return Response(content, media_type="application/json")
        return Response(content, media_type="application/octet-stream",
                        headers={"Inference-Header-Content-Length": str(json_length)})

    async def prometheus(request):
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        for name, versions in repository.items():
            for version, model in versions.items():
                def on_batch(rows, waits, _n=name, _v=version):
                    metrics.observe_batch(_n, _v, rows, waits)
                batcher = DynamicBatcher(model, executor, max_batch_size=max_batch_size,
                                         max_delay=max_delay_ms / 1e3, max_concurrency=max(worker_threads, 1),
                                         on_batch=on_batch)
                batcher.start()
                state["batchers"][(name, version)] = batcher
        state["ready"] = True
        try:
            yield
        finally:
            # uvicorn has finished the in-flight requests by now; the batchers drain what is left.
            state["ready"] = False
            await asyncio.gather(*(b.stop() for b in state["batchers"].values()))
            state["batchers"].clear()
            if executor is not None:
                executor.shutdown(wait=True)

    model_paths = ["/v2/models/{name}", "/v2/models/{name}/versions/{version}"]
    routes = [Route("/v2/health/live", live), Route("/v2/health/ready", ready), Route("/v2", server_metadata),
              Route("/v2/repository/index", repository_index, methods=["GET", "POST"]),
              Route("/metrics", prometheus)]
    for path in model_paths:
        routes += [Route(path, model_metadata), Route(path + "/ready", model_ready),
                   Route(path + "/infer", infer, methods=["POST"])]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.metrics = metrics
    app.state.serve = state
    return app
