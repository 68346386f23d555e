"""ONNX control flow: If, Loop and Scan, running their body graphs with the enclosing scope visible.

``Loop`` body: inputs (iteration, condition, carried...), outputs (condition, carried..., scan
outputs...); the scan outputs of all iterations are stacked along a new first axis. ``Scan``
feeds the body one slice of each scan input per step (Scan-8: per batch entry, along axis 1).
"""
import numpy as np

import ember

from . import register, arr, tensor


@register("If")
def if_(ctx, cond):
    branch = ctx.attr("then_branch") if bool(arr(cond).reshape(-1)[0]) else ctx.attr("else_branch")
    return tuple(ctx.run_graph(branch, ctx.env))


def _stack(values):
    if all(v.dtype.is_floating_point for v in values):
        return ember.stack(values, dim=0)
    return tensor(np.stack([arr(v) for v in values]))


@register("Loop")
def loop(ctx, max_trip=None, cond=None, *carried):
    body = ctx.attr("body")
    n_carried = len(carried)
    trips = int(arr(max_trip).reshape(-1)[0]) if max_trip is not None else None
    keep = bool(arr(cond).reshape(-1)[0]) if cond is not None else True
    state = list(carried)
    scans = None
    i = 0
    while keep and (trips is None or i < trips):
        outs = ctx.run_graph(body, ctx.env, [tensor(np.asarray(i, np.int64)),
                                             tensor(np.asarray(keep))] + state)
        keep = bool(arr(outs[0]).reshape(-1)[0])
        state = list(outs[1:1 + n_carried])
        step_scans = outs[1 + n_carried:]
        if scans is None:
            scans = [[] for _ in step_scans]
        for acc, v in zip(scans, step_scans):
            acc.append(v)
        i += 1
    n_scan = len(body.output) - 1 - n_carried
    if scans is None:
        if n_scan:
            raise ctx.unsupported("a Loop that runs zero times with scan outputs")
        scans = []
    return tuple(state) + tuple(_stack(acc) for acc in scans)


@register("Scan")
def scan(ctx, *inputs):
    body = ctx.attr("body")
    n_scan = ctx.attr("num_scan_inputs")
    if ctx.opset < 9:
        return _scan8(ctx, body, n_scan, *inputs)
    n_state = len(inputs) - n_scan
    state = list(inputs[:n_state])
    xs = list(inputs[n_state:])
    in_axes = ctx.attr("scan_input_axes") or [0] * n_scan
    in_dirs = ctx.attr("scan_input_directions") or [0] * n_scan
    n_out = len(body.output) - n_state
    out_axes = ctx.attr("scan_output_axes") or [0] * n_out
    out_dirs = ctx.attr("scan_output_directions") or [0] * n_out
    xs = [x.movedim(a if a >= 0 else a + x.dim(), 0) for x, a in zip(xs, in_axes)]
    T = xs[0].shape[0] if xs else 0
    acc = [[] for _ in range(n_out)]
    for t in range(T):
        feeds = [x[T - 1 - t] if d else x[t] for x, d in zip(xs, in_dirs)]
        outs = ctx.run_graph(body, ctx.env, state + feeds)
        state = list(outs[:n_state])
        for a, v in zip(acc, outs[n_state:]):
            a.append(v)
    results = []
    for a, ax, d in zip(acc, out_axes, out_dirs):
        y = _stack(a[::-1] if d else a)
        ax = ax if ax >= 0 else ax + y.dim()
        results.append(y.movedim(0, ax) if ax else y)
    return tuple(state) + tuple(results)


def _scan8(ctx, body, n_scan, lens, *inputs):
    """Scan-8: every input has a leading batch axis and the scan runs along axis 1, per batch entry."""
    n_state = len(inputs) - n_scan
    batch = inputs[0].shape[0]
    steps = inputs[n_state].shape[1]
    if lens is not None and np.any(arr(lens) != steps):
        raise ctx.unsupported("sequence_lens shorter than the sequence")
    dirs = ctx.attr("directions") or [0] * n_scan
    finals, scans = [], []
    for b in range(batch):
        state = [x[b] for x in inputs[:n_state]]
        acc = None
        for t in range(steps):
            feeds = [x[b, steps - 1 - t] if d else x[b, t] for x, d in zip(inputs[n_state:], dirs)]
            outs = ctx.run_graph(body, ctx.env, state + feeds)
            state = list(outs[:n_state])
            acc = [[] for _ in outs[n_state:]] if acc is None else acc
            for a, v in zip(acc, outs[n_state:]):
                a.append(v)
        finals.append(state)
        scans.append([_stack(a) for a in (acc or [])])
    out = [_stack([f[i] for f in finals]) for i in range(n_state)]
    out += [_stack([s[i] for s in scans]) for i in range(len(scans[0]))]
    return tuple(out)
