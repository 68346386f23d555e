"""torch.Stream, torch.Event and Tensor.record_stream on the CPU against torch 2.13: what each call returns or
raises (recording an event needs an accelerator in both), repr, equality, the with-block."""
import pytest
import torch

import ember


def _calls(L):
    s, e, timed = L.Stream(), L.Event(), L.Event(enable_timing=True)
    calls = {
        "stream_repr": lambda: repr(L.Stream(device="cpu", priority=0)), "event_repr": lambda: repr(timed),
        "stream_fields": lambda: (s.device_type, s.device_index, s.stream_id, str(s.device)),
        "event_fields": lambda: (str(e.device), e.event_id), "query": lambda: (s.query(), e.query()),
        "sync": lambda: (s.synchronize(), e.synchronize(), e.wait(), e.wait(s), s.wait_event(e)),
        "equal": lambda: (s == L.Stream(), hash(s) == hash(L.Stream()), e == L.Event()),
        "capturing": lambda: s.is_capturing(), "record": lambda: e.record(), "record_on": lambda: e.record(s),
        "record_event": lambda: s.record_event(), "wait_stream": lambda: s.wait_stream(L.Stream()),
        "elapsed": lambda: timed.elapsed_time(L.Event(enable_timing=True)), "ipc": lambda: e.ipc_handle(),
        "native": lambda: s.native_handle, "with": lambda: _with(L, s),
        "record_stream": lambda: L.ones(2).record_stream(s),
    }
    out = {}
    for name, call in calls.items():
        try:
            out[name] = ("ok", call())
        except Exception as ex:  # noqa: BLE001 - the error is what is compared
            out[name] = (type(ex).__name__, str(ex).split(" This could be")[0])
    return out


def _with(L, s):
    with s as inside:
        return inside is s, (L.ones(2) * 2).tolist()


def test_stream_and_event_behave_as_torchs_on_the_cpu():
    ours, theirs = _calls(ember), _calls(torch)
    assert ours == theirs


def test_accelerator_devices_are_refused():
    for cls in (ember.Stream, ember.Event):
        with pytest.raises(RuntimeError):
            cls(device="cuda")
        with pytest.raises(RuntimeError):
            getattr(torch, cls.__name__)(device="cuda")
