"""`ember serve` over the Open Inference Protocol, driven by the real tritonclient[http] client.

Oracles: onnxruntime running the same .onnx in this process, PyTorch running the checkpoint's
weights, NumPy's closed form of the Keras model, and the wire format as tritonclient parses it.
"""
import re
import threading

import httpx
import numpy as np
import onnxruntime as ort
import pytest
import torch
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from .conftest import torch_mnist_cnn


def _images(n, seed):
    return np.random.default_rng(seed).standard_normal((n, 1, 28, 28)).astype(np.float32)


def _infer(client, model, name, x, binary_in, binary_out, output=None, version=""):
    inp = triton.InferInput(name, list(x.shape), triton.np_to_triton_dtype(x.dtype))
    inp.set_data_from_numpy(x, binary_data=binary_in)
    outputs = [triton.InferRequestedOutput(output, binary_data=binary_out)] if output else None
    return client.infer(model, [inp], outputs=outputs, model_version=version)


def _metric(text, name, **labels):
    want = [f'{k}="{v}"' for k, v in labels.items()]
    for line in text.splitlines():
        if line.startswith(name + "{") and all(w in line.split("}")[0] for w in want):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_health_and_server_metadata(server):
    client = triton.InferenceServerClient(server.url)
    assert client.is_server_live() and client.is_server_ready()
    meta = client.get_server_metadata()
    import ember
    assert meta["name"] == "ember" and meta["version"] == ember.__version__
    assert "binary_tensor_data" in meta["extensions"]
    assert client.is_model_ready("mnist") and client.is_model_ready("mlp", "1")
    assert not client.is_model_ready("no-such-model")
    index = client.get_model_repository_index()
    assert {(m["name"], m["version"]) for m in index} == {("cnn", "1"), ("dense", "1"), ("mnist", "1"),
                                                          ("mlp", "1"), ("mlp", "2")}


def test_model_metadata_matches_the_models(server, repo):
    client = triton.InferenceServerClient(server.url)
    session = ort.InferenceSession(str(repo["root"] / "mnist.onnx"), providers=["CPUExecutionProvider"])
    meta = client.get_model_metadata("mnist")
    assert meta["platform"] == "onnxruntime_onnx" and meta["versions"] == ["1"]
    assert [(t["name"], t["datatype"]) for t in meta["inputs"]] == [(a.name, "FP32") for a in session.get_inputs()]
    # The symbolic batch dimension "N" of the graph is -1; the others are the graph's.
    assert meta["inputs"][0]["shape"] == [-1] + session.get_inputs()[0].shape[1:]
    assert meta["outputs"] == [{"name": "logits", "datatype": "FP32", "shape": [-1, 10]}]
    assert client.get_model_metadata("cnn")["inputs"] == [{"name": "input", "datatype": "FP32",
                                                           "shape": [-1, 1, 28, 28]}]
    dense = client.get_model_metadata("dense")
    assert dense["platform"] == "ember_keras"
    assert dense["inputs"] == [{"name": "features", "datatype": "FP32", "shape": [-1, 4]}]
    assert dense["outputs"] == [{"name": "scores", "datatype": "FP32", "shape": [-1, 3]}]
    assert client.get_model_metadata("mlp")["versions"] == ["1", "2"]


@pytest.mark.parametrize("binary_in,binary_out", [(True, True), (False, False), (True, False), (False, True)])
def test_infer_onnx_equals_onnxruntime(server, repo, binary_in, binary_out):
    client = triton.InferenceServerClient(server.url)
    x = _images(3, seed=int(binary_in) * 2 + int(binary_out))
    session = ort.InferenceSession(str(repo["root"] / "mnist.onnx"), providers=["CPUExecutionProvider"])
    expected = session.run(["logits"], {"input": x})[0]
    result = _infer(client, "mnist", "input", x, binary_in, binary_out, output="logits")
    got = result.as_numpy("logits")
    assert got.dtype == np.float32 and got.shape == (3, 10)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    entry = result.get_output("logits")
    assert ("binary_data_size" in entry.get("parameters", {})) == binary_out
    assert result.get_response()["model_name"] == "mnist" and result.get_response()["model_version"] == "1"


