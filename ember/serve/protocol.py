"""The Open Inference Protocol (KServe v2) REST wire format: tensors in JSON and in the binary extension.

An inference request is a JSON object ``{"id"?, "parameters"?, "inputs": [...], "outputs"?: [...]}``;
each input is ``{"name", "shape", "datatype", "data"}`` with ``data`` flat or nested in row-major
order, ``prod(shape)`` elements. With the binary tensor data extension the body is the JSON header
(its length in the ``Inference-Header-Content-Length`` HTTP header) followed by the raw
little-endian bytes of the inputs whose ``parameters.binary_data_size`` is set, in input order.
Outputs are returned the same way: as JSON ``data``, or as raw bytes after the JSON header when the
request asks (``outputs[i].parameters.binary_data``, or ``parameters.binary_data_output`` for all).

Datatypes are KServe's names: BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64 (BYTES and BF16
are not served). Every malformed request raises :class:`ProtocolError` (HTTP 400) saying which
input is wrong, what was expected and what was given.

>>> import numpy as np
>>> req = parse_infer_request(b'{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}')
>>> req.inputs["x"]
array([[1., 2.]], dtype=float32)
>>> body, header_length = encode_infer_response("m", "1", None, {"y": np.array([3], np.int64)}, {"y": False})
>>> body, header_length
(b'{"model_name":"m","model_version":"1","outputs":[{"name":"y","datatype":"INT64","shape":[1],"data":[3]}]}', None)
"""
import json
import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["DATATYPES", "ProtocolError", "InferRequest", "datatype_of", "parse_infer_request",
           "encode_infer_response"]

# KServe datatype -> NumPy dtype (little-endian, as the binary extension lays tensors out).
DATATYPES = {
    "BOOL": np.dtype(np.bool_), "UINT8": np.dtype("<u1"), "UINT16": np.dtype("<u2"), "UINT32": np.dtype("<u4"),
    "UINT64": np.dtype("<u8"), "INT8": np.dtype("<i1"), "INT16": np.dtype("<i2"), "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"), "FP16": np.dtype("<f2"), "FP32": np.dtype("<f4"), "FP64": np.dtype("<f8"),
}
_BY_KIND = {(dt.kind, dt.itemsize): name for name, dt in DATATYPES.items()}


