"""Row, random and indexing kernels next to torch, in one process: layer norm, the random
generators, index_select / index_add along inner dims, bilinear upsampling and
embedding lookups, at the shapes named in each row. The interleaved rounds of
fastdl.bench (median time of each library, per-round ratios), at each thread count asked
for. Deterministic results are checked against torch's before timing; random ones by
their mean and standard deviation.

    PYTHONPATH=python python3 bench/bench_ops.py [--threads 1,2] [--rounds 9] [--json OUT]

Prints milliseconds per call and torch / fastdl (above 1: fastdl faster).
"""
import argparse
import json
import platform

import numpy as np

import fastdl
from fastdl.bench import interleaved, relerr


def operands(rng):
    return {
        "ln_x": rng.standard_normal((2048, 256)).astype(np.float32),
        "ln_w": rng.standard_normal(256).astype(np.float32),
        "ln_b": rng.standard_normal(256).astype(np.float32),
        "ln_g": rng.standard_normal((2048, 256)).astype(np.float32),
        "img": rng.standard_normal((8, 64, 32, 32)).astype(np.float32),
        "img_g": rng.standard_normal((8, 64, 64, 64)).astype(np.float32),
        "sel_x": rng.standard_normal((8, 64, 64, 32)).astype(np.float32),
        "sel_i": np.minimum(np.arange(64) // 2, 31),
        "add_src": rng.standard_normal((8, 64, 64, 64)).astype(np.float32),
        "table": rng.standard_normal((10000, 128)).astype(np.float32),
        "tokens": rng.integers(0, 10000, (64, 50)),
    }


def cases(lib, t, a):
    """name -> (call, check): check(result) -> a number to compare between libraries."""
    F = lib.nn.functional
    x, w, b, g = (t(a[k], grad=k == "ln_x") for k in ("ln_x", "ln_w", "ln_b", "ln_g"))
    img, img_g = t(a["img"], grad=True), t(a["img_g"])
    sel_x, sel_i, src, table, tokens = (t(a[k]) for k in ("sel_x", "sel_i", "add_src", "table", "tokens"))
    zeros = lib.zeros(8, 64, 64, 32)

    def no_grad(f):
        def run():
            with lib.no_grad():
                return f()
        return run

    def backward(f, grad):
        def run():
            y = f()
            y.backward(grad)
            return y
        return run

    ln = lambda: F.layer_norm(x, (256,), w, b)  # noqa: E731
    up = lambda: F.interpolate(img, scale_factor=2, mode="bilinear", align_corners=False)  # noqa: E731
    return {
        "layer_norm (2048, 256) fwd": no_grad(ln),
        "layer_norm (2048, 256) fwd+bwd": backward(ln, g),
        "randn 2^20": lambda: lib.randn(1 << 20),
        "rand 2^20": lambda: lib.rand(1 << 20),
        "dropout(0.5) 2^20": lambda: F.dropout(table.reshape(-1)[: 1 << 20], 0.5, training=True),
        "index_select dim 3 (8, 64, 64, 32)": lambda: lib.index_select(sel_x, 3, sel_i),
        "index_add_ dim 3 (8, 64, 64, 32)": lambda: zeros.index_add_(3, sel_i, src),
        "bilinear x2 (8, 64, 32, 32) fwd": no_grad(up),
        "bilinear x2 (8, 64, 32, 32) fwd+bwd": backward(up, img_g),
        "embedding (64, 50) of 10000 x 128": no_grad(lambda: F.embedding(tokens, table)),
    }


RANDOM = ("randn", "rand", "dropout")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--sample-s", type=float, default=0.05)
    ap.add_argument("--json")
    a = ap.parse_args()
    import torch

    def fd_t(v, grad=False):
        x = fastdl.tensor(v)
        return x.requires_grad_(grad) if grad else x

    def t_t(v, grad=False):
        return torch.tensor(v).requires_grad_(grad) if grad else torch.tensor(v)

    arrays = operands(np.random.default_rng(0))
    fd_cases, t_cases = cases(fastdl, fd_t, arrays), cases(torch, t_t, arrays)
    rows = []
    for threads in [int(t) for t in a.threads.split(",")]:
        fastdl.set_num_threads(threads)
        torch.set_num_threads(threads)
        print(f"\n{threads} thread(s)")
        print(f"{'op':38s} {'fastdl ms':>10s} {'torch ms':>10s} {'torch/fastdl':>13s}  [min, max]   check")
        for name in fd_cases:
            got = fd_cases[name]().detach().numpy().astype(np.float64)
            want = t_cases[name]().detach().numpy().astype(np.float64)
            if name.startswith(RANDOM):  # different streams: compare the moments
                err = max(abs(got.mean() - want.mean()), abs(got.std() - want.std()))
            else:
                err = relerr(got, want)
            r = interleaved({"fastdl": fd_cases[name], "torch": t_cases[name]}, a.rounds, a.sample_s, settle_s=0.02)
            v = r["vs_torch"]
            print(f"{name:38s} {r['fastdl_ms']:10.3f} {r['torch_ms']:10.3f} {v['median']:13.2f}  "
                  f"[{v['min']:.2f}, {v['max']:.2f}]  {err:.1e}")
            rows.append({"op": name, "threads": threads, "check_vs_torch": err, **r})
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": platform.processor() or platform.machine(), "torch": torch.__version__,
                       "avx2": bool(fastdl._C.use_avx2()), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
