"""The sm_90a fp16 / bf16 GEMM on wgmma + TMA (cuda/gemm_wgmma.cu), EXPERIMENTAL and
opt-in (fastdl.backends.cuda.matmul.allow_wgmma, or FASTDL_CUDA_WGMMA=1 at import).

The switch's semantics run on any build. The GPU tests need a compute 9.0 device
(H100 / H200: sm_90a code runs nowhere else); with the switch on they check the kernel
against float64 NumPy products of the rounded inputs (ragged M, N, K against the
128 x 256 x 64 tiles, K below one stage, all four transpose combinations, alpha / beta,
fp32 accumulation rounded once), and, through _C.cuda.wgmma_launches(), that it ran,
and that batched operands, misaligned strides and the switch off take the mma.sync or
strided paths instead.
"""
import contextlib
import os
import subprocess
import sys

import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F
from fastdl import _C
from test_half import HALF, assert_close, cuda_half, f64

flags = fastdl.backends.cuda.matmul
BUILT = _C.cuda_built


def _sm90_reason():
    if not BUILT or _C.cuda.device_count() == 0:
        return "no CUDA device"
    cap = _C.cuda.capability(0)
    return None if cap == (9, 0) else f"the wgmma kernel needs compute 9.0 (sm_90a); device 0 is {cap}"


SM90_REASON = _sm90_reason()


def sm90(fn):
    """Marks a kernel test: `cuda`, and skipped unless device 0 is compute 9.0."""
    return pytest.mark.cuda(pytest.mark.skipif(SM90_REASON is not None, reason=str(SM90_REASON))(fn))


@contextlib.contextmanager
def switch(on):
    """allow_wgmma = on inside, the previous setting restored after (FASTDL_CUDA_WGMMA=1
    may have turned it on at import)."""
    before = flags.allow_wgmma
    flags.allow_wgmma = on
    try:
        yield
    finally:
        flags.allow_wgmma = before


@pytest.fixture
def wgmma():
    """Turns the wgmma path on for the test."""
    with switch(True):
        yield


def launches():
    return _C.cuda.wgmma_launches()


# ---------------------------------------------------------------- the switch (any build)

@pytest.mark.parametrize("on", [True, False])
def test_switch_round_trips(on):
    with switch(on):
        assert flags.allow_wgmma is on
        if BUILT:
            assert _C.cuda.wgmma_enabled() is on


@pytest.mark.parametrize("value", [1, "1", None])
def test_switch_takes_only_bools(value):
    before = flags.allow_wgmma
    with pytest.raises(TypeError, match=r"allow_wgmma must be a bool, got"):
        flags.allow_wgmma = value
    assert flags.allow_wgmma is before


@pytest.mark.skipif(not BUILT, reason="CUDA not compiled in")
@pytest.mark.parametrize("env,expect", [("1", True), ("0", False), (None, False)])
def test_environment_variable_sets_the_switch_at_import(env, expect):  # off by default
    e = {k: v for k, v in os.environ.items() if k != "FASTDL_CUDA_WGMMA"}
    if env is not None:
        e["FASTDL_CUDA_WGMMA"] = env
    code = "import fastdl; print(fastdl.backends.cuda.matmul.allow_wgmma)"
    out = subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(expect)


# ---------------------------------------------------------------- the kernel (compute 9.0)

def check_product(a, b, h, expect_wgmma, out=None, alpha=1.0, beta=0.0):
    """Runs a @ b (or alpha * a @ b + beta * out in place) and checks it against float64,
    and whether the wgmma kernel ran."""
    before = launches()
    if out is None:
        got, ref = a @ b, f64(a.cpu()) @ f64(b.cpu())
    else:
        ref = alpha * f64(a.cpu()) @ f64(b.cpu()) + beta * f64(out.cpu())
        _C.cuda.matmul(a, b, out, alpha, beta)
        got = out
    assert_close(got.cpu(), ref, h)
    assert launches() - before == (1 if expect_wgmma else 0)


