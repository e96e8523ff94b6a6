"""Strided float32 convs on the direct kernels, by splitting into phases.

The input gradient of a strided float32 conv (and so conv_transpose2d's forward) as
one stride-1 convolution per output phase on the direct kernels
(csrc/cpu/conv_subpixel.cpp, index math in csrc/common/conv_phase.h): with AVX2, convs of
stride > 1, dilation 1 and 8+ input channels per group. Each case runs on that path and
on the portable GEMM + col2im path (AVX2 off) against the float64 NumPy reference of
test_conv_chunks. The cases cover phases whose rows are narrower than a vector (run as
one flat row at the window's stride) and wider (2-D planes, wide tiles), phases without
taps (kernel smaller than the stride), uneven strides and kernels, padding up to and past
the kernel, groups and a 1x1 strided conv.

The forward pass of a conv with a W stride above 1 (dilation 1, kernel a multiple of
the stride, 8+ input and output channels per group, 40+ output positions) runs on the same kernels over the input's s_h * s_w phases
(space to depth, csrc/cpu/conv_space_to_depth.cpp); FORWARD_CASES take it."""
import numpy as np
import pytest
from test_conv_chunks import _fastdl, _inputs, np_conv_and_grads

import fastdl
import fastdl.nn.functional as F
from fastdl import _C

# x shape, weight shape, stride, padding, dilation, groups
CASES = [
    ((2, 16, 14, 14), (8, 16, 4, 4), (2, 2), (1, 1), (1, 1), 1),   # DCGAN's k4 s2 p1: 7-wide phases, flat
    ((2, 8, 9, 11), (6, 8, 3, 3), (2, 2), (1, 1), (1, 1), 1),      # phase rows of 6 and 5 columns
    ((2, 8, 20, 32), (5, 8, 3, 3), (2, 2), (1, 1), (1, 1), 1),     # rows of 16: 2-D planes
    ((2, 8, 20, 37), (5, 8, 3, 3), (2, 2), (1, 1), (1, 1), 1),     # rows of 19 / 18: flat (95% of lanes)
    ((2, 8, 10, 10), (4, 8, 2, 2), (3, 3), (0, 0), (1, 1), 1),     # k < s: phases without taps
    ((2, 9, 17, 19), (7, 9, 5, 3), (3, 2), (2, 1), (1, 1), 1),     # uneven stride and kernel, 9 channels
    ((2, 16, 12, 12), (6, 8, 3, 3), (2, 2), (1, 1), (1, 1), 2),    # groups
    ((1, 8, 7, 7), (4, 8, 3, 3), (2, 2), (3, 3), (1, 1), 1),       # padding past the kernel
    ((2, 8, 9, 9), (4, 8, 1, 1), (2, 2), (0, 0), (1, 1), 1),       # 1x1 with stride 2
    ((3, 8, 16, 33), (12, 8, 4, 4), (2, 1), (1, 2), (1, 1), 1),    # stride along H only
    ((2, 8, 3, 4), (3, 8, 3, 3), (2, 2), (0, 0), (1, 1), 1),       # one output position
    ((2, 8, 1, 200), (4, 8, 1, 3), (2, 2), (0, 1), (1, 1), 1),     # one row: a row phase without positions
    ((1, 8, 24, 24), (4, 8, 8, 8), (4, 4), (2, 2), (1, 1), 1),     # k8 s4: 16 phases of 2 x 2 taps
]

FORWARD_CASES = [
    ((2, 8, 14, 14), (16, 8, 4, 4), (2, 2), (1, 1), (1, 1), 1),   # DCGAN's down-sampling: 7-wide rows, flat
    ((2, 8, 28, 30), (8, 8, 4, 2), (2, 2), (1, 1), (1, 1), 1),    # rows of 16: 2-D plane
    ((2, 8, 28, 40), (8, 8, 4, 2), (2, 2), (1, 1), (1, 1), 1),    # rows of 21: flat (94% of lanes)
    ((2, 9, 23, 25), (9, 9, 6, 4), (3, 2), (2, 1), (1, 1), 1),    # uneven stride and kernel, a partial panel
    ((2, 32, 17, 17), (32, 8, 2, 2), (2, 2), (0, 0), (1, 1), 4),  # groups, no padding
    ((2, 8, 12, 60), (8, 8, 1, 3), (1, 3), (0, 1), (1, 1), 1),    # stride 1 along H
    ((1, 8, 15, 17), (8, 8, 4, 4), (2, 2), (3, 3), (1, 1), 1),    # padding past the kernel
    ((2, 8, 1, 200), (8, 8, 1, 4), (1, 2), (0, 1), (1, 1), 1),    # one row
    ((1, 8, 40, 40), (16, 8, 8, 8), (4, 4), (2, 2), (1, 1), 1),   # k8 s4
]


