"""The direct float32 convolution (csrc/cpu/conv_direct_avx2.cpp): with AVX2, conv2d
layers with few taps per group (C/groups * kh * kw <= 32) and a unit W stride skip the
unfold + GEMM and read the input in place (a zero-padded copy when the conv pads); the
forward pass also takes layers with more taps when output rows are 8+ wide.
Each case is checked on that path and on the portable GEMM path (AVX2 off) against the
float64 NumPy reference of test_conv_chunks: forward, input, weight and bias gradients.
The input gradient of a stride-1 conv with 8+ input channels per group runs as a
forward conv of gy with the weights transposed and flipped, on the direct kernels
(conv_driver.cpp's input_grad_as_forward), where that costs less than the GEMM.
Rows are vectorised 8 output columns at a time; full 8-channel panels take the plane's
vectors three at a time (from one row or from consecutive rows), so the cases cover
widths below 8, exactly 8, with a partial last vector, several vectors, groups of three
that span rows and leftovers; output channels come in panels of 8, so counts that are
and are not multiples of 8."""
import numpy as np
import pytest
from kernel_views import kempty
from test_conv_chunks import _fastdl, _inputs, np_conv_and_grads

import fastdl
import fastdl.nn.functional as F
from fastdl import _C

# x shape, weight shape, stride, padding, dilation, groups (all take the direct path
# when AVX2 is on, except the last: a W stride of 2)
CASES = [
    ((4, 1, 28, 28), (32, 1, 3, 3), (1, 1), (0, 0), (1, 1), 1),   # the MNIST first layer
    ((2, 1, 7, 9), (5, 1, 3, 3), (1, 1), (1, 1), (1, 1), 1),      # padding, OW = 9: one vector + 1 column
    ((2, 3, 11, 17), (13, 3, 3, 2), (2, 1), (1, 2), (1, 2), 1),   # RGB, stride, dilation, 13 channels
    ((3, 3, 12, 10), (9, 3, 5, 5), (1, 1), (2, 2), (1, 1), 1),    # 75 taps: direct forward (OW 10), GEMM weight grad
    ((2, 32, 10, 26), (16, 32, 3, 3), (1, 1), (0, 0), (1, 1), 1),  # 288 taps, MNIST-like: 24-column tiles
    ((3, 8, 7, 12), (10, 8, 3, 3), (1, 1), (1, 1), (1, 1), 1),    # 72 taps, padding, OW = 12
    ((2, 3, 9, 8), (16, 3, 3, 3), (1, 1), (0, 0), (1, 1), 1),     # 27 taps in 3 passes, OW = 6 < 8
    ((2, 4, 10, 19), (6, 2, 2, 3), (1, 1), (0, 0), (1, 1), 2),    # groups
    ((1, 2, 5, 10), (3, 2, 3, 3), (2, 1), (0, 0), (1, 1), 1),     # OW = 8: exactly one vector
    ((2, 1, 30, 70), (7, 1, 1, 4), (1, 1), (0, 3), (1, 1), 1),    # wide rows, 1x4 kernel
    ((2, 2, 9, 53), (12, 2, 3, 3), (1, 1), (1, 1), (1, 1), 1),    # 24-column tiles x 2 + 5, one full panel
    ((2, 4, 7, 13), (8, 4, 3, 3), (1, 1), (1, 1), (1, 1), 1),     # 36 taps, OW 13: triples span rows, 2 left
    ((2, 8, 9, 11), (16, 8, 5, 5), (1, 1), (2, 2), (1, 1), 1),    # input grad as a flipped forward (5x5)
    ((2, 16, 12, 10), (8, 8, 3, 3), (1, 1), (2, 1), (2, 2), 2),   # flipped: groups, dilation, uneven padding
    ((1, 8, 6, 9), (4, 8, 3, 3), (1, 1), (3, 3), (1, 1), 1),      # padding past the kernel: GEMM input grad
    ((2, 8, 14, 14), (64, 8, 3, 3), (1, 1), (0, 0), (1, 1), 1),   # Og 64, no padding: GEMM input grad
    ((2, 1, 9, 9), (4, 1, 3, 3), (1, 2), (1, 1), (1, 1), 1),      # W stride 2: GEMM path
]


def _close(got, want):
    for a, e in zip(got, want):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, e, rtol=2e-4, atol=2e-4 * np.abs(e).max())


@pytest.mark.parametrize("case", CASES)
def test_float32_matches_float64_reference(avx2, case):
    x, w, b, gy = _inputs(case)
    want = np_conv_and_grads(x, w, b, gy, *case[2:])
    _close(_fastdl(*(a.astype(np.float32) for a in (x, w, b, gy)), *case[2:]), want)


