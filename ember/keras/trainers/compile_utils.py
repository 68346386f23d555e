"""What ``compile(loss=..., metrics=..., loss_weights=...)`` turns into: the loss of a (possibly
multi-output) model and the metrics to track, resolved against the first batch as Keras does."""
import numpy as np

from ...autograd import ops
from .. import losses as _losses
from .. import metrics as _metrics


def _per_output(spec, output_names, what):
    """Map a loss/metric spec to one entry per output (a list, a dict by output name, or one for all)."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(f"{what} names unknown output(s) {unknown}; the model's outputs are {output_names}")
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and n > 1 and len(spec) == n and what == "loss":
        return list(spec)
    if isinstance(spec, (list, tuple)) and what == "loss":
        if len(spec) != 1:
            raise ValueError(f"The model has {n} output(s) but `loss` is a list of {len(spec)}")
        return [spec[0]] * n
    return [spec] * n


class CompileLoss:
    def __init__(self, loss, loss_weights=None, output_names=None):
        self.spec, self.loss_weights = loss, loss_weights
        self.output_names = output_names or ["output"]
        self.losses = None

    def build(self, output_names, named=True):
        # ``named``: the outputs have names (a Functional model's, or a dict's keys); a subclassed model's
        # tuple of outputs has none, and Keras then names trackers after the losses instead.
        self.output_names, self.named = output_names, named
        specs = _per_output(self.spec, output_names, "loss")
        self.specs = specs
        self.losses = [_losses.get(s) for s in specs]
        if self.loss_weights is None:
            self.weights = [1.0] * len(output_names)
        elif isinstance(self.loss_weights, dict):
            self.weights = [float(self.loss_weights.get(n, 1.0)) for n in output_names]
        else:
            self.weights = [float(w) for w in self.loss_weights]
            if len(self.weights) != len(output_names):
                raise ValueError(f"`loss_weights` has {len(self.weights)} entries for {len(output_names)} outputs")

    def tracker_name(self, i):
        """Keras's name for output ``i``'s loss tracker: ``'<output>_loss'``, or for unnamed outputs
        ``'<loss>_loss'`` with the loss as given: the string itself, a Loss object's or a function's name
        (``compile(loss=["mse", my_loss])`` on a subclassed model logs ``mse_loss`` and ``my_loss_loss``)."""
        if self.named:
            return f"{self.output_names[i]}_loss"
        spec = self.specs[i]
        name = spec if isinstance(spec, str) else getattr(spec, "name", None) or getattr(spec, "__name__", None)
        return f"{name or type(spec).__name__}_loss"

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The total loss and the per-output losses (a list of tensors, None where an output has no loss)."""
        preds = _outputs(y_pred, self.output_names)
        trues = _align(y_true, self.output_names, len(preds))
        sws = _align(sample_weight, self.output_names, len(preds)) if isinstance(sample_weight, (list, dict)) \
            else [sample_weight] * len(preds)
        total, parts = None, []
        for loss, w, yt, yp, sw in zip(self.losses, self.weights, trues, preds, sws):
            if loss is None or yt is None:
                parts.append(None)
                continue
            value = loss(yt, yp, sw)
            parts.append(value)
            term = value if w == 1.0 else ops.mul(value, w)
            total = term if total is None else ops.add(total, term)
        return total, parts


def _outputs(y_pred, output_names):
    """The model's outputs as a list in ``output_names`` order (outputs may be a list or a dict by name)."""
    if isinstance(y_pred, dict):
        return [y_pred[n] for n in output_names]
    return list(y_pred) if isinstance(y_pred, (list, tuple)) else [y_pred]


def _default_names(y_pred):
    if isinstance(y_pred, dict):
        return list(y_pred)
    n = len(y_pred) if isinstance(y_pred, (list, tuple)) else 1
    return ["output"] if n == 1 else [f"output_{i}" for i in range(n)]


def _align(y, output_names, n):
    if isinstance(y, dict):
        return [y.get(name) for name in output_names]
    if isinstance(y, (list, tuple)) and n > 1:
        return list(y)
    return [y] * n if n == 1 else [y] + [None] * (n - 1)