@pytest.mark.parametrize("case", FORWARD_CASES)
def test_forward_and_grads_match_float64_reference(avx2, case):
    x, w, b, gy = _inputs(case)
    want = np_conv_and_grads(x, w, b, gy, *case[2:])
    for got, e in zip(_fastdl(*(a.astype(np.float32) for a in (x, w, b, gy)), *case[2:]), want):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, e, rtol=2e-4, atol=2e-4 * np.abs(e).max())


def test_forward_of_a_strided_input_view(avx2):
    case = FORWARD_CASES[0]
    x, w, b, gy = (a.astype(np.float32) for a in _inputs(case))
    xt = fastdl.tensor(np.ascontiguousarray(np.swapaxes(x, 2, 3))).transpose(2, 3).requires_grad_(True)
    want = np_conv_and_grads(*(a.astype(np.float64) for a in (x, w, b, gy)), *case[2:])
    np.testing.assert_allclose(_fastdl(x, w, b, gy, *case[2:], x_view=xt)[0], want[0], rtol=2e-4,
                               atol=2e-4 * np.abs(want[0]).max())


def _fastdl_input_grad(x, w, gy, stride, padding, dilation, groups):
    xs = fastdl.tensor(x).requires_grad_(True)
    y = F.conv2d(xs, fastdl.tensor(w), stride=stride, padding=padding, dilation=dilation, groups=groups)
    y.backward(fastdl.tensor(gy))
    return xs.grad.numpy()


@pytest.mark.parametrize("case", CASES)
def test_input_grad_matches_float64_reference(avx2, case):
    x, w, b, gy = _inputs(case)
    want = np_conv_and_grads(x, w, b, gy, *case[2:])[1]
    got = _fastdl_input_grad(*(a.astype(np.float32) for a in (x, w, gy)), *case[2:])
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4 * np.abs(want).max())


@pytest.mark.parametrize("stride, padding, output_padding", [(2, 1, 0), (2, 1, 1), (3, 0, 2), (2, 0, 0)])
def test_conv_transpose2d_matches_the_reference(avx2, stride, padding, output_padding):
    # conv_transpose2d(x, w) is conv2d's input gradient for gy = x, of the output's size
    rng = np.random.default_rng(stride * 10 + padding)
    x = rng.standard_normal((3, 12, 7, 6))
    w = rng.standard_normal((12, 16, 4, 4)) * 0.2
    b = rng.standard_normal(16)
    got = F.conv_transpose2d(fastdl.tensor(x.astype(np.float32)), fastdl.tensor(w.astype(np.float32)),
                             fastdl.tensor(b.astype(np.float32)), stride=stride, padding=padding,
                             output_padding=output_padding).numpy()
    out = tuple((n - 1) * stride - 2 * padding + 4 + output_padding for n in x.shape[2:])
    # the conv of an output-sized input reads x (zero-extended to its positions) as its gy
    full = tuple((n + 2 * padding - 4) // stride + 1 for n in out)
    gy = np.zeros((3, 12) + full)
    gy[:, :, :7, :6] = x
    want = np_conv_and_grads(np.zeros((3, 16) + out), w, np.zeros(12), gy, (stride,) * 2, (padding,) * 2,
                             (1, 1), 1)[1] + b[None, :, None, None]
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4 * np.abs(want).max())


def test_thread_counts_agree():
    # samples are independent on this path: any thread count gives the same bits
    case = ((7, 16, 14, 14), (8, 16, 4, 4), (2, 2), (1, 1), (1, 1), 1)
    x, w, _, gy = (a.astype(np.float32) for a in _inputs(case, seed=4))
    saved = _C.get_num_threads()
    try:
        runs = []
        for nt in (1, 2):
            _C.set_num_threads(nt)
            runs.append(_fastdl_input_grad(x, w, gy, *case[2:]))
    finally:
        _C.set_num_threads(saved)
    np.testing.assert_array_equal(runs[0], runs[1])
