"""common/im2col.h's im2col_source, the unfold index math of the CUDA im2col and
implicit-GEMM convolution kernels, evaluated on the CPU (_C.cpu.im2col_sources):
gathering x through its offsets must give the reference column matrix, for every
layout of x (strides, negative strides) and every geometry of the conv kernel tests."""
import numpy as np
import pytest

from fastdl import _C
from test_conv_pool_kernels import CONV_CASES, ref_im2col

RNG = np.random.default_rng(7)


def gather(x, offsets, inside):
    """x's elements at memory `offsets` (in elements, relative to x's first element,
    negative with negative strides) where `inside`, 0 elsewhere."""
    base = x.base if x.base is not None else x
    start = (x.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // x.itemsize
    flat = base.reshape(-1)
    return np.where(inside, flat[np.where(inside, offsets + start, 0)], 0.0)


def layouts(x):
    """x, and the same values behind a transposed, a step-sliced and a flipped layout."""
    yield x
    base = np.ascontiguousarray(np.swapaxes(x, -1, -2))
    yield np.swapaxes(base, -1, -2)
    padded = np.zeros((x.shape[0], 2 * x.shape[1], x.shape[2], 2 * x.shape[3] + 1))
    view = padded[:, ::2, :, 1::2]
    view[...] = x
    yield view
    flipped = np.ascontiguousarray(np.flip(x, -2))
    yield np.flip(flipped, -2)


@pytest.mark.parametrize("case", CONV_CASES)
def test_im2col_source_reads_the_reference_columns(case):
    N, C, H, W, *p = case
    x = RNG.standard_normal((N, C, H, W))
    ref = ref_im2col(x, *p)
    for xv in layouts(x):
        np.testing.assert_array_equal(xv, x)
        strides = [s // xv.itemsize for s in xv.strides]
        offsets, inside = _C.cpu.im2col_sources(list(xv.shape), strides, *p)
        assert offsets.shape == inside.shape == ref.shape
        np.testing.assert_array_equal(gather(xv, offsets, inside), ref)


def test_only_taps_inside_the_image_read_it():
    # 1x1 image, 3x3 kernel, padding 1: only the centre tap reads the image.
    offsets, inside = _C.cpu.im2col_sources([1, 1, 1, 1], [1, 1, 1, 1], 3, 3, 1, 1, 1, 1, 1, 1)
    assert inside.shape == (1, 9, 1)
    assert inside[0, :, 0].tolist() == [False] * 4 + [True] + [False] * 4
    assert offsets[0, 4, 0] == 0


def test_negative_strides_give_negative_offsets():
    # H flipped: row ih of the view lies ih * 3 elements before row 0.
    offsets, inside = _C.cpu.im2col_sources([1, 1, 2, 3], [6, 6, -3, 1], 1, 1, 1, 1, 0, 0, 1, 1)
    assert inside.all()
    assert offsets[0, 0].tolist() == [0, 1, 2, -3, -2, -1]


def test_bad_geometry_is_an_error():
    with pytest.raises(ValueError, match="im2col_sources"):
        _C.cpu.im2col_sources([1, 1, 2, 2], [4, 4, 2, 1], 3, 3, 1, 1, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="im2col_sources"):
        _C.cpu.im2col_sources([1, 1, 2], [4, 2, 1], 1, 1, 1, 1, 0, 0, 1, 1)
