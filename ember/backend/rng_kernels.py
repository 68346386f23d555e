"""The arithmetic behind PyTorch's CPU random numbers, in NumPy, so ember draws torch's exact values.

PyTorch's CPU generator is a standard 32-bit Mersenne Twister (MT19937) seeded with
``init_genrand(seed & 0xffffffff)``; NumPy's ``MT19937`` bit generator gives the same
32-bit words once its 624-word key is set from that seeding (``mt19937_key``).
Every sampler turns words into values the way ATen does:

* uniform float32: ``u = (w & (2**24 - 1)) * 2**-24`` from one word, then
  ``fma(u, to - from, from)`` in float32 (``fma32``); float64 uses 53 bits of
  ``random64() = (w0 << 32) | w1`` and a float64 fma (``fma64``).
* Box-Muller on 16 values at a time for float32 ``normal_``: ATen's AVX2 kernel
  uses the Cephes-style ``log256_ps`` / ``sincos256_ps`` of ``avx_mathfun.h``, whose
  multiply-adds the compiler fuses; ``avx_log`` and ``avx_sincos`` replay them
  operation by operation (fused where the compiled kernel fuses), which reproduces
  torch's float32 normals bit for bit.
* float64 paths call glibc's ``log`` / ``log1p`` through ``math`` (NumPy's SIMD
  versions differ from glibc in the last bit for some inputs); ``cos``/``sin`` of
  NumPy already agree with glibc.

>>> import numpy as np
>>> bg = np.random.MT19937()
>>> bg.state = {"bit_generator": "MT19937", "state": {"key": mt19937_key(0), "pos": 624}}
>>> int(bg.random_raw())   # torch.manual_seed(0); the first word of torch's stream
2357136044
"""
import functools
import math
import os
import platform

import numpy as np

_F = np.float32
_D = np.float64


def mt19937_key(seed):
    """The 624-word MT19937 state of ``init_genrand(seed & 0xffffffff)`` (Matsumoto & Nishimura):
    ``s[0] = seed``, ``s[j] = 1812433253 * (s[j-1] ^ (s[j-1] >> 30)) + j`` modulo 2**32."""
    x = int(seed) & 0xFFFFFFFF
    key = [x]
    for j in range(1, 624):
        x = (1812433253 * (x ^ (x >> 30)) + j) & 0xFFFFFFFF
        key.append(x)
    return np.array(key, np.uint32)


def fma32(a, b, c):
    """``a * b + c`` rounded once to float32 (the product of two float32 values is exact in float64,
    so only the final sum is rounded, twice in the rare tie case)."""
    return (np.asarray(a, _D) * np.asarray(b, _D) + np.asarray(c, _D)).astype(_F)


def fma64(a, b, c):
    """``a * b + c`` in float64 with (almost always) one rounding: the product's exact error is
    recovered by Dekker's split and added back with the sum's error (Ogita, Rump & Oishi's
    compensated evaluation)."""
    a = np.asarray(a, _D)
    b = np.asarray(b, _D)
    c = np.asarray(c, _D)
    p = a * b
    split = 134217729.0  # 2**27 + 1
    ah = a * split
    ah = ah - (ah - a)
    al = a - ah
    bh = b * split
    bh = bh - (bh - b)
    bl = b - bh
    perr = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    serr = (p - (s - bb)) + (c - bb)
    with np.errstate(invalid="ignore", over="ignore"):
        out = s + (perr + serr)
    return np.where(np.isfinite(p), out, p + c)


_exact_log = np.frompyfunc(math.log, 1, 1)
_exact_log1p = np.frompyfunc(math.log1p, 1, 1)


def glibc_log(x):
    """``log`` as glibc computes it (what ATen's ``std::log`` gives), elementwise on float64."""
    x = np.asarray(x, _D)
    return _exact_log(x).astype(_D) if x.size else x.copy()


def glibc_log1p(x):
    """``log1p`` as glibc computes it (ATen's ``at::log1p`` on CPU), elementwise on float64."""
    x = np.asarray(x, _D)
    return _exact_log1p(x).astype(_D) if x.size else x.copy()


_LOG_P = [_F(7.0376836292E-2), _F(-1.1514610310E-1), _F(1.1676998740E-1), _F(-1.2420140846E-1),
          _F(1.4249322787E-1), _F(-1.6668057665E-1), _F(2.0000714765E-1), _F(-2.4999993993E-1),
          _F(3.3333331174E-1)]


def avx_log(x):
    """``log256_ps`` of ATen's avx_mathfun.h for positive float32 ``x``: split ``x = m * 2**e`` with
    ``m`` in [sqrt(1/2), sqrt(2)), then ``log(m)`` from a degree-9 Cephes polynomial in ``m - 1``."""
    x = np.maximum(np.asarray(x, _F), np.array(0x00800000, np.int32).view(_F))
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(_F) + _F(1)
    x = ((bits & ~0x7F800000) | np.array(0.5, _F).view(np.int32)).view(_F)
    small = x < _F(0.707106781186547524)
    tmp = np.where(small, x, _F(0))
    x = x - _F(1)
    e = e - np.where(small, _F(1), _F(0))
    x = x + tmp
    z = x * x
    y = np.full_like(x, _LOG_P[0])
    for p in _LOG_P[1:]:
        y = fma32(y, x, p)
    y = fma32(y * x, z, e * _F(-2.12194440e-4))
    y = y - z * _F(0.5)
    x = x + y
    return fma32(e, _F(0.693359375), x)


