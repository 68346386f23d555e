"""Random numbers: ``manual_seed``, ``Generator`` and the sampling functions, drawing PyTorch's exact values.

Every random op draws from an ``ember.Generator``. Like PyTorch's CPU generator it is a
32-bit Mersenne Twister (MT19937, held as a NumPy ``MT19937`` bit generator) seeded with
``init_genrand(seed & 0xffffffff)``; the global one is ``ember.default_generator``
(default seed 67280421310721), reset by ``ember.manual_seed(s)``. The samplers turn its
32-bit words ``w`` into values exactly as ATen's CPU kernels do, so a program seeded with
``manual_seed(s)`` draws torch's numbers, in torch's order:

* ``rand`` / ``uniform_(a, b)``, float32: ``u = (w & (2**24 - 1)) / 2**24`` per element, then
  ``fma(u, b - a, a)`` in float32 (float64: 53 bits of ``random64() = (w0 << 32) | w1``).
* ``randn`` / ``normal_``: a contiguous tensor of at least 16 elements is filled with uniforms,
  then each block of 16 becomes 8 Box-Muller pairs (element ``j`` with ``j + 8``:
  ``r = sqrt(-2 log(1 - u_j))``, ``theta = 2 pi u_{j+8}``, ``(r cos theta, r sin theta)``);
  a ragged tail redraws the last 16. Smaller or strided tensors draw one float64 normal per
  element (two 53-bit uniforms give a cos sample and a sin sample; the sin one is cached
  in the generator, so the cache is part of its state).
* ``randint(low, high)`` / ``random_``: ``w % (high - low) + low`` (``random64`` for ranges of
  2**32 or more); ``randperm(n)``: Fisher-Yates, swapping ``i`` with ``i + w_i % (n - i)``.
* ``bernoulli_(p)`` and dropout masks: ``u53 < p``; ``exponential_(l)``: ``-log1p(-u53) / l``;
  ``multinomial``: binary search of a 53-bit uniform in the normalised cumulative weights
  (with replacement), else ``argmax/topk(p / Exp(1))`` as torch does.

``get_state()`` is torch's 5056-byte layout, so states move between ember and torch.

>>> import ember
>>> _ = ember.manual_seed(0); a = ember.rand(3)
>>> _ = ember.manual_seed(0); b = ember.rand(3)
>>> bool((a == b).all())
True
>>> _ = ember.manual_seed(0); [round(v, 4) for v in ember.rand(2).tolist()]  # torch.rand(2) after seed 0
[0.4963, 0.7682]
"""
import math

import numpy as np

from .backend import dtypes as _dt
from .backend import rng_kernels as _k
from .autograd.tensor import Tensor, make, meta_tensor as _meta_tensor, _factory
from .backend.meta import MetaArray as _MetaArray
from .autograd.ops._util import shape_args

_DEFAULT_SEED = 67280421310721
_MASK53 = np.uint64((1 << 53) - 1)
_BOX_CHUNK = 1 << 16  # values per Box-Muller step (a multiple of 16)

# torch's CPUGeneratorImplState: the legacy THGenerator struct, then the float normal cache
_STATE_DTYPE = np.dtype({"names": ["seed", "left", "seeded", "next", "state", "normal_x", "normal_y", "normal_rho",
                                   "normal_is_valid", "float_normal", "float_normal_valid"],
                         "formats": ["<u8", "<i4", "<i4", "<u8", ("<u8", 624), "<f8", "<f8", "<f8", "<i4", "<f4", "u1"],
                         "offsets": [0, 8, 12, 16, 24, 5016, 5024, 5032, 5040, 5048, 5052], "itemsize": 5056})
_LEGACY_STATE_SIZE = 5048


