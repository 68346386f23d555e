"""The three summaries of one HParams trial: experiment, session start and session end.

TensorBoard's hparams plugin reads ``HParamsPluginData`` protos (``version`` 1, then one of
``experiment`` 2, ``session_start_info`` 3, ``session_end_info`` 4) from the plugin metadata of
the values tagged ``_hparams_/experiment``, ``_hparams_/session_start_info`` and
``_hparams_/session_end_info``:

* ``Experiment``: repeated ``hparam_infos`` (4: HParamInfo with ``name`` 1, ``type`` 4 and optionally
  ``domain_discrete`` 5, a ListValue) and ``metric_infos`` (5: MetricInfo with ``name`` 1 = MetricName
  ``tag`` 2);
* ``SessionStartInfo``: ``hparams`` (1, a map string -> google.protobuf.Value);
* ``SessionEndInfo``: ``status`` (1, STATUS_SUCCESS = 1).

``google.protobuf.Value`` holds ``number_value`` (2, double) or ``string_value`` (3); a ListValue holds
repeated ``values`` (1).
"""
from ...io.event_file import _bytes_field, _double_field, _int_field, encode_plugin_summary

_FLOAT64, _STRING = 3, 1


def _plain(v):
    if hasattr(v, "item") and not isinstance(v, (bool, int, float, str)):
        return v.item()
    return v


def _value(v):
    """A google.protobuf.Value of a number or string; a bool is stored as the number 0 or 1, as PyTorch does."""
    if isinstance(v, (int, float)):
        return _double_field(2, float(v))
    if isinstance(v, str):
        return _bytes_field(3, v.encode())
    raise ValueError(f"add_hparams: value should be one of int, float, str, bool, or a one-element tensor, got "
                     f"{type(v).__name__}")


def _type_of(v):
    return _STRING if isinstance(v, str) else _FLOAT64  # bools are numbers here, as in PyTorch


def _plugin_data(field, message):
    return _int_field(1, 0) + _bytes_field(field, message)


def hparams_summaries(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """The serialized Summaries (experiment, session start, session end) of one trial."""
    hparams = {k: _plain(v) for k, v in hparam_dict.items()}
    domains = hparam_domain_discrete or {}
    for name, choices in domains.items():
        if name not in hparams:
            raise ValueError(f"add_hparams: hparam_domain_discrete names {name!r}, which is not in hparam_dict")
        if not isinstance(choices, (list, tuple)) or any(_type_of(c) != _type_of(hparams[name]) for c in choices):
            raise TypeError(f"add_hparams: the discrete domain of {name!r} must be a list of values of its type")
    infos = b""
    for name, v in hparams.items():
        info = _bytes_field(1, name.encode()) + _int_field(4, _type_of(v))
        if name in domains:
            info += _bytes_field(5, b"".join(_bytes_field(1, _value(c)) for c in domains[name]))
        infos += _bytes_field(4, info)
    metrics = b"".join(_bytes_field(5, _bytes_field(1, _bytes_field(2, m.encode()))) for m in metric_dict)
    start = b"".join(_bytes_field(1, _bytes_field(1, k.encode()) + _bytes_field(2, _value(v)))
                     for k, v in hparams.items())
    return [encode_plugin_summary("_hparams_/experiment", "hparams", _plugin_data(2, infos + metrics)),
            encode_plugin_summary("_hparams_/session_start_info", "hparams", _plugin_data(3, start)),
            encode_plugin_summary("_hparams_/session_end_info", "hparams", _plugin_data(4, _int_field(1, 1)))]
