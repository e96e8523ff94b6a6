"""Row, random, indexing and conversion kernels next to torch, in one process: layer norm,
the random generators, index_select / index_add along inner dims, bilinear upsampling,
embedding lookups, float16 / bfloat16 conversions, constant padding, roll, lerp, global
average pooling of 7 x 7 maps, a row max and zeros; session 22's kernels (cummax,
searchsorted, flip, scatter_, prod, hypot, nan_to_num, lerp_, count_nonzero, linspace,
x ** 3, mse_loss, triu_indices), at the shapes named in each row. The
interleaved rounds of fastdl.bench (median time of each library, per-round ratios), at
each thread count asked for. Deterministic results are checked against torch's before timing; random ones by
their mean and standard deviation.

    PYTHONPATH=python python3 bench/bench_ops.py [--threads 1,2] [--rounds 9] [--json OUT]

Prints milliseconds per call and torch / fastdl (above 1: fastdl faster).
"""
import numpy as np

import fastdl
from fastdl.bench import relerr
from side_by_side import parse_args, run_and_write


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
        "pad_x": rng.standard_normal((32, 64, 16, 16)).astype(np.float32),
        "head": rng.standard_normal((64, 128, 7, 7)).astype(np.float32),
        "square": rng.standard_normal((1024, 1024)).astype(np.float32),
        "square_b": rng.standard_normal((1024, 1024)).astype(np.float32),
        "near_one": rng.uniform(0.99, 1.01, (1024, 1024)).astype(np.float32),
        "with_inf": np.where(rng.random((1024, 1024)) < 0.1, np.inf, rng.standard_normal((1024, 1024))).astype(np.float32),
        "sorted_rows": np.sort(rng.standard_normal((64, 1024)), 1).astype(np.float32),
        "queries": rng.standard_normal((64, 1024)).astype(np.float32),
        "row_pick": rng.integers(0, 1024, (1024, 1)),
    }


def cases(lib, t, a):
    """name -> (call, check): check(result) -> a number to compare between libraries."""
    F = lib.nn.functional
    x, w, b, g = (t(a[k], grad=k == "ln_x") for k in ("ln_x", "ln_w", "ln_b", "ln_g"))
    img, img_g = t(a["img"], grad=True), t(a["img_g"])
    sel_x, sel_i, src, table, tokens = (t(a[k]) for k in ("sel_x", "sel_i", "add_src", "table", "tokens"))
    pad_x, head, square, square_b = (t(a[k]) for k in ("pad_x", "head", "square", "square_b"))
    zeros = lib.zeros(8, 64, 64, 32)
    near_one, with_inf, sorted_rows, queries, row_pick = (t(a[k]) for k in ("near_one", "with_inf", "sorted_rows",
                                                                             "queries", "row_pick"))
    mask, onehot, ema = square > 0, lib.zeros(1024, 1024), t(a["square"])
    big = t(a["table"]).reshape(-1)[: 1 << 20]
    big_half = big.half()

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
        "index_add dim 3 (8, 64, 64, 32)": lambda: zeros.index_add(3, sel_i, src),  # out of place: same result each call
        "bilinear x2 (8, 64, 32, 32) fwd": no_grad(up),
        "bilinear x2 (8, 64, 32, 32) fwd+bwd": backward(up, img_g),
        "embedding (64, 50) of 10000 x 128": no_grad(lambda: F.embedding(tokens, table)),
        "float32 -> float16 2^20": lambda: big.half(),
        "float16 -> float32 2^20": lambda: big_half.float(),
        "float32 -> bfloat16 2^20": lambda: big.bfloat16(),
        "float16 a + b 2^20": lambda: big_half + big_half,
        "F.pad (32, 64, 16, 16) by 1": lambda: F.pad(pad_x, (1, 1, 1, 1)),
        "F.pad (64, 128, 7, 7) by 1": lambda: F.pad(head, (1, 1, 1, 1)),
        "roll(3, -1) (1024, 1024)": lambda: square.roll(3, -1),
        "lerp(a, b, 0.3) (1024, 1024)": lambda: lib.lerp(square, square_b, 0.3),
        "adaptive_avg_pool2d (64, 128, 7, 7) -> 1": lambda: F.adaptive_avg_pool2d(head, 1),
        "amax(1) (1024, 1024)": lambda: square.amax(1),
        "zeros (32, 64, 18, 18)": lambda: lib.zeros(32, 64, 18, 18),
        "cummax(1) (64, 1024)": lambda: lib.cummax(queries, 1).values,
        "searchsorted 64 x 1024 into 64 x 1024": lambda: lib.searchsorted(sorted_rows, queries),
        "flip(-1) (1024, 1024)": lambda: square.flip(-1),
        "scatter_(1, one per row, 1.0) (1024, 1024)": lambda: onehot.scatter_(1, row_pick, 1.0),
        "prod(1) (1024, 1024) near 1": lambda: near_one.prod(1),
        "hypot(a, b) (1024, 1024)": lambda: lib.hypot(square, square_b),
        "nan_to_num (1024, 1024), 10% inf": lambda: lib.nan_to_num(with_inf),
        "lerp_(b, 0.01) (1024, 1024)": lambda: ema.lerp_(square_b, 0.01),
        "count_nonzero(mask) (1024, 1024)": lambda: lib.count_nonzero(mask),
        "linspace(0, 1, 2^20)": lambda: lib.linspace(0, 1, 1 << 20),
        "x ** 3 (1024, 1024)": lambda: square ** 3,
        "mse_loss (1024, 1024)": lambda: F.mse_loss(square, square_b),
        "triu_indices(512, 512)": lambda: lib.triu_indices(512, 512),
    }


RANDOM = ("randn", "rand", "dropout")


def main():
    a = parse_args()
    import torch

    def fd_t(v, grad=False):
        x = fastdl.tensor(v)
        return x.requires_grad_(grad) if grad else x

    def t_t(v, grad=False):
        return torch.tensor(v).requires_grad_(grad) if grad else torch.tensor(v)

    arrays = operands(np.random.default_rng(0))
    fd_cases, t_cases = cases(fastdl, fd_t, arrays), cases(torch, t_t, arrays)
    def check(name):
        # (through float32: NumPy has no bfloat16)
        got = fd_cases[name]().detach().float().numpy().astype(np.float64)
        want = t_cases[name]().detach().float().numpy().astype(np.float64)
        if name.startswith(RANDOM):  # different streams: compare the moments
            return max(abs(got.mean() - want.mean()), abs(got.std() - want.std()))
        return relerr(got, want)

    run_and_write(a, fd_cases, t_cases, check, width=44)


if __name__ == "__main__":
    main()
