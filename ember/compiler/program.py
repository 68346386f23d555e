"""From a tape to a replay: checks hoisted, constants folded, dead steps and copies dropped, buffers shared.

:func:`plan` takes a :class:`~ember.compiler.tracer.Tracer`'s steps and the roots that
must hold their values after the call (state, outputs, gradients the function leaves on
tensors) and:

1. moves each data check ahead of the first write to state (and of the first random draw)
   where that changes no result, and refuses checks that stay behind a state write: a
   replay whose check fails runs the call eagerly, so nothing may have changed yet;
2. drops the creation of arrays no later step writes (they are constants), and the checks
   that only read constants;
3. drops every step whose results nothing live reads (dead code), keeping random draws
   so that the random stream advances as it does eagerly, and copies of buffers nothing
   else reads (the step that made the buffer writes into the copy's place);
4. gives every intermediate buffer memory that buffers with disjoint lifetimes share, an
   elementwise step writing over an input it reads last (:func:`share_memory`); kernels'
   scratch arrays from outside the function get private copies;
5. binds every step to a zero-argument callable (``functools.partial`` with ``out=`` where
   NumPy takes it; large elementwise steps split across the kernel threads), so that a
   replay is ``for f in calls: f()``.
"""
import functools

import numpy as np

from .tracer import ARG, BUFFER, CONST, CREATED, STATE, GuardFailed, root_of

_copyto = np.copyto
_partial = functools.partial


class PlanError(Exception):
    """The tape cannot be replayed; the message is the reason."""


def _all_steps(steps):
    for s in steps:
        if s.kind == "group":
            for sub in s.extra:
                yield from _all_steps(sub)
        else:
            yield s


def classify_external(tracer):
    """Split the written ``const`` roots into scratch and external state; returns ``(external, scratch)``.

    A kernel may write into a work buffer it keeps between calls (a pool, a cache). When an array
    from outside the captured state is first written by the tape (not read), it is such scratch:
    the replay gets a private copy of it, so that nothing else taking it from its pool sees the
    replay write (a thread's scratch too: the compiled function may be called from another thread).
    Any other array from outside the captured state that the function writes is external state:
    written in place, kept, and compared by the safety net.
    """
    roots = tracer.roots
    first = {}
    for s in _all_steps(tracer.steps):
        for rid in s.reads:
            first.setdefault(rid, False)
        for rid in s.writes:
            first.setdefault(rid, True)
    external, scratch = set(), set()
    for rid, entry in roots.items():
        if entry[0] == CONST and entry[2]:
            if first.get(rid) and _movable(entry[1]):
                scratch.add(rid)
            else:
                external.add(rid)
    return external, scratch


def plan(tracer, live_roots, external, scratch, share=True):
    """Return the list of zero-argument callables that replay ``tracer``'s tape, and a summary dict.

    ``live_roots`` must hold their values after the call; ``external`` and ``scratch`` are the
    written roots from outside the captured state (see :func:`classify_external`).
    """
    roots = tracer.roots
    steps = tracer.steps
    written = set()
    for s in _all_steps(steps):
        if s.kind != "create":
            written |= s.writes
    const = {rid for rid, (kind, _, _) in roots.items()
             if (kind == CONST and rid not in scratch) or (kind == CREATED and rid not in written)}
    state = {rid for rid, (kind, _, _) in roots.items() if kind in (STATE, ARG)} | set(external)
    steps = _hoist_checks(steps, state, const)
    updated = False
    for s in _all_steps(steps):
        if s.kind == "guard" and updated and not s.reads <= const:
            raise PlanError(f"a Python value read from array data at {s.where} depends on state the function "
                            "updated before reading it, where a replay could not stop and run eagerly instead")
        if s.writes & state:
            updated = True
    kept = []
    for s in steps:
        if s.kind == "create" and s.fresh[0] in const:
            continue
        if s.kind == "guard" and s.reads <= const:
            continue
        kept.append(s)
    # Dead code: walk back from what must hold values at the end.
    live = set(live_roots)
    alive = []
    for s in reversed(kept):
        if s.kind in ("guard", "random") or _checks(s) or s.writes & live:
            live.difference_update(s.fresh)
            live |= s.reads
            live |= s.writes - set(s.fresh)
            alive.append(s)
    alive.reverse()
    pinned = set(live_roots) | const | state
    alive, elided = _elide_copies(alive, roots, pinned)
    summary = {"recorded": len(steps), "steps": len(alive), "dropped": len(kept) - len(alive) - elided,
               "constants": len(steps) - len(kept), "copies_elided": elided}
    summary.update(share_memory(alive, roots, pinned, scratch, reuse=share))
    calls = []
    for s in alive:
        f = _bind(s)
        if f is not None:
            calls.append(f)
    summary["calls"] = len(calls)
    summary["guards"] = sum(1 for s in _all_steps(alive) if s.kind == "guard")
    drawn, late = False, False
    for s in _all_steps(alive):
        drawn = drawn or s.kind == "random"
        late = late or (drawn and s.kind == "guard")
    summary["checks_after_draws"] = late
    return calls, summary


