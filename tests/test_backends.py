"""fastdl.backends.cuda.matmul.allow_tf32: the flag's semantics (any build), and on a GPU
the TF32 tensor-core GEMM (cuda/gemm_tf32.cu) it enables.

GPU checks: (1) operands built so TF32 rounding shows exactly: A = (1 + 2^-11) * small
powers of two rounds (nearest, ties away) to (1 + 2^-10) * the same, B holds powers of
two, so every partial sum is exact in fp32 and the TF32 product is exactly
(1 + 2^-10) * (S @ B), the fp32 one exactly (1 + 2^-11) * (S @ B): this tells which path
ran and checks every index (every partial sum needs at most 23 significant bits); (2) random operands against float64 within the TF32 error
bound; (3) layouts the tensor-core kernel does not take stay full fp32.
"""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from test_cuda_backend import BUILT, gpu, to_cuda, to_numpy
from test_cuda_ops import operand

flags = fastdl.backends.cuda.matmul


@pytest.fixture
def tf32():
    """Turns allow_tf32 on for the test and restores the default after it. The sm_90a
    wgmma kernel is held off (FASTDL_CUDA_WGMMA=1 may have turned it on): these tests
    check gemm_tf32's rounding, and wgmma's TF32 truncates (tests/test_cuda_wgmma.py)."""
    wgmma = flags.allow_wgmma
    flags.allow_tf32, flags.allow_wgmma = True, False
    yield
    flags.allow_tf32, flags.allow_wgmma = False, wgmma


# ---------------------------------------------------------- the conv algorithm
conv_flags = fastdl.backends.cuda.conv


@pytest.fixture
def conv_algorithm():
    """Lets a test set fastdl.backends.cuda.conv.algorithm; restores "auto" after it."""
    yield conv_flags
    conv_flags.algorithm = "auto"


def test_conv_algorithm_defaults_to_auto_and_round_trips(conv_algorithm):
    assert conv_flags.algorithm == "auto"
    for algo in ("im2col", "implicit_gemm", "auto"):
        conv_flags.algorithm = algo
        assert conv_flags.algorithm == algo
        if BUILT:  # the setting lives in the CUDA module
            assert _C.cuda.conv_algo() == algo


@pytest.mark.parametrize("value", ["implicit", "", None, 1])
def test_conv_algorithm_rejects_unknown_values(conv_algorithm, value):
    with pytest.raises(ValueError, match="conv.algorithm must be one of"):
        conv_flags.algorithm = value
    assert conv_flags.algorithm == "auto"


@pytest.mark.skipif(not BUILT, reason="CUDA not compiled in")
def test_conv_algorithm_kernel_switch_rejects_unknown_values():
    with pytest.raises(ValueError, match="conv algorithm must be 'auto', 'im2col' or 'implicit_gemm'"):
        _C.cuda.set_conv_algo("winograd")
    assert _C.cuda.conv_algo() == "auto"


# ---------------------------------------------------------------- the flag
def test_allow_tf32_is_off_by_default():
    assert flags.allow_tf32 is False


def test_allow_tf32_round_trips(tf32):
    assert flags.allow_tf32 is True
    flags.allow_tf32 = False
    assert flags.allow_tf32 is False


@pytest.mark.parametrize("value", [1, 0, "yes", None, np.True_])
def test_allow_tf32_takes_only_bools(value):
    with pytest.raises(TypeError, match=r"allow_tf32 must be a bool, got"):
        flags.allow_tf32 = value
    assert flags.allow_tf32 is False


def test_unknown_flag_is_an_error():
    with pytest.raises(AttributeError, match="allow_tf23"):
        flags.allow_tf23 = True


def test_flags_repr_names_the_state(tf32):
    assert repr(flags) == "fastdl.backends.cuda.matmul(allow_tf32=True)"


@pytest.mark.skipif(not BUILT, reason="fastdl was built without CUDA")
def test_flag_reaches_the_cuda_module(tf32):
    assert _C.cuda.allow_tf32() is True
    flags.allow_tf32 = False
    assert _C.cuda.allow_tf32() is False


# ---------------------------------------------------------------- on a GPU
TIE = 1.0 + 2.0 ** -11  # halfway between two TF32 values: rounds away to 1 + 2^-10


def tie_operands(rng, m, k, n, layouts):
    """(A base, A view, B base, B view, S @ B) with A = TIE * S (S in +-{1, 2}) and B in
    +-{1, 2}, in `layouts` ('n' contiguous, 't' transposed base, 's' stepped slice)."""
    def make(rows, cols, values, layout):
        v = rng.choice(values, (rows, cols))
        if layout == "n":
            return v, v
        if layout == "t":
            return v.T.copy(), v
        base = np.zeros((rows * 2, cols + 3))
        base[::2, 1:cols + 1] = v
        return base, v

    sb, s = make(m, k, [-2.0, -1.0, 1.0, 2.0], layouts[0])
    bb, b = make(k, n, [-2.0, -1.0, 1.0, 2.0], layouts[1])
    ab = (TIE * sb).astype(np.float32)
    av = ab if layouts[0] == "n" else (ab.T if layouts[0] == "t" else ab[::2, 1:k + 1])
    bb = bb.astype(np.float32)
    bv = bb if layouts[1] == "n" else (bb.T if layouts[1] == "t" else bb[::2, 1:n + 1])
    return ab, av, bb, bv, s @ b


def run_matmul(ab, av, bb, bv, alpha=1.0, beta=0.0, out0=None):
    shape = av.shape[:-1] + bv.shape[-1:]
    out = to_cuda(np.zeros(shape, np.float32) if out0 is None else out0.astype(np.float32))
    _C.cuda.matmul(to_cuda(ab, av), to_cuda(bb, bv), out, alpha, beta)
    return to_numpy(out)


