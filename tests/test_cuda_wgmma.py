"""The sm_90a fp16 / bf16 / TF32 GEMM on wgmma + TMA (cuda/gemm_wgmma.cu), EXPERIMENTAL
and opt-in (fastdl.backends.cuda.matmul.allow_wgmma, or FASTDL_CUDA_WGMMA=1 at import;
float32 also needs allow_tf32).

The switch's semantics run on any build. The GPU tests need a compute 9.0 device
(H100 / H200: sm_90a code runs nowhere else); with the switch on they check the kernel
against float64 NumPy products of the rounded inputs (ragged M, N, K against the
128 x 256 x 64 tiles, K below one stage, all four transpose combinations, alpha / beta,
fp32 accumulation rounded once), and, through _C.cuda.wgmma_launches(), that it ran,
and that misaligned strides and the switch off take the mma.sync or strided paths
instead. TF32 (float32 with allow_tf32): K-major operands only (A row-major, B
column-major), the inputs truncated to TF32 (checked exactly with operands whose
rounding and truncation differ), within the truncation's error bound of float64; other
layouts run gemm_tf32's mma.sync kernel. Batched: strided batches (batch dims that
merge into one, a broadcast operand's stride 0, padded entries whose padding holds NaN,
more entries than one grid's z) run the kernel; batch dims that do not merge fall back.
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
from test_backends import TIE, check_tf32, tie_operands
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
def test_unaligned_operands_fall_back(h, wgmma):
    base = cuda_half((40, 48), h, 52)
    check_product(base[:, 1:41], cuda_half((40, 24), h, 53), h, False)  # start 2 bytes off 16
    check_product(cuda_half((40, 30), h, 54), cuda_half((30, 24), h, 55), h, False)  # 60-byte rows


@sm90
@pytest.mark.parametrize("h", HALF)
def test_switch_off_runs_the_mma_sync_path(h):
    with switch(False):
        check_product(cuda_half((136, 72), h, 56), cuda_half((72, 264), h, 57), h, False)



# ---------------------------------------------------------------- TF32 (compute 9.0)

@pytest.fixture
def tf32_wgmma():
    """Both switches on for the test (float32 takes wgmma only with allow_tf32 too)."""
    tf32 = flags.allow_tf32
    flags.allow_tf32 = True
    try:
        with switch(True):
            yield
    finally:
        flags.allow_tf32 = tf32


TRUNCATED = 2.0 ** -9 + 2.0 ** -20  # product error of two inputs truncated to TF32


def cuda_f32(base, view):
    """A float32 fastdl tensor on the GPU holding the C-contiguous float32 `base`, laid
    out as the NumPy `view` of it: any strides, stride 0 included."""
    assert base.flags.c_contiguous and base.dtype == np.float32
    dev = fastdl.tensor(base).cuda()
    offset = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // 4
    return dev._view(view.shape, tuple(s // 4 for s in view.strides), offset)


def run_f32(ab, av, bb, bv, alpha=1.0, beta=0.0, out0=None):
    """alpha * av @ bv + beta * out0 on the GPU (av, bv: NumPy float32 views of the bases
    ab, bb) and whether the wgmma kernel ran."""
    shape = np.broadcast_shapes(av.shape[:-2], bv.shape[:-2]) + (av.shape[-2], bv.shape[-1])
    out = fastdl.tensor(np.zeros(shape, np.float32) if out0 is None else out0.astype(np.float32)).cuda()
    before = launches()
    _C.cuda.matmul(cuda_f32(ab, av), cuda_f32(bb, bv), out, alpha, beta)
    return out.cpu().numpy(), launches() - before


def f32_operand(rng, rows, cols, layout):
    """(base, view): a (rows, cols) float32 view, 'n' contiguous (K-major as A), 't' of
    a transposed base (K-major as B)."""
    if layout == "n":
        b = rng.uniform(-1, 1, (rows, cols)).astype(np.float32)
        return b, b
    b = rng.uniform(-1, 1, (cols, rows)).astype(np.float32)
    return b, b.T


# Multiples of 4 (16-byte rows) ragged against the 128 x 256 x 32 tf32 tiles; exact
# tiles; K below one stage (4, 20); one row; a long ragged K; several tiles each way.
TF32_SIZES = [(4, 4, 4), (136, 36, 260), (128, 32, 256), (1, 64, 4), (8, 20, 8), (200, 1000, 296), (384, 520, 776)]


@sm90
@pytest.mark.parametrize("layouts", ["nt", "nn", "tn", "tt"])
@pytest.mark.parametrize("mkn", TF32_SIZES)
def test_tf32_against_float64(mkn, layouts, tf32_wgmma):
    """K-major operands (nt: x @ W^T) run wgmma within the truncation bound; the other
    layouts (wgmma has no transpose for 32-bit types) run gemm_tf32, within its bound."""
    m, k, n = mkn
    rng = np.random.default_rng(m + 3 * k + 7 * n)
    (ab, av), (bb, bv) = f32_operand(rng, m, k, layouts[0]), f32_operand(rng, k, n, layouts[1])
    got, ran = run_f32(ab, av, bb, bv)
    k_major = layouts[1] == "t" and (layouts[0] == "n" or m == 1)  # one row of A is K-major either way
    assert ran == (1 if k_major else 0)
    check_tf32(av, bv, got, product_err=TRUNCATED if ran else 2.0 ** -10)


@sm90
@pytest.mark.parametrize("mkn", [(132, 36, 260), (4, 1000, 8)])
def test_tf32_truncates_the_inputs(mkn, tf32_wgmma):
    """A = (1 + 2^-11) * S (S, B in +-{1, 2}): TF32 truncation gives exactly S @ B, where
    gemm_tf32's rounding gives (1 + 2^-10) S @ B and full fp32 (1 + 2^-11) S @ B."""
    ab, av, bb, bv, exact = tie_operands(np.random.default_rng(sum(mkn)), *mkn, "nt")
    got, ran = run_f32(ab, av, bb, bv)
    assert ran == 1
    np.testing.assert_array_equal(got, exact.astype(np.float32))


