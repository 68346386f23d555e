"""MLflow's run search syntax, compiled to SQL over the registry's tables.

A filter is clauses joined by ``AND``; each compares one field of a run with a literal:
``attributes.status = 'FINISHED'``, ``attributes.run_name LIKE 'mnist%'``, ``params.lr = '0.002'``,
``tags.task != 'text'``, ``metrics.val_accuracy >= 0.9`` (the metric's latest value). Keys with
other characters go in backticks: ``metrics.`val loss` < 1``. ``LIKE`` is case-sensitive and
``ILIKE`` not, as in MLflow. An order is a list of ``FIELD [ASC|DESC]`` on the same fields.

>>> compile_filter("attributes.status = 'FINISHED' and metrics.loss < 0.5")[1]
['FINISHED', 'loss', 0.5]
"""
import re

from .errors import RegistryError

_ENTITIES = {"attribute": "attributes", "attributes": "attributes", "attr": "attributes", "run": "attributes",
             "param": "params", "params": "params", "tag": "tags", "tags": "tags",
             "metric": "metrics", "metrics": "metrics"}
_ATTRIBUTES = {"status": "status", "run_name": "run_name", "run_id": "run_id", "start_time": "start_time",
               "end_time": "end_time", "experiment_id": "experiment_id"}
_FIELD = r"(?P<entity>[A-Za-z_]+)\.(?P<key>`[^`]+`|\"[^\"]+\"|[\w\-./]+)"
_CLAUSE = re.compile(r"^\s*" + _FIELD + r"\s*(?P<op>!=|<=|>=|=|<|>|\bNOT\s+LIKE\b|\bLIKE\b|\bILIKE\b)\s*"
                     r"(?P<value>'[^']*'|\"[^\"]*\"|[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*$", re.IGNORECASE)
_ORDER = re.compile(r"^\s*" + _FIELD + r"(\s+(?P<dir>ASC|DESC))?\s*$", re.IGNORECASE)
_LATEST = ("SELECT m.value FROM metrics m WHERE m.run_id = runs.run_id AND m.key = ? "
           "ORDER BY m.step DESC, m.timestamp DESC, m.metric_id DESC LIMIT 1")


def _split_and(text):
    # Split at AND outside quotes and backticks.
    parts, start, quote, i = [], 0, None, 0
    while i < len(text):
        c = text[i]
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"`":
            quote = c
        else:
            m = re.match(r"\s+and\s+", text[i:], re.IGNORECASE)
            if m:
                parts.append(text[start:i])
                i = start = i + m.end()
                continue
        i += 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def _field(entity, key, text):
    kind = _ENTITIES.get(entity.lower())
    if kind is None:
        raise RegistryError(f"ember.registry.search_runs: {text!r}: the field must start with attributes., "
                            f"params., tags. or metrics., got {entity!r}")
    if key[0] in "`\"":
        key = key[1:-1]
    if kind == "attributes" and key not in _ATTRIBUTES:
        raise RegistryError(f"ember.registry.search_runs: {text!r}: attributes are {sorted(_ATTRIBUTES)}, got {key!r}")
    return kind, key


def compile_filter(text):
    """(list of SQL conditions on ``runs``, their arguments) for the MLflow filter ``text``."""
    where, args = [], []
    for clause in _split_and(text):
        m = _CLAUSE.match(clause)
        if not m:
            raise RegistryError(f"ember.registry.search_runs: cannot parse {clause.strip()!r}; a clause is "
                                f"FIELD OP VALUE, e.g. metrics.accuracy > 0.9 or params.lr = '0.1'")
        kind, key = _field(m["entity"], m["key"], clause)
        op, raw = " ".join(m["op"].upper().split()), m["value"]
        is_text = raw[0] in "'\""
        value = raw[1:-1] if is_text else float(raw)
        if kind in ("params", "tags") or (kind == "attributes" and key in ("status", "run_name", "run_id")):
            if not is_text:
                raise RegistryError(f"ember.registry.search_runs: {clause.strip()!r}: compare {kind}.{key} with a "
                                    f"quoted string")
        elif is_text or "LIKE" in op:
            raise RegistryError(f"ember.registry.search_runs: {clause.strip()!r}: compare {kind}.{key} with a number")
        test = "LOWER({col}) LIKE LOWER(?)" if op == "ILIKE" else "{col} %s ?" % op
        if kind == "attributes":
            if key == "experiment_id":
                value = int(value)
            where.append(test.format(col=f"runs.{_ATTRIBUTES[key]}"))
            args.append(value)
        elif kind == "metrics":
            where.append(test.format(col=f"({_LATEST})"))
            args.extend([key, value])
        else:
            where.append(f"EXISTS (SELECT 1 FROM {kind} t WHERE t.run_id = runs.run_id AND t.key = ? AND "
                         + test.format(col="t.value") + ")")
            args.extend([key, value])
    return where, args


def compile_order_by(order_by):
    """(SQL ORDER BY text, its arguments); newest run first unless told otherwise."""
    terms, args = [], []
    for item in order_by or []:
        m = _ORDER.match(item)
        if not m:
            raise RegistryError(f"ember.registry.search_runs: cannot parse order_by {item!r}; expected e.g. "
                                f"'metrics.accuracy DESC'")
        kind, key = _field(m["entity"], m["key"], item)
        direction = (m["dir"] or "ASC").upper()
        if kind == "attributes":
            expr = f"runs.{_ATTRIBUTES[key]}"
        elif kind == "metrics":
            expr = f"({_LATEST})"
            args.append(key)
        else:
            expr = f"(SELECT t.value FROM {kind} t WHERE t.run_id = runs.run_id AND t.key = ?)"
            args.append(key)
        # Runs without the field sort last either way, as in MLflow.
        terms.append(f"({expr}) IS NULL, {expr} {direction}")
        if kind != "attributes":
            args.append(key)
    # Newest first; runs started in the same millisecond in the order they were created.
    terms.append("runs.start_time DESC, runs.rowid DESC")
    return ", ".join(terms), args
