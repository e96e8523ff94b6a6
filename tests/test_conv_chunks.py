"""Convolution in pieces. On the CPU, conv2d runs the C++ drivers of
csrc/cpu/conv_driver.cpp, which unfold one band of output rows of one sample at a time
(bands of about 2**16 column elements, 2**18 in the forward pass) and split samples
across threads. Results must not depend on the cut: shapes below need one band,
several equal bands and uneven ones, and are checked against a float64 NumPy reference (forward, input, weight and bias
gradients). The CUDA drivers (chunks of samples) are compared with these in
tests/test_cuda_layers.py."""
import numpy as np
import pytest
from kernel_views import kempty, kview

import fastdl
import fastdl.nn.functional as F
from fastdl import _C

BAND_ELEMS = 1 << 16  # kBandElems in conv_driver.cpp (input and weight gradients)
FORWARD_BAND_ELEMS = 1 << 18  # kForwardBandElems (forward)


def np_conv_and_grads(x, w, b, gy, stride, padding, dilation, groups):
    """y = conv2d(x, w) + b and the gradients (gx, gw, gb) for output-gradient gy, by
    one einsum per kernel tap over strided slices of the zero-padded input."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    OH, OW = gy.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    gxp = np.zeros_like(xp)
    y = np.zeros(gy.shape) + b[None, :, None, None]
    gw = np.zeros_like(w)
    Og = O // groups
    for g in range(groups):
        cs, os_ = slice(g * Cg, (g + 1) * Cg), slice(g * Og, (g + 1) * Og)
        for i in range(kh):
            for j in range(kw):
                rows = slice(i * dh, i * dh + sh * (OH - 1) + 1, sh)
                cols = slice(j * dw, j * dw + sw * (OW - 1) + 1, sw)
                xs = xp[:, cs, rows, cols]
                y[:, os_] += np.einsum("nchw,oc->nohw", xs, w[os_, :, i, j])
                gw[os_, :, i, j] += np.einsum("nohw,nchw->oc", gy[:, os_], xs)
                gxp[:, cs, rows, cols] += np.einsum("nohw,oc->nchw", gy[:, os_], w[os_, :, i, j])
    return y, gxp[:, :, ph:ph + H, pw:pw + W], gw, gy.sum(axis=(0, 2, 3))


# x shape, weight shape, stride, padding, dilation, groups; the comment gives the bands
CASES = [
    ((2, 3, 5, 4), (4, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1),        # one band
    ((2, 64, 10, 66), (8, 64, 3, 3), (1, 1), (0, 0), (1, 1), 1),    # 8 bands of one row
    ((2, 32, 7, 93), (4, 32, 3, 3), (1, 1), (0, 0), (1, 1), 1),     # bands of 2, 2, 1 rows
    ((3, 32, 15, 150), (6, 16, 3, 3), (2, 1), (1, 1), (2, 1), 2),   # groups, stride, dilation
    ((2, 40, 30, 60), (5, 40, 1, 1), (1, 1), (0, 0), (1, 1), 1),    # pointwise, 2 bands
    ((3, 4, 9, 8), (6, 2, 3, 3), (2, 1), (1, 1), (1, 2), 2),
]


def out_hw(xs, ws, stride, padding, dilation):
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, s, p, d in zip(xs[2:], ws[2:], stride, padding, dilation))


def test_cases_cover_several_bands():
    def bands(elems, xs, ws, stride, padding, dilation, groups):
        OH, OW = out_hw(xs, ws, stride, padding, dilation)
        rows = max(1, min(OH, elems // (xs[1] * ws[2] * ws[3] * OW)))
        return -(-OH // rows)
    assert [bands(BAND_ELEMS, *c) for c in CASES] == [1, 8, 3, 7, 2, 1]
    assert [bands(FORWARD_BAND_ELEMS, *c) for c in CASES] == [1, 2, 1, 2, 1, 1]  # 7 rows: 4 + 3


def _inputs(case, dtype=np.float64, seed=0):
    xs, ws, stride, padding, dilation, groups = case
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    gy = rng.standard_normal((xs[0], ws[0]) + out_hw(xs, ws, stride, padding, dilation))
    return [a.astype(dtype) for a in (x, w, b, gy)]


def _fastdl(x, w, b, gy, stride, padding, dilation, groups, x_view=None):
    xs = fastdl.tensor(x).requires_grad_(True) if x_view is None else x_view
    ws, bs = fastdl.tensor(w).requires_grad_(True), fastdl.tensor(b).requires_grad_(True)
    y = F.conv2d(xs, ws, bs, stride=stride, padding=padding, dilation=dilation, groups=groups)
    y.backward(fastdl.tensor(gy))
    return [t.detach().numpy() for t in (y, xs.grad, ws.grad, bs.grad)]


@pytest.mark.parametrize("case", CASES)
def test_conv2d_matches_numpy_in_bands(case):
    x, w, b, gy = _inputs(case)
    got = _fastdl(x, w, b, gy, *case[2:])
    for a, e in zip(got, np_conv_and_grads(x, w, b, gy, *case[2:])):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", [CASES[2], CASES[4]])
def test_conv2d_float32_and_transposed_input(case):
    # A transposed-then-transposed-back input: no unit column stride, so even the
    # pointwise conv unfolds instead of reading x in place.
    x, w, b, gy = _inputs(case, np.float32)
    xt = fastdl.tensor(np.ascontiguousarray(np.swapaxes(x, 2, 3))).transpose(2, 3).requires_grad_(True)
    assert not xt.is_contiguous()
    got = _fastdl(x, w, b, gy, *case[2:], x_view=xt)
    want = np_conv_and_grads(*(a.astype(np.float64) for a in (x, w, b, gy)), *case[2:])
    for a, e in zip(got, want):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, e, rtol=2e-4, atol=2e-4 * np.abs(e).max())


def test_weight_grad_thread_counts_agree():
    # Partial weight gradients of fixed sample ranges are summed in a fixed order: bit-identical
    # for a given thread count, and equal to rounding across thread counts.
    x, w, b, gy = _inputs(CASES[3])
    saved = _C.get_num_threads()
    try:
        runs = {}
        for nt in (1, 2, 3, 3):
            _C.set_num_threads(nt)
            runs.setdefault(nt, []).append(_fastdl(x, w, b, gy, *CASES[3][2:]))
    finally:
        _C.set_num_threads(saved)
    for a, e in zip(*runs[3]):
        np.testing.assert_array_equal(a, e)
    for nt in (2, 3):
        for a, e in zip(runs[nt][0], runs[1][0]):
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)


def test_bias_grad_without_weight_grad_and_empty_batch():
    x, w, b, gy = _inputs(CASES[0])
    ws, bs = fastdl.tensor(w), fastdl.tensor(b).requires_grad_(True)
    F.conv2d(fastdl.tensor(x), ws, bs, padding=1).backward(fastdl.tensor(gy))
    np.testing.assert_allclose(bs.grad.numpy(), gy.sum(axis=(0, 2, 3)), rtol=1e-12)
    gw, gb = kview(np.full(w.shape, 3.0)), kview(np.full(b.shape, 3.0))
    K = _C.cpu
    K.conv2d_weight_grad(kempty((0,) + x.shape[1:], np.float64), kempty((0,) + gy.shape[1:], np.float64), gw, gb,
                         3, 3, 1, 1, 1, 1, 1, 1, 1)
    assert not gw.numpy().any() and not gb.numpy().any()


def test_conv_driver_errors():
    K = _C.cpu
    x, w, y = kempty((2, 4, 6, 6), np.float64), kempty((3, 2, 3, 3), np.float64), kempty((2, 3, 4, 4), np.float64)
    with pytest.raises(ValueError, match="conv2d_forward: weight .* does not fit"):
        K.conv2d_forward(x, w, None, y, 3, 3, 1, 1, 0, 0, 1, 1, 1)  # groups=1 needs 4 input channels
    with pytest.raises(ValueError, match="conv2d_forward: output .* does not match"):
        K.conv2d_forward(x, kempty((4, 2, 3, 3), np.float64), None, y, 3, 3, 1, 1, 0, 0, 1, 1, 2)
    with pytest.raises(TypeError, match="conv2d_input_grad: expected dtype float64"):
        K.conv2d_input_grad(kempty((2, 4, 4, 4), np.float32), kempty((4, 2, 3, 3), np.float64), x,
                            3, 3, 1, 1, 0, 0, 1, 1, 2)
    with pytest.raises(ValueError, match="conv2d_weight_grad: bias gradient .* must be a contiguous \\[4\\]"):
        K.conv2d_weight_grad(x, kempty((2, 4, 4, 4), np.float64), kempty((4, 2, 3, 3), np.float64),
                             kempty((3,), np.float64), 3, 3, 1, 1, 0, 0, 1, 1, 2)
    with pytest.raises(ValueError, match="conv2d_input_grad: groups must be >= 1, got 0"):
        K.conv2d_input_grad(y, w, x, 3, 3, 1, 1, 0, 0, 1, 1, 0)
    with pytest.raises(ValueError, match="conv2d_forward: .* must be contiguous"):
        wt = np.zeros((3, 3, 2, 4))
        K.conv2d_forward(x, kview(wt, wt.transpose(3, 2, 0, 1)), None, kempty((2, 4, 4, 4), np.float64),
                         3, 3, 1, 1, 0, 0, 1, 1, 2)