# M, K, N multiples of 4 (so every layout is 16-byte aligned) but ragged against the
# 128 x 128 x 32 tiles, and exact tiles.
TF32_SIZES = [(4, 4, 4), (36, 44, 20), (132, 36, 260), (128, 128, 128), (256, 96, 384), (1000, 1000, 1000),
              (4, 1000, 8)]


@gpu
@pytest.mark.parametrize("layouts", ["nn", "nt", "tn", "tt"])
@pytest.mark.parametrize("mkn", TF32_SIZES)
def test_tf32_path_rounds_to_nearest_tf32(mkn, layouts, tf32):
    ab, av, bb, bv, exact = tie_operands(np.random.default_rng(sum(mkn)), *mkn, layouts)
    np.testing.assert_array_equal(run_matmul(ab, av, bb, bv), ((1 + 2.0 ** -10) * exact).astype(np.float32))


@gpu
@pytest.mark.parametrize("layouts", ["nn", "tt"])
def test_flag_off_keeps_full_fp32(layouts):
    ab, av, bb, bv, exact = tie_operands(np.random.default_rng(3), 132, 36, 260, layouts)
    np.testing.assert_array_equal(run_matmul(ab, av, bb, bv), (TIE * exact).astype(np.float32))


@gpu
@pytest.mark.parametrize("layouts", ["sn", "ns"])
def test_layouts_the_tensor_cores_skip_stay_fp32(layouts, tf32):
    ab, av, bb, bv, exact = tie_operands(np.random.default_rng(4), 36, 44, 20, layouts)
    np.testing.assert_array_equal(run_matmul(ab, av, bb, bv), (TIE * exact).astype(np.float32))


def tf32_bound(av, bv, alpha=1.0, beta=0.0, out0=None, product_err=2.0 ** -10):
    """|error| bound of alpha * A @ B + beta * C with TF32 operands (each rounded within
    2^-11 relative: a product within product_err; 2^-9 + 2^-20 where the inputs are
    truncated) and an fp32 accumulation of K terms (each add within 2^-23: tensor cores
    may truncate), plus the final fp32 roundings."""
    k = av.shape[-1]
    mag = abs(alpha) * (np.abs(av.astype(np.float64)) @ np.abs(bv.astype(np.float64)))
    bound = (product_err + (k + 2) * 2.0 ** -23) * mag
    if beta != 0:
        bound = bound + 2.0 ** -23 * (mag + abs(beta) * np.abs(out0))
    return bound + 1e-30


def check_tf32(av, bv, got, alpha=1.0, beta=0.0, out0=None, product_err=2.0 ** -10):
    ref = alpha * (av.astype(np.float64) @ bv.astype(np.float64))
    if beta != 0:
        ref = ref + beta * out0
    err = np.abs(got - ref)
    bound = tf32_bound(av, bv, alpha, beta, out0, product_err)
    assert np.all(err <= bound), f"{av.shape} @ {bv.shape}: max err/bound {np.max(err / bound):.3g}"


@gpu
@pytest.mark.parametrize("layouts", ["nn", "nt", "tn", "tt"])
@pytest.mark.parametrize("mkn", TF32_SIZES + [(5, 0, 8), (1, 64, 1), (33, 33, 33)])
def test_tf32_matches_float64_within_the_tf32_bound(mkn, layouts, tf32):
    m, k, n = mkn
    rng = np.random.default_rng(m + 3 * k + 7 * n)
    ab, av = operand(rng, m, k, np.float32, layouts[0])
    bb, bv = operand(rng, k, n, np.float32, layouts[1])
    check_tf32(av, bv, run_matmul(ab, av, bb, bv))


@gpu
def test_tf32_alpha_beta(tf32):
    rng = np.random.default_rng(5)
    ab, av = operand(rng, 132, 68, np.float32, "n")
    bb, bv = operand(rng, 68, 36, np.float32, "t")
    c0 = rng.uniform(-1, 1, (132, 36)).astype(np.float32)
    check_tf32(av, bv, run_matmul(ab, av, bb, bv, 0.5, 2.0, c0), 0.5, 2.0, c0)
    nan = np.full((132, 36), np.nan, np.float32)  # beta 0: C is not read
    check_tf32(av, bv, run_matmul(ab, av, bb, bv, -1.5, 0.0, nan), -1.5)


@gpu
def test_tf32_batched_and_broadcast(tf32):
    rng = np.random.default_rng(6)
    a = rng.uniform(-1, 1, (3, 2, 36, 44)).astype(np.float32)
    b = rng.uniform(-1, 1, (1, 2, 44, 132)).astype(np.float32)
    bv = np.broadcast_to(b, (3, 2, 44, 132))  # batch stride 0
    got = run_matmul(a, a, b, bv)
    for i in np.ndindex(3, 2):
        check_tf32(a[i], bv[i], got[i])


@gpu
def test_tensor_matmul_follows_the_flag(tf32):
    rng = np.random.default_rng(7)
    s = rng.choice([-1.0, 1.0], (64, 32))
    a = fastdl.tensor((TIE * s).astype(np.float32), device="cuda")
    b = fastdl.ones((32, 48), device="cuda")
    exact = s @ np.ones((32, 48))
    np.testing.assert_array_equal(np.asarray((a @ b).cpu()), ((1 + 2.0 ** -10) * exact).astype(np.float32))
    flags.allow_tf32 = False
    np.testing.assert_array_equal(np.asarray((a @ b).cpu()), (TIE * exact).astype(np.float32))
