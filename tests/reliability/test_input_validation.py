"""Bad input is refused as PyTorch refuses it, and the borderline input PyTorch accepts gives PyTorch's answer.

Each case runs the same code on ember and on torch 2.13. Where torch raises, ember must raise the same
exception class with a message that names the function; where torch returns, ember must return the same
values and dtype. These were found by probing: before the fixes ember wrapped negative indices in gather,
returned 0 for integer division by zero, wrapped ``tensor(300, dtype=uint8)`` to 44, and so on.
"""
import numpy as np
import pytest
import torch

import ember

# (name, code, the name ember's message must contain when torch raises)
CASES = [
    # Negative or out-of-range indices raise in the ops where PyTorch does not wrap them.
    ("gather_negative", lambda L: L.gather(L.tensor([[1., 2], [3, 4]]), 1, L.tensor([[-1, 0], [0, 0]])), "gather"),
    ("gather_too_big", lambda L: L.gather(L.tensor([[1., 2], [3, 4]]), 1, L.tensor([[2, 0], [0, 0]])), "gather"),
    ("take_along_dim_negative", lambda L: L.take_along_dim(L.tensor([1., 2, 3]), L.tensor([-1])), "gather"),
    ("index_select_negative", lambda L: L.index_select(L.tensor([1., 2, 3]), 0, L.tensor([-1])), "index_select"),
    ("index_select_too_big", lambda L: L.index_select(L.tensor([1., 2, 3]), 0, L.tensor([3])), "index_select"),
    ("scatter_negative", lambda L: L.zeros(3).scatter(0, L.tensor([-1]), L.tensor([1.])), "scatter"),
    ("scatter_value_negative", lambda L: L.zeros(3).scatter(0, L.tensor([-1]), 2.0), "scatter"),
    ("scatter_add_negative", lambda L: L.zeros(3).scatter_add(0, L.tensor([-1]), L.tensor([1.])), "scatter_add"),
    ("scatter_reduce_negative",
     lambda L: L.zeros(3).scatter_reduce(0, L.tensor([-1]), L.tensor([1.]), "sum"), "scatter_reduce"),
    ("index_add_negative", lambda L: L.zeros(3).index_add(0, L.tensor([-1]), L.tensor([1.])), "index_add"),
    ("index_add_too_big", lambda L: L.zeros(3).index_add(0, L.tensor([5]), L.tensor([1.])), "index_add"),
    ("index_copy_negative", lambda L: L.zeros(3).index_copy(0, L.tensor([-1]), L.tensor([1.])), "index_copy"),
    ("index_reduce_negative",
     lambda L: L.zeros(3).index_reduce(0, L.tensor([-1]), L.tensor([1.]), "prod"), "index_reduce"),
    ("take_too_big", lambda L: L.take(L.zeros(3), L.tensor([5])), "take"),
    # ... and wrap where PyTorch wraps them.
    ("take_negative", lambda L: L.take(L.tensor([1., 2, 3]), L.tensor([-1, -3])), None),
    ("index_fill_negative", lambda L: L.zeros(3).index_fill(0, L.tensor([-1]), 1.), None),
    ("put_negative", lambda L: L.zeros(3).put(L.tensor([-1]), L.tensor([1.])), None),
    ("index_put_negative", lambda L: L.zeros(3).index_put((L.tensor([-1]),), L.tensor(1.)), None),
    # Integer division by zero raises; float division by zero gives inf/nan.
    ("int_floor_divide_zero", lambda L: L.tensor([5, 3]) // L.tensor([0, 1]), "floor_divide"),
    ("int_floor_divide_scalar_zero", lambda L: L.tensor([5]) // 0, "floor_divide"),
    ("int_remainder_zero", lambda L: L.tensor([5]) % L.tensor([0]), "remainder"),
    ("int_remainder_scalar_zero", lambda L: L.remainder(L.tensor([5]), 0), "remainder"),
    ("int_fmod_zero", lambda L: L.fmod(L.tensor([5]), L.tensor([0])), "fmod"),
    ("int_trunc_div_zero", lambda L: L.div(L.tensor([5]), 0, rounding_mode="trunc"), "div"),
    ("int_inplace_remainder_zero", lambda L: L.tensor([5]).remainder_(0), "remainder"),
    ("int_true_divide_zero", lambda L: L.tensor([5, 0]) / L.tensor([0, 0]), None),
    ("float_floor_divide_zero", lambda L: L.tensor([5.0, -1.0]) // 0, None),
    ("float_remainder_zero", lambda L: L.tensor([5.0]) % 0, None),
    # Python ints that do not fit the dtype are refused; negatives wrap into unsigned types down to -max.
    ("tensor_2_pow_63", lambda L: L.tensor(2 ** 63), "tensor"),
    ("tensor_list_2_pow_63", lambda L: L.tensor([1, 2 ** 63]), "tensor"),
    ("tensor_below_int64", lambda L: L.tensor([-2 ** 63 - 1]), "tensor"),
    ("tensor_beyond_uint64", lambda L: L.tensor([2 ** 64]), "tensor"),
    ("tensor_300_uint8", lambda L: L.tensor(300, dtype=L.uint8), "tensor"),
    ("tensor_128_int8", lambda L: L.tensor([128], dtype=L.int8), "tensor"),
    ("tensor_big_int32", lambda L: L.tensor([[2 ** 40]], dtype=L.int32), "tensor"),
    ("tensor_float_too_big_int8", lambda L: L.tensor([1e10], dtype=L.int8), "tensor"),
    ("tensor_minus_256_uint8", lambda L: L.tensor(-256, dtype=L.uint8), "tensor"),
    ("tensor_minus_1_uint8", lambda L: L.tensor([-1, -255, 255], dtype=L.uint8), None),
    ("tensor_int64_max", lambda L: L.tensor([2 ** 63 - 1, -2 ** 63]), None),
    ("tensor_float16_overflow", lambda L: L.tensor([2.0 ** 40], dtype=L.float16), None),
    ("tensor_bool_from_int", lambda L: L.tensor([-1, 0], dtype=L.bool), None),
    ("tensor_numpy_array_casts", lambda L: L.tensor(np.array([300, -1]), dtype=L.uint8), None),
    ("tensor_numpy_float64_scalars", lambda L: L.tensor([np.float64(1.5), 2.0]), None),
    ("tensor_numpy_float32_scalars", lambda L: L.tensor([np.float32(1.5), 2.0]), None),
    ("tensor_numpy_int_and_float", lambda L: L.tensor([np.int64(3), 2.5]), None),
    ("full_300_uint8", lambda L: L.full((2,), 300, dtype=L.uint8), "full"),
    ("full_minus_1_uint8", lambda L: L.full((2,), -1, dtype=L.uint8), None),
    # A Python scalar operand is converted to the tensor's dtype, wrapping as in PyTorch.
    ("uint8_plus_minus_1", lambda L: L.tensor([1, 200], dtype=L.uint8) + (-1), None),
    ("uint8_times_300", lambda L: L.tensor([1, 200], dtype=L.uint8) * 300, None),
    ("scalar_times_uint8", lambda L: 300 * L.tensor([1, 200], dtype=L.uint8), None),
    ("uint8_compare_minus_1", lambda L: L.tensor([1, 200], dtype=L.uint8) > -1, None),
    ("uint8_equal_257", lambda L: L.tensor([1, 200], dtype=L.uint8) == 257, None),
    ("int8_plus_128", lambda L: L.tensor([1], dtype=L.int8) + 128, None),
    # k counts from 1 and must be within the dimension.
    ("kthvalue_k0", lambda L: L.kthvalue(L.tensor([1., 2, 3]), 0), "kthvalue"),
    ("kthvalue_k_too_big", lambda L: L.kthvalue(L.tensor([1., 2, 3]), 4), "kthvalue"),
    ("kthvalue_dim0_too_big", lambda L: L.kthvalue(L.zeros(2, 3), 3, dim=0), "kthvalue"),
    ("kthvalue_0d", lambda L: L.kthvalue(L.tensor(5.), 1), None),
    ("kthvalue_0d_k2", lambda L: L.kthvalue(L.tensor(5.), 2), "kthvalue"),
    # A zero-size kernel is refused when the convolution runs (construction is allowed, as in PyTorch).
    ("conv2d_kernel_0", lambda L: L.nn.Conv2d(1, 1, kernel_size=0)(L.zeros(1, 1, 3, 3)), "conv2d"),
    ("conv1d_kernel_0", lambda L: L.nn.Conv1d(1, 1, kernel_size=0)(L.zeros(1, 1, 5)), "conv1d"),
    ("conv3d_kernel_0", lambda L: L.nn.Conv3d(1, 1, kernel_size=0)(L.zeros(1, 1, 3, 3, 3)), "conv3d"),
    ("conv_transpose2d_kernel_0", lambda L: L.nn.ConvTranspose2d(1, 1, kernel_size=0)(L.zeros(1, 1, 3, 3)),
     "conv_transpose2d"),
    # float16 reductions accumulate in float32, as in PyTorch: the squares overflow, the std does not.
    ("std_float16", lambda L: L.tensor([300.0, -300.0, 250.0], dtype=L.float16).std(), None),
    ("var_float16_overflows_as_torch", lambda L: L.tensor([300.0, -300.0, 250.0], dtype=L.float16).var(), None),
    ("norm_float16", lambda L: L.tensor([300.0, -300.0, 250.0], dtype=L.float16).norm(), None),
    ("std_float16_dim", lambda L: L.tensor([[300.0, -300.0], [1.0, 2.0]], dtype=L.float16).std(1), None),
    # Regression losses need a floating operand.
    ("mse_loss_ints", lambda L: L.nn.functional.mse_loss(L.tensor([1, 2]), L.tensor([2, 4])), "mse_loss"),
    ("smooth_l1_loss_ints", lambda L: L.nn.functional.smooth_l1_loss(L.tensor([1, 2]), L.tensor([2, 4])),
     "smooth_l1_loss"),
    ("huber_loss_ints", lambda L: L.nn.functional.huber_loss(L.tensor([1, 2]), L.tensor([2, 4])), "huber_loss"),
    ("mse_loss_mixed", lambda L: L.nn.functional.mse_loss(L.tensor([1., 2]), L.tensor([2, 4])), None),
    # An in-place op on an expand view, whose elements share memory, is refused with torch's words.
    ("add__on_expanded", lambda L: L.zeros(1, 3).expand(2, 3).add_(1), "refers to a single memory location"),
    ("mul__tensor_on_expanded", lambda L: L.zeros(1, 3).expand(2, 3).mul_(L.ones(2, 3)),
     "refers to a single memory location"),
    ("copy__on_expanded", lambda L: L.zeros(1, 3).expand(2, 3).copy_(L.ones(2, 3)), "refers to a single memory"),
    ("sigmoid__on_expanded", lambda L: L.zeros(1, 3).expand(2, 3).sigmoid_(), "refers to a single memory location"),
    ("normal__on_expanded", lambda L: L.zeros(1, 30).expand(2, 30).normal_(), "refers to a single memory location"),
    ("add__on_expanded_graph", lambda L: L.zeros(3, requires_grad=True).clone().expand(2, 3).add_(1),
     "refers to a single memory location"),
    ("mean_of_long", lambda L: L.tensor([1, 2]).mean(), "Got: Long"),
    # A ragged nested list names the level and the lengths, as torch.
    ("tensor_ragged", lambda L: L.tensor([[1, 2], [3]]), "expected sequence of length 2 at dim 1 (got 1)"),
    ("tensor_ragged_deeper", lambda L: L.tensor([[[1, 2], [3, 4]], [[1, 2], [3]]]),
     "expected sequence of length 2 at dim 2 (got 1)"),
    ("tensor_numbers_and_rows", lambda L: L.tensor([[1, 2], 3]), "not a sequence"),
    # Reductions over nothing and other refusals raise torch's exception types (not NumPy's ValueError).
    ("argmax_empty_dim", lambda L: L.zeros(0, 3).argmax(0), "Expected reduction dim 0 to have non-zero size"),
    ("argmin_empty_all", lambda L: L.zeros(0, 3).argmin(), "Expected reduction dim to be specified"),
    ("argmax_nonempty_dim", lambda L: L.zeros(3, 0).argmax(0), None),
    ("max_empty_dim", lambda L: L.zeros(0, 3).max(0), "Expected reduction dim 0 to have non-zero size"),
    ("amax_empty_dim", lambda L: L.zeros(0, 3).amax(0), "Expected reduction dim 0 to have non-zero size"),
    ("amax_empty_all", lambda L: L.zeros(0, 3).amax(), "Expected reduction dim to be specified"),
    ("chunk_zero", lambda L: L.ones(3).chunk(0), "chunk expects `chunks` to be greater than 0"),
    ("cross_entropy_batch_sizes", lambda L: L.nn.functional.cross_entropy(L.ones(2, 3), L.tensor([1, 2, 0])),
     "Expected input batch_size (2) to match target batch_size (3)"),
    ("nll_loss_batch_sizes", lambda L: L.nn.functional.nll_loss(L.ones(2, 3), L.tensor([1, 2, 0])),
     "Expected input batch_size (2) to match target batch_size (3)"),
    ("embedding_index_out_of_range", lambda L: L.nn.Embedding(3, 2)(L.tensor([3])), "index out of range in self"),
    ("permute_duplicate_dims", lambda L: L.ones(2, 3).permute(0, 0), "duplicate dims are not allowed"),
    ("tensor_split_zero_sections", lambda L: L.ones(5).tensor_split(0), "number of sections must be larger than 0"),
    ("roll_shifts_and_dims_disagree", lambda L: L.ones(2, 2).roll(1, dims=(0, 1)), "shifts and dimensions must align"),
    ("repeat_interleave_wrong_repeats", lambda L: L.ones(3).repeat_interleave(L.tensor([1, 2])),
     "repeats must have the same size as input along dim"),
    ("cat_of_nothing", lambda L: L.cat([]), "expected a non-empty list of Tensors"),
    ("zeros_negative", lambda L: L.zeros(-1), "negative dimension -1"),
    ("empty_negative", lambda L: L.empty(2, -3), "negative dimension -3"),
    ("rand_negative", lambda L: L.rand(-1), "negative dimension -1"),
    ("randn_negative", lambda L: L.randn(2, -1), "negative dimension -1"),
    ("full_negative", lambda L: L.full((-1,), 1.0), "negative dimension -1"),
    ("randperm_negative", lambda L: L.randperm(-1), "negative dimension -1"),
    ("eye_negative", lambda L: L.eye(-1), "n must be greater or equal to 0"),
    ("eye_negative_m", lambda L: L.eye(3, -1), "m must be greater or equal to 0"),
    ("full_of_a_string", lambda L: L.full((2,), "a"), "must be Number, not str"),
    ("full_of_none", lambda L: L.full((2,), None), "must be Number, not NoneType"),
    ("scatter_src_too_small", lambda L: L.zeros(2, 2).scatter(1, L.tensor([[0, 1, 0]]), L.ones(1, 2)),
     "to be no larger size than src [1, 2]"),
    ("scatter_add_src_too_small", lambda L: L.zeros(2, 2).scatter_add(1, L.tensor([[0, 1, 0]]), L.ones(1, 2)),
     "to be no larger size than src [1, 2]"),
    ("adaptive_pool_output_size", lambda L: L.nn.functional.adaptive_avg_pool2d(L.ones(1, 1, 2, 2), (3, 3, 3)),
     "output_size must be 2"),
    # shapes are checked before the matrix: a singular A with a mis-sized B is a shape error, as torch
    ("solve_vector_of_wrong_length", lambda L: L.linalg.solve(L.ones(2, 2), L.ones(3)),
     "Incompatible shapes of A and B for the equation AX = B (2x2 and 3x1)"),
    ("solve_matrix_wrong_rows", lambda L: L.linalg.solve(L.eye(2), L.ones(1, 2)), "(2x2 and 1x2)"),
    ("solve_right_wrong_cols", lambda L: L.linalg.solve(L.eye(2), L.ones(3, 1), left=False), "XA = B (2x2 and 3x1)"),
    ("solve_batched_vectors", lambda L: L.linalg.solve(L.eye(2).expand(3, 2, 2), L.ones(3, 2)), None),
    ("sdpa_mask_does_not_broadcast", lambda L: L.nn.functional.scaled_dot_product_attention(
        L.ones(1, 2, 3, 4), L.ones(1, 2, 3, 4), L.ones(1, 2, 3, 4), attn_mask=L.ones(3, 5, dtype=L.bool)), "attn_mask"),
]


def _run(fn, lib):
    try:
        return fn(lib), None
    except Exception as e:  # the exception is the result under test
        return None, e


def _values(r):
    if isinstance(r, tuple):
        return [_values(v) for v in r]
    return np.asarray(r.detach().numpy() if hasattr(r, "detach") else r), str(r.dtype).split(".")[-1]


@pytest.mark.parametrize("name, fn, needle", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, fn, needle):
    t_out, t_err = _run(fn, torch)
    e_out, e_err = _run(fn, ember)
    if t_err is not None:
        assert needle is not None, f"torch raised {t_err!r}: the table says it should not"
        assert e_err is not None, f"ember returned {e_out!r} where torch raises {t_err!r}"
        assert isinstance(e_err, type(t_err)) or type(e_err).__name__ == type(t_err).__name__, \
            f"ember raised {type(e_err).__name__}, torch {type(t_err).__name__}"
        assert needle in str(e_err), f"message does not name {needle!r}: {e_err}"
        return
    assert needle is None, f"torch returned {t_out!r}: the table expects an error"
    assert e_err is None, f"ember raised {e_err!r} where torch returns {t_out!r}"
    for (ev, ed), (tv, td) in zip(*(_values(r) if isinstance(r, tuple) else [_values(r)] for r in (e_out, t_out))):
        assert ed == td, f"dtype {ed} != torch's {td}"
        np.testing.assert_array_equal(ev, tv)
