"""Per-op and small-model step overhead of fastdl at 1 thread, by CPU time of this thread
(time.thread_time: robust to other jobs on a shared machine). For A/B runs of two
builds, run it alternately with each on PYTHONPATH and compare the best of the runs:

    PYTHONPATH=python python3 bench/op_overhead.py

Prints microseconds per call: small ops on (32, 64) tensors (with and without autograd
recording; mul_add_grad is bench.py's "small op overhead" row, a * b + b), a 32x64 @ 64x64 matmul, a tiny forward + backward, and one training step of
the mlp, dqn and ppo families as bench/bench_families.py defines them.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fastdl  # noqa: E402
import bench_families as bf  # noqa: E402


def per_call_us(f, n=20000, rounds=11):
    """Minimum over rounds of the mean CPU time per call, after a warm-up."""
    for _ in range(200):
        f()
    best = float("inf")
    for _ in range(rounds):
        t = time.thread_time()
        for _ in range(n):
            f()
        best = min(best, (time.thread_time() - t) / n * 1e6)
    return best


def main():
    fastdl.set_num_threads(1)
    a, b = fastdl.randn(32, 64, requires_grad=True), fastdl.randn(32, 64, requires_grad=True)
    w, a2, b2 = fastdl.randn(64, 64), fastdl.randn(32, 64), fastdl.randn(32, 64)

    def mul_sum_backward():
        (a * b).sum().backward()

    res = {"add_grad": per_call_us(lambda: a + b), "mul_grad": per_call_us(lambda: a * b),
           "add_nograd": per_call_us(lambda: a2 + b2), "matmul": per_call_us(lambda: a2 @ w),
           "relu_grad": per_call_us(lambda: a.relu()), "tanh_grad": per_call_us(lambda: a.tanh()),
           "sum_grad": per_call_us(lambda: a.sum()), "mul_add_grad": per_call_us(lambda: a * b + b),
           "mul_scalar_grad": per_call_us(lambda: a * 2.0),
           "mul_sum_bwd": per_call_us(mul_sum_backward, n=5000)}
    for family in ("mlp", "dqn", "ppo"):
        _, sides = bf.prepare(family, None)
        res[family + "_step"] = per_call_us(sides["fastdl"].step, n=300)
    print("  ".join(f"{k} {v:.2f}" for k, v in res.items()))


if __name__ == "__main__":
    main()