# -- memory sharing -----------------------------------------------------------------------------------

def share_memory(steps, roots, pinned, scratch=(), reuse=True):
    """Give each intermediate buffer memory of its own, shared between buffers with disjoint lifetimes.

    Rewrites the arrays held by ``steps`` in place. ``pinned`` roots keep their memory (state,
    outputs, constants, anything visible after the call); ``scratch`` roots get a private copy,
    never shared. With ``reuse=False`` no two buffers share.
    """
    first, last = {}, {}
    for i, s in enumerate(steps):
        for rid in s.reads | s.writes:
            kind = roots[rid][0]
            if kind in (BUFFER, CREATED) and rid not in pinned:
                first.setdefault(rid, i)
                last[rid] = i
    candidates = [rid for rid in first if _movable(roots[rid][1])]
    starts, ends = {}, {}
    for rid in candidates:
        starts.setdefault(first[rid], []).append(rid)
        ends.setdefault(last[rid], []).append(rid)
    free = []       # blocks (uint8 arrays) not in use
    block_of = {}
    total = 0
    handed = set()  # buffers whose block went to the result of the step that last read them
    movable = set(candidates)
    for i in range(len(steps)):
        into = _in_place(steps[i], roots, movable, first, last, i) if reuse else None
        if into is not None:
            src, dst = into
            block_of[dst] = block_of[src]
            handed.add(src)
        for rid in starts.get(i, ()):
            if rid in block_of:
                continue
            need = roots[rid][1].nbytes
            best = None
            for j, b in enumerate(free):
                if b.nbytes >= need and (best is None or b.nbytes < free[best].nbytes):
                    best = j
            if best is not None and free[best].nbytes <= 4 * need + 4096:
                block_of[rid] = free.pop(best)
            else:
                block_of[rid] = np.empty(max(need, 1), np.uint8)
                total += block_of[rid].nbytes
        if reuse:
            for rid in ends.get(i, ()):
                if rid not in handed:
                    free.append(block_of[rid])
    for rid in scratch:
        old = roots[rid][1]
        block = block_of[rid] = np.empty(max(old.nbytes, 1), np.uint8)
        np.copyto(np.ndarray(old.shape, old.dtype, buffer=block, strides=old.strides), old)
        total += block.nbytes
    remap = _Remap(roots, block_of)
    for s in steps:
        remap.step(s)
    before = sum(roots[rid][1].nbytes for rid in candidates)
    return {"shared_buffers": len(candidates), "buffer_bytes": int(total), "bytes_saved": int(before - total),
            "scratch": len(scratch)}


def _elide_copies(steps, roots, pinned):
    """Drop copies of buffers nothing else reads: the step making the buffer writes into the copy instead.

    (``p.grad = g.clone()`` after a backward rule made ``g``: the rule's matmul writes the gradient
    buffer directly.) Returns the steps and how many copies went.
    """
    producer, uses = {}, {}
    for i, s in enumerate(steps):
        for rid in s.reads | s.writes:
            uses[rid] = uses.get(rid, 0) + 1
        if s.kind == "ufunc" or (s.kind == "call" and s.extra == "out"):
            for k, r in enumerate(s.results):
                producer[id(root_of(r))] = (i, k)
    drop = set()
    for i, s in enumerate(steps):
        if s.kind != "call" or s.extra != "cast":
            continue
        dst, src = s.args
        sr, dr = id(root_of(src)), id(root_of(dst))
        if sr in pinned or sr not in producer or uses.get(sr) != 2 or src.shape != dst.shape \
                or src.dtype != dst.dtype or src.strides != dst.strides \
                or not (_whole(src, roots[sr][1]) and _whole(dst, roots[dr][1])):
            continue
        j, k = producer[sr]
        p = steps[j]
        if p.results[k] is not src:
            continue
        p.results[k] = dst
        p.fresh = tuple(dr if f == sr else f for f in p.fresh)
        p.writes = (p.writes - {sr}) | {dr}
        drop.add(i)
    return [s for i, s in enumerate(steps) if i not in drop], len(drop)


