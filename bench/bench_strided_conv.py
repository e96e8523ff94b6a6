"""Strided convolutions next to torch, in one process (item 68 of bench/README.md): the
transposed convs of a DCGAN generator at MNIST scale (k4 s2 p1 up-sampling; forward =
a strided conv's input gradient, split into phases by csrc/cpu/conv_subpixel.cpp) and
strided conv2d forwards (k4 s2 p1 over the input's phases, csrc/cpu/conv_space_to_depth.cpp;
k3 s2 on the GEMM path). The interleaved rounds of fastdl.bench (median time of each library,
per-round ratios), at each thread count asked for, after a check against torch's result.

    PYTHONPATH=python python3 bench/bench_strided_conv.py [--threads 1,2] [--rounds 9] [--json OUT]

Prints milliseconds per call and torch / fastdl (above 1: fastdl faster).
"""
import numpy as np

import fastdl
from fastdl.bench import relerr
from side_by_side import parse_args, run_and_write

# name -> (input shape, weight shape, transposed, stride, padding, passes: "fwd" or "fwd+bwd")
CASES = {
    "conv_transpose2d (32, 64, 7, 7) -> 32 k4 s2 p1 fwd": ((32, 64, 7, 7), (64, 32, 4, 4), True, 2, 1, "fwd"),
    "conv_transpose2d (32, 64, 7, 7) -> 32 k4 s2 p1 fwd+bwd": ((32, 64, 7, 7), (64, 32, 4, 4), True, 2, 1, "fwd+bwd"),
    "conv_transpose2d (32, 32, 14, 14) -> 16 k4 s2 p1 fwd": ((32, 32, 14, 14), (32, 16, 4, 4), True, 2, 1, "fwd"),
    "conv2d (32, 32, 14, 14) -> 64 k4 s2 p1 fwd": ((32, 32, 14, 14), (64, 32, 4, 4), False, 2, 1, "fwd"),
    "conv2d (32, 64, 28, 28) -> 128 k4 s2 p1 fwd": ((32, 64, 28, 28), (128, 64, 4, 4), False, 2, 1, "fwd"),
    "conv2d (32, 64, 28, 28) -> 64 k3 s2 p1 fwd+bwd": ((32, 64, 28, 28), (64, 64, 3, 3), False, 2, 1, "fwd+bwd"),
}


def cases(lib, t, arrays):
    F = lib.nn.functional
    out = {}
    for name, (_, _, transposed, stride, padding, passes) in CASES.items():
        x, w = t(arrays[name][0], grad=passes != "fwd"), t(arrays[name][1], grad=passes != "fwd")
        conv = F.conv_transpose2d if transposed else F.conv2d

        def fwd(x=x, w=w, conv=conv, stride=stride, padding=padding):
            return conv(x, w, stride=stride, padding=padding)

        if passes == "fwd":
            def run(fwd=fwd):
                with lib.no_grad():
                    return fwd()
        else:
            grad = lib.ones_like(fwd().detach())

            def run(fwd=fwd, grad=grad, x=x, w=w):
                x.grad = w.grad = None  # fresh gradients each call, as a training step's
                y = fwd()
                y.backward(grad)
                return x.grad
        out[name] = run
    return out


def main():
    a = parse_args(sample_s=0.1)
    import torch

    rng = np.random.default_rng(0)
    arrays = {name: (rng.standard_normal(xs).astype(np.float32), (0.1 * rng.standard_normal(ws)).astype(np.float32))
              for name, (xs, ws, *_) in CASES.items()}
    fd_cases = cases(fastdl, lambda v, grad: fastdl.tensor(v).requires_grad_(grad), arrays)
    t_cases = cases(torch, lambda v, grad: torch.tensor(v).requires_grad_(grad), arrays)

    def check(name):
        got = fd_cases[name]().detach().numpy().astype(np.float64)
        want = t_cases[name]().detach().numpy().astype(np.float64)
        return relerr(got, want)

    run_and_write(a, fd_cases, t_cases, check, width=56)


if __name__ == "__main__":
    main()
