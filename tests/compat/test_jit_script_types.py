"""torch.jit's types against torch 2.13: what jit.script / jit.trace return passes isinstance(ScriptModule /
ScriptFunction), a ScriptModule subclass with script_method and jit.Attribute runs, and jit.fork / torch.fork
return a completed future whose wait gives the branch's result."""
import numpy as np
import torch

import ember


def _double(x):
    return x * 2


class _Probe:
    @staticmethod
    def run(L):
        lin = L.nn.Linear(2, 2)
        scripted_fn = L.jit.script(_double)
        traced_fn = L.jit.trace(_double, L.ones(1))
        out = {"script_fn": isinstance(scripted_fn, L.jit.ScriptFunction),
               "trace_fn": isinstance(traced_fn, L.jit.ScriptFunction),
               "script_module": isinstance(L.jit.script(L.nn.Linear(2, 2)), L.jit.ScriptModule),
               "trace_module": isinstance(L.jit.trace(lin, L.ones(1, 2)), L.jit.ScriptModule),
               "plain_module": isinstance(L.nn.Linear(1, 1), L.jit.ScriptModule),
               "plain_fn": isinstance(lambda x: x, L.jit.ScriptFunction),
               "module_not_fn": isinstance(L.jit.script(L.nn.Linear(2, 2)), L.jit.ScriptFunction),
               "script_fn_value": scripted_fn(L.ones(2)).tolist()}

        class M(L.jit.ScriptModule):
            def __init__(self):
                super().__init__()
                self.n = L.jit.Attribute(3, int)
                self.w = L.nn.Parameter(L.ones(2))

            @L.jit.script_method
            def forward(self, x):
                return x * self.w * self.n
        m = M()
        out.update(sub_value=m(L.ones(2)).tolist(), sub_n=m.n, sub_params=sorted(dict(m.named_parameters())),
                   sub_is_module=isinstance(m, L.nn.Module), sub_is_script=isinstance(m, L.jit.ScriptModule),
                   attribute=tuple(L.jit.Attribute(5, float)), attribute_fields=L.jit.Attribute._fields)
        x = L.arange(4.0)
        futs = [L.jit.fork(_double, x), L.fork(lambda t, k: t + k, x, k=1.0)]
        out.update(done=[f.done() for f in futs], waited=[L.jit.wait(futs[0]).tolist(), L.wait(futs[1]).tolist()])
        jf = L.jit.Future()
        jf.set_result(7)
        out.update(future=L.jit.wait(jf), futures_class=isinstance(jf, L.futures.Future))
        return out


def test_script_types_fork_and_wait_as_torch():
    ours, theirs = _Probe.run(ember), _Probe.run(torch)
    assert ours == theirs
    assert theirs["script_module"] and theirs["script_fn"] and not theirs["plain_module"]


def test_fork_runs_the_branch_once_at_once():
    calls = []
    fut = ember.fork(lambda v: calls.append(v) or v * 3, 2)
    assert calls == [2] and fut.done() and ember.wait(fut) == 6 and calls == [2]
    np.testing.assert_array_equal(ember.jit.wait(ember.jit.fork(ember.sin, ember.zeros(2))).numpy(), [0.0, 0.0])
