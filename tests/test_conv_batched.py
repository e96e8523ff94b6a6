"""The whole-batch GEMM path of the CPU conv drivers (csrc/cpu/conv_batched.cpp), taken
when images have at most 60 output positions and the batch has more than one image
(DCGAN, the digits CNN, MNIST-1D): forward, input, weight and bias gradients against
the float64 NumPy reference, including groups, stride, dilation, padding, a strided
input and a batch that needs several column chunks (2**20 elements each); and the
per-sample path (one image) agreeing with it."""
import numpy as np
import pytest

import fastdl
from test_conv_chunks import _fastdl, _inputs, np_conv_and_grads, out_hw

MAX_POSITIONS, CHUNK_ELEMS = 60, 1 << 20  # kMaxPositions, kMaxColumnElems in conv_batched.cpp

CASES = [
    ((32, 64, 4, 4), (128, 64, 4, 4), (2, 2), (1, 1), (1, 1), 1),   # DCGAN's D: 4x4 -> 2x2
    ((32, 128, 2, 2), (1, 128, 2, 2), (1, 1), (0, 0), (1, 1), 1),   # -> 1x1
    ((5, 6, 4, 8), (4, 3, 3, 3), (1, 1), (1, 1), (1, 1), 2),        # groups, 4x8 = 32 positions
    ((4, 3, 9, 7), (5, 3, 3, 2), (2, 1), (1, 0), (1, 2), 1),        # stride, dilation, padding
    ((6, 16, 7, 7), (20, 16, 3, 3), (1, 1), (1, 1), (1, 1), 1),     # 7x7 = 49 positions (a ResNet's last stage)
    ((100, 64, 10, 10), (8, 64, 4, 4), (2, 2), (1, 1), (1, 1), 1),  # 5x5 outputs, 3 column chunks
]


def test_cases_take_the_batched_path_and_chunks():
    for xs, ws, stride, padding, dilation, groups in CASES:
        OH, OW = out_hw(xs, ws, stride, padding, dilation)
        assert xs[0] > 1 and OH * OW <= MAX_POSITIONS
    xs, ws = CASES[-1][0], CASES[-1][1]
    per_image = xs[1] * ws[2] * ws[3] * 25
    assert -(-xs[0] // (CHUNK_ELEMS // per_image)) == 3


@pytest.mark.parametrize("case", CASES)
def test_batched_conv_matches_numpy(case):
    x, w, b, gy = _inputs(case)
    got = _fastdl(x, w, b, gy, *case[2:])
    for a, e in zip(got, np_conv_and_grads(x, w, b, gy, *case[2:])):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-10)


def test_batched_conv_float32_strided_input():
    case = CASES[3]
    x, w, b, gy = _inputs(case, np.float32)
    xt = fastdl.tensor(np.ascontiguousarray(np.swapaxes(x, 2, 3))).transpose(2, 3).requires_grad_(True)
    got = _fastdl(x, w, b, gy, *case[2:], x_view=xt)
    want = np_conv_and_grads(*(a.astype(np.float64) for a in (x, w, b, gy)), *case[2:])
    for a, e in zip(got, want):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, e, rtol=2e-4, atol=2e-4 * np.abs(e).max())


def test_one_image_per_sample_path_agrees_with_the_batch():
    case = CASES[2]
    x, w, b, gy = _inputs(case)
    batch = _fastdl(x, w, b, gy, *case[2:])
    for n in range(2):  # N = 1 runs the per-sample driver
        single = _fastdl(x[n:n + 1], w, b, gy[n:n + 1], *case[2:])
        np.testing.assert_allclose(single[0], batch[0][n:n + 1], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(single[1], batch[1][n:n + 1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("padding", [(0, 0), (1, 1)])
@pytest.mark.parametrize("width", range(3, 28, 1))
def test_stride_two_rows_of_every_width(width, padding):
    """Stride 2 along the rows: the unfold's two-loads-per-four-outputs copy (copy_even)
    and its 1-4 element tail, for output rows 1-13 wide, float32 against float64 NumPy."""
    case = ((3, 4, 3, width), (5, 4, 3, 3), (1, 2), padding, (1, 1), 1)
    OH, OW = out_hw(case[0], case[1], case[2], padding, (1, 1))
    assert OW >= 1 and OH * OW <= MAX_POSITIONS
    x, w, b, gy = _inputs(case, np.float32)
    got = _fastdl(x, w, b, gy, *case[2:])
    want = np_conv_and_grads(*(a.astype(np.float64) for a in (x, w, b, gy)), *case[2:])
    for a, e in zip(got, want):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, e, rtol=2e-5, atol=2e-5 * np.abs(e).max())
