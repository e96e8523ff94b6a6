"""The optimizers' AVX2 loops (csrc/cpu/optim_avx2.cpp) give the same bits as the
portable ones (optim.cpp): the same source compiled twice, the AVX2 copy without FMA
contraction. Every flag combination of the three fused steps, float32 and float64, with
sizes that leave vector tails, over several steps so the state buffers feed back."""
import itertools

import numpy as np
import pytest

import fastdl
from fastdl import _C
from isa_switch import avx2_switched

SIZES = (1, 7, 8, 9, 255, 256, 257, 1000)


def run_steps(make_opt, dtype, avx2, steps=4):
    with avx2_switched(avx2):
        rng = np.random.default_rng(0)
        params = [fastdl.tensor(rng.standard_normal(n).astype(dtype.np), requires_grad=True) for n in SIZES]
        opt = make_opt(params)
        for step in range(steps):
            for p in params:
                p.grad = fastdl.tensor(rng.standard_normal(p.shape).astype(dtype.np))
            opt.step()
        return [p.detach().numpy().copy() for p in params]


def assert_same_bits(make_opt, dtype):
    if not _C.cpu_has_avx2_fma():
        pytest.skip("this CPU has no AVX2/FMA")
    for a, b in zip(run_steps(make_opt, dtype, True), run_steps(make_opt, dtype, False)):
        np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))


DTYPES = [fastdl.float32, fastdl.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cls, weight_decay, amsgrad, maximize, beta1", [
    (cls, wd, ams, mx, b1) for cls, wd, ams, mx, b1 in itertools.product(
        ("Adam", "AdamW"), (0.0, 0.1), (False, True), (False, True), (0.9, 0.3))])
def test_adam_same_bits(dtype, cls, weight_decay, amsgrad, maximize, beta1):
    opt = getattr(fastdl.optim, cls)
    assert_same_bits(lambda ps: opt(ps, lr=1e-2, betas=(beta1, 0.99), weight_decay=weight_decay, amsgrad=amsgrad,
                                    maximize=maximize), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum, nesterov, weight_decay, maximize", [
    (0.0, False, 0.0, False), (0.0, False, 0.1, True), (0.9, False, 0.0, False), (0.9, True, 0.1, False),
    (0.9, True, 0.0, True)])
def test_sgd_same_bits(dtype, momentum, nesterov, weight_decay, maximize):
    assert_same_bits(lambda ps: fastdl.optim.SGD(ps, lr=1e-2, momentum=momentum, nesterov=nesterov,
                                                 weight_decay=weight_decay, maximize=maximize), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("centered, momentum, weight_decay, alpha", [
    (c, m, wd, a) for c, m, wd, a in itertools.product((False, True), (0.0, 0.9), (0.0, 0.1), (0.99, 0.3))])
def test_rmsprop_same_bits(dtype, centered, momentum, weight_decay, alpha):
    assert_same_bits(lambda ps: fastdl.optim.RMSprop(ps, lr=1e-2, alpha=alpha, centered=centered, momentum=momentum,
                                                     weight_decay=weight_decay), dtype)
