"""``create_feature_extractor`` and ``get_graph_node_names`` (torchvision.models.feature_extraction)
for the nodes that are module calls.

torchvision traces the model with torch.fx and names every node: a submodule call by its
qualified name (``layer1``, ``layer2.0.conv1``), its second and later calls with ``_1``, ``_2``
(``layer1.0.relu_1``: a BasicBlock calls its ReLU twice), and functional calls after the function
(``add``, ``flatten``). ember has no fx graph, so it offers the module-call nodes: it runs the
model's own ``forward`` with forward hooks on the asked-for submodules, collects their outputs
under the new names, and stops the forward pass as soon as the last one is seen (as the
truncated fx graph would). ``get_graph_node_names`` lists the module-call nodes of one traced
forward, in call order (``x`` first, the input); functional nodes (``add``, ``flatten``...) are
not among them, and asking for one raises a ValueError that says so.

>>> import ember
>>> from ember import nn
>>> net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(18, 4))
>>> body = create_feature_extractor(net, return_nodes={"1": "features"})
>>> tuple(body(ember.zeros(1, 1, 5, 5))["features"].shape)
(1, 2, 3, 3)
"""
import re

import ember
from ... import nn


class _Done(Exception):
    """Raised by the last hook to end the forward pass early."""


def _split(node):
    match = re.fullmatch(r"(.*)_(\d+)", node)
    return (match.group(1), int(match.group(2))) if match else (node, 0)


def _as_dict(return_nodes):
    if isinstance(return_nodes, (list, tuple)):
        return {str(n): str(n) for n in return_nodes}
    return {str(k): str(v) for k, v in return_nodes.items()}


class FeatureExtractor(nn.Module):
    """The model, returning ``{new name: output}`` of the asked-for module-call nodes."""

    def __init__(self, model, train_return_nodes, eval_return_nodes):
        super().__init__()
        # The model's own submodules, parameters and buffers, shared (not copied), so that the
        # state_dict keys are the model's (``conv1.weight``), as torchvision's GraphModule keeps
        # them; like its truncated graph, the children after the last one holding a returned node
        # (a ResNet's avgpool and fc for layer4) are left out.
        children = list(model._modules)
        tops = [n.split(".")[0] for nodes in (train_return_nodes, eval_return_nodes) for n in nodes]
        tops = [t if t in children else _split(t)[0] for t in tops]
        last = max((children.index(t) for t in tops if t in children), default=len(children) - 1)
        d = self.__dict__
        d["_model"] = model
        d["_modules"] = {k: model._modules[k] for k in children[:last + 1]}
        d["_parameters"], d["_buffers"] = model._parameters, model._buffers
        d["_non_persistent_buffers_set"] = model._non_persistent_buffers_set
        self.train_return_nodes, self.eval_return_nodes = train_return_nodes, eval_return_nodes
        modules = dict(model.named_modules())
        for nodes in (train_return_nodes, eval_return_nodes):
            for node in nodes:
                name, call = _split(node)
                if node not in modules and (name not in modules or call == 0):
                    available = ", ".join(n for n in modules if n)
                    raise ValueError(f"create_feature_extractor: node {node!r} is not a submodule of "
                                     f"{type(model).__name__}; ember extracts module outputs only (no fx graph), "
                                     f"so functional nodes such as 'add' or 'flatten' are not available; "
                                     f"available: {available}")

    def train(self, mode=True):
        # The model's own flag too: its forward (run here) may branch on self.training.
        super().train(mode)
        self._model.training = mode
        return self

    def forward(self, *args, **kwargs):
        nodes = self.train_return_nodes if self.training else self.eval_return_nodes
        model = self._model
        model.training = self.training
        modules = dict(model.named_modules())
        wanted = {}
        for node, new in nodes.items():
            name, call = (node, 0) if node in modules else _split(node)
            wanted.setdefault(name, {})[call] = new
        out, calls, handles = {}, {}, []

        def hook_for(name):
            def hook(module, inputs, output):
                call = calls.get(name, 0)
                calls[name] = call + 1
                if call in wanted[name]:
                    out[wanted[name][call]] = output
                    if len(out) == len(nodes):
                        raise _Done
            return hook
        for name in wanted:
            handles.append(modules[name].register_forward_hook(hook_for(name)))
        try:
            type(model).forward(model, *args, **kwargs)
        except _Done:
            pass
        finally:
            for h in handles:
                h.remove()
        missing = [new for new in nodes.values() if new not in out]
        if missing:
            raise RuntimeError(f"create_feature_extractor: the forward pass never produced {missing}")
        return {new: out[new] for new in nodes.values()}


def create_feature_extractor(model, return_nodes=None, train_return_nodes=None, eval_return_nodes=None,
                             tracer_kwargs=None, suppress_diff_warning=False, concrete_args=None):
    """A module whose forward returns the outputs of ``return_nodes`` (a list of node names, or a
    dict ``{node name: output name}``), or of ``train_return_nodes`` / ``eval_return_nodes`` by
    mode."""
    if return_nodes is None and (train_return_nodes is None or eval_return_nodes is None):
        raise ValueError("create_feature_extractor: give return_nodes, or both train_return_nodes and "
                         "eval_return_nodes")
    if return_nodes is not None and (train_return_nodes is not None or eval_return_nodes is not None):
        raise ValueError("create_feature_extractor: give either return_nodes or both train_return_nodes and "
                         "eval_return_nodes, not all three")
    train = _as_dict(return_nodes if return_nodes is not None else train_return_nodes)
    evaluation = _as_dict(return_nodes if return_nodes is not None else eval_return_nodes)
    extractor = FeatureExtractor(model, train, evaluation)
    extractor.train(model.training)
    return extractor


def get_graph_node_names(model, tracer_kwargs=None, suppress_diff_warning=False, concrete_args=None,
                         example_input=None):
    """``(train_nodes, eval_nodes)``: the module-call node names of one forward pass in each mode,
    in call order. ``example_input`` (ember only; default a (1, 3, 224, 224) zero image in the
    parameters' dtype) is what the pass runs on, since ember finds the calls by running the model."""
    if example_input is None:
        first = next(iter(model.parameters()), None)
        example_input = ember.zeros(1, 3, 224, 224, dtype=ember.float32 if first is None else first.dtype)
    x = example_input
    names = {id(m): n for n, m in model.named_modules() if n}
    was_training = model.training
    # The train-mode pass must not move batch-norm statistics: fx only traces, it never runs.
    saved = {k: b.clone() for k, b in model.named_buffers()}
    result = []
    for mode in (True, False):
        seen, counts, handles = ["x"], {}, []

        def hook(module, inputs, output):
            name = names[id(module)]
            k = counts.get(name, 0)
            counts[name] = k + 1
            seen.append(name if k == 0 else f"{name}_{k}")
        for m in model.modules():
            if id(m) in names and not list(m.children()):
                handles.append(m.register_forward_hook(hook))
        model.train(mode)
        try:
            with ember.no_grad():
                model(x)
        finally:
            for h in handles:
                h.remove()
        result.append(seen)
    model.train(was_training)
    with ember.no_grad():
        for k, b in model.named_buffers():
            b.copy_(saved[k])
    return result[0], result[1]
