"""torchvision.models.feature_extraction: a model's intermediate outputs as a dict.

``create_feature_extractor(model, return_nodes)`` returns a module whose forward gives
``{new_name: output of node}``. torchvision names the nodes of an FX trace; ember has no FX, so
the nodes here are the model's submodules, by their qualified names (``"layer1"``,
``"layer4.1.bn2"``, ``"avgpool"``), which is what feature pyramids, perceptual losses and
transfer-learning code ask for. The forward runs the model and stops as soon as every requested
output exists (torchvision's truncated graph also skips what comes after). The extractor shares
the model's parameters and its ``state_dict`` keys are the model's. A name that is not a
submodule is refused with the available ones (``get_graph_node_names`` lists them).

>>> import ember
>>> from ember.vision.models import resnet18
>>> body = create_feature_extractor(resnet18(), return_nodes={"layer2": "c3", "layer4": "c5"})
>>> {k: tuple(v.shape) for k, v in body(ember.zeros(1, 3, 64, 64)).items()}
{'c3': (1, 128, 8, 8), 'c5': (1, 512, 2, 2)}
"""
from ember import nn

__all__ = ["create_feature_extractor", "get_graph_node_names"]


class _Done(Exception):
    """Raised from a hook once every requested output is captured (stops the forward)."""


def get_graph_node_names(model, tracer_kwargs=None, suppress_diff_warning=False, concrete_args=None):
    """``(train_nodes, eval_nodes)``: the names ``create_feature_extractor`` accepts (every
    submodule's qualified name, in definition order; the same in both modes)."""
    names = [name for name, _ in model.named_modules() if name]
    return list(names), list(names)


def _normalize(return_nodes, what):
    if return_nodes is None:
        return None
    if isinstance(return_nodes, str):
        return_nodes = [return_nodes]
    if isinstance(return_nodes, (list, tuple)):
        return {n: n for n in return_nodes}
    if isinstance(return_nodes, dict):
        return {str(k): str(v) for k, v in return_nodes.items()}
    raise TypeError(f"create_feature_extractor: {what} must be a list or a dict of node names, got "
                    f"{type(return_nodes).__name__}")


class FeatureExtractor(nn.Module):
    """The module ``create_feature_extractor`` returns (see the module docstring)."""

    def __init__(self, model, train_nodes, eval_nodes):
        super().__init__()
        for name, child in model.named_children():
            self.add_module(name, child)
        object.__setattr__(self, "_model", model)  # not a child: keys stay the model's own
        self.train_return_nodes, self.eval_return_nodes = train_nodes, eval_nodes
        self.training = model.training

    def train(self, mode=True):
        super().train(mode)
        self._model.training = mode
        return self

    def forward(self, *args, **kwargs):
        nodes = self.train_return_nodes if self.training else self.eval_return_nodes
        modules = dict(self._model.named_modules())
        found, handles = {}, []

        def hook_for(name):
            def hook(module, inputs, output):
                found.setdefault(name, output)
                if len(found) == len(nodes):
                    raise _Done
            return hook
        for name in nodes:
            handles.append(modules[name].register_forward_hook(hook_for(name)))
        try:
            self._model(*args, **kwargs)
        except _Done:
            pass
        finally:
            for h in handles:
                h.remove()
        missing = [n for n in nodes if n not in found]
        if missing:
            raise RuntimeError(f"create_feature_extractor: the forward of {type(self._model).__name__} never "
                               f"ran the node(s) {missing}")
        return {nodes[n]: found[n] for n in nodes}


def create_feature_extractor(model, return_nodes=None, train_return_nodes=None, eval_return_nodes=None,
                             tracer_kwargs=None, suppress_diff_warning=False, concrete_args=None):
    """A module returning ``{new_name: output}`` for the model's submodules named in
    ``return_nodes`` (a list, or a dict ``{node: new_name}``); or different nodes in training
    and eval mode with ``train_return_nodes`` and ``eval_return_nodes``.

    Raises:
        ValueError: for a node name that is not one of the model's submodules, listing them.
    """
    if return_nodes is not None and (train_return_nodes is not None or eval_return_nodes is not None):
        raise ValueError("create_feature_extractor: give either return_nodes or both train_return_nodes and "
                         "eval_return_nodes, not both")
    if return_nodes is None and (train_return_nodes is None or eval_return_nodes is None):
        raise ValueError("create_feature_extractor: give return_nodes, or both train_return_nodes and "
                         "eval_return_nodes")
    train = _normalize(return_nodes if return_nodes is not None else train_return_nodes, "return_nodes")
    evaluate = _normalize(return_nodes if return_nodes is not None else eval_return_nodes, "return_nodes")
    available = dict(model.named_modules())
    for nodes in (train, evaluate):
        for name in nodes:
            if name not in available or not name:
                names = ", ".join(n for n in available if n)
                raise ValueError(f"create_feature_extractor: node {name!r} is not a submodule of "
                                 f"{type(model).__name__} (ember's nodes are submodules, not FX's function "
                                 f"nodes); available: {names}")
    return FeatureExtractor(model, train, evaluate)