class CompileMetrics:
    # Updated outside training steps: ember.compile does not treat it as captured state.
    _ember_compile_ignore = True
    name = "compile_metrics"

    def __init__(self, metrics, weighted_metrics=None, output_names=None):
        # ``metrics`` ignore sample weights (and class weights); ``weighted_metrics`` apply them, as in Keras.
        if metrics and not isinstance(metrics, (list, tuple, dict)):
            raise ValueError("Expected `metrics` argument to be a list, tuple, or dict. "
                             f"Received instead: metrics={metrics} of type {type(metrics)}")
        if weighted_metrics and not isinstance(weighted_metrics, (list, tuple, dict)):
            raise ValueError("Expected `weighted_metrics` argument to be a list, tuple, or dict. "
                             f"Received instead: weighted_metrics={weighted_metrics} of type {type(weighted_metrics)}")
        self.spec = metrics if metrics is not None or weighted_metrics is None else []
        self.weighted_spec = weighted_metrics
        self._entries = None   # (output index, metric) pairs, made by build on the first batch
        self._weighted = set()
        self._names = []
        self.output_names = output_names

    @staticmethod
    def _per_output(spec, n, output_names, argument_name, y_pred, dict_outputs=False):
        """Keras's reading of ``metrics``: with one output every metric (flattened) applies to it; with several,
        a list or tuple with one entry per output, or a dict keyed by (some of) the output names; anything else
        is refused with Keras's error."""
        if not spec:
            return [[]] * n
        if n == 1:
            return [_flatten(spec)]
        if isinstance(spec, (list, tuple)) and len(spec) == n:
            return [_flatten(s) for s in spec]
        if isinstance(spec, dict) and output_names and set(spec) <= set(output_names):
            return [_flatten(spec.get(name)) for name in output_names]
        expected = dict if dict_outputs else tuple
        got = dict if isinstance(spec, dict) else tuple
        if expected is not got:
            problem = f"Node type mismatch; expected {expected}, but got {got}."
        else:
            problem = f"Node arity mismatch; expected {n}, but got {len(spec)}."
        structure = {k: "X" for k in output_names} if dict_outputs else ["X"] * n
        names = f"the output names of the functional model {list(output_names)} or " if output_names else ""
        raise ValueError(f"{problem}\nInvalid `{argument_name}`. `{argument_name}` should contain metrics objects and "
                         f"either be a dict or a list matching {names}match the output structure of the model: "
                         f"{structure}.\nReceived: {argument_name}={spec}")

    def build(self, y_true, y_pred, output_names, named=True):
        """Resolve the metrics against the first batch. As Keras: a metric keeps its own name (a string's as
        written: ``'RootMeanSquaredError'``) and its key in the logs is prefixed with its output's name when
        there are several ``named`` outputs (unnamed outputs, a subclassed model's tuple, get none), repeats
        taking ``_1``, ``_2`` (a weighted metric's ``weighted_<name>`` first)."""
        preds = _outputs(y_pred, output_names)
        trues = _align(y_true, output_names, len(preds))
        n = len(preds)
        self._entries, self._weighted, self._names, counters = [], set(), [], {}
        for weighted, spec, arg in ((False, self.spec, "metrics"), (True, self.weighted_spec, "weighted_metrics")):
            sets = self._per_output(spec, n, output_names, arg, y_pred, isinstance(y_pred, dict))
            for i, (items, yt, yp) in enumerate(zip(sets, trues, preds)):
                for item in items:
                    if item is None:
                        raise ValueError("Expected metric, received `None`")
                    m = _metrics.resolve(item, yt, yp)
                    if isinstance(item, str):
                        m.name = item
                    prefix = f"{output_names[i]}_" if n > 1 and named else ""
                    name = prefix + m.name
                    if name in counters and weighted:
                        name = prefix + f"weighted_{m.name}"
                    if name in counters:
                        k = counters[name]
                        counters[name] += 1
                        name = f"{name}_{k}"
                    else:
                        counters[name] = 1
                    self._names.append(name)
                    if weighted:
                        self._weighted.add(id(m))
                    self._entries.append((i, m))

    def update_state(self, y_true, y_pred, sample_weight=None, output_names=None):
        """Update every compiled metric (built on the first batch, as Keras does); a custom ``train_step``
        calls it as ``metric.update_state(y, y_pred)`` on the model's ``compile_metrics`` entry."""
        output_names = output_names or self.output_names or _default_names(y_pred)
        if isinstance(y_pred, dict) and not set(output_names) <= set(y_pred):
            output_names = list(y_pred)
        elif not isinstance(y_pred, dict) and len(output_names) != len(_outputs(y_pred, output_names)):
            output_names = _default_names(y_pred)
        if self._entries is None:
            self.build(y_true, y_pred, output_names)
        preds = _outputs(y_pred, output_names)
        trues = _align(y_true, output_names, len(preds))
        for i, m in self._entries:
            if trues[i] is not None:
                weight = sample_weight if id(m) in self._weighted and not isinstance(sample_weight, (list, dict)) \
                    else None
                m.update_state(trues[i], preds[i], weight)

    @property
    def variables(self):
        """The variables of the compiled metrics, in order (empty before the first batch builds them)."""
        return [v for _, m in self._entries or [] for v in m.variables]

    def reset_state(self):
        for _, m in self._entries or []:
            m.reset_state()

    def result(self):
        return {name: _scalar(m.result()) for name, (_, m) in zip(self._names, self._entries or [])}

    @property
    def built(self):
        return self._entries is not None

    @property
    def metrics(self):
        """The compiled metric objects, in order (empty before the first batch builds them), as Keras's."""
        return [m for _, m in self._entries or []]


def _flatten(spec):
    """A metric spec flattened as Keras's ``tree.flatten`` (None entries dropped: no metric for that output)."""
    if spec is None:
        return []
    if isinstance(spec, dict):
        return [m for k in sorted(spec) for m in _flatten(spec[k])]
    if isinstance(spec, (list, tuple)):
        return [m for s in spec for m in _flatten(s)]
    return [spec]


def _scalar(v):
    from ..variables import Variable
    if isinstance(v, Variable) and v.ndim == 0:
        return v    # a metric returning its own variable: read when the logs are (Keras's torch trainer)
    a = np.asarray(v)
    return float(a) if a.ndim == 0 else a