def _checks(s):
    return s.kind == "guard" or (s.kind == "group" and any(t.kind == "guard" for t in _all_steps([s])))


def _hoist_checks(steps, state, const):
    """Move each data check (and the steps it needs) ahead of every write to state, where that is legal.

    A replay whose check fails runs the call eagerly instead, so no state may have changed by then
    (and, to spare saving the generator's state, no random number drawn). A check of the targets in
    a loss comes after BatchNorm updated its running statistics, but needs none of that: it and the
    steps computing what it reads move ahead, when none of them reads or writes memory that a step
    they move past writes (or, for what they write, reads), and no draw moves past another.
    """
    order = list(steps)
    i = 0
    while i < len(order):
        s = order[i]
        if _checks(s) and not s.reads <= const:
            heads = (next((k for k, t in enumerate(order) if t.writes & state or t.kind == "random"), i),
                     next((k for k, t in enumerate(order) if t.writes & state), i))
            for head in heads:
                if head < i:
                    moved = _try_hoist(order, i, head)
                    if moved is not None:
                        order = moved
                        break
        i += 1
    return order


def _try_hoist(order, i, head):
    """``order`` with check ``i`` and what it needs moved to ``head``, or None when that changes any result."""
    s = order[i]
    # What the check reads, and where it writes (a buffer made earlier by np.empty moves along).
    need, moved = s.reads | s.writes, [i]
    for j in range(i - 1, head - 1, -1):
        t = order[j]
        if t.writes & need:
            moved.append(j)
            need |= t.reads | t.writes
    moved.reverse()
    chosen = set(moved)
    for j in moved:
        t = order[j]
        for k in range(head, j):
            if k in chosen:
                continue
            o = order[k]
            if o.writes & (t.reads | t.writes) or o.reads & (t.writes - set(t.fresh)) \
                    or (o.kind == "random" and t.kind == "random"):
                return None
    return order[:head] + [order[j] for j in moved] + [t for k, t in enumerate(order[head:], head) if k not in chosen]


def _in_place(s, roots, movable, first, last, i):
    """``(input root, result root)`` when elementwise step ``s`` can write its result over an input it reads
    last: same shape, dtype and layout, each array the whole of its buffer. Else None."""
    if s.kind != "ufunc" or s.extra != "__call__" or getattr(s.fn, "signature", 1) is not None \
            or len(s.results) != 1 or "where" in s.kwargs:
        return None
    r = s.results[0]
    rr = id(root_of(r))
    if rr not in movable or first.get(rr) != i or not _whole(r, roots[rr][1]):
        return None
    for a in s.args:
        if isinstance(a, np.ndarray) and a.shape == r.shape and a.dtype == r.dtype and a.strides == r.strides:
            ra = id(root_of(a))
            if ra != rr and ra in movable and last.get(ra) == i and _whole(a, roots[ra][1]) \
                    and roots[ra][1].nbytes == roots[rr][1].nbytes:
                return ra, rr
    return None


def _whole(a, root):
    return a.nbytes == root.nbytes and a.__array_interface__["data"][0] == root.__array_interface__["data"][0]


def _movable(root):
    return isinstance(root, np.ndarray) and root.base is None and root.flags.owndata and root.nbytes > 0 \
        and root.dtype != object


class _Remap:
    """Rebuilds every array whose root moved to a shared block, keeping views as views."""

    def __init__(self, roots, block_of):
        self.roots = roots
        self.block_of = block_of
        self.new = {}
        self.keep = []

    def array(self, a):
        key = id(a)
        got = self.new.get(key)
        if got is not None:
            return got
        root = root_of(a)
        block = self.block_of.get(id(root))
        if block is None:
            return a
        offset = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        b = np.ndarray(a.shape, a.dtype, buffer=block, offset=offset, strides=a.strides)
        self.new[key] = b
        self.keep.append(a)
        return b

    def tree(self, obj):
        if isinstance(obj, np.ndarray):
            return self.array(obj)
        tp = type(obj)
        if tp is tuple or tp is list:
            return tp(self.tree(o) for o in obj)
        if tp is dict:
            return {k: self.tree(v) for k, v in obj.items()}
        return obj

    def step(self, s):
        s.args = self.tree(s.args)
        s.kwargs = self.tree(s.kwargs)
        s.results = [self.array(r) for r in s.results]
        if s.kind == "group":
            for sub in s.extra:
                for t in sub:
                    self.step(t)
        elif s.kind == "create" and s.extra is not None and s.extra[0] == "copyfrom":
            s.extra = ("copyfrom", self.tree(s.extra[1]))


