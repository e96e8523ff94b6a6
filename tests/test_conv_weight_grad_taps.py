"""The float32 weight gradient of 3-wide convs with many taps per group on the GEMM
micro-kernel, reading the input in place (csrc/cpu/conv_weight_grad_taps.cpp): the
flattened plane's positions past each output row are multiplied in with zero weight.
Against a float64 NumPy reference on the AVX-512 kernel (6 x 32 tiles) and the AVX2 one
(6 x 16), including tiles of 3 rows, partial column slivers, padding, dilation, groups,
bands of output rows, inputs read in place with wider rows, and infinities in the input
(where the zero-weight positions would make NaN: the slot is redone on the wanted
positions only)."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.nn import functional as F
from isa_switch import with_isa

needs_avx2 = pytest.mark.skipif(not _C.cpu_has_avx2_fma(), reason="CPU has no AVX2/FMA")


def isa_params():
    params = [pytest.param(False, id="avx2")]
    if _C.cpu_has_avx512f():
        params.append(pytest.param(True, id="avx512"))
    return params


def weight_grad_ref(x, gy, k, pad, dil, groups):
    """gw[o, c, i, j] = sum over n, y, x of gy[n, o, y, x] * xpad[n, g c, y + i dh, x + j dw], float64."""
    (kh, kw), (ph, pw), (dh, dw) = k, pad, dil
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    win = np.lib.stride_tricks.sliding_window_view(xp, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3))
    win = win[..., ::dh, ::dw]  # n, c, y, x, i, j
    o, cg = gy.shape[1], x.shape[1] // groups
    og = o // groups
    with np.errstate(invalid="ignore"):
        return np.concatenate([np.einsum("noyx,ncyxij->ocij", gy[:, g * og:(g + 1) * og].astype(np.float64),
                                         win[:, g * cg:(g + 1) * cg]) for g in range(groups)], axis=0)


def run_weight_grad(x, w_shape, gy, pad, dil, groups):
    w = fastdl.tensor(np.zeros(w_shape, np.float32), requires_grad=True)
    xt = x if isinstance(x, fastdl.Tensor) else fastdl.tensor(x)
    y = F.conv2d(xt, w, padding=pad, dilation=dil, groups=groups)
    assert y.shape == gy.shape
    (gw,) = fastdl.autograd.grad(y, [w], fastdl.tensor(gy))
    return gw.numpy()


# n, c, o, (h, w), (kh, kw), pad, dilation, groups: MNIST's 32 -> 64 (full 6 x 32 tiles),
# 16 input channels (48 taps: 8 tiles of 6), 5 channels (45 taps: a last tile of 3 rows),
# output channels not a multiple of 16 or 32, a 5x3 kernel with dilation along W,
# groups, 9 samples (more than the 8 slots of 2 threads), a plane of one output row, and
# a plane whose packed gy takes 3 bands of output rows (31 + 31 + 6 of 68).
SHAPES = [
    (2, 32, 64, (26, 26), (3, 3), (0, 0), (1, 1), 1),
    (3, 16, 40, (20, 19), (3, 3), (1, 1), (1, 1), 1),
    (2, 5, 24, (15, 22), (3, 3), (1, 1), (1, 1), 1),
    (2, 12, 70, (17, 23), (5, 3), (2, 1), (1, 2), 1),
    (2, 24, 36, (18, 18), (3, 3), (1, 1), (1, 1), 2),
    (9, 8, 20, (12, 30), (3, 3), (0, 0), (1, 1), 1),
    (2, 16, 17, (3, 24), (3, 3), (0, 0), (1, 1), 1),
    (1, 4, 64, (70, 130), (3, 3), (0, 0), (1, 1), 1),
]


@needs_avx2
@pytest.mark.parametrize("avx512", isa_params())
@pytest.mark.parametrize("n,c,o,hw,k,pad,dil,groups", SHAPES)
def test_weight_grad_matches_float64(avx512, n, c, o, hw, k, pad, dil, groups):
    rng = np.random.default_rng(n * 100 + c * 10 + o)
    x = rng.standard_normal((n, c) + hw).astype(np.float32)
    oh = hw[0] + 2 * pad[0] - dil[0] * (k[0] - 1)
    ow = hw[1] + 2 * pad[1] - dil[1] * (k[1] - 1)
    gy = rng.standard_normal((n, o, oh, ow)).astype(np.float32)
    got = with_isa(avx512, lambda: run_weight_grad(x, (o, c // groups) + k, gy, pad, dil, groups))
    ref = weight_grad_ref(x, gy, k, pad, dil, groups)
    bound = weight_grad_ref(np.abs(x), np.abs(gy), k, pad, dil, groups)
    assert got.shape == ref.shape
    assert np.all(np.abs(got - ref) <= 4e-6 * bound + 1e-30)


# Inputs read in place: columns 0-24 of 26-wide rows (row stride 26 for 23 outputs; the
# zero-weight positions read column 25, outside the view, which holds an infinity), and
# an input expanded along H (row stride 0: rows overlap, so the im2col route runs).
@needs_avx2
@pytest.mark.parametrize("avx512", isa_params())
def test_weight_grad_of_views_matches_float64(avx512):
    rng = np.random.default_rng(5)
    base = rng.standard_normal((2, 16, 14, 26)).astype(np.float32)
    base[:, :, :, 25] = np.inf
    view = fastdl.tensor(base)[:, :, :, 0:25]
    expanded = fastdl.tensor(rng.standard_normal((2, 16, 1, 20)).astype(np.float32)).expand(2, 16, 12, 20)
    for x in (view, expanded):
        xn = x.numpy()
        gy = rng.standard_normal((2, 24, xn.shape[2] - 2, xn.shape[3] - 2)).astype(np.float32)
        got = with_isa(avx512, lambda: run_weight_grad(x, (24, 16, 3, 3), gy, 0, 1, 1))
        ref = weight_grad_ref(xn, gy, (3, 3), (0, 0), (1, 1), 1)
        assert np.all(np.isfinite(got))
        assert np.all(np.abs(got - ref) <= 4e-6 * weight_grad_ref(np.abs(xn), np.abs(gy), (3, 3), (0, 0), (1, 1), 1))


# An infinity and a NaN in the input: the taps that read them are inf / NaN, every other
# tap stays finite and exact (the zero-weight positions of the flattened plane read them
# too, for taps that must not).
@needs_avx2
@pytest.mark.parametrize("avx512", isa_params())
@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_weight_grad_with_non_finite_input_matches_float64(avx512, bad):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 8, 10, 20)).astype(np.float32)
    x[1, 2, 4, 0] = bad  # column 0: read by the zero-weight positions of the row above
    gy = np.abs(rng.standard_normal((3, 16, 8, 18))).astype(np.float32)  # one sign: inf stays inf
    got = with_isa(avx512, lambda: run_weight_grad(x, (16, 8, 3, 3), gy, 0, 1, 1))
    ref = weight_grad_ref(x, gy, (3, 3), (0, 0), (1, 1), 1)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(ref))
    fin = np.isfinite(ref)
    assert fin.sum() > 0.9 * fin.size
    bound = weight_grad_ref(np.abs(np.where(np.isfinite(x), x, 0)), gy, (3, 3), (0, 0), (1, 1), 1)
    assert np.all(np.abs(got[fin] - ref[fin]) <= 4e-6 * bound[fin])


@needs_avx2
@pytest.mark.skipif(not _C.cpu_has_avx512f(), reason="CPU has no AVX-512F")
@pytest.mark.parametrize("n,c,o,hw,k,pad,dil,groups", SHAPES)
def test_avx512_tiles_give_the_avx2_bits(n, c, o, hw, k, pad, dil, groups):
    # Each element sums its positions in the same order on the 6 x 64, 6 x 32 and 6 x 16
    # tiles (64 output channels take the 6 x 64 one, 40 its partial sliver, 24 the 6 x 32).
    rng = np.random.default_rng(n * 100 + c * 10 + o + 1)
    x = rng.standard_normal((n, c) + hw).astype(np.float32)
    oh = hw[0] + 2 * pad[0] - dil[0] * (k[0] - 1)
    ow = hw[1] + 2 * pad[1] - dil[1] * (k[1] - 1)
    gy = rng.standard_normal((n, o, oh, ow)).astype(np.float32)
    run = lambda: run_weight_grad(x, (o, c // groups) + k, gy, pad, dil, groups)  # noqa: E731
    np.testing.assert_array_equal(with_isa(True, run), with_isa(False, run))
