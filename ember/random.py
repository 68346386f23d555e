"""Random numbers: ``manual_seed``, ``Generator`` and the sampling functions.

Every random op draws from an ``ember.Generator`` (a NumPy PCG64 stream); the
global one is ``ember.default_generator``, reset by ``ember.manual_seed(s)``, so a
seeded program is reproducible. Pass ``generator=`` for a local stream.

>>> import ember
>>> _ = ember.manual_seed(0); a = ember.rand(3)
>>> _ = ember.manual_seed(0); b = ember.rand(3)
>>> bool((a == b).all())
True
"""
import json

import numpy as np

from .backend import dtypes as _dt
from .autograd.tensor import Tensor, make
from .autograd.ops._util import shape_args


class Generator:
    """A random stream; ``manual_seed(s)`` resets it."""

    def __init__(self, device="cpu"):
        self._seed = 67280421310721
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        self.device = device

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < 0:
            seed &= (1 << 64) - 1
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self):
        s = int(np.random.SeedSequence().entropy % (1 << 63))
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The stream's state as a uint8 tensor (JSON bytes), so it can be saved with ``ember.save``."""
        st = self._rng.bit_generator.state
        raw = json.dumps({"seed": self._seed, "state": st}).encode()
        return make(np.frombuffer(raw, np.uint8).copy())

    def set_state(self, new_state):
        raw = bytes(np.asarray(new_state._data if isinstance(new_state, Tensor) else new_state, np.uint8))
        d = json.loads(raw.decode())
        self._seed = d["seed"]
        bg = np.random.PCG64()
        bg.state = d["state"]
        self._rng = np.random.Generator(bg)
        return self


default_generator = Generator()


def _get_rng(generator=None):
    return (generator if generator is not None else default_generator)._rng


def manual_seed(seed):
    """Seed ember's global generator (and NumPy's legacy global one, for code that mixes them)."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def _finish(arr, dtype, requires_grad):
    t = make(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def _float(dtype):
    d = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    if not d.is_floating_point:
        raise RuntimeError(f"expected a floating point dtype for a continuous distribution, got {d}")
    return d


def rand(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Uniform samples on [0, 1); the sizes as arguments or as ``size=`` (torch.rand(size=(1, 3, 4, 6)) in D2L)."""
    size = sizes if size is None else (size,)
    d = _float(dtype)
    shape = shape_args(size, "rand")
    return _finish(_get_rng(generator).random(shape, dtype=np.float64).astype(d.numpy), d, requires_grad)