# -- binding ------------------------------------------------------------------------------------------

_SPLIT_MIN = 1 << 20   # elements: below this a thread hand-off costs more than half the work


def _bind(s):
    k, a, kw, r = s.kind, s.args, s.kwargs, s.results
    if k == "ufunc":
        if len(r) == 1:
            return _split(s.fn, a, kw, r[0]) or _partial(s.fn, *a, out=r[0], **kw)
        return _partial(s.fn, *a, out=tuple(r), **kw)
    if k == "inplace":
        out = kw.get("out")
        if isinstance(s.fn, np.ufunc) and out is not None and len(out) == 1:
            rest = {key: v for key, v in kw.items() if key != "out"}
            f = _split(s.fn, a, rest, out[0])
            if f is not None:
                return f
        return _partial(s.fn, *a, **kw)
    if k == "call":
        mode = s.extra
        if mode == "out":
            return _partial(s.fn, *a, **dict(kw, out=r[0]))
        if mode == "cast":
            return _partial(_copyto, *a, **kw)
        if mode == "reshape":
            buf, src = a
            return _partial(_copyto, buf.reshape(src.shape), src)
        fn = s.fn
        if mode == "copy":
            dst = r[0]
            return lambda: _copyto(dst, fn(*a, **kw))
        pairs = tuple(zip(mode[1], r))

        def multi():
            res = fn(*a, **kw)
            for i, dst in pairs:
                _copyto(dst, res[i])
        return multi
    if k == "create":
        spec = s.extra
        if spec is None:
            return None
        dst = r[0]
        if spec[0] == "fill":
            return _partial(dst.fill, spec[1])
        if spec[0] == "copy":
            return _partial(_copyto, dst, spec[1])
        return _partial(_copyto, dst, spec[1], casting="unsafe")
    if k == "guard":
        fn, expected, loc = s.fn, s.extra, s.where

        def guard():
            if fn(*a, **kw) != expected:
                raise GuardFailed(loc)
        return guard
    if k == "random":
        holder, name, out_ok = s.extra
        if r and out_ok:
            dst = r[0]
            return lambda: getattr(holder._rng, name)(*a, out=dst, **kw)
        if r:
            dst = r[0]
            return lambda: _copyto(dst, getattr(holder._rng, name)(*a, **kw))
        return lambda: getattr(holder._rng, name)(*a, **kw)
    if k == "group":
        import sys
        par = sys.modules["ember.backend.parallel"]
        pieces = [(tuple(f for f in (_bind(t) for t in sub) if f is not None),) for sub in s.extra]
        return lambda: par.run(_run_all, pieces)
    raise AssertionError(f"unknown step kind {k}")


def _split(fn, args, kwargs, out):
    """A large elementwise ufunc as pieces along the first axis, run on the kernel threads; None if not worth it.

    Results are the same element for element; NumPy releases the GIL in the loops.
    """
    if not isinstance(fn, np.ufunc) or fn.signature is not None or kwargs or out.size < _SPLIT_MIN \
            or out.ndim == 0 or out.shape[0] < 2:
        return None
    import sys
    par = sys.modules.get("ember.backend.parallel")
    if par is None or par.workers() < 2:
        return None
    n = out.shape[0]
    ranges = par.split(n, par.workers())
    for x in args:
        if isinstance(x, np.ndarray) and np.may_share_memory(x, out) and not (
                x.shape == out.shape and x.strides == out.strides
                and x.__array_interface__["data"][0] == out.__array_interface__["data"][0]):
            return None   # a partial overlap: pieces could read what another piece writes
    pieces = []
    for lo, hi in ranges:
        part = []
        for x in args:
            if isinstance(x, np.ndarray) and x.ndim == out.ndim and x.shape[0] == n:
                x = x[lo:hi]
            part.append(x)
        pieces.append((tuple(part), out[lo:hi]))
    run = par.run
    return lambda: run(_ufunc_piece, [(fn, p, o) for p, o in pieces])


def _ufunc_piece(fn, args, out):
    fn(*args, out=out)


def _run_all(calls):
    for f in calls:
        f()


