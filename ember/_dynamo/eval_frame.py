"""``torch._dynamo.eval_frame``: where torch defines ``OptimizedModule``, the class of ``torch.compile(model)``.

Code that unwraps a compiled model checks ``isinstance(model, torch._dynamo.eval_frame.OptimizedModule)`` (Hugging
Face's ``is_compiled_module``, Lightning, Accelerate) before reading ``model._orig_mod``; in ember that class is
:class:`ember.compiler.module.CompiledModule`.

>>> import ember
>>> from ember._dynamo.eval_frame import OptimizedModule
>>> isinstance(ember.compile(ember.nn.Linear(2, 2)), OptimizedModule)
True
"""
from ..compiler.module import CompiledModule as OptimizedModule

__all__ = ["OptimizedModule"]
