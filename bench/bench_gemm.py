"""CPU gemm benchmark: fastdl _C.cpu.matmul vs NumPy `@` (OpenBLAS) and torch.matmul.

For each thread count, all libraries run on that many threads (threadpoolctl limits
OpenBLAS, torch.set_num_threads). After a warm-up they are timed in interleaved rounds
(fastdl, numpy, torch, fastdl, ...) so that load from other processes hits all alike, with
fastdl.bench's settling time before each sample at > 1 thread;
a ratio is the median over rounds of t_ref / t_fastdl (> 1: fastdl is faster), with
the min and max. "% peak" is fastdl's rate over the FMA peak measured in the same run
on the same threads (_C.cpu.fma_peak_gflops). Results are validated against float64
before and after timing. The machine load (1-minute average) is printed per thread
count.

Run (OpenBLAS tuning overrides, if set, would misrepresent NumPy):
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=python python3 bench/bench_gemm.py \
      --threads 1 2
"""
import argparse
import json
import os
import platform

import numpy as np
from threadpoolctl import threadpool_limits

import fastdl
from fastdl import _C
from fastdl.bench import interleaved

try:
    import torch
except ImportError:
    torch = None

SQUARE = [256, 512, 1024, 2048, 4096]
MODEL = [(64, 784, 128), (64, 512, 256), (32, 64, 64), (128, 1024, 1024)]  # M, K, N


def bench(m, k, n, dtype, rounds, threads):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    # fastdl runs on its own tensors, as a user's code does: copies of a and b, and an output
    # from its allocator (64-byte aligned). NumPy's arrays start 16 bytes past a cache line,
    # so a C row of the 32-float tile spans three lines; python -m fastdl.bench times
    # fa @ fb the same way.
    ka, kb, out = fastdl.tensor(a), fastdl.tensor(b), fastdl.zeros(m, n, dtype=getattr(fastdl, np.dtype(dtype).name))
    fns = {"fastdl": lambda: _C.cpu.matmul(ka, kb, out), "numpy": lambda: a @ b}
    if torch is not None:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        fns["torch"] = lambda: torch.matmul(ta, tb)

    ref = a.astype(np.float64) @ b.astype(np.float64)
    bound = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)
    tol = 1e-10 if dtype == np.float64 else 4 * k * np.finfo(np.float32).eps

    def valid():
        fns["fastdl"]()
        return bool(np.all(np.abs(out.numpy() - ref) <= tol * bound + 1e-30))

    ok = valid()
    # Interleaved rounds with fastdl.bench's settling: at > 1 thread each library first runs
    # untimed for 0.1 s, or its samples would time the previous library's idle threads
    # (OpenBLAS's keep spinning after a call) taking the second core.
    timing = interleaved(fns, rounds, 0.02, settle_s=0.1 if threads > 1 else 0.0)
    ok = ok and valid()
    flop = 2.0 * m * n * k
    row = {"shape": [m, k, n], "dtype": np.dtype(dtype).name, "valid": ok, "rounds": rounds,
           "calls_per_sample": timing["calls_per_sample"]}
    for name in fns:
        row[f"{name}_ms"] = timing[f"{name}_ms"]
        row[f"{name}_gflops"] = flop / (timing[f"{name}_ms"] * 1e-3) / 1e9
        if name != "fastdl":
            row[f"vs_{name}"] = timing[f"vs_{name}"]
    return row


def fmt_ratio(r):
    return f"{r['median']:5.2f} [{r['min']:4.2f},{r['max']:5.2f}]" if r else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--threads", type=int, nargs="*", default=[2])
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--sizes", type=int, nargs="*", default=SQUARE)
    ap.add_argument("--no-model", action="store_true")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "gemm_cpu.json"))
    args = ap.parse_args()
    dtype = np.dtype(args.dtype).type
    shapes = [(s, s, s) for s in args.sizes] + ([] if args.no_model else MODEL)
    runs = []
    for threads in args.threads:
        _C.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        with threadpool_limits(threads, user_api="blas"):
            peak = _C.cpu.fma_peak_gflops(threads)
            load = os.getloadavg()[0]
            print(f"threads={threads} avx2={_C.use_avx2()} dtype={args.dtype} rounds={args.rounds} "
                  f"fma_peak={peak:.1f} GFLOP/s load={load:.2f} torch={torch.__version__ if torch else None}")
            print(f"{'M x K @ K x N':>22} {'fastdl GF/s':>11} {'%peak':>6} {'numpy GF/s':>10} "
                  f"{'torch GF/s':>10} {'vs numpy':>18} {'vs torch':>18} valid")
            rows = []
            for m, k, n in shapes:
                rounds = args.rounds if m * n * k <= 1024 ** 3 else max(3, args.rounds // 2)
                r = bench(m, k, n, dtype, rounds, threads)
                r["pct_peak"] = 100.0 * r["fastdl_gflops"] / peak
                rows.append(r)
                print(f"{f'{m}x{k} @ {k}x{n}':>22} {r['fastdl_gflops']:11.1f} {r['pct_peak']:5.0f}% "
                      f"{r['numpy_gflops']:10.1f} {r.get('torch_gflops', float('nan')):10.1f} "
                      f"{fmt_ratio(r['vs_numpy']):>18} {fmt_ratio(r.get('vs_torch')):>18} {r['valid']}",
                      flush=True)
        runs.append({"threads": threads, "fma_peak_gflops": peak, "load_before": load,
                     "load_after": os.getloadavg()[0], "results": rows})

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"avx2": _C.use_avx2(), "numpy": np.__version__,
                   "torch": torch.__version__ if torch else None,
                   "machine": platform.processor() or platform.machine(),
                   "ratio": "t_ref / t_fastdl per interleaved round (> 1: fastdl faster)",
                   "runs": runs}, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
