"""Data flows one way: each ember package imports only from the layers below it.

backend -> autograd (with creation, random) -> functional, io -> nn -> optim -> data, vision,
utils -> compiler (it captures whole training steps) -> keras, plot -> cli. ``ember/__init__.py`` is the facade and may import
anything (lazily). Imports inside functions count too: a lazy import is still a dependency.
"""
import ast
import os

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ember")

LAYER = {"backend": 0, "autograd": 1, "creation": 1, "random": 1, "functional": 2, "io": 2, "nn": 3,
         "optim": 4, "data": 5, "vision": 5, "utils": 5, "compiler": 6, "keras": 7, "plot": 7, "cli": 8,
         "__main__": 8, "cuda": 1, "backends": 1, "linalg": 1, "special": 1,
         "compat": 8, "torch_compat": 8, "serialization": 2, "accelerator": 1, "version": 0, "hub": 5,
         "jit": 3, "testing": 1, "multiprocessing": 0, "distributed": 1}
LAYER.update({"amp": 1, "cpu": 1, "func": 3, "fft": 1})
LAYER.update({"distributions": 2})
LAYER.update({"profiler": 1, "futures": 0})
# Deployment, applications and distributed training: onnx traces and rebuilds nn modules; the
# registry and the application packages sit with data; serve sits with the command line.
LAYER.update({"sparse": 1, "signal": 1})
LAYER.update({"quasirandom": 1})
LAYER.update({"onnx": 6, "registry": 5, "audio": 5, "text": 5, "recsys": 5, "serve": 8})
# Quantization sits with nn: ember.nn.quantized re-exports ember.ao.nn.quantized.
LAYER.update({"ao": 3, "quantization": 3})
# fx traces nn modules into graphs; export lifts those graphs into saved programs.
LAYER.update({"fx": 4, "export": 6})
# torch's submodules of their own: _dynamo/_inductor sit with the compiler, the op-level ones with autograd
# or functional.
LAYER.update({"_dynamo": 6, "_inductor": 6, "overrides": 3, "library": 1, "nested": 2, "masked": 2, "mps": 1,
              "xpu": 1, "types": 1, "storage": 1, "_ops": 1})
LAYER.update({"return_types": 1})
# torch.sym_* helpers (they name the tensor's device type) and torch.__config__ (versions, thread settings).
LAYER.update({"_sym": 1, "__config__": 1})


# Parts of torch.distributed built on nn and optim: DTensor parameters, fully_shard (it wraps modules) and
# distributed checkpoints (module and optimizer state dicts) sit above them; the rest of distributed below nn.
LAYER.update({"distributed.tensor": 4, "distributed.fsdp": 4, "distributed.checkpoint": 4})
# Pipeline stages run nn modules and cut batches with utils' pytree: they sit with utils.
LAYER.update({"distributed.pipelining": 5})


def _package(module):
    parts = module.split(".")
    if len(parts) > 2 and parts[0] == "ember" and ".".join(parts[1:3]) in LAYER:
        return ".".join(parts[1:3])
    return parts[1] if len(parts) > 1 and parts[0] == "ember" else None


def _imports(path, module):
    tree = ast.parse(open(path, encoding="utf-8").read())
    pkg_parts = module.split(".")[:-1] if not path.endswith("__init__.py") else module.split(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg_parts[:len(pkg_parts) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:
                    for a in node.names:
                        yield name + "." + a.name, node.lineno
                    continue
            else:
                name = node.module
            yield name, node.lineno


def test_imports_flow_one_way():
    violations = []
    for dirpath, _, files in os.walk(ROOT):
        for f in files:
            if not f.endswith(".py"):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, os.path.dirname(ROOT))[:-3].replace(os.sep, ".")
            module = rel[:-9] if rel.endswith(".__init__") else rel
            if module == "ember":
                continue
            own = _package(module if "." in module else module + ".x")
            if own not in LAYER:
                violations.append(f"{module}: package {own!r} has no layer in this test")
                continue
            for name, line in _imports(path, module):
                other = _package(name)
                if other is None or other == own or other not in LAYER:
                    continue
                if LAYER[other] > LAYER[own]:
                    violations.append(f"{module}:{line} imports {name} (layer {other} is above {own})")
    assert not violations, "\n".join(violations)
