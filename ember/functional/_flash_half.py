"""float16 attention as PyTorch 2.13's CPU flash-attention kernel computes it, forward and backward.

NumPy has no float16 BLAS, so the products run in float32 from the float16 inputs (exact products, float32
sums). On top of that the kernel rounds at fixed places, and ember rounds at the same ones:

forward, per 512-key block (an online softmax across blocks)::

    s = (Q K^T) * scale [+ mask]                      float32
    p = fexp(s - rowmax)                              float32; the row sum is taken from p
    dst = dst * exp(oldmax - rowmax) + half(p) V      P rounded to float16 before the product
    out = half(dst * (1 / rowsum)),  lse = rowmax + log(rowsum)

``fexp`` is ATen's ``Vectorized<float>::fexp_u20`` (a degree-3 polynomial in the exponent bits, relative error
up to ~6e-5; ``fexp(0)`` is 0.99995) on each full 16-lane vector of a row, ``std::exp`` on the rest: the
AVX512 lane count, which is what this reproduces. The backward runs per block of 32 (64, 256 for longer)
queries and rebuilds ``a = exp(s - lse)``; ``dV += half(a)^T dO`` and ``dK += scale * half(da)^T Q`` are
rounded to float16 after each query block, ``dQ += scale * half(da) K`` after each key block, with
``da = a * (dO V^T - rowsum(dO * O))`` in float32. On the inputs the tests use, 99-100% of the elements equal
torch's bit for bit (the rest differ by one unit in the last place, from the order of float32 sums).
"""
import numpy as np

from ..backend.half import to_half

_LANES = 16   # floats per AVX512 vector: fexp_u20 runs on whole vectors, std::exp on a row's tail
_KV_BLOCK = 512

# ATen's fexp_u20 constants (vec512_float.h): 2^frac(x log2 e) ~ 1 + frac - poly(frac), built in the bits
_C0, _C1, _C2, _C3 = (np.float64(np.float32(c)) for c in (0.00010703434948458272, 0.30354260500649682,
                                                          -0.22433836478672356, -0.079204240219773236))
_LOG2E = np.array([0x3fb8aa3b], np.uint32).view(np.float32)[0]
_LN_MIN = np.array([0xc2aeac50], np.uint32).view(np.float32)[0]
_LN_MAX = np.array([0x42b17218], np.uint32).view(np.float32)[0]


def _fma(a, b, c):
    """float32 fused multiply-add: the float64 product of two float32 values is exact."""
    return (a * b + c).astype(np.float32).astype(np.float64)


def _fexp(x):
    """ATen's ``fexp_u20`` on a float32 array, bit for bit (its FMAs through float64)."""
    src = (x * _LOG2E).astype(np.float32)
    with np.errstate(invalid="ignore"):
        frac = (src - np.floor(src)).astype(np.float64)
    r = _fma(frac, _C3, _C2)
    r = _fma(frac, r, _C1)
    r = _fma(frac, r, _C0)
    src = (src - r.astype(np.float32)).astype(np.float64)
    with np.errstate(invalid="ignore"):
        bits = _fma(src, 2.0 ** 23, 2.0 ** 23 * 127)
        bits = np.trunc(np.where(np.isfinite(bits), bits, 0)).astype(np.int32)
    bits[x < _LN_MIN] = 0
    bits[x > _LN_MAX] = 0x7F800000
    return bits.view(np.float32)


def _row_exp(x):
    n = x.shape[-1]
    whole = n - n % _LANES
    if whole == n:
        return _fexp(x)
    out = np.empty_like(x)
    out[..., :whole] = _fexp(x[..., :whole])
    out[..., whole:] = np.exp(x[..., whole:])
    return out


def _half(a):
    return to_half(a).astype(np.float32)


def _q_block(L):
    return 256 if L >= 768 else 64 if L >= 192 else 32


def forward(q, k, v, mask, scale):
    """``(out, lse)``: q ``(B, H, L, E)``, k and v ``(B, H, S, E)`` float16; ``mask`` None or an additive float32
    array broadcastable to ``(B, H, L, S)``. ``out`` is float16, ``lse`` float32 ``(B, H, L, 1)``."""
    Q, K, V = (a.astype(np.float32) for a in (q, k, v))
    L, S = Q.shape[-2], K.shape[-2]
    lead = Q.shape[:-2]
    sc = np.float32(scale)
    run_max = run_sum = dst = None
    for n in range(0, S, _KV_BLOCK):
        s = np.matmul(Q, K[..., n:n + _KV_BLOCK, :].swapaxes(-1, -2))
        s *= sc
        if mask is not None:
            s += np.broadcast_to(mask, lead + (L, S))[..., n:n + _KV_BLOCK]
        m = s.max(-1, keepdims=True)
        if run_max is not None:
            m = np.maximum(m, run_max)
        dead = np.isneginf(m)
        s -= np.where(dead, np.float32(0), m)
        p = _row_exp(s)
        total = p.sum(-1, keepdims=True, dtype=np.float32)
        pv = np.matmul(_half(p), V[..., n:n + _KV_BLOCK, :])
        if run_max is None:
            run_sum, dst = total, pv
        else:
            with np.errstate(invalid="ignore"):
                carry = np.where(dead, np.float32(1), np.exp(run_max - m))
            run_sum = total + carry * run_sum
            dst = dst * carry + pv
        run_max = m
    run_max = np.where(np.isneginf(run_max), np.float32(0), run_max)
    run_sum = np.where(run_sum == 0, np.float32(1), run_sum)
    out = to_half(dst * (np.float32(1) / run_sum))
    return out, (run_max + np.log(run_sum)).astype(np.float32)


def backward(g, q, k, v, out, lse, mask, scale):
    """``(dq, dk, dv)`` float16 for the output gradient ``g`` of :func:`forward`."""
    G, Q, K, V = (a.astype(np.float32) for a in (g, q, k, v))
    L, S = Q.shape[-2], K.shape[-2]
    lead = Q.shape[:-2]
    sc = np.float32(scale)
    dsum = np.einsum("...ij,...ij->...i", G, out.astype(np.float32))[..., None]
    full_mask = None if mask is None else np.broadcast_to(mask, lead + (L, S))
    dq = np.zeros(Q.shape, np.float32)
    dk = np.zeros(K.shape, np.float32)
    dv = np.zeros(V.shape, np.float32)
    qb = _q_block(L)
    for m0 in range(0, L, qb):
        qs = slice(m0, m0 + qb)
        for n0 in range(0, S, _KV_BLOCK):
            ks = slice(n0, n0 + _KV_BLOCK)
            a = np.matmul(Q[..., qs, :], K[..., ks, :].swapaxes(-1, -2))
            a *= sc
            if full_mask is not None:
                a += full_mask[..., qs, ks]
            a -= lse[..., qs, :]
            np.exp(a, out=a)
            dv[..., ks, :] = _half(np.matmul(_half(a).swapaxes(-1, -2), G[..., qs, :]) + dv[..., ks, :])
            da = np.matmul(G[..., qs, :], V[..., ks, :].swapaxes(-1, -2))
            da -= dsum[..., qs, :]
            da *= a
            da = _half(da)
            dq[..., qs, :] = _half(np.matmul(da, K[..., ks, :]) * sc + dq[..., qs, :])
            dk[..., ks, :] = _half(np.matmul(da.swapaxes(-1, -2), Q[..., qs, :]) * sc + dk[..., ks, :])
    return to_half(dq), to_half(dk), to_half(dv)