def test_infer_checkpoint_equals_torch(server, repo):
    client = triton.InferenceServerClient(server.url)
    x = _images(5, seed=7)
    with torch.no_grad():
        expected = torch_mnist_cnn(repo["cnn"])(torch.from_numpy(x)).numpy()
    # No outputs named: tritonclient asks for all of them, in binary.
    got = _infer(client, "cnn", "input", x, True, True).as_numpy("output")
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_infer_keras_equals_closed_form(server, repo):
    client = triton.InferenceServerClient(server.url)
    x = np.random.default_rng(3).standard_normal((4, 4)).astype(np.float32)
    w1, b1, w2, b2 = repo["dense_weights"]
    expected = np.maximum(x.astype(np.float64) @ w1 + b1, 0) @ w2 + b2
    got = _infer(client, "dense", "features", x, False, False, output="scores").as_numpy("scores")
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_versions_default_to_the_highest(server, repo):
    client = triton.InferenceServerClient(server.url)
    x = _images(2, seed=11)
    mlps = repo["mlps"]
    ref = {}
    for v, model in mlps.items():
        w = {k: t.numpy().astype(np.float64) for k, t in model.state_dict().items()}
        h = x.reshape(2, -1).astype(np.float64)
        h = np.maximum(h @ w["fc1.weight"].T + w["fc1.bias"], 0)
        h = np.maximum(h @ w["fc2.weight"].T + w["fc2.bias"], 0)
        ref[v] = h @ w["fc3.weight"].T + w["fc3.bias"]
    assert not np.allclose(ref["1"], ref["2"])
    for version, want in (("1", "1"), ("2", "2"), ("", "2")):
        result = _infer(client, "mlp", "input", x, True, True, version=version)
        assert result.get_response()["model_version"] == want
        np.testing.assert_allclose(result.as_numpy("output"), ref[want], rtol=1e-4, atol=1e-5)


def test_concurrent_requests_are_batched_and_correct(server, repo):
    session = ort.InferenceSession(str(repo["root"] / "mnist.onnx"), providers=["CPUExecutionProvider"])
    before = httpx.get(server.base + "/metrics").text
    n = 32
    inputs = [_images(1 + i % 3, seed=100 + i) for i in range(n)]
    results, errors = [None] * n, []
    barrier = threading.Barrier(n)

    def worker(i):
        try:
            client = triton.InferenceServerClient(server.url)
            barrier.wait(10)
            results[i] = _infer(client, "mnist", "input", inputs[i], True, True).as_numpy("logits")
        except Exception as e:               # reported below, with the request that failed
            errors.append((i, repr(e)))
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    for x, got in zip(inputs, results):
        np.testing.assert_allclose(got, session.run(["logits"], {"input": x})[0], rtol=1e-5, atol=1e-6)
    after = httpx.get(server.base + "/metrics").text
    labels = {"model": "mnist", "version": "1"}
    executions = (_metric(after, "ember_inference_batch_size_count", **labels)
                  - _metric(before, "ember_inference_batch_size_count", **labels))
    rows = _metric(after, "ember_inference_batch_size_sum", **labels) - _metric(before, "ember_inference_batch_size_sum",
                                                                               **labels)
    assert rows == sum(len(x) for x in inputs)
    assert executions < n, f"{n} concurrent requests ran in {executions} model executions: no batching"
    ok = (_metric(after, "ember_inference_requests_total", status="success", **labels)
          - _metric(before, "ember_inference_requests_total", status="success", **labels))
    assert ok == n


def _post(server, model, body, headers=None):
    return httpx.post(f"{server.base}/v2/models/{model}/infer", content=body, headers=headers or {}, timeout=30)


def _json_input(name="input", shape=(1, 1, 28, 28), datatype="FP32", data=None):
    size = int(np.prod(shape))
    return {"name": name, "shape": list(shape), "datatype": datatype, "data": data if data is not None else [0.5] * size}


@pytest.mark.parametrize("body,status,message", [
    (b"{not json", 400, "not valid JSON"),
    ({"inputs": [_json_input(name="image")]}, 400, "takes inputs ['input'], got ['image']"),
    ({"inputs": [_json_input(shape=(1, 1, 28, 27))]}, 400, "expected shape [-1, 1, 28, 28], got [1, 1, 28, 27]"),
    ({"inputs": [_json_input(data=[0.5] * 10)]}, 400, "has 10 elements but shape [1, 1, 28, 28] needs 784"),
    ({"inputs": [_json_input(datatype="FP64")]}, 400, "expected datatype FP32, got FP64"),
    ({"inputs": [_json_input(datatype="BYTES")]}, 400, "datatype 'BYTES' is not supported"),
    ({"inputs": [_json_input(data=[[0.5, "a"]] * 392)]}, 400, "not a rectangular list of FP32 numbers"),
    ({"inputs": [_json_input()], "outputs": [{"name": "probs"}]}, 400, "requested ['probs']"),
    ({"inputs": []}, 400, "non-empty list"),
])
def test_bad_requests_get_400_with_a_clear_message(server, body, status, message):
    import json
    response = _post(server, "mnist", body if isinstance(body, bytes) else json.dumps(body).encode())
    assert response.status_code == status
    assert message in response.json()["error"]