@pytest.mark.parametrize("case", CASES[:3])
def test_float64_takes_the_gemm_path_exactly(case):
    x, w, b, gy = _inputs(case)
    for a, e in zip(_fastdl(x, w, b, gy, *case[2:]), np_conv_and_grads(x, w, b, gy, *case[2:])):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", [CASES[1], CASES[2]])
def test_strided_input_view(avx2, case):
    # a transposed-back input has no unit W stride: the direct path reads a padded copy
    x, w, b, gy = (a.astype(np.float32) for a in _inputs(case))
    xt = fastdl.tensor(np.ascontiguousarray(np.swapaxes(x, 2, 3))).transpose(2, 3).requires_grad_(True)
    assert not xt.is_contiguous()
    want = np_conv_and_grads(*(a.astype(np.float64) for a in (x, w, b, gy)), *case[2:])
    _close(_fastdl(x, w, b, gy, *case[2:], x_view=xt), want)


def test_direct_and_gemm_paths_agree(avx2):
    # The MNIST first layer on a full batch: both paths equal to float32 rounding.
    case = ((64, 1, 28, 28), (32, 1, 3, 3), (1, 1), (0, 0), (1, 1), 1)
    inputs = [a.astype(np.float32) for a in _inputs(case, seed=3)]
    got = _fastdl(*inputs, *case[2:])
    _C.set_use_avx2(not avx2)
    other = _fastdl(*inputs, *case[2:])
    for a, e in zip(got, other):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-4 * np.abs(e).max())


@pytest.mark.parametrize("ow", [8, 13, 16, 28])
def test_wide_and_narrow_tiles_give_the_same_bits(ow):
    # A full panel of 8 channels takes vectors three at a time (the wide tile), a partial
    # panel one at a time (the narrow one); both sum the taps in order from the bias, so
    # the first 5 channels of a 16-channel conv equal a 5-channel conv bit for bit.
    rng = np.random.default_rng(ow)
    x = fastdl.tensor(rng.standard_normal((2, 6, 7, ow)).astype(np.float32))
    w = rng.standard_normal((16, 6, 3, 3)).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    full = F.conv2d(x, fastdl.tensor(w), fastdl.tensor(b), padding=1).numpy()
    part = F.conv2d(x, fastdl.tensor(w[:5]), fastdl.tensor(b[:5]), padding=1).numpy()
    np.testing.assert_array_equal(full[:, :5], part)


def test_inf_input_in_the_last_columns(avx2):
    # The partial last vector of a row re-reads already-counted columns with those
    # lanes zeroed; an inf there must not turn a weight gradient into NaN (0 * inf).
    case = ((1, 1, 5, 13), (2, 1, 3, 3), (1, 1), (0, 0), (1, 1), 1)
    x, w, b, gy = (a.astype(np.float32) for a in _inputs(case))
    x[0, 0, 2, 7] = np.inf
    gy = np.abs(gy) + 0.5  # every term of the inf's taps has one sign
    got = _fastdl(x, w, b, gy, *case[2:])
    want = np_conv_and_grads(*(a.astype(np.float64) for a in (x, w, b, gy)), *case[2:])
    gw, want_gw = got[2], want[2]
    assert np.isinf(want_gw).any() and not np.isnan(want_gw).any()
    np.testing.assert_array_equal(np.isinf(gw), np.isinf(want_gw))
    np.testing.assert_array_equal(np.isnan(gw), np.isnan(want_gw))
    finite = np.isfinite(want_gw)
    np.testing.assert_allclose(gw[finite], want_gw[finite], rtol=2e-4, atol=2e-4)


def test_thread_counts_agree():
    case = ((9, 3, 13, 21), (10, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1)
    inputs = [a.astype(np.float32) for a in _inputs(case, seed=5)]
    saved = _C.get_num_threads()
    try:
        runs = {}
        for nt in (1, 2, 2):
            _C.set_num_threads(nt)
            runs.setdefault(nt, []).append(_fastdl(*inputs, *case[2:]))
    finally:
        _C.set_num_threads(saved)
    for a, e in zip(*runs[2]):
        np.testing.assert_array_equal(a, e)  # a fixed summation order for a thread count
    for a, e in zip(runs[2][0], runs[1][0]):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5 * np.abs(e).max())


def test_errors_name_the_op_on_the_direct_path():
    K = _C.cpu
    x, w = kempty((2, 1, 6, 6), np.float32), kempty((4, 1, 3, 3), np.float32)
    with pytest.raises(ValueError, match="conv2d_forward: output .* does not match"):
        K.conv2d_forward(x, w, None, kempty((2, 4, 5, 4), np.float32), 3, 3, 1, 1, 0, 0, 1, 1, 1)
    with pytest.raises(TypeError, match="conv2d_weight_grad: expected dtype float32"):
        K.conv2d_weight_grad(x, kempty((2, 4, 4, 4), np.float64), kempty((4, 1, 3, 3), np.float32), None,
                             3, 3, 1, 1, 0, 0, 1, 1, 1)