class ProtocolError(ValueError):
    """A request the server refuses; ``status`` is the HTTP status code (400 unless said)."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def datatype_of(dtype):
    """The KServe datatype name of a NumPy dtype (``float32`` -> ``"FP32"``)."""
    dt = np.dtype(dtype)
    name = _BY_KIND.get((dt.kind, dt.itemsize))
    if name is None:
        raise ProtocolError(f"ember.serve: NumPy dtype {dt} has no Open Inference Protocol datatype; "
                            f"supported: {', '.join(DATATYPES)}", status=500)
    return name


@dataclass
class InferRequest:
    """A parsed inference request: input arrays by name and how to return each output.

    ``outputs`` is None when the request names none (all outputs are returned); otherwise a dict of
    requested output name -> True for binary, False for JSON data.
    """
    inputs: dict
    id: object = None
    outputs: dict = None
    binary_output: bool = False
    parameters: dict = field(default_factory=dict)


def _check_shape(where, shape):
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                              for d in shape):
        raise ProtocolError(f"{where}: 'shape' must be a list of non-negative integers, got {shape!r}")
    return tuple(shape)


def _decode_json_data(where, data, shape, datatype, dtype):
    if not isinstance(data, list):
        raise ProtocolError(f"{where}: 'data' must be a (flat or nested) list, got {type(data).__name__}")
    try:
        flat = np.array(data, dtype=object if datatype == "BOOL" else dtype).reshape(-1)
    except (ValueError, TypeError, OverflowError) as e:
        raise ProtocolError(f"{where}: 'data' is not a rectangular list of {datatype} numbers ({e})") from None
    if datatype == "BOOL":
        if not all(isinstance(v, bool) for v in flat):
            raise ProtocolError(f"{where}: BOOL 'data' must hold only true/false")
        flat = flat.astype(np.bool_)
    expected = math.prod(shape)
    if flat.size != expected:
        raise ProtocolError(f"{where}: 'data' has {flat.size} elements but shape {list(shape)} needs {expected}")
    return flat.reshape(shape)


def parse_infer_request(body, header_length=None):
    """Parse an inference request body (bytes) into an :class:`InferRequest`.

    Args:
        body (bytes): the whole HTTP body.
        header_length (int, optional): the ``Inference-Header-Content-Length`` header: the JSON part's
            length; the rest of the body is binary tensor data.
    """
    if header_length is None:
        header, binary = body, b""
    else:
        if not 0 <= header_length <= len(body):
            raise ProtocolError(f"Inference-Header-Content-Length is {header_length} but the body has "
                                f"{len(body)} bytes")
        header, binary = body[:header_length], memoryview(body)[header_length:]
    try:
        request = json.loads(header)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ProtocolError(f"the request body is not valid JSON ({e})") from None
    if not isinstance(request, dict):
        raise ProtocolError(f"the request must be a JSON object, got {type(request).__name__}")
    parameters = request.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise ProtocolError("'parameters' must be an object")
    raw_inputs = request.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        raise ProtocolError("the request needs 'inputs': a non-empty list of tensors")
    inputs, offset = {}, 0
    for i, tensor in enumerate(raw_inputs):
        if not isinstance(tensor, dict) or not isinstance(tensor.get("name"), str):
            raise ProtocolError(f"inputs[{i}] must be an object with a string 'name'")
        name = tensor["name"]
        where = f"input {name!r}"
        if name in inputs:
            raise ProtocolError(f"{where} is given twice")
        shape = _check_shape(where, tensor.get("shape"))
        datatype = tensor.get("datatype")
        if datatype not in DATATYPES:
            raise ProtocolError(f"{where}: datatype {datatype!r} is not supported; expected one of "
                                f"{', '.join(DATATYPES)}")
        dtype = DATATYPES[datatype]
        params = tensor.get("parameters") or {}
        size = params.get("binary_data_size") if isinstance(params, dict) else None
        if size is not None:
            expected = math.prod(shape) * dtype.itemsize
            if size != expected:
                raise ProtocolError(f"{where}: binary_data_size is {size} bytes but shape {list(shape)} of "
                                    f"{datatype} needs {expected}")
            if offset + size > len(binary):
                raise ProtocolError(f"{where}: the body holds {len(binary) - offset} bytes of binary data "
                                    f"for it, binary_data_size says {size}")
            inputs[name] = np.frombuffer(binary[offset:offset + size], dtype=dtype).reshape(shape)
            offset += size
        else:
            if "data" not in tensor:
                raise ProtocolError(f"{where} has neither 'data' nor parameters.binary_data_size")
            inputs[name] = _decode_json_data(where, tensor["data"], shape, datatype, dtype)
    if offset != len(binary):
        raise ProtocolError(f"the body has {len(binary) - offset} bytes of binary data that no input claims")
    binary_output = bool(parameters.get("binary_data_output", False))
    outputs = None
    if request.get("outputs") is not None:
        if not isinstance(request["outputs"], list):
            raise ProtocolError("'outputs' must be a list of {\"name\": ...} objects")
        outputs = {}
        for j, out in enumerate(request["outputs"]):
            if not isinstance(out, dict) or not isinstance(out.get("name"), str):
                raise ProtocolError(f"outputs[{j}] must be an object with a string 'name'")
            params = out.get("parameters") or {}
            if not isinstance(params, dict):
                raise ProtocolError(f"output {out['name']!r}: 'parameters' must be an object")
            if params.get("classification"):
                raise ProtocolError(f"output {out['name']!r}: the classification extension is not supported")
            outputs[out["name"]] = bool(params.get("binary_data", binary_output))
    return InferRequest(inputs=inputs, id=request.get("id"), outputs=outputs, binary_output=binary_output,
                        parameters=parameters)


def _json_data(array):
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        # JSON has no inf/nan; the binary extension carries them exactly.
        raise ProtocolError("an output holds inf or nan, which JSON cannot carry: ask for it with "
                            "binary_data=true", status=500)
    return array.reshape(-1).tolist()


def encode_infer_response(model_name, model_version, request_id, outputs, binary):
    """The response body and its ``Inference-Header-Content-Length`` (None when all JSON).

    Args:
        outputs (dict[str, numpy.ndarray]): output arrays in the order to return them.
        binary (dict[str, bool]): per output, whether to send it as binary data.
    """
    response = {"model_name": model_name, "model_version": model_version}
    if request_id is not None:
        response["id"] = request_id
    tensors, blobs = [], []
    for name, array in outputs.items():
        array = np.asarray(array)
        tensor = {"name": name, "datatype": datatype_of(array.dtype), "shape": list(array.shape)}
        if binary.get(name):
            raw = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
            tensor["parameters"] = {"binary_data_size": len(raw)}
            blobs.append(raw)
        else:
            tensor["data"] = _json_data(array)
        tensors.append(tensor)
    response["outputs"] = tensors
    header = json.dumps(response, separators=(",", ":")).encode()
    if not blobs:
        return header, None
    return b"".join([header] + blobs), len(header)
