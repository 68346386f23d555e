"""The differential fuzz of common tensor ops against torch 2.13 stays at zero differences.

``tests/reliability/differential.py`` draws seeded random calls (an op, operand dtypes from bool to float64,
0-d, empty and broadcasting shapes, in- and out-of-range dims, Python scalars) and runs each on ember and on
torch: both must raise, or both return the same dtype, shape and values. The two differences kept on purpose
are listed, with why, in ``differential.tolerated``.
"""
from collections import Counter

from tests.reliability import differential

N_CASES = 2500


def test_ember_agrees_with_torch_on_random_calls():
    bad = differential.run(N_CASES, seed=20261203)
    by_op = Counter(b[1] for b in bad)
    detail = "\n".join(f"#{i} {name}({differential._describe(args)}): {why}" for i, name, args, why in bad[:20])
    assert not bad, f"{len(bad)} of {N_CASES} random calls differ from torch ({dict(by_op)}):\n{detail}"
