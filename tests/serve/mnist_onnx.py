"""The MNIST CNN's ONNX graph written by hand from an ember ``MnistCNN``'s weights (onnx.helper).

Independent of ember.onnx, so that the served ONNX model (run by onnxruntime) can be checked against
the same weights run by ember in-process. Used by the serving tests and benchmarks/serve_bench.py.
"""
import numpy as np


def mnist_cnn_onnx(model, path):
    """Write ``model`` (an ember ``MnistCNN``) to ``path`` as ONNX: input ``input`` [N,1,28,28], output ``logits`` [N,10]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    sd = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    inits = [numpy_helper.from_array(sd[k], name=k) for k in sd]
    nodes = [
        helper.make_node("Conv", ["input", "features.0.weight", "features.0.bias"], ["c1"], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "features.3.weight", "features.3.bias"], ["c2"], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p2"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "classifier.2.weight", "classifier.2.bias"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["hr"]),
        helper.make_node("Gemm", ["hr", "classifier.4.weight", "classifier.4.bias"], ["logits"], transB=1),
    ]
    graph = helper.make_graph(nodes, "mnist_cnn",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    proto.ir_version = 8
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
    return path
