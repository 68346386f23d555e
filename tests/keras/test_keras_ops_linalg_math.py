"""keras.ops.linalg and the math ops (segments, top-k, FFTs, STFT, special functions) against Keras 3
(PyTorch backend), and float64 gradchecks of the rules written by hand."""
import numpy as np
import pytest

import ember
from ember.keras import ops as eops
from tests.keras.ops_oracle import f32, f64, ints, pos, run, spd, table_params

G = dict(grad=True)
A = f64(3, 3) + 3 * np.eye(3)
S = spd(3)

ROWS = [
    ("cholesky", lambda o, a: o.cholesky(a), [S], G),
    ("cholesky-upper", lambda o, a: o.cholesky(a, upper=True), [spd(3, seed=1, batch=(2,))], G),
    ("cholesky_inverse", lambda o, a: o.cholesky_inverse(a), [np.linalg.cholesky(S)], G),
    ("det", lambda o, a: o.det(a), [A], G),
    ("inv", lambda o, a: o.inv(a), [A], G),
    ("solve", lambda o, a, b: o.solve(a, b), [A, f64(3, 2)], G),
    ("solve_triangular", lambda o, a, b: o.solve_triangular(a, b, lower=True), [A, f64(3, 2)], G),
    ("solve_triangular-upper-vec", lambda o, a, b: o.solve_triangular(a, b), [A, f64(3)], G),
    ("slogdet", lambda o, a: o.slogdet(a), [A - 4 * np.eye(3)], G),
    ("logdet", lambda o, a: o.logdet(a), [S], G),
    ("eigh", lambda o, a: [o.abs(t) for t in o.eigh(a)], [S], {}),  # eigenvector signs are LAPACK's choice
    ("eigh-values", lambda o, a: o.eigh(a)[0], [S], G),
    ("svd-values", lambda o, a: o.svd(a, compute_uv=False), [f64(4, 3)], G),
    ("svd-thin", lambda o, a: [o.abs(t) for t in o.svd(a, full_matrices=False)], [f64(4, 3)], {}),
    ("svd-full-shape", lambda o, a: [o.shape(t) for t in o.svd(a)], [f64(4, 3)], {}),
    ("qr", lambda o, a: o.qr(a), [f64(4, 3)], G),
    ("qr-square-batch", lambda o, a: o.qr(a), [f64(2, 3, 3)], G),
    ("qr-complete", lambda o, a: o.qr(a, mode="complete"), [f64(4, 3)], {}),
    ("lu_factor", lambda o, a: o.lu_factor(a), [f64(4, 4)], {}),
    ("norm", lambda o, a: o.norm(a), [f64(3, 4)], G),
    ("norm-vec-ord1", lambda o, a: o.norm(a, ord=1, axis=-1), [f64(3, 4)], G),
    ("norm-inf", lambda o, a: o.norm(a, ord=np.inf, axis=0, keepdims=True), [f64(3, 4)], G),
    ("norm-fro", lambda o, a: o.norm(a, ord="fro", axis=(0, 1)), [f64(3, 4)], G),
    ("norm-nuc", lambda o, a: o.norm(a, ord="nuc"), [f64(3, 4)], G),
    ("norm-2", lambda o, a: o.norm(a, ord=2), [f64(3, 4)], G),
    ("norm-int", lambda o, a: o.norm(a), [ints(3, 4)], {}),
    ("lstsq", lambda o, a, b: o.lstsq(a, b), [f64(5, 3), f64(5, 2)], dict(grad=True, rtol=1e-5)),
    ("lstsq-vec", lambda o, a, b: o.lstsq(a, b), [f64(5, 3), f64(5)], dict(rtol=1e-5)),
    ("matrix_rank", lambda o, a: o.matrix_rank(a), [f64(4, 2) @ f64(2, 4, seed=1)], {}),
    ("pinv", lambda o, a: o.pinv(a), [f64(4, 3)], dict(grad=True, rtol=1e-5, atol=1e-5)),
    ("segment_sum", lambda o, d, s: o.segment_sum(d, s), [f64(6, 2), np.array([0, 0, 1, 3, 3, 3])], G),
    ("segment_sum-n", lambda o, d, s: o.segment_sum(d, s, num_segments=5), [f64(6), np.array([0, 0, 1, 3, 3, 7])],
     G),
    ("segment_max", lambda o, d, s: o.segment_max(d, s), [f64(6, 2), np.array([0, 0, 1, 3, 3, 3])], G),
    ("segment_min", lambda o, d, s: o.segment_min(d, s), [f64(6), np.array([1, 0, 1, 2, 2, 0])], G),
    ("segment_prod", lambda o, d, s: o.segment_prod(d, s), [f64(6), np.array([1, 0, 1, 2, 2, 0])], G),
    ("segment_sum-int", lambda o, d, s: o.segment_sum(d, s), [ints(5), np.array([0, 1, 1, 2, 2])], {}),
    ("top_k", lambda o, v: o.top_k(v, 2), [f64(3, 5)], G),
    ("in_top_k", lambda o, t, p: o.in_top_k(t, p, 2), [np.array([0, 3, 1]), f64(3, 5)], {}),
    ("logsumexp", lambda o, v: o.logsumexp(v), [f64(3, 4)], G),
    ("logsumexp-axis", lambda o, v: o.logsumexp(v, axis=1, keepdims=True), [f64(3, 4)], G),
    ("cdist", lambda o, a, b: o.cdist(a, b), [f64(2, 3, 4), f64(2, 5, 4, seed=1)], G),
    ("extract_sequences", lambda o, v: o.extract_sequences(v, 4, 2), [f64(2, 11)], G),
    ("rsqrt", lambda o, v: o.rsqrt(v), [pos(3, 2)], G),
    ("erf", lambda o, v: o.erf(v), [f64(5)], G),
    ("erfc", lambda o, v: o.erfc(v), [f64(5)], G),
    ("erfinv", lambda o, v: o.erfinv(v), [f64(5, lo=-0.9, hi=0.9)], G),
    ("erf-f32", lambda o, v: o.erf(v), [f32(5)], {}),
    ("fft", lambda o, r, i: o.fft((r, i)), [f64(2, 8), f64(2, 8, seed=1)], G),
    ("fft2", lambda o, r, i: o.fft2((r, i)), [f64(2, 4, 6), f64(2, 4, 6, seed=1)], G),
    ("ifft2", lambda o, r, i: o.ifft2((r, i)), [f64(4, 6), f64(4, 6, seed=1)], G),
    ("rfft", lambda o, v: o.rfft(v), [f64(3, 8)], G),
    ("rfft-odd-len", lambda o, v: o.rfft(v, fft_length=7), [f64(3, 9)], G),
    ("irfft", lambda o, r, i: o.irfft((r, i)), [f64(2, 5), f64(2, 5, seed=1)], G),
    ("irfft-len", lambda o, r, i: o.irfft((r, i), fft_length=9), [f64(2, 5), f64(2, 5, seed=1)], G),
    ("stft", lambda o, v: o.stft(v, 8, 4, 8), [f64(2, 32)], G),
    ("stft-hamming-nocenter", lambda o, v: o.stft(v, 6, 3, 8, window="hamming", center=False), [f64(30)], G),
    ("istft", lambda o, r, i: o.istft((r, i), 8, 4, 8), [f64(2, 9, 5), f64(2, 9, 5, seed=1)], G),
    ("istft-roundtrip", lambda o, v: o.istft(o.stft(v, 8, 2, 8), 8, 2, 8, length=32), [f64(1, 32)], G),
]