class Generator:
    """A random stream (PyTorch's CPU MT19937); ``manual_seed(s)`` resets it.

    >>> g = Generator().manual_seed(3)
    >>> g.initial_seed(), tuple(g.get_state().shape)
    (3, (5056,))
    """

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(_DEFAULT_SEED)

    def __getattr__(self, name):
        # The stream ``_bg`` (NumPy's MT19937; ``_rng`` is NumPy's Generator on it) is made on first
        # use: importing numpy.random costs 8 ms, most of a program's ``import ember`` budget.
        if name in ("_bg", "_rng", "_seeded_key") and "_seed" in self.__dict__:
            self.__dict__["_bg"] = np.random.MT19937()
            self.manual_seed(self._seed)
            return self.__dict__[name]
        raise AttributeError(f"'Generator' object has no attribute '{name}'")

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < 0:
            seed &= (1 << 64) - 1
        self._seed = seed
        self._normal = None        # torch's cached second double normal sample
        self._float_normal = None  # torch's float cache (kept only to round-trip states)
        if "_bg" not in self.__dict__:
            return self            # seeded when the stream is first used
        self._seeded_key = _k.mt19937_key(seed)
        self._bg.state = {"bit_generator": "MT19937", "state": {"key": self._seeded_key, "pos": 624}}
        self._rng = np.random.Generator(self._bg)  # a new object, so ember.compile sees a reseed in a trace
        return self

    def seed(self):
        s = int(np.random.SeedSequence().entropy % (1 << 63))
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    # -- raw words -------------------------------------------------------------------------------

    def _words(self, n):
        """``n`` 32-bit words (``random()`` in ATen) as uint32. Drawn through ``self._rng`` (NumPy's
        full-range uint32 ``integers`` returns MT19937's raw words), so ``ember.compile``'s trace
        records the draw and a replay draws fresh words."""
        return self._rng.integers(0, 1 << 32, size=int(n), dtype=np.uint32)

    def _words64(self, n):
        """``n`` values of ATen's ``random64()``: two words, the first one high."""
        w = self._words(2 * int(n)).astype(np.uint64)
        return (w[0::2] << np.uint64(32)) | w[1::2]

    def _bits53(self, n):
        """The low 53 bits of ``n`` values of ``random64()`` (the first word's low 21 bits on top)."""
        w = self._words(2 * int(n)).astype(np.uint64).reshape(-1, 2)
        return ((w[:, 0] & np.uint64(0x1FFFFF)) << np.uint64(32)) | w[:, 1]

    def _bits24(self, n):
        """The low 24 bits of ``n`` words, as uint32."""
        return self._words(n) & np.uint32(0xFFFFFF)

    def _uniform(self, n, dtype):
        """``n`` uniforms on [0, 1): 24 bits of one word for float32 (and smaller), 53 bits of
        ``random64()`` for float64."""
        if np.dtype(dtype) == np.float64:
            return self._bits53(n).astype(np.float64) * 2.0 ** -53
        return self._bits24(n).astype(np.float32) * np.float32(2.0 ** -24)

    def _normal_doubles(self, n):
        """``n`` draws of ATen's ``normal_distribution<double>``: from two 53-bit uniforms
        ``u1, u2``, ``r = sqrt(-2 log1p(-u2))``, ``theta = 2 pi u1``; return ``r cos theta`` and
        keep ``r sin theta`` for the next draw."""
        if not isinstance(self._rng, np.random.Generator):
            # ember.compile is tracing (its proxy stands in): a replay could not follow the Python-side
            # cache, so touching the proxy makes the trace fall back to eager calls
            getattr(self._rng, "bit_generator")
        out = np.empty(int(n))
        i = 0
        if n and self._normal is not None:
            out[0], self._normal, i = self._normal, None, 1
        pairs = (n - i + 1) // 2
        if pairs:
            u = self._uniform(2 * pairs, np.float64)
            r = np.sqrt(-2.0 * _k.glibc_log1p(-u[1::2]))
            theta = 2.0 * math.pi * u[0::2]
            vals = np.stack([r * np.cos(theta), r * np.sin(theta)], 1).reshape(-1)
            out[i:] = vals[:n - i]
            if (n - i) % 2:
                self._normal = float(vals[-1])
        return out

    # -- state -----------------------------------------------------------------------------------

    def get_state(self):
        """The state as torch's ``CPUGeneratorImplState`` bytes (5056 uint8), which
        ``torch.Generator.set_state`` accepts, and back."""
        st = self._bg.state["state"]
        key, pos = st["key"], int(st["pos"])
        s = np.zeros((), _STATE_DTYPE)
        s["seed"] = self._seed
        s["seeded"] = 1
        s["state"] = key.astype(np.uint64)
        if pos >= 624 and np.array_equal(key, self._seeded_key):
            s["left"], s["next"] = 1, 0  # freshly seeded, as torch reports it
        else:
            s["left"], s["next"] = 625 - pos, pos
        if self._normal is not None:
            s["normal_is_valid"], s["normal_y"] = 1, self._normal
        if self._float_normal is not None:
            s["float_normal_valid"], s["float_normal"] = 1, self._float_normal
        return make(np.frombuffer(s.tobytes(), np.uint8).copy())

    def set_state(self, new_state):
        raw = bytes(np.asarray(new_state._data if isinstance(new_state, Tensor) else new_state, np.uint8))
        if len(raw) not in (_LEGACY_STATE_SIZE, _STATE_DTYPE.itemsize):
            raise RuntimeError("Expected either a CPUGeneratorImplStateLegacy of size 5048 or a CPUGeneratorImplState "
                               f"of size 5056 but found the input RNG state size to be {len(raw)}")
        s = np.frombuffer(raw.ljust(_STATE_DTYPE.itemsize, b"\0"), _STATE_DTYPE)[0]
        key = s["state"].astype(np.uint32)
        left, nxt = int(s["left"]), int(s["next"])
        pos = 624 if left <= 1 else nxt
        if not 0 <= pos <= 624:
            raise RuntimeError("Invalid mt19937 state")
        self._seed = int(s["seed"])
        self._seeded_key = key.copy() if (left == 1 and nxt == 0) else np.zeros(624, np.uint32)
        self._bg.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        self._rng = np.random.Generator(self._bg)
        self._normal = None
        self._float_normal = None
        if len(raw) == _LEGACY_STATE_SIZE:
            if s["normal_is_valid"]:
                self._normal = float(s["normal_rho"]) * math.sin(2.0 * math.pi * float(s["normal_x"]))
        else:
            if s["normal_is_valid"]:
                self._normal = float(s["normal_y"])
            if s["float_normal_valid"]:
                self._float_normal = float(s["float_normal"])
        return self


