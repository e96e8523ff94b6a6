"""Elementwise kernels on one large float32 tensor (2^20 elements, 4 MiB: past L2, in
L3), fastdl next to torch, in one process: the interleaved rounds of fastdl.bench (median
time of each library, per-round ratios), at each thread count asked for. Checks each
result against torch's before timing.

    PYTHONPATH=python python3 bench/bench_elementwise.py [--threads 1,2] [--rounds 9] [--n 1048576]
        [--cases gelu,erf] [--json OUT]

Prints milliseconds per call and torch / fastdl (above 1: fastdl faster).
"""

import re

import numpy as np

import fastdl
from fastdl.bench import relerr
from side_by_side import parse_args, run_cases, write_json

def cases(lib, x, y):
    F = lib.nn.functional
    return {
        "relu": lambda: F.relu(x),
        "leaky_relu(0.1)": lambda: F.leaky_relu(x, 0.1),
        "abs": lambda: x.abs(),
        "neg": lambda: x.neg(),
        "clamp(-1, 1)": lambda: x.clamp(-1, 1),
        "hardtanh": lambda: F.hardtanh(x),
        "floor": lambda: x.floor(),
        "x ** 2": lambda: x ** 2,
        "x ** 3": lambda: x ** 3,
        "x ** 0.5": lambda: x ** 0.5,
        "rsqrt": lambda: x.rsqrt(),
        "reciprocal": lambda: x.reciprocal(),
        "exp": lambda: x.exp(),
        "log": lambda: x.log(),
        "tanh": lambda: x.tanh(),
        "sigmoid": lambda: x.sigmoid(),
        "silu": lambda: F.silu(x),
        "gelu": lambda: F.gelu(x),
        "elu": lambda: F.elu(x),
        "softplus": lambda: F.softplus(x),
        "expm1": lambda: x.expm1(),
        "log1p": lambda: x.log1p(),
        "sin": lambda: x.sin(),
        "cos": lambda: x.cos(),
        "x * 2": lambda: x * 2.0,
        "x + y": lambda: x + y,
        "maximum(x, y)": lambda: lib.maximum(x, y),
        "x > y": lambda: x > y,
        "where(x > 0, x, y)": lambda: lib.where(x > 0, x, y),
        "atan2(x, y)": lambda: lib.atan2(x, y),
        "erf": lambda: x.erf(),
        "erfc": lambda: x.erfc(),
        "exp2": lambda: x.exp2(),
        "atan": lambda: x.atan(),
        "tan": lambda: x.tan(),
        "asin(x / 4)": lambda: (x * 0.25).asin(),
        "hardswish": lambda: F.hardswish(x),
        "hardsigmoid": lambda: F.hardsigmoid(x),
        "fmod(x, 0.7)": lambda: lib.fmod(x, 0.7),
        "remainder(x, 0.7)": lambda: lib.remainder(x, 0.7),
    }


def main():
    def extra(ap):
        ap.add_argument("--n", type=int, default=1 << 20)
        ap.add_argument("--cases", help="comma-separated case names (default: all)")
    a = parse_args(extra=extra)
    N = a.n
    import torch
    rng = np.random.default_rng(0)
    xa = rng.uniform(0.05, 4.0, N).astype(np.float32) * rng.choice([-1, 1], N).astype(np.float32)
    ya = rng.standard_normal(N).astype(np.float32)
    pos = np.abs(xa)  # log / log1p / sqrt / rsqrt read |x| so neither library meets NaN
    fd_cases = cases(fastdl, fastdl.tensor(xa), fastdl.tensor(ya))
    t_cases = cases(torch, torch.tensor(xa), torch.tensor(ya))
    fp, tp = fastdl.tensor(pos), torch.tensor(pos)
    for name in ("log", "log1p", "x ** 0.5", "rsqrt"):
        fd_cases[name] = {"log": lambda: fp.log(), "log1p": lambda: fp.log1p(), "x ** 0.5": lambda: fp ** 0.5,
                          "rsqrt": lambda: fp.rsqrt()}[name]
        t_cases[name] = {"log": lambda: tp.log(), "log1p": lambda: tp.log1p(), "x ** 0.5": lambda: tp ** 0.5,
                         "rsqrt": lambda: tp.rsqrt()}[name]

    if a.cases:
        keep = [k.strip() for k in re.split(r",(?![^(]*\))", a.cases)]  # "atan2(x, y)" keeps its comma
        unknown = sorted(set(keep) - set(fd_cases))
        if unknown:
            raise SystemExit(f"bench_elementwise: unknown cases {unknown}; known: {sorted(fd_cases)}")
        fd_cases = {k: fd_cases[k] for k in keep}
        t_cases = {k: t_cases[k] for k in keep}

    def check(name):
        return relerr(fd_cases[name]().numpy().astype(np.float64), t_cases[name]().numpy().astype(np.float64))

    rows = run_cases(fd_cases, t_cases, [int(t) for t in a.threads.split(",")], a.rounds, a.sample_s, check,
                     f", float32 x {N}", "max_rel_err_vs_torch")
    for r in rows:
        r["n"] = N
    if a.json:
        write_json(a.json, rows)


if __name__ == "__main__":
    main()
