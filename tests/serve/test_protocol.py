"""The KServe v2 wire format against tritonclient's own encoder and decoder (the real client's code)."""
import json

import numpy as np
import pytest
import tritonclient.http as triton
from tritonclient.http._utils import _get_inference_request

from ember.serve.protocol import ProtocolError, encode_infer_response, parse_infer_request

DTYPES = [np.bool_, np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int16, np.int32, np.int64,
          np.float16, np.float32, np.float64]


def _array(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    if dtype is np.bool_:
        return rng.random(shape) > 0.5
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(max(info.min, -1000), min(info.max, 1000), shape, endpoint=True).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _client_request(arrays, binary, outputs=None):
    inputs = []
    for name, a in arrays.items():
        inp = triton.InferInput(name, list(a.shape), triton.np_to_triton_dtype(a.dtype))
        inp.set_data_from_numpy(a, binary_data=binary)
        inputs.append(inp)
    return _get_inference_request(inputs, "req-7", outputs, 0, False, False, 0, None, None)


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_requests_from_tritonclient_parse_exactly(dtype, binary):
    arrays = {"a": _array(dtype, (2, 3), 0), "b": _array(dtype, (4,), 1)}
    body, header_length = _client_request(arrays, binary)
    assert (header_length is not None) == binary
    req = parse_infer_request(body, header_length)
    assert req.id == "req-7" and req.outputs is None and req.binary_output
    for name, a in arrays.items():
        assert req.inputs[name].dtype == a.dtype and req.inputs[name].shape == a.shape
        np.testing.assert_array_equal(req.inputs[name], a)


def test_requested_outputs_and_binary_flags():
    outputs = [triton.InferRequestedOutput("y", binary_data=True), triton.InferRequestedOutput("z", binary_data=False)]
    body, header_length = _client_request({"x": np.zeros((1, 2), np.float32)}, True, outputs)
    req = parse_infer_request(body, header_length)
    assert req.outputs == {"y": True, "z": False} and not req.binary_output


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_responses_decode_in_tritonclient(dtype):
    outputs = {"p": _array(dtype, (3, 2), 2), "q": _array(dtype, (5,), 3), "r": _array(dtype, (2, 2), 4)}
    body, header_length = encode_infer_response("m", "3", "id-1", outputs, {"p": True, "q": False, "r": True})
    result = triton.InferResult.from_response_body(body, header_length=header_length)
    assert result.get_response()["model_name"] == "m" and result.get_response()["id"] == "id-1"
    for name, a in outputs.items():
        got = result.as_numpy(name)
        assert got.dtype == a.dtype and got.shape == a.shape
        np.testing.assert_array_equal(got, a)


def test_nested_json_data_is_row_major():
    body = json.dumps({"inputs": [{"name": "x", "shape": [2, 3], "datatype": "INT32",
                                   "data": [[1, 2, 3], [4, 5, 6]]}]}).encode()
    np.testing.assert_array_equal(parse_infer_request(body).inputs["x"], np.arange(1, 7).reshape(2, 3))


@pytest.mark.parametrize("request_,message", [
    ([1, 2], "must be a JSON object"),
    ({"inputs": [{"name": "x", "shape": [2, -1], "datatype": "FP32", "data": [1, 2]}]}, "non-negative integers"),
    ({"inputs": [{"name": "x", "shape": [2], "datatype": "FP32"}]}, "neither 'data' nor"),
    ({"inputs": [{"name": "x", "shape": [2], "datatype": "BOOL", "data": [1, 0]}]}, "only true/false"),
    ({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}] * 2}, "given twice"),
    ({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}],
      "outputs": [{"name": "y", "parameters": {"classification": 3}}]}, "classification extension"),
])
def test_malformed_requests_say_what_is_wrong(request_, message):
    with pytest.raises(ProtocolError, match=message) as info:
        parse_infer_request(json.dumps(request_).encode())
    assert info.value.status == 400


def test_header_length_beyond_the_body():
    with pytest.raises(ProtocolError, match="Inference-Header-Content-Length is 99 but the body has 2 bytes"):
        parse_infer_request(b"{}", 99)


def test_json_cannot_carry_nan_but_binary_can():
    outputs = {"y": np.array([1.0, np.nan], np.float32)}
    with pytest.raises(ProtocolError, match="inf or nan"):
        encode_infer_response("m", "1", None, outputs, {"y": False})
    body, n = encode_infer_response("m", "1", None, outputs, {"y": True})
    np.testing.assert_array_equal(triton.InferResult.from_response_body(body, header_length=n).as_numpy("y"),
                                  outputs["y"])
