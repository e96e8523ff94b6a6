"""The AVX-512 direct convolution forward (csrc/cpu/conv_direct_avx512.cpp): float32 convs
whose rows are 14+ wide and whose padded width wastes at most 1 in 8 positions run it
with AVX-512 in use, forwards and input gradients computed as flipped forwards
(conv_driver.cpp, flat_forward_suits). Each output sums its taps in the AVX2 kernels'
order, so the forward gives the same bits with AVX-512 switched off; both against a
float64 NumPy reference."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.nn import functional as F
from isa_switch import with_isa

needs_avx512 = pytest.mark.skipif(not _C.cpu_has_avx512f(), reason="CPU has no AVX-512F")


def conv_ref(x, w, b, pad, groups, dilation=1):
    x = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    o, cg, kh, kw = w.shape
    ekh, ekw = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    win = np.lib.stride_tricks.sliding_window_view(x, (ekh, ekw), axis=(2, 3))[..., ::dilation, ::dilation]
    og = o // groups
    out = np.concatenate([np.einsum("ncyxij,ocij->noyx", win[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og].astype(np.float64))
                          for g in range(groups)], axis=1)
    return out if b is None else out + b.astype(np.float64)[None, :, None, None]


# n, c, o, (h, w), kernel, pad, dilation, groups, bias: rows 14-28 wide, output channels
# that fill 8-channel panels or not, a 5x5 kernel, dilation, groups, a one-row plane
# (one masked tile), planes of 1-15 tiles of 48 positions.
SHAPES = [
    (2, 3, 8, (20, 20), 3, 1, 1, 1, True),
    (2, 16, 64, (18, 18), 3, 1, 1, 1, False),
    (3, 32, 12, (26, 26), 3, 0, 1, 1, True),
    (2, 8, 20, (12, 28), 5, 2, 1, 1, True),
    (2, 8, 16, (16, 28), 3, 2, 2, 1, False),
    (2, 16, 24, (14, 17), 3, 1, 1, 2, True),
    (3, 4, 9, (3, 18), 3, 0, 1, 1, True),
    (1, 64, 64, (26, 26), 3, 0, 1, 1, False),
    (2, 32, 64, (14, 14), 3, 1, 1, 1, True),  # 14-wide rows of 16
    (2, 5, 11, (15, 16), 3, 0, 1, 1, False),  # 14 of 16 again, without padding
]


@needs_avx512
@pytest.mark.parametrize("n,c,o,hw,k,pad,dil,groups,bias", SHAPES)
def test_forward_matches_float64_and_the_avx2_bits(n, c, o, hw, k, pad, dil, groups, bias):
    rng = np.random.default_rng(n * 1000 + c * 10 + o + k)
    x = rng.standard_normal((n, c) + hw).astype(np.float32)
    w = (rng.standard_normal((o, c // groups, k, k)) * 0.2).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32) if bias else None

    def run():
        return F.conv2d(fastdl.tensor(x), fastdl.tensor(w), None if b is None else fastdl.tensor(b),
                        padding=pad, dilation=dil, groups=groups).numpy()

    got, avx2 = with_isa(True, run), with_isa(False, run)
    ref = conv_ref(x, w, b, pad, groups, dil)
    bound = conv_ref(np.abs(x), np.abs(w), None if b is None else np.abs(b), pad, groups, dil)
    assert got.shape == ref.shape
    assert np.all(np.abs(got - ref) <= 4e-6 * bound + 1e-30)
    np.testing.assert_array_equal(got, avx2)


# Input gradients that take the flipped forward on the AVX-512 kernel: 64 output channels
# on valid 3x3 convs (the GEMM route without AVX-512), and a padded one.
@needs_avx512
@pytest.mark.parametrize("n,c,o,hw,pad", [(2, 16, 64, 20, 0), (2, 8, 32, 18, 1), (1, 32, 64, 26, 0), (2, 64, 32, 14, 1)])
def test_input_grad_matches_float64(n, c, o, hw, pad):
    rng = np.random.default_rng(n + c + o + hw)
    x = rng.standard_normal((n, c, hw, hw)).astype(np.float32)
    w = (rng.standard_normal((o, c, 3, 3)) * 0.2).astype(np.float32)

    def run():
        xt = fastdl.tensor(x, requires_grad=True)
        y = F.conv2d(xt, fastdl.tensor(w), padding=pad)
        gy = np.random.default_rng(7).standard_normal(y.shape).astype(np.float32)
        (gx,) = fastdl.autograd.grad(y, [xt], fastdl.tensor(gy))
        return gx.numpy(), gy

    got, gy = with_isa(True, run)
    # gx = gy, padded by 2 - pad, correlated with w flipped and its channel axes swapped
    wt = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    ref = conv_ref(gy, wt, None, 2 - pad, 1)
    bound = conv_ref(np.abs(gy), np.abs(wt), None, 2 - pad, 1)
    assert got.shape == ref.shape
    assert np.all(np.abs(got - ref) <= 4e-6 * bound + 1e-30)


# Inputs read in place with unusual strides: an input expanded along H (row stride 0, so
# every output row is the first) and a view of columns 1-26 of 27-wide rows (row stride
# 27 for 24 outputs: still within the kernel's 1 in 8).
@needs_avx512
def test_forward_of_expanded_and_strided_inputs_matches_a_contiguous_copy():
    rng = np.random.default_rng(3)
    w = fastdl.tensor(rng.standard_normal((16, 8, 3, 3)).astype(np.float32))
    expanded = fastdl.tensor(rng.standard_normal((2, 8, 1, 20)).astype(np.float32)).expand(2, 8, 12, 20)
    strided = fastdl.tensor(rng.standard_normal((2, 8, 15, 27)).astype(np.float32))[:, :, :, 1:27]
    for x in (expanded, strided):
        copy = fastdl.tensor(np.ascontiguousarray(x.numpy()))
        got = with_isa(True, lambda: F.conv2d(x, w).numpy())
        np.testing.assert_array_equal(got, with_isa(True, lambda: F.conv2d(copy, w).numpy()))
        ref = conv_ref(x.numpy(), w.numpy(), None, 0, 1)
        assert np.all(np.abs(got - ref) <= 4e-6 * conv_ref(np.abs(x.numpy()), np.abs(w.numpy()), None, 0, 1) + 1e-30)