@pytest.mark.parametrize("fn,args,kw", table_params(ROWS))
def test_linalg_math_op_matches_keras(fn, args, kw):
    run(fn, args, **{"rtol": 1e-6, "atol": 1e-7, **kw})


def test_eigh_gradient_matches_torch_on_the_symmetric_part():
    import torch
    a = spd(4, seed=3)
    w = np.random.default_rng(1).standard_normal((2, 4, 4))
    ta = torch.tensor(a, requires_grad=True)
    tw, tv = torch.linalg.eigh(ta)
    # A sign-invariant loss of the eigenvectors (v v^T), plus the eigenvalues.
    (tw * torch.tensor(w[0, 0])).sum().add((tv @ tv.T * torch.tensor(w[1])).sum()).backward()
    ea = ember.tensor(a, requires_grad=True)
    ew, ev = eops.eigh(ea)
    ((ew * ember.tensor(w[0, 0])).sum() + (ev @ ev.T * ember.tensor(w[1])).sum()).backward()
    sym = lambda g: (g + g.T) / 2  # noqa: E731
    np.testing.assert_allclose(sym(ea.grad.numpy()), sym(ta.grad.numpy()), atol=1e-8)


@pytest.mark.parametrize("name,fn,shape", [
    ("svd", lambda o, a: o.svd(a, full_matrices=False), (4, 3)),
    ("svd-wide", lambda o, a: o.svd(a, full_matrices=False), (2, 4)),
    ("eigh", lambda o, a: o.eigh(o.add(a, o.transpose(a))), (3, 3)),
    # ember's own matmul: Keras's ops.matmul of float64 computes in float32 (its 64 -> 32-bit rule).
    ("cholesky", lambda o, a: o.cholesky(a @ a.T + ember.eye(3, dtype=ember.float64)), (3, 3)),
    ("qr", lambda o, a: o.qr(a), (4, 3)),
    ("i0", lambda o, a: o.i0(a), (5,)),
    ("conv_transpose-dilated", lambda o, a: o.conv_transpose(a, o.ones((2, 2, 1, 1), dtype="float64"),
                                                             dilation_rate=2), (1, 3, 3, 1)),
])
def test_hand_written_gradients_pass_gradcheck(name, fn, shape):
    a = ember.tensor(f64(*shape, seed=4), requires_grad=True)

    def f(t):
        outs = fn(eops, t)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        if name.startswith("svd"):
            # U and V are defined up to a sign per column: check through sign-invariant products.
            u, s, vh = outs
            return [s, u @ u.T, vh.T @ vh, (u * s[None]) @ vh]
        if name == "eigh":
            return [outs[0], outs[1] @ outs[1].T]
        return list(outs)
    assert ember.autograd.gradcheck(lambda t: tuple(f(t)), (a,), eps=1e-6, atol=1e-5)


