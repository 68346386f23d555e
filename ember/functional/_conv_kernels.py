"""NumPy kernels behind convolution, transposed convolution, ``unfold`` and ``fold``.

Every kernel works on 2-D images in NCHW layout (1-D ops add a height of 1) and
follows one plan, :class:`ConvGeom`. A convolution is im2col + BLAS:

* the (padded) input is viewed with ``as_strided`` as ``cols``: for each kernel tap
  ``(c, i, j)`` and each output position, the input pixel that tap sees. Copying
  that view is the only pass over the input;
* one matrix product with the weight ``(Cout, C*kh*kw)`` gives the output.

The batch is processed in chunks of a few samples so that the column matrix of a
chunk stays in the CPU cache (a column matrix is ``kh*kw`` times the input's size;
writing all of it to memory and reading it back costs more than the product).

Two column layouts, chosen per shape by :class:`ConvGeom`:

``"sample"``
    ``cols[n, (c, i, j), (ho, wo)]`` with a row of ones appended, and a batched
    product ``[W | bias] @ cols[n]`` writes straight into the NCHW output, bias
    included. Best when the per-sample product is large enough for BLAS to run
    well (big images, or few input channels as in a network's first layer).
``"batch"``
    ``cols[(c, i, j), (n, ho, wo)]`` and one product per chunk
    ``W @ cols -> (Cout, n, L)``, then a copy into NCHW that adds the bias. Best for
    small feature maps with many channels, where per-sample products are too small.
    With stride 1 it uses a "flat" column index ``ho * Wp + wo`` (``Wp``: padded
    width) so that every tap reads one contiguous run per sample; the few columns
    with ``wo >= Wo`` wrap around a row's end and are dropped (their gradient is 0).

Chunks are independent, so the threads of :mod:`ember.backend.parallel` each take
a run of them (with single-threaded BLAS): the copies, which NumPy runs on one core,
then use every core too.

The backward pass recomputes each chunk's columns (cheap, in cache) rather than
keeping them from the forward: ``dW = g @ cols^T``, ``dcols = W^T @ g``, and col2im
adds ``dcols`` back onto the input with one strided add per kernel tap (no
``np.add.at``). Gradients here are plain NumPy (first order); the ops in
``conv.py`` make them differentiable by expressing each gradient with the other
kernels.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..backend import parallel as _parallel
from ..backend import meta as _meta

# A chunk's column matrix should fit in the L2/L3 cache.
_CHUNK_BYTES = 4 << 20
# Below this many multiply-adds a convolution stays on one thread.
_PARALLEL_MIN = 4_000_000
# The flat layout computes ((Ho - 1) * Wp + Wo) / (Ho * Wo) times the needed columns; cap that waste.
_FLAT_WASTE = 1.3


class ConvGeom:
    """The shapes of one convolution: input (N, C, H, W), weight (Cout, C/groups, kh, kw).

    ``pad`` is (top, bottom, left, right). ``out_hw`` fixes the output size (a transposed
    convolution's ``output_padding`` adds input rows that no kernel tap reaches).
    """

    __slots__ = ("N", "C", "H", "W", "Cout", "kh", "kw", "sh", "sw", "dh", "dw", "pt", "pb", "pl", "pr",
                 "G", "Hp", "Wp", "Ho", "Wo", "mode", "flat", "L", "rs", "nc", "threads")

    def __init__(self, N, C, H, W, Cout, kh, kw, stride=(1, 1), pad=(0, 0, 0, 0), dilation=(1, 1), groups=1,
                 out_hw=None, itemsize=4, mode=None):
        self.N, self.C, self.H, self.W, self.Cout = N, C, H, W, Cout
        self.kh, self.kw = kh, kw
        self.sh, self.sw = stride
        self.dh, self.dw = dilation
        self.pt, self.pb, self.pl, self.pr = pad
        self.G = groups
        self.Hp = H + self.pt + self.pb
        self.Wp = W + self.pl + self.pr
        if out_hw is None:
            self.Ho = (self.Hp - self.dh * (kh - 1) - 1) // self.sh + 1
            self.Wo = (self.Wp - self.dw * (kw - 1) - 1) // self.sw + 1
        else:
            self.Ho, self.Wo = out_hw
        L = self.Ho * self.Wo
        K = C * kh * kw
        # Per-sample products run well in BLAS when they are large, and then need no NCHW copy.
        if mode is None:
            mode = "sample" if groups == 1 and (L >= 400 or K <= 32) else "batch"
        self.mode = mode
        flat_len = (self.Ho - 1) * self.Wp + self.Wo
        self.flat = (self.mode == "batch" and self.sh == 1 and self.sw == 1 and self.Ho > 1 and kh * kw > 1
                     and flat_len <= _FLAT_WASTE * L)
        # L: columns per sample; rs: column distance between two output rows.
        self.L, self.rs = (flat_len, self.Wp) if self.flat else (L, self.Wo)
        nc = max(1, min(N, _CHUNK_BYTES // max(1, (K + 1) * self.L * itemsize)))
        # Threads take whole chunks: make the chunk count a multiple of the thread count, when the
        # work is worth a thread hand-off.
        self.threads = _parallel.workers() if N > 1 and N * K * self.L * Cout >= _PARALLEL_MIN else 1
        chunks = -(-N // nc)
        chunks = min(N, -(-chunks // self.threads) * self.threads)
        self.nc = -(-N // chunks) if chunks else 1

    @property
    def padded(self):
        return bool(self.pt or self.pb or self.pl or self.pr)

    def chunks(self, start=0, stop=None):
        stop = self.N if stop is None else stop
        for n0 in range(start, stop, self.nc):
            yield n0, min(stop, n0 + self.nc)

    def pieces(self):
        """The sample ranges the threads take: whole chunks, split as evenly as possible."""
        n_chunks = -(-self.N // self.nc)
        return [(a * self.nc, min(self.N, b * self.nc)) for a, b in _parallel.split(n_chunks, self.threads)]


# -- im2col -------------------------------------------------------------------------------------------

class _Padder:
    """Pads one chunk at a time into a reused zero-bordered buffer (the border is written once)."""

    def __init__(self, geo, dtype):
        self.geo = geo
        self.buf = np.zeros((geo.nc, geo.C, geo.Hp, geo.Wp), dtype) if geo.padded else None

    def __call__(self, x):
        g = self.geo
        if self.buf is None:
            return np.ascontiguousarray(x) if g.flat else x
        xp = self.buf[:x.shape[0]]
        xp[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W] = x
        return xp


def _im2col(xp, geo, cols):
    """Fill ``cols`` with the columns of the padded chunk ``xp`` (n samples)."""
    g = geo
    n = xp.shape[0]
    sN, sC, sH, sW = xp.strides
    if g.mode == "sample":
        view = as_strided(xp, (n, g.C, g.kh, g.kw, g.Ho, g.Wo),
                          (sN, sC, g.dh * sH, g.dw * sW, g.sh * sH, g.sw * sW))
        np.copyto(cols[:, :-1].reshape(view.shape), view)
    elif g.flat:
        view = as_strided(xp, (g.C, g.kh, g.kw, n, g.L), (sC, g.dh * sH, g.dw * sW, sN, sW))
        np.copyto(cols.reshape(view.shape), view)
    else:
        view = as_strided(xp, (g.C, g.kh, g.kw, n, g.Ho, g.Wo),
                          (sC, g.dh * sH, g.dw * sW, sN, g.sh * sH, g.sw * sW))
        np.copyto(cols.reshape(view.shape), view)


def _cols_buffer(geo, dtype):
    """The column buffer for one chunk, reused across calls ("sample" mode ends each sample's rows with
    a row of ones, for the bias)."""
    g = geo
    K = g.C * g.kh * g.kw
    if g.mode == "sample":
        cols = _parallel.scratch("cols", g.nc * (K + 1) * g.L, dtype).reshape(g.nc, K + 1, g.L)
        cols[:, K] = 1
        return cols
    return _parallel.scratch("cols", K * g.nc * g.L, dtype)


def _part(buf, rows, cols):
    """A contiguous (rows, cols) array at the start of the flat buffer ``buf``."""
    return buf[:rows * cols].reshape(rows, cols)


def _out_view(full, geo, n, channels):
    """View a (channels, n, L) "batch"-mode product as the (n, channels, Ho, Wo) block it holds."""
    it = full.itemsize
    return as_strided(full, (n, channels, geo.Ho, geo.Wo), (geo.L * it, n * geo.L * it, geo.rs * it, it))


def _grouped(a, G):
    """(G*r, c) -> (G, r, c) for a batched per-group product (the 2-D array itself when G == 1)."""
    return a if G == 1 else a.reshape(G, a.shape[0] // G, a.shape[1])


# -- forward ------------------------------------------------------------------------------------------

def conv_forward(x, w, bias, geo):
    """``y = conv2d(x, w) + bias`` for ``x`` (N, C, H, W) and ``w`` (Cout, C/groups, kh, kw)."""
    g = geo
    dt = x.dtype
    if type(x) is _meta.MetaArray or type(w) is _meta.MetaArray:  # the meta device: the shape, no values
        return _meta.empty((g.N, g.Cout, g.Ho, g.Wo), dt)
    y = np.empty((g.N, g.Cout, g.Ho, g.Wo), dt)
    if y.size == 0:
        return y
    if g.mode == "sample":
        w2 = np.empty((g.Cout, g.C * g.kh * g.kw + 1), dt)
        w2[:, :-1] = w.reshape(g.Cout, -1)
        w2[:, -1] = 0 if bias is None else bias
        _parallel.run(_forward_sample, [(x, w2, y, g, a, b) for a, b in g.pieces()])
    else:
        wg = _grouped(w.reshape(g.Cout, -1), g.G)
        b = None if bias is None else bias.reshape(-1, 1, 1)
        _parallel.run(_forward_batch, [(x, wg, b, y, g, a, b_) for a, b_ in g.pieces()])
    return y


def _forward_sample(x, w2, y, g, start, stop):
    pad = _Padder(g, x.dtype)
    cols = _cols_buffer(g, x.dtype)
    for n0, n1 in g.chunks(start, stop):
        c = cols[:n1 - n0]
        _im2col(pad(x[n0:n1]), g, c)
        np.matmul(w2, c, out=y[n0:n1].reshape(n1 - n0, g.Cout, g.L))


def _forward_batch(x, wg, b, y, g, start, stop):
    dt = x.dtype
    pad = _Padder(g, dt)
    cols = _cols_buffer(g, dt)
    full = _parallel.scratch("full", g.Cout * g.nc * g.L, dt)
    K = cols.size // (g.nc * g.L)
    for n0, n1 in g.chunks(start, stop):
        n = n1 - n0
        c = _part(cols, K, n * g.L)
        _im2col(pad(x[n0:n1]), g, c)
        f = _part(full, g.Cout, n * g.L)
        np.matmul(wg, _grouped(c, g.G), out=_grouped(f, g.G))
        v = _out_view(f, g, n, g.Cout)
        if b is None:
            np.copyto(y[n0:n1], v)
        else:
            np.add(v, b, out=y[n0:n1])


# -- backward -----------------------------------------------------------------------------------------

def _col2im(dcols, geo, n, dx_chunk, buf):
    """Add the column gradient of ``n`` samples onto ``dx_chunk`` (n, C, H, W): one strided add per tap."""
    g = geo
    dxp = buf[:n] if buf is not None else dx_chunk
    dxp[...] = 0
    sN, sC, sH, sW = dxp.strides
    flat = dxp.reshape(-1)
    it = dxp.itemsize
    if g.mode == "sample":
        src = dcols.reshape(n, g.C, g.kh, g.kw, g.Ho, g.Wo)
    else:
        src = dcols.reshape(g.C, g.kh, g.kw, n, g.L)
    for i in range(g.kh):
        for j in range(g.kw):
            base = flat[(i * g.dh * sH + j * g.dw * sW) // it:]
            if g.mode == "sample":
                dst = as_strided(base, (n, g.C, g.Ho, g.Wo), (sN, sC, g.sh * sH, g.sw * sW))
                s = src[:, :, i, j]
            elif g.flat:
                dst = as_strided(base, (g.C, n, g.L), (sC, sN, sW))
                s = src[:, i, j]
            else:
                dst = as_strided(base, (g.C, n, g.Ho, g.Wo), (sC, sN, g.sh * sH, g.sw * sW))
                s = src[:, i, j].reshape(g.C, n, g.Ho, g.Wo)
            np.add(dst, s, out=dst)
    if buf is not None:
        dx_chunk[...] = dxp[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W]


def conv_backward(gy, x, w, geo, need_x=True, need_w=True, need_b=True):
    """Gradients ``(dx, dw, db)`` of :func:`conv_forward` for output gradient ``gy`` (None where not needed).

    ``x`` is only read when ``need_w``; ``w`` only when ``need_x`` (pass None otherwise).
    """
    g = geo
    dt = gy.dtype
    wshape = (g.Cout, g.C // g.G, g.kh, g.kw)
    if any(type(a) is _meta.MetaArray for a in (gy, x, w)):
        return (_meta.empty((g.N, g.C, g.H, g.W), dt) if need_x else None,
                _meta.empty(wshape, dt) if need_w else None, _meta.empty((g.Cout,), dt) if need_b else None)
    dx = np.empty((g.N, g.C, g.H, g.W), dt) if need_x else None
    if gy.size == 0:
        if need_x:
            dx[...] = 0
        return (dx, np.zeros(wshape, dt) if need_w else None, np.zeros(g.Cout, dt) if need_b else None)
    w2 = w.reshape(g.Cout, -1) if need_x else None
    work = _backward_sample if g.mode == "sample" else _backward_batch
    parts = _parallel.run(work, [(gy, x, w2, dx, g, need_w, need_b, a, b) for a, b in g.pieces()])
    dw = db = None
    if need_w:
        dw = parts[0][0]
        for p in parts[1:]:
            dw += p[0]
        dw = dw.reshape(wshape)
    if need_b:
        db = parts[0][1]
        for p in parts[1:]:
            db += p[1]
    return dx, dw, db


def _backward_sample(gy, x, w2, dx, g, need_w, need_b, start, stop):
    dt = gy.dtype
    K = g.C * g.kh * g.kw
    dw = np.zeros((K, g.Cout), dt) if need_w else None
    db = np.zeros(g.Cout, dt) if need_b else None
    cols = _cols_buffer(g, dt) if need_w else None
    pad = _Padder(g, dt) if need_w else None
    dbuf = np.empty((g.nc, g.C, g.Hp, g.Wp), dt) if dx is not None and g.padded else None
    for n0, n1 in g.chunks(start, stop):
        n = n1 - n0
        gc = gy[n0:n1].reshape(n, g.Cout, g.L)
        if need_w:
            c = cols[:n]
            _im2col(pad(x[n0:n1]), g, c)
            # cols[n] @ g[n]^T per sample; the row of ones in cols gives the bias gradient too.
            s = np.matmul(c, gc.transpose(0, 2, 1)).sum(axis=0)
            dw += s[:K]
            if need_b:
                db += s[K]
        elif need_b:
            db += np.matmul(gc, np.ones(g.L, dt)).sum(axis=0)
        if dx is not None:
            _col2im(np.matmul(w2.T, gc), g, n, dx[n0:n1], dbuf)
    return (dw.T.copy() if need_w else None), db


def _backward_batch(gy, x, w2, dx, g, need_w, need_b, start, stop):
    dt = gy.dtype
    G = g.G
    K = g.C * g.kh * g.kw
    dw = np.zeros((G, K // G, g.Cout // G), dt) if need_w else None
    db = np.zeros(g.Cout, dt) if need_b else None
    cols = _cols_buffer(g, dt) if need_w else None
    pad = _Padder(g, dt) if need_w else None
    dbuf = np.empty((g.nc, g.C, g.Hp, g.Wp), dt) if dx is not None and g.padded else None
    gfull = _parallel.scratch("gfull", g.Cout * g.nc * g.L, dt)
    if g.flat:
        gfull[...] = 0  # the wrapped columns must hold zeros
    dcols = _parallel.scratch("dcols", K * g.nc * g.L, dt) if dx is not None else None
    for n0, n1 in g.chunks(start, stop):
        n = n1 - n0
        f = _part(gfull, g.Cout, n * g.L)
        if g.flat and n != g.nc:
            f[...] = 0  # a shorter chunk puts its wrapped (zero) columns elsewhere
        np.copyto(_out_view(f, g, n, g.Cout), gy[n0:n1])
        if need_w:
            c = _part(cols, K, n * g.L)
            _im2col(pad(x[n0:n1]), g, c)
            # cols @ g^T runs faster in BLAS than g @ cols^T: the long dimension is inner in both operands.
            if G == 1:
                dw[0] += c @ f.T
            else:
                dw += np.matmul(_grouped(c, G), _grouped(f, G).transpose(0, 2, 1))
        if need_b:
            db += f.sum(axis=1)
        if dx is not None:
            d = _part(dcols, K, n * g.L)
            if G == 1:
                np.matmul(w2.T, f, out=d)
            else:
                np.matmul(_grouped(w2, G).transpose(0, 2, 1), _grouped(f, G), out=_grouped(d, G))
            _col2im(d, g, n, dx[n0:n1], dbuf)
    if need_w:
        dw = dw.transpose(0, 2, 1).reshape(g.Cout, K // G).copy()
    return dw, db


def conv_transpose_forward(x, w, bias, geo):
    """The transposed convolution: the input gradient of the convolution ``geo`` applied to ``x``."""
    y = conv_backward(x, None, w, geo, need_x=True, need_w=False, need_b=False)[0]
    if bias is not None:
        y += bias.reshape(-1, 1, 1)
    return y


# -- unfold / fold ------------------------------------------------------------------------------------

def unfold(x, geo):
    """im2col of the whole batch: (N, C*kh*kw, L), in PyTorch's ``F.unfold`` order (``geo.mode == "sample"``)."""
    g = geo
    if type(x) is _meta.MetaArray:
        return _meta.empty((g.N, g.C * g.kh * g.kw, g.Ho * g.Wo), x.dtype)
    xp = np.zeros((g.N, g.C, g.Hp, g.Wp), x.dtype) if g.padded else x
    if g.padded:
        xp[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W] = x
    sN, sC, sH, sW = xp.strides
    view = as_strided(xp, (g.N, g.C, g.kh, g.kw, g.Ho, g.Wo),
                      (sN, sC, g.dh * sH, g.dw * sW, g.sh * sH, g.sw * sW))
    return np.ascontiguousarray(view).reshape(g.N, g.C * g.kh * g.kw, g.Ho * g.Wo)


def fold(cols, geo):
    """col2im of a whole (N, C*kh*kw, L) batch onto (N, C, H, W), summing overlaps (``geo.mode == "sample"``)."""
    g = geo
    if type(cols) is _meta.MetaArray:
        return _meta.empty((g.N, g.C, g.H, g.W), cols.dtype)
    dx = np.empty((g.N, g.C, g.H, g.W), cols.dtype)
    buf = np.empty((g.N, g.C, g.Hp, g.Wp), cols.dtype) if g.padded else None
    _col2im(np.ascontiguousarray(cols), g, g.N, dx, buf)
    return dx
