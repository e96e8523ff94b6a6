"""Batch norm's channel loops (csrc/cpu/norm.cpp) run compiled for AVX2 where the CPU has
it and portable otherwise: both copies give the same bits (norm.cpp is compiled without
FMA contraction), for channels-last (S == 1) and (N, C, S) inputs, float32 and float64,
training (batch statistics, running stats, every gradient) and eval, at 1 and 2 threads."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from isa_switch import vector_and_portable

SHAPES = [(100, 32, 40), (100, 64, 5), (7, 3, 13), (64, 70), (5, 130), (3, 4, 5, 6), (2, 3, 1)]


def run_batch_norm(shape, dtype):
    rng = np.random.default_rng(0)
    x = fastdl.tensor(rng.standard_normal(shape) * 3 + 1, dtype=dtype, requires_grad=True)
    bn = (fastdl.nn.BatchNorm1d if len(shape) < 4 else fastdl.nn.BatchNorm2d)(shape[1], dtype=dtype)
    y = bn(x)
    y.backward(fastdl.tensor(rng.standard_normal(shape), dtype=dtype))
    bn.eval()
    outs = [y, x.grad, bn.weight.grad, bn.bias.grad, bn.running_mean, bn.running_var, bn(x)]
    return [t.detach().numpy() for t in outs]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [fastdl.float32, fastdl.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_avx2_loops_give_the_portable_bits(shape, dtype, threads):
    if not _C.use_avx2():
        pytest.skip("this CPU has no AVX2+FMA")
    n = fastdl.get_num_threads()
    fastdl.set_num_threads(threads)
    try:
        vector, portable = vector_and_portable(run_batch_norm, shape, dtype)
    finally:
        fastdl.set_num_threads(n)
    for a, b in zip(vector, portable):
        np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))