default_generator = Generator()


def _gen(generator=None):
    return generator if generator is not None else default_generator


def _get_rng(generator=None):
    """The NumPy ``Generator`` on ``generator``'s stream (for samplers torch has no CPU kernel twin of)."""
    return _gen(generator)._rng


def manual_seed(seed):
    """Seed ember's global generator; returns it (as ``torch.manual_seed`` does)."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


# -- torch's kernels on NumPy arrays ---------------------------------------------------------------

def _iteration_view(arr):
    """``arr`` with its axes in the order ATen's TensorIterator walks memory (largest stride
    first), so a C-order walk of the view visits elements in the order torch fills them."""
    if arr.flags.c_contiguous or arr.ndim < 2:
        return arr
    order = sorted(range(arr.ndim), key=lambda i: -abs(arr.strides[i]))
    return arr.transpose(order)


def _writable(arr):
    """torch's refusal to fill an ``expand`` view (elements sharing memory), before anything is drawn."""
    if not arr.flags.writeable:
        from .autograd.ops.inplace import _check_overlap
        _check_overlap(arr)


def _store(arr, values):
    """Write the flat ``values`` (in torch's fill order) into ``arr``."""
    _writable(arr)
    view = _iteration_view(arr)
    view[...] = np.asarray(values).reshape(view.shape)


def _opmath(dtype):
    """The precision ATen's CPU samplers compute in: float64 for double, float32 otherwise."""
    return np.float64 if np.dtype(dtype) == np.float64 else np.float32


def _uniform_values(gen, n, a, b, dtype):
    """``n`` values of ``uniform_(a, b)`` for ``dtype``: ``fma(u, to - from, from)`` in the op
    precision, and a value that rounds up to ``to`` becomes ``from``."""
    op = _opmath(dtype)
    if a == 0 and b == 1:
        return gen._uniform(n, op)
    lo, hi = op(a), op(b)
    if op == np.float64:
        v = _k.fma64(gen._uniform(n, op), hi - lo, lo)
    else:
        # u * (hi - lo) = bits * ((hi - lo) / 2**24) exactly in float64, so one float64 multiply-add
        # and one rounding to float32 is the float32 fma
        v = (gen._bits24(n) * (float(hi - lo) * 2.0 ** -24) + float(lo)).astype(np.float32)
    top = np.asarray(b).astype(dtype) if np.dtype(dtype).kind == "f" else hi
    hit = (v if np.dtype(dtype) == op else v.astype(dtype)) == top
    if hit.any():
        v[hit] = lo
    return v


def uniform_into(arr, a, b, generator=None):
    """Fill the float array ``arr`` with ``uniform_(a, b)``'s values from ``generator`` (a meta array: nothing
    drawn)."""
    if type(arr) is _MetaArray:
        return
    _writable(arr)
    _store(arr, _uniform_values(_gen(generator), arr.size, a, b, arr.dtype).astype(arr.dtype, copy=False))


def _is_torch_contiguous(arr):
    return arr.flags.c_contiguous


def normal_into(arr, mean, std, generator=None):
    """Fill the float array ``arr`` with ``normal_(mean, std)``'s values (see the module docstring); a meta array:
    nothing drawn."""
    if type(arr) is _MetaArray:
        return
    _writable(arr)
    gen = _gen(generator)
    n = arr.size
    if n >= 16 and _is_torch_contiguous(arr):
        op = _opmath(arr.dtype)
        u = gen._uniform(n, op)
        tail = gen._uniform(16, op) if n % 16 else None
        box = _k.box_muller16_f64 if op == np.float64 else (
            _k.box_muller16_f32 if _k.torch_uses_avx2() else _k.box_muller16_f32_scalar)
        full = n - n % 16
        out = np.empty(n, op)
        for i in range(0, full, _BOX_CHUNK):  # cache-sized pieces: the polynomials make many temporaries
            j = min(i + _BOX_CHUNK, full)
            out[i:j] = box(u[i:j], mean, std).reshape(-1)
        if tail is not None:
            out[full:] = u[full:]
            out[n - 16:] = box(tail, mean, std).reshape(-1)
        arr.reshape(-1)[...] = out.astype(arr.dtype, copy=False)
        return
    z = gen._normal_doubles(n)
    if std != 1 or mean != 0:  # ATen's transformation::normal, val * std + mean, is compiled to one fma
        z = _k.fma64(z, std, mean)
    _store(arr, z.astype(arr.dtype))


def _on_meta(device):
    """Whether a sampler called with ``device=`` makes a meta tensor, which draws nothing (as torch's meta
    kernels: the default generator stays where it was)."""
    if device is None:
        return _factory.device is not None
    return device == "meta" or getattr(device, "type", None) == "meta"