def avx_sincos(x):
    """``sincos256_ps`` of avx_mathfun.h for float32 ``x``: reduce by multiples of pi/4 (Cody-Waite
    in three parts), then the Cephes sine and cosine polynomials; returns ``(sin, cos)``."""
    x = np.asarray(x, _F)
    sign_sin = np.signbit(x)
    x = np.abs(x)
    j = (x * _F(1.27323954473516)).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(_F)
    sign_sin = sign_sin ^ ((j & 4) != 0)
    use_sin_poly = (j & 2) == 0
    sign_cos = (~(j - 2) & 4) != 0
    x = x + y * _F(-0.78515625)
    x = x + y * _F(-2.4187564849853515625e-4)
    x = x + y * _F(-3.77489497744594108e-8)
    z = x * x
    yc = fma32(_F(2.443315711809948E-005), z, _F(-1.388731625493765E-003))
    yc = fma32(yc, z, _F(4.166664568298827E-002))
    yc = yc * z
    yc = fma32(yc, z, -(z * _F(0.5)))
    yc = yc + _F(1)
    ys = fma32(_F(-1.9515295891E-4), z, _F(8.3321608736E-3))
    ys = fma32(ys, z, _F(-1.6666654611E-1))
    ys = fma32(ys * z, x, x)
    s = np.where(use_sin_poly, ys, yc)
    c = np.where(use_sin_poly, yc, ys)
    return np.where(sign_sin, -s, s), np.where(sign_cos, -c, c)


def box_muller16_f32(u, mean, std):
    """ATen's float32 ``normal_fill_16`` on each block of 16 uniforms in ``u`` (shape ``(k, 16)``,
    float32): element ``j`` pairs with ``j + 8``; ``u1 = 1 - u[j]``, ``r = sqrt(-2 log u1)``,
    ``theta = 2 pi u[j + 8]``; the block becomes ``(r cos theta, r sin theta) * std + mean``."""
    u = u.reshape(-1, 2, 8)
    radius = np.sqrt(_F(-2) * avx_log(_F(1) - u[:, 0]))
    s, c = avx_sincos(_F(2.0 * math.pi) * u[:, 1])
    out = np.stack([radius * c, radius * s], 1).reshape(-1, 16)
    if std != 1 or mean != 0:
        out = fma32(out, _F(std), _F(mean))
    return out


@functools.lru_cache(maxsize=None)
def torch_uses_avx2():
    """Whether torch's float32 ``normal_`` runs its AVX2 kernel here: ATen dispatches to it on x86 CPUs
    with AVX2 and FMA (also under its AVX512 capability), unless ``ATEN_CPU_CAPABILITY=default``;
    other CPUs (ARM) run the scalar kernel."""
    forced = os.environ.get("ATEN_CPU_CAPABILITY", "").strip().lower()
    if forced == "default":
        return False
    if platform.machine().lower() not in ("x86_64", "amd64", "i686", "x86"):
        return False
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), None)
    except OSError:
        return True  # no /proc (macOS, Windows): every x86 CPU they run on today has AVX2
    return flags is None or ("avx2" in flags and "fma" in flags)


def box_muller16_f32_scalar(u, mean, std):
    """ATen's scalar float32 ``normal_fill_16`` (CPUs without AVX2): ``r = sqrtf(-2 logf(u1))``,
    ``theta = (float)(2 pi u2)``, ``fmaf(r cosf(theta), std, mean)``. glibc's float ``logf``/``cosf``/
    ``sinf`` are approximated by correctly rounded float64 evaluations: about 1% of values end
    1 to 3 ulp away from torch's on such machines."""
    u = u.reshape(-1, 2, 8)
    lg = np.log((_F(1) - u[:, 0]).astype(_D)).astype(_F)
    radius = np.sqrt(_F(-2) * lg)
    theta = (2.0 * math.pi * u[:, 1].astype(_D)).astype(_F).astype(_D)
    c, s = np.cos(theta).astype(_F), np.sin(theta).astype(_F)
    out = np.stack([radius * c, radius * s], 1).reshape(-1, 16)
    if std != 1 or mean != 0:
        out = fma32(out, _F(std), _F(mean))
    return out


def box_muller16_f64(u, mean, std):
    """The float64 ``normal_fill_16``: the same pairing with glibc ``log`` and
    ``fma(r * cos(theta), std, mean)``."""
    u = u.reshape(-1, 2, 8)
    radius = np.sqrt(-2.0 * glibc_log(1.0 - u[:, 0]))
    theta = 2.0 * math.pi * u[:, 1]
    out = np.stack([radius * np.cos(theta), radius * np.sin(theta)], 1).reshape(-1, 16)
    if std != 1 or mean != 0:
        out = fma64(out, std, mean)
    return out