@sm90
def test_tf32_alpha_beta(tf32_wgmma):
    rng = np.random.default_rng(5)
    (ab, av), (bb, bv) = f32_operand(rng, 132, 68, "n"), f32_operand(rng, 68, 36, "t")
    c0 = rng.uniform(-1, 1, (132, 36)).astype(np.float32)
    got, ran = run_f32(ab, av, bb, bv, 0.5, 2.0, c0)
    assert ran == 1
    check_tf32(av, bv, got, 0.5, 2.0, c0, product_err=TRUNCATED)
    nan = np.full((132, 36), np.nan, np.float32)  # beta 0: C is not read
    got, ran = run_f32(ab, av, bb, bv, -1.5, 0.0, nan)
    assert ran == 1
    check_tf32(av, bv, got, -1.5, product_err=TRUNCATED)


@sm90
@pytest.mark.parametrize("tf32,wgmma_on", [(True, False), (False, True)])
def test_tf32_needs_both_switches(tf32, wgmma_on):
    """Either switch off: no wgmma; allow_tf32 off keeps full fp32 (the tie survives)."""
    ab, av, bb, bv, exact = tie_operands(np.random.default_rng(6), 132, 36, 260, "nt")
    before = flags.allow_tf32
    flags.allow_tf32 = tf32
    try:
        with switch(wgmma_on):
            got, ran = run_f32(ab, av, bb, bv)
    finally:
        flags.allow_tf32 = before
    assert ran == 0
    expect = (1 + 2.0 ** -10) * exact if tf32 else TIE * exact
    np.testing.assert_array_equal(got, expect.astype(np.float32))


