"""ember's benchmark suite: the same workloads in ember and PyTorch, timed in one run.

Run ``python -m benchmarks`` (``--quick`` for a short run); results go to docs/benchmarks.md.
"""
