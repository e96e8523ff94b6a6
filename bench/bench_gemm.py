"""CPU gemm benchmark: fastdl _C.cpu.matmul vs NumPy `@` (OpenBLAS).

Both run on the same threads count (2 by default). After a warm-up, the two are timed
in interleaved pairs (fastdl, numpy, fastdl, numpy, ...) so that load from other
processes hits both alike; the reported ratio is the median over pairs of
t_numpy / t_fastdl (> 1: fastdl is faster), with the min and max. Results are
validated against float64 before timing.

Run (OpenBLAS tuning overrides, if set, would misrepresent NumPy):
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=python python3 bench/bench_gemm.py
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
os.environ["OPENBLAS_NUM_THREADS"] = str(THREADS)  # before NumPy loads OpenBLAS

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from fastdl import _C  # noqa: E402
from kernel_views import kempty, kview  # noqa: E402

SQUARE = [256, 512, 1024, 2048]
MODEL = [(64, 784, 128), (32, 64, 64), (64, 512, 256), (128, 1024, 1024)]  # M, K, N


def timed(fn, reps):
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def bench(m, k, n, dtype, pairs):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    ka, kb, out = kview(a), kview(b), kempty((m, n), dtype)

    def run_fd():
        _C.cpu.matmul(ka, kb, out)

    def run_np():
        a @ b

    run_fd()
    ref = a.astype(np.float64) @ b.astype(np.float64)
    tol = 1e-10 if dtype == np.float64 else 4 * k * np.finfo(np.float32).eps
    bound = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)
    valid = bool(np.all(np.abs(out.numpy() - ref) <= tol * bound + 1e-30))

    # Enough calls per sample that one sample takes >= ~20 ms.
    t_one = min(timed(run_fd, 1), timed(run_np, 1))
    reps = max(1, int(0.02 / max(t_one, 1e-7)))
    for _ in range(2):  # warm-up: caches, thread pools, pack buffers
        timed(run_fd, reps), timed(run_np, reps)
    ratios, t_fd, t_np = [], [], []
    for _ in range(pairs):
        f = timed(run_fd, reps)
        p = timed(run_np, reps)
        t_fd.append(f), t_np.append(p), ratios.append(p / f)
    flop = 2.0 * m * n * k
    return {
        "shape": [m, k, n], "dtype": np.dtype(dtype).name, "valid": valid,
        "fastdl_ms": 1e3 * statistics.median(t_fd), "numpy_ms": 1e3 * statistics.median(t_np),
        "fastdl_gflops": flop / statistics.median(t_fd) / 1e9,
        "numpy_gflops": flop / statistics.median(t_np) / 1e9,
        "ratio_median": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
        "pairs": pairs, "calls_per_sample": reps,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=9)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--sizes", type=int, nargs="*", default=SQUARE)
    ap.add_argument("--no-model", action="store_true")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "gemm_cpu.json"))
    args = ap.parse_args()
    _C.set_num_threads(THREADS)
    dtype = np.dtype(args.dtype).type
    shapes = [(s, s, s) for s in args.sizes] + ([] if args.no_model else MODEL)

    print(f"threads={THREADS} avx2={_C.use_avx2()} dtype={args.dtype} pairs={args.pairs}")
    print(f"{'M x K @ K x N':>22} {'fastdl GF/s':>12} {'numpy GF/s':>11} "
          f"{'ratio med':>10} {'[min, max]':>14} valid")
    rows = []
    for m, k, n in shapes:
        pairs = args.pairs if m * n * k <= 1024 ** 3 else max(3, args.pairs // 2)
        r = bench(m, k, n, dtype, pairs)
        rows.append(r)
        print(f"{f'{m}x{k} @ {k}x{n}':>22} {r['fastdl_gflops']:12.1f} {r['numpy_gflops']:11.1f} "
              f"{r['ratio_median']:10.2f} [{r['ratio_min']:5.2f}, {r['ratio_max']:5.2f}] {r['valid']}")

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"threads": THREADS, "avx2": _C.use_avx2(), "numpy": np.__version__,
                   "machine": platform.processor() or platform.machine(),
                   "ratio": "t_numpy / t_fastdl (> 1: fastdl faster)", "results": rows}, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