@sm90
def test_tf32_linear_forward_takes_wgmma(tf32_wgmma):
    """F.linear's forward is x @ W^T (both K-major): wgmma; its gradients (W as stored,
    x^T) are not K-major and run gemm_tf32."""
    rng = np.random.default_rng(7)
    xs, ws, gs = (rng.uniform(-1, 1, s).astype(np.float32) for s in ((136, 96), (40, 96), (136, 40)))
    x = fastdl.tensor(xs).cuda().requires_grad_()
    w = fastdl.tensor(ws).cuda().requires_grad_()
    before = launches()
    out = F.linear(x, w)
    out.backward(fastdl.tensor(gs).cuda())
    assert launches() - before == 1
    check_tf32(xs, ws.T, out.detach().cpu().numpy(), product_err=TRUNCATED)
    check_tf32(gs, ws, x.grad.cpu().numpy())
    check_tf32(gs.T, xs, w.grad.cpu().numpy())


# ---------------------------------------------------------------- batched (compute 9.0)

def half_view(base, view_of, h):
    """(device view, rounded float64 view): `base` (float64, C-contiguous) as h on the GPU,
    viewed as view_of(base) (any NumPy strides), and the same view of the rounded values."""
    dev = fastdl.tensor(base, dtype=h).cuda()
    view = view_of(base)
    offset = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // 8
    dv = dev._view(view.shape, tuple(s // 8 for s in view.strides), offset)
    return dv, view_of(f64(dev.cpu()))


def padded(rng, shape, pad):
    """A float64 base of `shape` with `pad` (rows, cols) of NaN after each matrix: padding
    a ragged edge box must never multiply (TMA's per-entry bounds)."""
    *batch, r, c = shape
    base = np.full((*batch, r + pad[0], c + pad[1]), np.nan)
    base[..., :r, :c] = rng.standard_normal(shape)
    return base, (lambda x: x[..., :r, :c])


# (A batch shape + (M, K), B batch shape + (K, N), A's and B's padding): contiguous
# entries; padded (NaN) entries; B broadcast (stride 0, one entry); A broadcast; two
# batch dims that merge into one.
BATCHED = [pytest.param((3, 72, 40), (3, 40, 136), (0, 0), (0, 0), id="contiguous"),
           pytest.param((3, 72, 40), (3, 40, 136), (8, 8), (3, 8), id="padded"),
           pytest.param((4, 136, 72), (72, 264), (0, 0), (0, 0), id="b_shared"),
           pytest.param((72, 40), (5, 40, 136), (0, 0), (0, 0), id="a_shared"),
           pytest.param((2, 3, 72, 40), (2, 3, 40, 136), (0, 8), (0, 0), id="two_dims")]


def batched_operands(sa, sb, pa, pb, h, seed, transpose_b=False):
    """Device views and rounded float64 views of A (sa) and B (sb), B broadcast to A's
    batch (stride 0) where it has fewer dims, or vice versa; with transpose_b, B is
    stored (..., N, K) and viewed transposed (K-major)."""
    rng = np.random.default_rng(seed)
    batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    sb_store = sb[:-2] + (sb[-1], sb[-2]) if transpose_b else sb
    a_base, a_view = padded(rng, sa, pa)
    b_base, b_view = padded(rng, sb_store, pb)
    b_of = (lambda x: np.swapaxes(b_view(x), -1, -2)) if transpose_b else b_view
    da, ra = half_view(a_base, lambda x: np.broadcast_to(a_view(x), batch + sa[-2:]), h)
    db, rb = half_view(b_base, lambda x: np.broadcast_to(b_of(x), batch + sb[-2:]), h)
    return da, ra, db, rb


def run_half(da, db, shape, h, alpha=1.0, beta=0.0, out0=None):
    out = fastdl.tensor(np.zeros(shape) if out0 is None else out0, dtype=h).cuda()
    before = launches()
    _C.cuda.matmul(da, db, out, alpha, beta)
    return out.cpu(), launches() - before


@sm90
@pytest.mark.parametrize("h", HALF)
@pytest.mark.parametrize("transpose_b", [False, True], ids=["b_n_major", "b_k_major"])
@pytest.mark.parametrize("sa,sb,pa,pb", BATCHED)
def test_batched_half_against_float64(h, transpose_b, sa, sb, pa, pb, wgmma):
    da, ra, db, rb = batched_operands(sa, sb, pa, pb, h, 60, transpose_b)
    ref = ra @ rb
    got, ran = run_half(da, db, ref.shape, h)
    assert ran == 1
    assert_close(got, ref, h)


@sm90
@pytest.mark.parametrize("h", HALF)
def test_batched_half_alpha_beta(h, wgmma):
    da, ra, db, rb = batched_operands((3, 72, 40), (3, 40, 136), (8, 0), (0, 8), h, 61)
    c0 = f64(fastdl.tensor(np.random.default_rng(62).standard_normal((3, 72, 136)), dtype=h))
    got, ran = run_half(da, db, c0.shape, h, 0.5, 2.0, c0)
    assert ran == 1
    assert_close(got, 0.5 * (ra @ rb) + 2.0 * c0, h)


@sm90
@pytest.mark.parametrize("h", HALF)
@pytest.mark.parametrize("case", ["partial broadcast", "permuted batch"])
def test_batch_dims_that_do_not_merge_fall_back(h, case, wgmma):
    """One batch coordinate cannot walk them: the mma.sync kernel runs, correctly."""
    if case == "partial broadcast":  # A broadcast over the second batch dim, B over the first
        da, ra, db, rb = batched_operands((3, 1, 72, 40), (2, 40, 136), (0, 0), (0, 0), h, 63)
    else:  # batch dims (2, 3) of a (3, 2, ...) base
        rng = np.random.default_rng(64)
        da, ra = half_view(rng.standard_normal((3, 2, 72, 40)), lambda x: np.swapaxes(x, 0, 1), h)
        db, rb = half_view(rng.standard_normal((2, 3, 40, 136)), lambda x: x, h)
    ref = ra @ rb
    got, ran = run_half(da, db, ref.shape, h)
    assert ran == 0
    assert_close(got, ref, h)


@sm90
def test_more_batch_entries_than_one_grid_z(wgmma):
    """70000 entries: two launches of grid.z (65535 at most), one wgmma call."""
    h = fastdl.bfloat16
    da, ra, db, rb = batched_operands((70000, 8, 8), (70000, 8, 16), (0, 0), (0, 0), h, 65)
    got, ran = run_half(da, db, (70000, 8, 16), h)
    assert ran == 1
    assert_close(got, ra @ rb, h)


@sm90
@pytest.mark.parametrize("bcast", ["none", "b_shared", "a_shared"])
def test_batched_tf32(bcast, tf32_wgmma):
    """Batched TF32 with ragged M, N, K, padded entries, and either operand broadcast."""
    rng = np.random.default_rng(66)
    a_base = rng.uniform(-1, 1, (1 if bcast == "a_shared" else 3, 80, 44)).astype(np.float32)
    b_base = rng.uniform(-1, 1, (1 if bcast == "b_shared" else 3, 140, 40)).astype(np.float32)  # stored (N, K)
    a_base[:, 72:] = a_base[:, :, 36:] = np.nan  # padding: never multiplied
    b_base[:, 136:] = b_base[:, :, 36:] = np.nan
    av = np.broadcast_to(a_base[:, :72, :36], (3, 72, 36))
    bv = np.broadcast_to(np.swapaxes(b_base[:, :136, :36], -1, -2), (3, 36, 136))
    got, ran = run_f32(a_base, av, b_base, bv)
    assert ran == 1
    check_tf32(av, bv, got, product_err=TRUNCATED)