def randn(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Standard normal samples; a complex dtype draws real and imaginary parts of variance 1/2 each."""
    size = sizes if size is None else (size,)
    shape = shape_args(size, "randn")
    if dtype is not None and _dt.to_dtype(dtype).is_complex:
        d = _dt.to_dtype(dtype)
        parts = _get_rng(generator).standard_normal((2,) + shape) * np.sqrt(0.5)
        return _finish((parts[0] + 1j * parts[1]).astype(d.numpy), d, requires_grad)
    d = _float(dtype)
    arr = _get_rng(generator).standard_normal(shape, dtype=np.float32 if d.numpy == np.float32 else np.float64)
    return _finish(arr.astype(d.numpy, copy=False), d, requires_grad)


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
    arr = _get_rng(generator).integers(low, high, size=tuple(size), dtype=np.int64)
    return _finish(arr.astype(d.numpy, copy=False), d, requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, out=None, requires_grad=False):
    """Normal samples; ``mean`` and ``std`` may be tensors (broadcast) or numbers with ``size``."""
    rng = _get_rng(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        if np.any(np.asarray(s) < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        ref = mean if isinstance(mean, Tensor) else std
        arr = (m + s * rng.standard_normal(shape)).astype(ref._data.dtype)
        return make(arr)
    if size is None:
        raise TypeError("normal() with scalar mean and std needs a size")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    d = _float(dtype)
    arr = (mean + std * rng.standard_normal(tuple(size))).astype(d.numpy)
    return _finish(arr, d, requires_grad)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (or ``p``), elementwise; same dtype as the input."""
    a = input._data
    prob = a if p is None else p
    if np.any((np.asarray(prob) < 0) | (np.asarray(prob) > 1)):
        raise RuntimeError("bernoulli: all probabilities must be in [0, 1]")
    return make((_get_rng(generator).random(a.shape) < prob).astype(a.dtype))


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of ``0 .. n-1``."""
    d = _dt.int64 if dtype is None else _dt.to_dtype(dtype)
    return make(_get_rng(generator).permutation(int(n)).astype(d.numpy))


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Draw category indices with probabilities proportional to the rows of ``input``."""
    w = np.asarray(input._data, np.float64)
    single = w.ndim == 1
    w2 = w[None] if single else w
    if (w2 < 0).any() or not np.isfinite(w2).all():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    rng = _get_rng(generator)
    rows = []
    for row in w2:
        total = row.sum()
        if total <= 0:
            raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and num_samples > np.count_nonzero(row):
            raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without "
                               f"replacement (n_sample={num_samples}, non-zero categories={np.count_nonzero(row)})")
        rows.append(rng.choice(len(row), size=num_samples, replace=replacement, p=row / total))
    r = np.asarray(rows, np.int64)
    return make(r[0] if single else r)


def poisson(input, generator=None):
    return make(_get_rng(generator).poisson(input._data).astype(input._data.dtype))


def rand_like(input, *, dtype=None, requires_grad=False, **_):
    return rand(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, requires_grad=False, **_):
    return randn(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, **_):
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, dtype=dtype or input.dtype)


# -- in-place samplers used by nn.init --------------------------------------------------------------

def _fills_in_place(arr):
    """NumPy's generators write float32/float64 samples straight into a contiguous array: no float64
    temporary and no conversion, which is most of the time of initialising a large layer."""
    return arr.dtype in (np.float32, np.float64) and arr.flags.c_contiguous and arr.flags.writeable


def uniform_into(arr, a, b, rng):
    """Fill ``arr`` with samples of U(a, b) from ``rng`` (a NumPy Generator)."""
    if _fills_in_place(arr):
        rng.random(out=arr, dtype=arr.dtype)
        if b - a != 1:
            arr *= b - a
        if a:
            arr += a
    else:
        arr[...] = rng.uniform(a, b, arr.shape)


def normal_into(arr, mean, std, rng):
    """Fill ``arr`` with samples of N(mean, std^2) from ``rng``."""
    if _fills_in_place(arr):
        rng.standard_normal(out=arr, dtype=arr.dtype)
        if std != 1:
            arr *= std
        if mean:
            arr += mean
    else:
        arr[...] = mean + std * rng.standard_normal(arr.shape)


def uniform_(x, a=0.0, b=1.0, *, generator=None):
    uniform_into(x._data, a, b, _get_rng(generator))
    x._bump()
    return x


def normal_(x, mean=0.0, std=1.0, *, generator=None):
    normal_into(x._data, mean, std, _get_rng(generator))
    x._bump()
    return x


def bernoulli_(x, p=0.5, *, generator=None):
    pp = p._data if isinstance(p, Tensor) else p
    x._data[...] = _get_rng(generator).random(x._data.shape) < pp
    x._bump()
    return x


def random_(x, from_=0, to=None, *, generator=None):
    if to is None:
        from_, to = 0, from_ if from_ else (2 ** 24 if x._data.dtype.kind == "f" else np.iinfo(x._data.dtype).max)
    x._data[...] = _get_rng(generator).integers(from_, to, x._data.shape)
    x._bump()
    return x


def exponential_(x, lambd=1.0, *, generator=None):
    x._data[...] = _get_rng(generator).exponential(1.0 / lambd, x._data.shape)
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
        return self

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
