"""``ember.serve``: serve models over the Open Inference Protocol (KServe v2) REST API.

``ember serve PATH`` (see :mod:`ember.cli.serve`) serves ember checkpoints, ``.keras`` files and
ONNX models, one file or a directory of them, with dynamic batching and Prometheus metrics, on
uvicorn + starlette (``pip install "ember[serve]"``, imported only when a server starts).

>>> from ember.serve import ServedModel, TensorSpec, load_model, load_repository, build_app, serve
"""
from .model import ServedModel, TensorSpec
from .loaders import load_model
from .repository import load_repository
from .app import build_app
from .server import serve

__all__ = ["ServedModel", "TensorSpec", "load_model", "load_repository", "build_app", "serve"]
