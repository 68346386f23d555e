"""``ember export MODEL --format onnx``: write a saved model as an ONNX file.

MODEL is the ``.safetensors`` state dict ``ember train`` saves (``ember-mnist-cnn.safetensors``;
the network, MnistCNN or MnistMLP, is recognised from its keys or given with ``--model``) or a
Keras ``.keras`` file. The ONNX graph takes ``(batch, 1, 28, 28)`` float32 images (the batch
axis is dynamic; ``--input-shape`` for other models) and returns the logits.

    ember export ember-mnist-cnn.safetensors --format onnx --out mnist.onnx
"""
import os
import sys


def add_parser(sub):
    p = sub.add_parser("export", help="export a saved model to ONNX",
                       description="Export a model saved by `ember train` (.safetensors) or a Keras .keras file "
                                   "to ONNX, with a dynamic batch axis.")
    p.add_argument("model", metavar="MODEL", help="the .safetensors weights of `ember train`, or a .keras file")
    p.add_argument("--format", choices=["onnx"], default="onnx", help="the output format (default: %(default)s)")
    p.add_argument("--out", default=None, metavar="PATH", help="where to write (default: MODEL with .onnx)")
    p.add_argument("--model", dest="arch", choices=["cnn", "mlp"], default=None,
                   help="the network the weights belong to (default: recognised from the weights' names)")
    p.add_argument("--opset", type=int, default=None, help="the ONNX opset version, 13-21 (default: 17)")
    p.add_argument("--input-shape", default=None, metavar="D1,D2,...",
                   help="one input's shape without the batch axis (default: 1,28,28 for the MNIST networks)")
    p.set_defaults(func=run)
    return p


def _fail(message):
    print(f"ember export: error: {message}", file=sys.stderr)
    return 2


def _default_out(path):
    stem, ext = os.path.splitext(path)
    return stem + ".onnx"


def run(args):
    if not os.path.exists(args.model):
        return _fail(f"no such file: {args.model}")
    out = args.out or _default_out(args.model)
    try:
        from ..onnx.exporter import require_onnx
        require_onnx("ember export --format onnx")
    except ImportError as e:
        return _fail(str(e))
    if args.model.endswith(".keras"):
        return _export_keras(args, out)
    import ember
    from ember.vision.models import MnistCNN, MnistMLP
    try:
        state = ember.load(args.model)
    except Exception as e:  # noqa: BLE001 - any unreadable file is the user's error to fix
        return _fail(f"cannot read {args.model}: {e}")
    if not isinstance(state, dict):
        return _fail(f"{args.model} holds no state dict")
    arch = args.arch or ("cnn" if any(k.startswith("features.") for k in state) else
                         "mlp" if "fc1.weight" in state else None)
    if arch is None:
        return _fail(f"{args.model}: its weights ({', '.join(list(state)[:4])} ...) are not MnistCNN's or "
                     "MnistMLP's; pass --model")
    model = MnistCNN() if arch == "cnn" else MnistMLP()
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError, ValueError) as e:
        return _fail(f"{args.model} does not fit {type(model).__name__}: {e}")
    shape = _shape(args.input_shape) if args.input_shape else (1, 28, 28)
    x = ember.zeros((1,) + tuple(shape))
    ember.onnx.export(model, (x,), out, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=args.opset)
    print(f"wrote {out} ({type(model).__name__}, input (batch, {', '.join(map(str, shape))}) -> logits)")
    return 0


def _shape(text):
    return tuple(int(s) for s in text.replace("x", ",").split(",") if s.strip())


def _export_keras(args, out):
    from ember import keras
    model = keras.saving.load_model(args.model)
    sig = None
    if args.input_shape:
        sig = [keras.InputSpec(shape=(None,) + _shape(args.input_shape))]
    kwargs = {"opset_version": args.opset} if args.opset else {}
    model.export(out, format="onnx", input_signature=sig, **kwargs)
    print(f"wrote {out} (Keras model {model.name})")
    return 0