def test_fft_pairs_match_numpy_and_are_inverse():
    r, i = f64(4, 6), f64(4, 6, seed=1)
    fr, fi = eops.fft2((r, i))
    ref = np.fft.fft2(r + 1j * i)
    np.testing.assert_allclose(fr.numpy(), ref.real, atol=1e-10)
    np.testing.assert_allclose(fi.numpy(), ref.imag, atol=1e-10)
    br, bi = eops.ifft2((fr, fi))
    np.testing.assert_allclose(br.numpy(), r, atol=1e-10)
    np.testing.assert_allclose(bi.numpy(), i, atol=1e-10)


def test_eig_of_real_spectrum_and_complex_spectrum_error():
    w, v = eops.eig(spd(3))
    np.testing.assert_allclose(np.sort(w.numpy()), np.linalg.eigvalsh(spd(3)), rtol=1e-10)
    with pytest.raises(ValueError, match="complex"):
        eops.eig(np.array([[0.0, -1.0], [1.0, 0.0]]))


def test_jvp_matches_keras():
    from tests.keras.ops_oracle import kops
    import torch
    x, t = f64(3), f64(3, seed=1)
    kp, kt = kops.jvp(lambda a: kops.sin(a) * a, (torch.tensor(x),), (torch.tensor(t),))
    ep, et = eops.jvp(lambda a: eops.sin(a) * a, (ember.tensor(x),), (ember.tensor(t),))
    np.testing.assert_allclose(ep.numpy(), kp.numpy())
    np.testing.assert_allclose(et.numpy(), kt.numpy())