def _finish(arr, dtype, requires_grad):
    t = make(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def _aten_name(dtype):
    """ATen's name of a NumPy dtype (``'Long'`` for int64), as its "not implemented for" errors spell it."""
    from .autograd.ops.pointwise import _name_of
    return _name_of(np.empty(0, dtype))


def _only_float(dtype, kernel):
    """The NotImplementedError ATen's float-only dispatch raises for an integer or bool ``dtype``."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc" and dtype.name != "bfloat16":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_aten_name(dtype)}\'')


_CPP_NAMES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "bool": "bool"}


def _continuous(dtype, family, cpp_name=False):
    """torch's check of ``exponential_`` / ``cauchy_``: a continuous family needs a floating dtype (the message
    names the dtype by ATen's name, or for Cauchy by its C++ type)."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc" and dtype.name != "bfloat16":
        name = _CPP_NAMES.get(dtype.name, dtype.name) if cpp_name else _aten_name(dtype)
        raise RuntimeError(f"{family} distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {name}")


def _nonnegative(shape):
    for d in shape:
        if d < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {d}: {list(shape)}")


def _float(dtype, kernel):
    d = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    _only_float(d.numpy, kernel)
    return d


def rand(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Uniform samples on [0, 1); the sizes as arguments or as ``size=`` (torch.rand(size=(1, 3, 4, 6)) in D2L)."""
    size = sizes if size is None else (size,)
    d = _float(dtype, "check_uniform_bounds")
    shape = shape_args(size, "rand")
    _nonnegative(shape)
    if _on_meta(device):
        return _meta_tensor(shape, d, requires_grad)
    if d.is_complex:  # torch fills the tensor viewed as (real, imag) pairs
        real = np.float32 if d.numpy == np.complex64 else np.float64
        n = 2 * int(np.prod(shape, dtype=np.int64))
        arr = _gen(generator)._uniform(n, real).astype(real, copy=False).view(d.numpy).reshape(shape)
        return _finish(arr, d, requires_grad)
    n = int(np.prod(shape, dtype=np.int64))
    arr = _gen(generator)._uniform(n, _opmath(d.numpy)).astype(d.numpy, copy=False).reshape(shape)
    return _finish(arr, d, requires_grad)


def randn(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Standard normal samples; a complex dtype draws real and imaginary parts of variance 1/2 each
    (torch fills the tensor viewed as real pairs with N(0, 1/2))."""
    size = sizes if size is None else (size,)
    shape = shape_args(size, "randn")
    _nonnegative(shape)
    if _on_meta(device):
        return _meta_tensor(shape, _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype), requires_grad)
    if dtype is not None and _dt.to_dtype(dtype).is_complex:
        d = _dt.to_dtype(dtype)
        real = np.empty(shape + (2,), np.float32 if d.numpy == np.complex64 else np.float64)
        normal_into(real, 0.0, math.sqrt(0.5), generator)
        return _finish(real.view(d.numpy).reshape(shape), d, requires_grad)
    d = _float(dtype, "normal_kernel_cpu")
    arr = np.empty(shape, d.numpy)
    normal_into(arr, 0.0, 1.0, generator)
    return _finish(arr, d, requires_grad)


def _random_from_to(gen, n, low, high, dtype):
    """``n`` values of ``random_(low, high)``: ``w % (high - low) + low``, with ``random64()`` for a
    range of 2**32 or more."""
    span = int(high) - int(low)
    if span >= 1 << 32:
        return (gen._words64(n) % np.uint64(span)).astype(np.int64) + np.int64(low)
    return (gen._words(n).astype(np.uint32) % np.uint32(span)).astype(np.int64) + np.int64(low)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers uniform on [low, high); ``randint(high, size)`` also works, as in PyTorch."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    d = _dt.int64 if dtype is None else _dt.to_dtype(dtype)
    shape = tuple(int(s) for s in size)
    if _on_meta(device):
        return _meta_tensor(shape, d, requires_grad)
    arr = _random_from_to(_gen(generator), int(np.prod(shape, dtype=np.int64)), low, high, d.numpy)
    return _finish(arr.astype(d.numpy).reshape(shape), d, requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, out=None, requires_grad=False, device=None):
    """Normal samples; ``mean`` and ``std`` may be tensors (broadcast) or numbers with ``size``.
    As torch: standard normals of the broadcast shape, times ``std``, plus ``mean``."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if any(isinstance(v, Tensor) and v.is_meta for v in (mean, std)):
            ref = mean if isinstance(mean, Tensor) else std
            return _meta_tensor(np.broadcast_shapes(np.shape(mean._data if isinstance(mean, Tensor) else mean),
                                                    np.shape(std._data if isinstance(std, Tensor) else std)),
                                ref.dtype)
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        if np.any(np.asarray(s) < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        ref = mean if isinstance(mean, Tensor) else std
        dt = ref._data.dtype
        _only_float(dt, "normal_kernel_cpu")
        if isinstance(std, Tensor):
            arr = np.empty(shape, dt)
            normal_into(arr, 0.0, 1.0, generator)
            arr = arr * np.asarray(s, dt) + np.asarray(m, dt)
        else:
            arr = np.empty(shape, dt)
            normal_into(arr, 0.0, std, generator)
            arr = arr + np.asarray(m, dt)
        return make(arr.astype(dt, copy=False))
    if size is None:
        raise TypeError("normal() with scalar mean and std needs a size")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    d = _float(dtype, "normal_kernel_cpu")
    if _on_meta(device):
        return _meta_tensor(tuple(size), d, requires_grad)
    arr = np.empty(tuple(size), d.numpy)
    normal_into(arr, mean, std, generator)
    return _finish(arr, d, requires_grad)


def _bernoulli_values(gen, shape, p):
    """``u < p`` per element: a 53-bit uniform against a float (or float64 tensor) ``p``, a 24-bit one
    against a float32 ``p`` tensor (ATen's ``bernoulli_distribution<float>``)."""
    n = int(np.prod(shape, dtype=np.int64))
    if isinstance(p, np.ndarray) and p.dtype != np.float64:
        pp = np.broadcast_to(p.astype(np.float32, copy=False), shape)
        return gen._uniform(n, np.float32).reshape(shape) < pp
    if isinstance(p, np.ndarray):
        return gen._uniform(n, np.float64).reshape(shape) < p
    # u = bits / 2**53 < p  <=>  bits < ceil(p * 2**53), compared as integers
    return (gen._bits53(n) < np.uint64(min(max(math.ceil(p * 2.0 ** 53), 0), 1 << 53))).reshape(shape)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (or ``p``), elementwise; same dtype as the input."""
    a = input._data
    if type(a) is _MetaArray:
        return _meta_tensor(a.shape, input.dtype)
    prob = a if p is None else p
    if p is None:
        _only_float(a.dtype, "bernoulli_tensor_cpu_p_")
    if np.any((np.asarray(prob) < 0) | (np.asarray(prob) > 1)):
        raise RuntimeError("bernoulli: all probabilities must be in [0, 1]")
    if not isinstance(prob, np.ndarray):
        prob = float(prob)
    out = np.empty(a.shape, a.dtype)
    _store(out, _bernoulli_values(_gen(generator), (out.size,), prob if not isinstance(prob, np.ndarray)
                                  else _iteration_view(np.broadcast_to(prob, a.shape)).reshape(-1)))
    return make(out)


def _fisher_yates(z):
    """The permutation left by swapping position ``i`` with ``z[i] >= i`` for ``i = 0, 1, ...`` in turn,
    without the sequential loop. Position ``i`` ends with what position ``z[i]`` held before step
    ``i``: the value the last earlier step ``k`` with ``z[k] == z[i]`` put there, else ``z[i]``
    itself. Step ``k`` puts there what position ``k`` held before step ``k``, which is in turn
    what the last earlier step writing position ``k`` brought, and so on down to a position
    nobody wrote before: the chains are followed by pointer doubling."""
    n = z.size
    idx = np.arange(n)
    order = np.argsort(z, kind="stable")              # by value, ties by step
    zs = z[order]
    dup = np.zeros(n, bool)
    dup[1:] = zs[1:] == zs[:-1]
    before = np.full(n, -1)                           # the previous step with the same z
    before[order[dup]] = order[np.nonzero(dup)[0] - 1]
    is_last = np.ones(n, bool)
    is_last[:-1] = ~dup[1:]
    writer = np.full(n, -1)                           # the last step k < j writing position j
    writer[zs[is_last]] = order[is_last]
    own = writer == idx
    writer[own] = before[own]
    root = np.where(writer < 0, idx, writer)
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    return np.where(before >= 0, root[np.maximum(before, 0)], z)


def _randperm_values(gen, n):
    """torch's CPU randperm for ``n < 2**32 / 20``: Fisher-Yates from the front, element ``i`` swapped
    with ``i + w_i % (n - i)`` for ``i < n - 1``."""
    n = int(n)
    if n <= 1:
        return np.arange(n, dtype=np.int64)
    if n >= 0xFFFFFFFF // 20:  # torch's "inside-out" variant with random64 for huge n
        w = gen._words64(n)
        r = np.empty(n, np.int64)
        for i in range(n):
            z = int(w[i] % np.uint64(i + 1))
            r[i] = r[z]
            r[z] = i
        return r
    i = np.arange(n - 1, dtype=np.uint32)
    z = gen._words(n - 1).astype(np.uint32) % (np.uint32(n) - i) + i
    if n > 20000:  # the vectorised replay beats the Python loop from about here
        return _fisher_yates(np.append(z.astype(np.int64), n - 1))
    r = list(range(n))
    for a, b in enumerate(z.tolist()):  # a list is the fastest container for the sequential swaps
        r[a], r[b] = r[b], r[a]
    return np.array(r, np.int64)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of ``0 .. n-1`` (torch's exact one for the same stream)."""
    d = _dt.int64 if dtype is None else _dt.to_dtype(dtype)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if _on_meta(device):
        return _meta_tensor((n,), d, requires_grad)
    return make(_randperm_values(_gen(generator), n).astype(d.numpy))


def _exponential_values(gen, n, lambd, dtype):
    """``n`` values of ``exponential_(lambd)``: ``-1/lambd * log1p(-u)`` with a 53-bit ``u``."""
    u = gen._uniform(n, np.float64)
    lg = _k.glibc_log1p(-u) if np.dtype(dtype) == np.float64 else np.log1p(-u)
    return (-1.0 / lambd) * lg


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Draw category indices with probabilities proportional to the rows of ``input``.

    As torch on CPU: without replacement (or for one sample) ``argmax``/``topk`` of ``p / q``
    with ``q ~ Exp(1)`` drawn for every category; with replacement, a 53-bit uniform per sample
    searched in the row's cumulative sum, normalised so it ends at 1."""
    gen = _gen(generator)
    w = np.asarray(input._data)
    if w.dtype.kind != "f" and w.dtype.name != "bfloat16":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {_aten_name(w.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    single = w.ndim == 1
    w2 = w[None] if single else w
    if (w2 < 0).any() or not np.isfinite(w2).all():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    for row in w2:
        if row.sum() <= 0:
            raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and num_samples > np.count_nonzero(row):
            raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without "
                               f"replacement (n_sample={num_samples}, non-zero categories={np.count_nonzero(row)})")
    if not replacement or num_samples == 1:
        q = _exponential_values(gen, w2.size, 1.0, w2.dtype).astype(w2.dtype).reshape(w2.shape)
        with np.errstate(divide="ignore"):
            score = w2 / q
        if num_samples == 1:
            r = np.argmax(score, axis=-1)[:, None]
        else:
            r = np.argsort(-score, axis=-1, kind="stable")[:, :num_samples]
    else:
        rows = []
        for row in w2:
            cum = np.cumsum(row.astype(np.float64))
            cum /= cum[-1]
            cum[-1] = 1.0
            rows.append(np.searchsorted(cum, gen._uniform(num_samples, np.float64), side="left"))
        r = np.asarray(rows)
    r = np.asarray(r, np.int64)
    return make(r[0] if single else r)


def _poisson_values(gen, lam):
    """ATen's CPU ``sample_poisson`` for each rate of the float64 array ``lam`` in C order, one element after
    the other from 53-bit uniforms ``u``: for ``lam >= 10`` Hormann's transformed rejection (PTRS), for
    ``0 < lam < 10`` the count of uniforms whose running product stays above ``exp(-lam)``; 0 for ``lam = 0``."""
    flat = np.asarray(lam, np.float64).reshape(-1)
    out = np.empty(flat.size, np.float64)
    uniform = lambda: float(gen._uniform(1, np.float64)[0])  # noqa: E731 - the draws count depends on the values
    for i, rate in enumerate(flat.tolist()):
        if rate >= 10:
            slam, loglam = math.sqrt(rate), math.log(rate)
            b = 0.931 + 2.53 * slam
            a = -0.059 + 0.02483 * b
            invalpha = 1.1239 + 1.1328 / (b - 3.4)
            vr = 0.9277 - 3.6224 / (b - 2)
            while True:
                u = uniform() - 0.5
                v = uniform()
                us = 0.5 - abs(u)
                k = math.floor((2 * a / us + b) * u + rate + 0.43)
                if us >= 0.07 and v <= vr:
                    break
                if k < 0 or (us < 0.013 and v > us):
                    continue
                if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= \
                        -rate + k * loglam - math.lgamma(k + 1):
                    break
        elif rate == 0:
            k = 0
        else:
            enlam, k, prod = math.exp(-rate), 0, 1.0
            while True:
                prod *= uniform()
                if prod <= enlam:
                    break
                k += 1
        out[i] = k
    return out.reshape(np.shape(lam))


_THIRD_F32 = float(np.float32(1.0) / np.float32(3.0))  # ATen's float literals, promoted to double
_C0331_F32 = float(np.float32(0.0331))


def _standard_gamma_values(gen, alpha, single):
    """ATen's ``sample_gamma`` (Marsaglia & Tsang 2000) for each concentration of ``alpha`` in C order, as
    float64: ``d = a - 1/3``, ``c = 1 / sqrt(9 d)``; draw double normals ``x`` until ``y = 1 + c x > 0``, then
    ``v = y^3`` and ``u = 1 - U``; accept ``d v`` if ``u < 1 - 0.0331 x^4`` or ``log u < x^2/2 + d (1 - v + log v)``.
    ``a < 1`` is boosted to ``a + 1`` with a factor ``(1 - U)^(1/a)``. ``single``: ``a``, ``1/a``, ``a + 1`` and
    ``d`` in float32, as torch's ``_standard_gamma`` of a float32 tensor (Dirichlet draws in double)."""
    f32 = np.float32
    flat = np.asarray(alpha, np.float64).reshape(-1)
    out = np.empty(flat.size, np.float64)
    uniform = lambda: float(gen._uniform(1, np.float64)[0])  # noqa: E731
    for i, a in enumerate(flat.tolist()):
        scale = 1.0
        if a == 0.0:
            out[i] = 0.0
            continue
        if a < 1.0:
            scale *= (1.0 - uniform()) ** (float(f32(1.0) / f32(a)) if single else 1.0 / a)
            a = float(f32(a) + f32(1.0)) if single else a + 1.0
        d = float(f32(a) - f32(_THIRD_F32)) if single else a - _THIRD_F32
        c = 1.0 / math.sqrt(9.0 * d)
        while True:
            while True:
                x = float(gen._normal_doubles(1)[0])
                y = 1.0 + c * x
                if y > 0:
                    break
            v = y * y * y
            u = 1.0 - uniform()
            xx = x * x
            if u < 1.0 - _C0331_F32 * xx * xx or math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
                out[i] = scale * d * v
                break
    return out.reshape(np.shape(alpha))


_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                  0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
                  0.00925546218271273, 0.00833056343336287)


def _stirling_tail(k):
    """``log k! - (log sqrt(2 pi) + (k + 1/2) log(k + 1) - (k + 1))``: a table up to 9, then its series."""
    if k <= 9:
        return _STIRLING_TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _binomial_values(gen, count, prob, single):
    """ATen's ``sample_binomial`` for each (count, prob) pair in C order, from 53-bit uniforms: 0 for
    ``count <= 0`` or ``prob <= 0``, ``count`` for ``prob >= 1``; with ``q = min(prob, 1 - prob)`` (the count
    reflected when ``prob > 1/2``), inversion by geometric jumps ``ceil(log u / log1p(-q))`` while
    ``count * q < 10``, else Hormann's BTRS transformed rejection. ``single``: the scalar arithmetic of a
    float32 tensor (``count * q``, ``sqrt``, ``q / (1 - q)``, ``floor((count + 1) q)`` and the counts in float32),
    as torch's kernel does it in the tensor's type."""
    S = np.float32 if single else float
    one = S(1)
    uniform = lambda: float(gen._uniform(1, np.float64)[0])  # noqa: E731

    def inversion(n, q):
        logq = float(np.log1p(-q))
        total, k = 0.0, S(0)
        while True:
            total += math.ceil(math.log(uniform()) / logq)
            if total > n:
                return k
            k = S(k + one)

    def btrs(n, q):
        stddev = float(np.sqrt(n * q * (one - q)))
        b = 1.15 + 2.53 * stddev
        a = -0.0873 + 0.0248 * b + 0.01 * float(q)
        c = float(n * q) + 0.5
        v_r = 0.92 - 4.2 / b
        r = float(q / (one - q))
        alpha = (2.83 + 5.1 / b) * stddev
        m = float(np.floor((n + one) * q))
        while True:
            u = uniform() - 0.5
            v = uniform()
            us = 0.5 - abs(u)
            k = S(math.floor((2 * a / us + b) * u + c))
            if k < 0 or k > n:
                continue
            if us >= 0.07 and v <= v_r:
                return k
            v = math.log(v * alpha / (a / (us * us) + b))
            nm, nk1 = float(n) - m, float(n - k + one)
            bound = ((m + 0.5) * math.log((m + 1) / (r * (nm + 1))) + float(n + one) * math.log((nm + 1) / nk1)
                     + (float(k) + 0.5) * math.log(r * nk1 / float(k + one))
                     + _stirling_tail(m) + _stirling_tail(nm) - _stirling_tail(float(k)) - _stirling_tail(float(n - k)))
            if v <= bound:
                return k

    counts, probs = np.broadcast_arrays(np.asarray(count, np.float64), np.asarray(prob, np.float64))
    out = np.empty(counts.size, np.float64)
    for i, (n, p) in enumerate(zip(counts.reshape(-1).tolist(), probs.reshape(-1).tolist())):
        n, p = S(n), S(p)
        if n <= 0 or p <= 0:
            out[i] = 0.0
        elif p >= 1:
            out[i] = n
        elif p <= 0.5:
            out[i] = btrs(n, p) if n * p >= 10.0 else inversion(n, p)
        elif p > 0.5:
            q = S(1.0 - float(p))
            out[i] = n - (btrs(n, q) if n * q >= 10.0 else inversion(n, q))
        else:
            out[i] = np.nan
    return out.reshape(counts.shape)


def poisson(input, generator=None):
    """Poisson counts with rates ``input``, drawn as torch's CPU kernel does (see :func:`_poisson_values`), so a
    seeded program gets torch's counts; the result has ``input``'s dtype."""
    _only_float(input._data.dtype, "poisson_cpu")
    return make(_poisson_values(_gen(generator), input._data).astype(input._data.dtype))


def _like_device(input, device):
    return "meta" if input.is_meta and device is None else device or "cpu"


def rand_like(input, *, dtype=None, requires_grad=False, generator=None, device=None, **_):
    return rand(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad, generator=generator,
                device=_like_device(input, device))


def randn_like(input, *, dtype=None, requires_grad=False, generator=None, device=None, **_):
    return randn(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad, generator=generator,
                 device=_like_device(input, device))


def randint_like(input, low=0, high=None, *, dtype=None, generator=None, device=None, **_):
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, dtype=dtype or input.dtype, generator=generator,
                   device=_like_device(input, device))


# -- in-place samplers (Tensor methods) -------------------------------------------------------------

def _complex_fill(x, fill):
    """Fill the complex tensor ``x`` as torch does: ``fill`` on its (real, imag) pairs as one real tensor."""
    a = x._data
    real = np.empty(a.shape + (2,), np.float32 if a.dtype == np.complex64 else np.float64)
    fill(real)
    _store(a, real.view(a.dtype).reshape(a.shape))


def uniform_(x, a=0.0, b=1.0, *, generator=None):
    _only_float(x._data.dtype, "check_uniform_bounds")
    if type(x._data) is _MetaArray:  # no data to fill, nothing drawn (torch's meta kernels)
        return x
    if x._data.dtype.kind == "c":
        _complex_fill(x, lambda r: uniform_into(r, a, b, generator))
        x._bump()
        return x
    uniform_into(x._data, a, b, generator)
    x._bump()
    return x


def normal_(x, mean=0.0, std=1.0, *, generator=None):
    _only_float(x._data.dtype, "normal_kernel_cpu")
    if type(x._data) is _MetaArray:
        return x
    if x._data.dtype.kind == "c":  # N(mean, std^2 / 2) for each part, as torch's complex normal_
        _complex_fill(x, lambda r: normal_into(r, float(mean), float(std) / math.sqrt(2.0), generator))
        x._bump()
        return x
    normal_into(x._data, float(mean), float(std), generator)  # mean, std may be 0-d tensors
    x._bump()
    return x


def bernoulli_(x, p=0.5, *, generator=None):
    a = x._data
    if type(a) is _MetaArray:
        return x
    if isinstance(p, Tensor):
        pp = _iteration_view(np.broadcast_to(p._data, a.shape)).reshape(-1)
    else:
        pp = float(p)
    _store(a, _bernoulli_values(_gen(generator), (a.size,), pp).astype(a.dtype))
    x._bump()
    return x


def _int_max(dtype):
    """The top value of ``random_(from)`` (inclusive): 2**digits for floats, the type's max for integers."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return 1 << (np.finfo(dtype).nmant + 1)
    if dtype.kind == "b":
        return 1
    return int(np.iinfo(dtype).max)


def random_(x, from_=0, to=None, *, generator=None):
    """``random_()``: ``w % (max + 1)`` (``random64`` for int64/float64; ``w % (2**24 + 1)`` for float32);
    ``random_(to)`` and ``random_(from, to)``: ``w % (to - from) + from``."""
    a = x._data
    if type(a) is _MetaArray:
        return x
    gen = _gen(generator)
    n = a.size
    if to is None and not from_:
        dt = a.dtype
        if dt == np.bool_:
            vals = gen._words(n) & np.uint64(1)
        else:
            w = gen._words64(n) if dt in (np.int64, np.float64) else gen._words(n)
            vals = w % np.uint64(_int_max(dt) + 1)
        _store(a, vals.astype(np.int64).astype(dt))
    else:
        if to is None:  # random_(to): one number is the exclusive top, as in torch
            from_, to = 0, from_
        _store(a, _random_from_to(gen, n, from_, to, a.dtype).astype(a.dtype))
    x._bump()
    return x


def exponential_(x, lambd=1.0, *, generator=None):
    a = x._data
    _continuous(a.dtype, "Exponential")
    if type(a) is _MetaArray:
        return x
    _store(a, _exponential_values(_gen(generator), a.size, float(lambd), a.dtype).astype(a.dtype))
    x._bump()
    return x


class fork_rng:
    """Within the block, draws use a copy of the random state; the state before the block comes back
    after it (``torch.random.fork_rng``). ``enabled=False`` does nothing. Usable as a decorator.

    >>> import ember
    >>> before = ember.rand(1)
    >>> with fork_rng():
    ...     _ = ember.rand(3)
    >>> ember.manual_seed(0); a = ember.rand(1); ember.manual_seed(0)  # doctest: +ELLIPSIS
    <...>
    >>> with fork_rng():
    ...     _ = ember.rand(5)
    >>> bool((ember.rand(1) == a).all())
    True
    """

    def __init__(self, devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"):
        self.enabled = enabled

    def __enter__(self):
        if self.enabled:
            self._state = get_rng_state()
        # torch's fork_rng is a generator-based context manager: `with fork_rng() as x` binds None

    def __exit__(self, *exc):
        if self.enabled:
            set_rng_state(self._state)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with fork_rng(enabled=self.enabled):
                return fn(*args, **kwargs)
        return wrapper
