"""Small-GEMM benchmark: the products the MLP / DQN / PPO / REINFORCE families run.

Each row is one product C = A @ B in the layout the layers use it: a Linear forward
x @ W^T (B transposed: unit row stride), its input gradient g @ W (B row-major) and its
weight gradient g^T @ x (A transposed), plus the plain row-major shapes of issue 4.
fastdl is timed as the bare kernel call `_C.cpu.matmul(a, b, out)` on views with those
strides, NumPy as `np.matmul(a, b, out=o)` on the same views (OpenBLAS, limited to the
same thread count; its time includes NumPy's own call overhead). Loops of calls are
timed in interleaved rounds (fastdl, numpy, fastdl, ...); the figures are medians over
rounds, ratio = t_numpy / t_fastdl (> 1: fastdl faster). The 1-minute load average is
printed with each thread count.

Run: PYTHONPATH=python python3 bench/bench_small_gemm.py --threads 1 2
"""
import argparse
import os
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

import fastdl
from fastdl import _C

PLAIN = [(32, 64, 64), (32, 64, 2), (64, 4, 64), (64, 128, 512)]  # M, K, N, row-major
# (batch, layer widths): CartPole MLP / PPO / REINFORCE (hidden 64), acting batch 8,
# DQN on Acrobot (hidden 256, batch 128).
FAMILIES = [(32, [4, 64, 64, 2]), (256, [4, 64, 64, 1]), (8, [4, 64, 64, 2]), (128, [6, 256, 256, 3])]


def linear_products(batch, widths):
    """(label, M, K, N, a_transposed, b_transposed) for every layer's three products."""
    rows = []
    for fin, fout in zip(widths[:-1], widths[1:]):
        rows.append((f"fwd x@W^T b{batch} {fin}->{fout}", batch, fin, fout, False, True))
        rows.append((f"gx  g@W   b{batch} {fin}->{fout}", batch, fout, fin, False, False))
        rows.append((f"gw  g^T@x b{batch} {fin}->{fout}", fout, batch, fin, True, False))
    return rows


def operand(rows, cols, transposed, rng):
    """(NumPy array, fastdl tensor sharing its layout): stored transposed if asked."""
    if transposed:
        base = rng.standard_normal((cols, rows)).astype(np.float32)
        return base.T, fastdl.from_numpy(base).T
    base = rng.standard_normal((rows, cols)).astype(np.float32)
    return base, fastdl.from_numpy(base)


def timed(fn, reps):
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def bench(label, m, k, n, ta, tb, rounds):
    rng = np.random.default_rng(0)
    a, fa = operand(m, k, ta, rng)
    b, fb = operand(k, n, tb, rng)
    out = fastdl.from_numpy(np.zeros((m, n), np.float32))
    o = np.empty((m, n), np.float32)
    fd = lambda: _C.cpu.matmul(fa, fb, out)  # noqa: E731
    npf = lambda: np.matmul(a, b, out=o)  # noqa: E731
    fd()
    ref = a.astype(np.float64) @ b.astype(np.float64)
    bound = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)
    assert np.all(np.abs(out.numpy() - ref) <= 4 * (k + 2) * np.finfo(np.float32).eps * bound + 1e-30), label
    t = timed(fd, 3)
    reps = max(3, min(20000, int(2e-3 / max(t, 1e-7))))
    fts, nts = [], []
    for _ in range(rounds):
        fts.append(timed(fd, reps))
        nts.append(timed(npf, reps))
    ratios = [nt / ft for ft, nt in zip(fts, nts)]
    print(f"{label:28s} {m:5d}x{k:<4d}@{k:4d}x{n:<4d} fastdl {statistics.median(fts) * 1e6:8.2f} us  "
          f"numpy {statistics.median(nts) * 1e6:8.2f} us  ratio {statistics.median(ratios):5.2f}"
          f" [{min(ratios):.2f}, {max(ratios):.2f}]", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, nargs="+", default=[1])
    p.add_argument("--rounds", type=int, default=11)
    p.add_argument("--only", default="", help="substring filter on the row labels")
    args = p.parse_args()
    rows = [(f"plain {m}x{k}@{k}x{n}", m, k, n, False, False) for m, k, n in PLAIN]
    for batch, widths in FAMILIES:
        rows += linear_products(batch, widths)
    for nt in args.threads:
        _C.set_num_threads(nt)
        print(f"threads {nt}, load {os.getloadavg()[0]:.2f}, avx2 {_C.use_avx2()}")
        with threadpool_limits(nt):
            for row in rows:
                if args.only in row[0]:
                    bench(*row, args.rounds)


if __name__ == "__main__":
    main()