# Multiples of 8 (16-byte rows) ragged against the 128 x 256 x 64 tiles; exact tiles; K
# below one stage (8, 40); one row; a long ragged K; several tiles each way.
SIZES = [(8, 8, 8), (136, 72, 264), (128, 64, 256), (1, 64, 8), (8, 40, 16), (256, 192, 512), (200, 1000, 296),
         (384, 520, 776)]


@sm90
@pytest.mark.parametrize("h", HALF)
@pytest.mark.parametrize("layouts", ["nn", "nt", "tn", "tt"])
@pytest.mark.parametrize("mkn", SIZES)
def test_wgmma_against_float64(h, layouts, mkn, wgmma):
    m, k, n = mkn
    a, b = cuda_half((m, k), h, 40, layouts[0]), cuda_half((k, n), h, 41, layouts[1])
    check_product(a, b, h, True)


@sm90
@pytest.mark.parametrize("h", HALF)
def test_wgmma_small_ragged(h, wgmma):
    """The case bench/gpu_check.sh runs under compute-sanitizer memcheck."""
    a, b = cuda_half((72, 40), h, 42, "t"), cuda_half((40, 136), h, 43)
    check_product(a, b, h, True)


@sm90
@pytest.mark.parametrize("h,ones,expect", [(fastdl.float16, 2051, 2052.0), (fastdl.bfloat16, 259, 260.0)])
def test_wgmma_accumulates_in_fp32_and_rounds_once(h, ones, expect, wgmma):
    k = 2056  # `ones` ones: exact in fp32, a tie in the half format (rounds to the even neighbour)
    a = fastdl.tensor((np.arange(k) < ones).astype(np.float64)[None].repeat(16, 0), dtype=h).cuda()
    before = launches()
    out = (a @ fastdl.ones(k, 8, dtype=h).cuda()).cpu()
    assert (f64(out) == expect).all() and launches() == before + 1


@sm90
@pytest.mark.parametrize("h", HALF)
def test_wgmma_alpha_beta(h, wgmma):
    a, b, c0 = cuda_half((136, 72), h, 44), cuda_half((72, 264), h, 45, "t"), cuda_half((136, 264), h, 46)
    check_product(a, b, h, True, out=c0.clone(), alpha=0.5, beta=2.0)


@sm90
@pytest.mark.parametrize("h", HALF)
def test_wgmma_linear_forward_and_backward(h, wgmma):
    x = cuda_half((136, 96), h, 47).requires_grad_()
    w = cuda_half((40, 96), h, 48).requires_grad_()
    before = launches()
    out = F.linear(x, w)
    g = cuda_half((136, 40), h, 49)
    out.backward(g)
    xs, ws, gs = f64(x.detach().cpu()), f64(w.detach().cpu()), f64(g.cpu())
    assert_close(out.detach().cpu(), xs @ ws.T, h)
    assert_close(x.grad.cpu(), gs @ ws, h)
    assert_close(w.grad.cpu(), gs.T @ xs, h)
    assert launches() - before == 3  # forward and both gradients


@sm90
@pytest.mark.parametrize("h", HALF)
def test_batched_operands_take_the_mma_sync_path(h, wgmma):
    a, b = cuda_half((3, 1, 72, 40), h, 50), cuda_half((2, 40, 136), h, 51)
    check_product(a, b, h, False)


@sm90
@pytest.mark.parametrize("h", HALF)
def test_unaligned_operands_fall_back(h, wgmma):
    base = cuda_half((40, 48), h, 52)
    check_product(base[:, 1:41], cuda_half((40, 24), h, 53), h, False)  # start 2 bytes off 16
    check_product(cuda_half((40, 30), h, 54), cuda_half((30, 24), h, 55), h, False)  # 60-byte rows


@sm90
@pytest.mark.parametrize("h", HALF)
def test_switch_off_runs_the_mma_sync_path(h):
    with switch(False):
        check_product(cuda_half((136, 72), h, 56), cuda_half((72, 264), h, 57), h, False)