def test_binary_size_mismatch_and_unknown_model(server):
    header = b'{"inputs":[{"name":"input","shape":[1,1,28,28],"datatype":"FP32","parameters":{"binary_data_size":3136}}]}'
    response = _post(server, "mnist", header + b"\0" * 100, {"Inference-Header-Content-Length": str(len(header))})
    assert response.status_code == 400 and "binary_data_size says 3136" in response.json()["error"]
    response = _post(server, "mnist", header + b"\0" * 3140, {"Inference-Header-Content-Length": str(len(header))})
    assert response.status_code == 400 and "4 bytes of binary data that no input claims" in response.json()["error"]
    response = _post(server, "nope", b"{}")
    assert response.status_code == 404 and "model 'nope' is not served" in response.json()["error"]
    response = httpx.get(server.base + "/v2/models/mlp/versions/9")
    assert response.status_code == 404 and "versions: ['1', '2']" in response.json()["error"]


def test_tritonclient_sees_the_error_message(server):
    client = triton.InferenceServerClient(server.url)
    x = np.zeros((1, 1, 28, 27), np.float32)
    with pytest.raises(InferenceServerException, match=re.escape("expected shape [-1, 1, 28, 28], got [1, 1, 28, 27]")):
        _infer(client, "mnist", "input", x, True, True)


def test_request_size_limit(server):
    big = np.zeros((400, 1, 28, 28), np.float32)          # 1.25 MB, above the server's 1 MB limit
    header = (b'{"inputs":[{"name":"input","shape":[400,1,28,28],"datatype":"FP32",'
              b'"parameters":{"binary_data_size":%d}}]}' % big.nbytes)
    response = _post(server, "mnist", header + big.tobytes(), {"Inference-Header-Content-Length": str(len(header))})
    assert response.status_code == 413 and "above the limit of 1048576 bytes" in response.json()["error"]
    # A gzip body that inflates past the limit is refused too.
    import gzip
    response = _post(server, "mnist", gzip.compress(header + big.tobytes()),
                     {"Inference-Header-Content-Length": str(len(header)), "Content-Encoding": "gzip"})
    assert response.status_code == 413


def test_gzip_request_from_tritonclient(server, repo):
    client = triton.InferenceServerClient(server.url)
    x = _images(2, seed=5)
    inp = triton.InferInput("input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    result = client.infer("mnist", [inp], request_compression_algorithm="gzip")
    session = ort.InferenceSession(str(repo["root"] / "mnist.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(result.as_numpy("logits"), session.run(["logits"], {"input": x})[0], rtol=1e-5,
                               atol=1e-6)


def test_metrics_count_successes_and_failures(server):
    before = httpx.get(server.base + "/metrics").text
    client = triton.InferenceServerClient(server.url)
    x = np.ones((2, 4), np.float32)
    for _ in range(3):
        _infer(client, "dense", "features", x, True, True)
    assert _post(server, "dense", b'{"inputs": [{"name": "features", "shape": [2, 5], "datatype": "FP32", '
                                  b'"data": [0,0,0,0,0,0,0,0,0,0]}]}').status_code == 400
    response = httpx.get(server.base + "/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    after = response.text
    labels = {"model": "dense", "version": "1"}
    for status, n in (("success", 3), ("failure", 1)):
        delta = (_metric(after, "ember_inference_requests_total", status=status, **labels)
                 - _metric(before, "ember_inference_requests_total", status=status, **labels))
        assert delta == n
    assert 'ember_inference_pending_requests{model="dense",version="1"} 0' in after.splitlines()
    # Text exposition format: every sample line is NAME{labels} VALUE, histogram buckets are cumulative.
    sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? [-+0-9.eEinfINF]+$')
    for line in after.splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or sample.match(line), line
    buckets = [float(line.rsplit(" ", 1)[1]) for line in after.splitlines()
               if line.startswith('ember_inference_request_duration_seconds_bucket{model="dense"')]
    assert buckets == sorted(buckets) and buckets[-1] == _metric(after, "ember_inference_request_duration_seconds_count",
                                                                 **labels)
