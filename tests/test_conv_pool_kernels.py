"""CPU im2col/col2im and pooling kernels (_C.cpu) against loop-based float64 NumPy
references written here from PyTorch's documented semantics (NCHW)."""
import itertools
import math

import numpy as np
import pytest
from kernel_views import kempty, kview

from fastdl import _C

K = _C.cpu
RNG = np.random.default_rng(1234)


# ----------------------------------------------------------------------------- views


def views(x):
    """The same values as `x` behind different memory layouts: contiguous, last two
    axes transposed-then-transposed-back, step-sliced, and flipped (negative stride)."""
    out = [kview(x.copy())]
    base = np.ascontiguousarray(np.swapaxes(x, -1, -2))
    out.append(kview(base, np.swapaxes(base, -1, -2)))
    shape = list(x.shape)
    shape[1], shape[-1] = 2 * shape[1], 2 * shape[-1] + 1
    base = np.zeros(shape, dtype=x.dtype)
    view = base[:, ::2, ..., 1::2]
    view[...] = x
    out.append(kview(base, view))
    base = np.ascontiguousarray(np.flip(x, -2))
    out.append(kview(base, np.flip(base, -2)))
    for v in out:
        np.testing.assert_array_equal(v.numpy(), x)
    return out


def rand(shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


# ----------------------------------------------------------------------- conv refs


def conv_out(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def ref_im2col(x, kh, kw, sh, sw, ph, pw, dh, dw):
    N, C, H, W = x.shape
    OH, OW = conv_out(H, kh, sh, ph, dh), conv_out(W, kw, sw, pw, dw)
    cols = np.zeros((N, C * kh * kw, OH * OW))
    for n, c, i, j, oh, ow in itertools.product(range(N), range(C), range(kh), range(kw), range(OH), range(OW)):
        ih, iw = oh * sh - ph + i * dh, ow * sw - pw + j * dw
        if 0 <= ih < H and 0 <= iw < W:
            cols[n, c * kh * kw + i * kw + j, oh * OW + ow] = x[n, c, ih, iw]
    return cols


def ref_col2im(cols, shape, kh, kw, sh, sw, ph, pw, dh, dw):
    N, C, H, W = shape
    OH, OW = conv_out(H, kh, sh, ph, dh), conv_out(W, kw, sw, pw, dw)
    g = np.zeros(shape)
    for n, c, i, j, oh, ow in itertools.product(range(N), range(C), range(kh), range(kw), range(OH), range(OW)):
        ih, iw = oh * sh - ph + i * dh, ow * sw - pw + j * dw
        if 0 <= ih < H and 0 <= iw < W:
            g[n, c, ih, iw] += cols[n, c * kh * kw + i * kw + j, oh * OW + ow]
    return g


def direct_conv(x, w, sh, sw, ph, pw, dh, dw):
    N, C, H, W = x.shape
    Co, _, kh, kw = w.shape
    OH, OW = conv_out(H, kh, sh, ph, dh), conv_out(W, kw, sw, pw, dw)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = np.zeros((N, Co, OH, OW))
    for n in range(N):
        for co in range(Co):
            for oh in range(OH):
                for ow in range(OW):
                    acc = 0.0
                    for c in range(C):
                        for i in range(kh):
                            for j in range(kw):
                                acc += w[co, c, i, j] * xp[n, c, oh * sh + i * dh, ow * sw + j * dw]
                    y[n, co, oh, ow] = acc
    return y


# (N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw)
CONV_CASES = [
    (2, 3, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1),
    (1, 2, 9, 8, 3, 2, 2, 3, 1, 0, 1, 1),  # non-square kernel, asymmetric stride/padding
    (2, 1, 10, 11, 3, 3, 2, 1, 2, 1, 2, 3),  # dilation
    (1, 1, 28, 28, 3, 3, 1, 1, 0, 0, 1, 1),  # the hot shape
    (3, 2, 5, 5, 1, 1, 1, 1, 0, 0, 1, 1),  # 1x1
    (1, 2, 4, 5, 5, 4, 1, 2, 2, 2, 1, 1),  # kernel larger than the input
    (2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1),  # 1x1 image
    (1, 2, 9, 9, 2, 2, 3, 3, 0, 1, 1, 1),  # stride larger than kernel
    (1, 1, 3, 3, 1, 1, 1, 1, 2, 2, 1, 1),  # taps entirely in the padding
]


def conv_cols_shape(case):
    N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw = case
    return (N, C * kh * kw, conv_out(H, kh, sh, ph, dh) * conv_out(W, kw, sw, pw, dw))


@pytest.mark.parametrize("case", CONV_CASES)
def test_im2col_matches_reference_on_all_layouts(case):
    N, C, H, W, *p = case
    x = rand((N, C, H, W))
    ref = ref_im2col(x, *p)
    for xv in views(x):
        cols = kempty(conv_cols_shape(case), np.float64)
        K.im2col(xv, cols, *p)
        np.testing.assert_array_equal(cols.numpy(), ref)


@pytest.mark.parametrize("case", CONV_CASES)
def test_im2col_then_matmul_is_direct_convolution(case):
    N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw = case
    Co = 2
    x, w = rand((N, C, H, W)), rand((Co, C, kh, kw))
    cols = kempty(conv_cols_shape(case), np.float64)
    K.im2col(kview(x), cols, kh, kw, sh, sw, ph, pw, dh, dw)
    y = np.einsum("ok,nkl->nol", w.reshape(Co, -1), cols.numpy())
    ref = direct_conv(x, w, sh, sw, ph, pw, dh, dw)
    np.testing.assert_allclose(y.reshape(ref.shape), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CONV_CASES)
def test_col2im_matches_reference_and_is_the_adjoint(case):
    N, C, H, W, *p = case
    shape = conv_cols_shape(case)
    y = rand(shape)
    ref = ref_col2im(y, (N, C, H, W), *p)
    for yv in views(y):
        g = kview(np.full((N, C, H, W), 7.0))  # garbage: col2im must overwrite, not accumulate
        K.col2im(yv, g, *p)
        np.testing.assert_allclose(g.numpy(), ref, rtol=1e-12, atol=1e-12)
    x = rand((N, C, H, W))
    cols = kempty(shape, np.float64)
    K.im2col(kview(x), cols, *p)
    g = kempty((N, C, H, W), np.float64)
    K.col2im(kview(y), g, *p)
    lhs, rhs = np.vdot(cols.numpy(), y), np.vdot(x, g.numpy())
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))


@pytest.mark.parametrize("case", CONV_CASES[:4])
def test_conv_kernels_float32(case):
    N, C, H, W, *p = case
    x = rand((N, C, H, W), np.float32)
    cols = kempty(conv_cols_shape(case), np.float32)
    K.im2col(views(x)[2], cols, *p)
    np.testing.assert_array_equal(cols.numpy(), ref_im2col(x.astype(np.float64), *p).astype(np.float32))
    y = rand(conv_cols_shape(case), np.float32)
    g = kempty((N, C, H, W), np.float32)
    K.col2im(kview(y), g, *p)
    ref = ref_col2im(y.astype(np.float64), (N, C, H, W), *p)
    np.testing.assert_allclose(g.numpy(), ref, rtol=1e-5, atol=1e-5 * case[4] * case[5])


@pytest.mark.parametrize("shape", [(0, 3, 5, 5), (2, 0, 5, 5)])
def test_conv_kernels_empty_batch_or_channels(shape):
    x = np.zeros(shape)
    cols = kempty((shape[0], shape[1] * 9, 9), np.float64)
    K.im2col(kview(x), cols, 3, 3, 1, 1, 0, 0, 1, 1)
    g = kempty(shape, np.float64)
    K.col2im(cols, g, 3, 3, 1, 1, 0, 0, 1, 1)
    assert cols.numpy().shape == (shape[0], shape[1] * 9, 9)


def test_conv_kernel_errors():
    x = kview(rand((1, 2, 5, 5)))
    good = (3, 3, 1, 1, 0, 0, 1, 1)
    with pytest.raises(ValueError, match=r"im2col.*expected \[1, 18, 3\*3\]"):
        K.im2col(x, kempty((1, 18, 16), np.float64), *good)
    with pytest.raises(ValueError, match="im2col"):
        K.im2col(x, kempty((1, 9, 9), np.float64), *good)  # channel count
    with pytest.raises(TypeError, match="im2col"):
        K.im2col(x, kempty((1, 18, 9), np.float32), *good)
    with pytest.raises(TypeError, match="im2col"):
        K.im2col(kview(np.zeros((1, 2, 5, 5), np.int64)), kempty((1, 18, 9), np.int64), *good)
    with pytest.raises(ValueError, match="im2col.*4-D"):
        K.im2col(kview(rand((2, 5, 5))), kempty((1, 18, 9), np.float64), *good)
    with pytest.raises(ValueError, match="im2col"):
        K.im2col(x, kempty((1, 18, 9), np.float64), 3, 3, 0, 1, 0, 0, 1, 1)  # stride 0
    with pytest.raises(ValueError, match="im2col"):
        K.im2col(x, kempty((1, 18, 9), np.float64), 3, 3, 1, 1, -1, 0, 1, 1)
    with pytest.raises(ValueError, match="im2col"):  # kernel does not fit: size would be negative
        K.im2col(x, kempty((1, 2 * 49, 0), np.float64), 7, 7, 1, 1, 0, 0, 1, 1)
    base = np.zeros((1, 9, 18))
    with pytest.raises(ValueError, match="im2col.*contiguous"):
        K.im2col(x, kview(base, base.transpose(0, 2, 1)), *good)
    with pytest.raises(ValueError, match="col2im"):
        K.col2im(kempty((1, 18, 9), np.float64), kempty((1, 2, 6, 5), np.float64), *good)
    base = np.zeros((1, 2, 5, 5))
    with pytest.raises(ValueError, match="col2im.*contiguous"):
        K.col2im(kempty((1, 18, 9), np.float64), kview(base, base.transpose(0, 1, 3, 2)), *good)


# ----------------------------------------------------------------------- pool refs


def pool_out(n, k, s, p, d, ceil_mode):
    num = n + 2 * p - d * (k - 1) - 1
    o = (math.ceil(num / s) if ceil_mode else math.floor(num / s)) + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def test_pool_out_reference_formula():
    # Known PyTorch sizes: MaxPool2d(2, 2, padding=1, ceil_mode=True) on 5 -> 3, on 6 -> 4;
    # MaxPool2d(3, 2, ceil_mode=True) on 6 -> 3 (floor: 2).
    assert pool_out(5, 2, 2, 1, 1, True) == 3
    assert pool_out(6, 2, 2, 1, 1, True) == 4
    assert (pool_out(6, 3, 2, 0, 1, True), pool_out(6, 3, 2, 0, 1, False)) == (3, 2)


def ref_max_pool(x, kh, kw, sh, sw, ph, pw, dh, dw, ceil_mode):
    N, C, H, W = x.shape
    OH, OW = pool_out(H, kh, sh, ph, dh, ceil_mode), pool_out(W, kw, sw, pw, dw, ceil_mode)
    out, idx = np.zeros((N, C, OH, OW)), np.zeros((N, C, OH, OW), np.int64)
    for n, c, oh, ow in itertools.product(range(N), range(C), range(OH), range(OW)):
        taps = [(oh * sh - ph + i * dh, ow * sw - pw + j * dw) for i in range(kh) for j in range(kw)]
        taps = [(h, w) for h, w in taps if 0 <= h < H and 0 <= w < W]
        vals = np.array([x[n, c, h, w] for h, w in taps])
        k = int(np.argmax(vals))  # first max; the first NaN if any
        out[n, c, oh, ow] = vals[k]
        idx[n, c, oh, ow] = taps[k][0] * W + taps[k][1]
    return out, idx


# (N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, ceil_mode)
MAX_CASES = [
    (2, 3, 28, 28, 2, 2, 2, 2, 0, 0, 1, 1, False),  # the hot shape
    (1, 2, 7, 7, 2, 2, 2, 2, 0, 0, 1, 1, True),  # ceil adds a partial window
    (2, 1, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, False),
    (2, 1, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, True),
    (1, 2, 10, 11, 3, 2, 2, 3, 1, 1, 2, 1, True),  # dilation + ceil
    (1, 1, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1, True),  # ceil window dropped (starts in right padding)
    (1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, False),
    (2, 2, 6, 5, 4, 3, 1, 2, 2, 1, 1, 2, False),  # asymmetric everything
    (1, 3, 8, 9, 3, 3, 3, 3, 0, 1, 1, 1, True),
]


def max_out_shape(case):
    N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, cm = case
    return (N, C, pool_out(H, kh, sh, ph, dh, cm), pool_out(W, kw, sw, pw, dw, cm))


@pytest.mark.parametrize("case", MAX_CASES)
def test_max_pool_matches_reference_on_all_layouts(case):
    N, C, H, W, *p = case
    x = rand((N, C, H, W))
    ref, ref_idx = ref_max_pool(x, *p)
    for xv in views(x):
        out, idx = kview(np.full(max_out_shape(case), 5.0)), kview(np.full(max_out_shape(case), -3, np.int64))
        K.max_pool2d(xv, out, idx, *p)
        np.testing.assert_array_equal(out.numpy(), ref)
        np.testing.assert_array_equal(idx.numpy(), ref_idx)


@pytest.mark.parametrize("case", MAX_CASES[:5])
def test_max_pool_float32_ties_and_nans(case):
    N, C, H, W, *p = case
    # Few distinct values: many ties, which must resolve to the first tap (argmax);
    # sprinkled NaNs must win their windows, the first one in tap order.
    x = RNG.integers(-2, 3, (N, C, H, W)).astype(np.float32)
    x[RNG.random(x.shape) < 0.1] = np.nan
    ref, ref_idx = ref_max_pool(x.astype(np.float64), *p)
    out, idx = kempty(max_out_shape(case), np.float32), kempty(max_out_shape(case), np.int64)
    K.max_pool2d(views(x)[1], out, idx, *p)
    np.testing.assert_array_equal(out.numpy(), ref.astype(np.float32))
    np.testing.assert_array_equal(idx.numpy(), ref_idx)


# (N, C, H, W) for the 2x2 stride-2 fast path: rows shorter than one AVX2 step (8
# outputs), exactly one, one plus an overlapped tail, several; odd H and W (the last
# row / column is never read).
FAST_2X2_SHAPES = [(2, 3, 4, 4), (1, 2, 5, 7), (2, 2, 6, 16), (2, 3, 9, 24), (1, 2, 8, 35)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", FAST_2X2_SHAPES)
def test_max_pool_2x2_fast_path_ties_nans_and_layouts(avx2, dtype, shape):
    # Few distinct values (ties resolve to the first tap), signed zeros, -inf and NaNs
    # (the first NaN in tap order wins), on every memory layout of views().
    x = RNG.choice(np.array([-1.0, -0.0, 0.0, 1.0, -np.inf]), shape).astype(dtype)
    x[RNG.random(shape) < 0.08] = np.nan
    ref, ref_idx = ref_max_pool(x.astype(np.float64), 2, 2, 2, 2, 0, 0, 1, 1, False)
    oshape = ref.shape
    for xv in views(x):
        out, idx = kview(np.full(oshape, 5, dtype)), kview(np.full(oshape, -3, np.int64))
        K.max_pool2d(xv, out, idx, 2, 2, 2, 2, 0, 0, 1, 1, False)
        np.testing.assert_array_equal(out.numpy(), ref.astype(dtype))
        np.testing.assert_array_equal(np.signbit(out.numpy()), np.signbit(ref))  # -0.0 vs 0.0: the first
        np.testing.assert_array_equal(idx.numpy(), ref_idx)
        gx = kview(np.full(shape, 7, dtype))
        K.max_pool2d_backward(out, idx, gx)
        np.testing.assert_array_equal(gx.numpy(), ref_max_backward(out.numpy().astype(np.float64), ref_idx, shape))


def test_max_pool_nan_and_inf():
    x = np.full((1, 1, 4, 4), -np.inf)
    x[0, 0, 0, 1] = np.nan
    x[0, 0, 1, 0] = np.nan
    x[0, 0, 2, 2] = 1.0
    out, idx = kempty((1, 1, 2, 2), np.float64), kempty((1, 1, 2, 2), np.int64)
    K.max_pool2d(kview(x), out, idx, 2, 2, 2, 2, 0, 0, 1, 1, False)
    o = out.numpy()[0, 0]
    assert np.isnan(o[0, 0]) and idx.numpy()[0, 0, 0, 0] == 1  # the first NaN wins
    assert o[0, 1] == -np.inf and idx.numpy()[0, 0, 0, 1] == 2  # all -inf: the first tap
    assert o[1, 1] == 1.0 and idx.numpy()[0, 0, 1, 1] == 10
    # Padding is never selected, even over an all--inf window.
    y = np.full((1, 1, 3, 3), -np.inf)
    out, idx = kempty((1, 1, 2, 2), np.float64), kempty((1, 1, 2, 2), np.int64)
    K.max_pool2d(kview(y), out, idx, 2, 2, 2, 2, 1, 1, 1, 1, False)
    assert np.all(out.numpy() == -np.inf)
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[0, 1], [3, 4]])


def ref_max_backward(g, idx, shape):
    gi = np.zeros(shape)
    N, C, OH, OW = g.shape
    for n, c, oh, ow in itertools.product(range(N), range(C), range(OH), range(OW)):
        k = idx[n, c, oh, ow]
        gi[n, c, k // shape[3], k % shape[3]] += g[n, c, oh, ow]
    return gi


@pytest.mark.parametrize("case", MAX_CASES)
def test_max_pool_backward_scatters_by_index(case):
    N, C, H, W, *p = case
    x = rand((N, C, H, W))
    out, idx = kempty(max_out_shape(case), np.float64), kempty(max_out_shape(case), np.int64)
    K.max_pool2d(kview(x), out, idx, *p)
    g = rand(max_out_shape(case))
    ref = ref_max_backward(g, idx.numpy(), x.shape)
    gvs = views(g)
    ibase = np.ascontiguousarray(idx.numpy().transpose(0, 1, 3, 2))
    for gv, iv in [(gvs[0], idx), (gvs[2], kview(ibase, ibase.transpose(0, 1, 3, 2)))]:
        gi = kview(np.full(x.shape, 9.0))
        K.max_pool2d_backward(gv, iv, gi)
        np.testing.assert_allclose(gi.numpy(), ref, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("case", [MAX_CASES[3], MAX_CASES[4], MAX_CASES[7]])
def test_max_pool_backward_finite_differences(case):
    N, C, H, W, *p = case
    x = rand((N, C, H, W))
    oshape = max_out_shape(case)
    g = rand(oshape)

    def loss(xx):
        out, idx = kempty(oshape, np.float64), kempty(oshape, np.int64)
        K.max_pool2d(kview(xx), out, idx, *p)
        return np.vdot(out.numpy(), g), idx

    _, idx = loss(x)
    gi = kempty(x.shape, np.float64)
    K.max_pool2d_backward(kview(g), idx, gi)
    eps, fd = 1e-6, np.zeros(x.shape)
    for k in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[k] += eps
        xm[k] -= eps
        fd[k] = (loss(xp)[0] - loss(xm)[0]) / (2 * eps)
    np.testing.assert_allclose(gi.numpy(), fd, rtol=1e-6, atol=1e-8)


def test_max_pool_errors():
    x = kview(rand((1, 2, 6, 6)))
    out, idx = kempty((1, 2, 3, 3), np.float64), kempty((1, 2, 3, 3), np.int64)
    with pytest.raises(ValueError, match="max_pool2d.*padding"):
        K.max_pool2d(x, kempty((1, 2, 4, 4), np.float64), kempty((1, 2, 4, 4), np.int64),
                     2, 2, 2, 2, 2, 0, 1, 1, False)
    with pytest.raises(ValueError, match=r"max_pool2d.*expected spatial size \(2, 2\)"):
        K.max_pool2d(x, out, idx, 3, 3, 2, 2, 0, 0, 1, 1, False)  # the ceil_mode size given
    K.max_pool2d(x, out, idx, 3, 3, 2, 2, 0, 0, 1, 1, True)
    with pytest.raises(TypeError, match="max_pool2d"):
        K.max_pool2d(x, out, kempty((1, 2, 3, 3), np.float64), 2, 2, 2, 2, 0, 0, 1, 1, False)
    with pytest.raises(TypeError, match="max_pool2d"):
        K.max_pool2d(x, kempty((1, 2, 3, 3), np.float32), idx, 2, 2, 2, 2, 0, 0, 1, 1, False)
    with pytest.raises(ValueError, match="max_pool2d.*4-D"):
        K.max_pool2d(kview(rand((2, 6, 6))), out, idx, 2, 2, 2, 2, 0, 0, 1, 1, False)
    with pytest.raises(ValueError, match="max_pool2d"):
        K.max_pool2d(x, out, kempty((1, 2, 3, 4), np.int64), 2, 2, 2, 2, 0, 0, 1, 1, False)
    with pytest.raises(ValueError, match="max_pool2d"):
        K.max_pool2d(x, out, idx, 2, 2, 2, 2, 0, 0, 0, 1, False)  # dilation 0
    # Dilation 3 with padding 1 on a 2-wide input: the only window's taps (-1, 2) both miss.
    with pytest.raises(ValueError, match="max_pool2d.*only padding"):
        K.max_pool2d(kview(rand((1, 1, 2, 2))), kempty((1, 1, 1, 1), np.float64), kempty((1, 1, 1, 1), np.int64),
                     2, 2, 1, 1, 1, 1, 3, 3, False)
    g = kview(rand((1, 2, 3, 3)))
    bad = kview(np.full((1, 2, 3, 3), 36, np.int64))
    with pytest.raises(IndexError, match="max_pool2d_backward"):
        K.max_pool2d_backward(g, bad, kempty((1, 2, 6, 6), np.float64))
    with pytest.raises(IndexError, match="max_pool2d_backward"):
        K.max_pool2d_backward(g, kview(np.full((1, 2, 3, 3), -1, np.int64)), kempty((1, 2, 6, 6), np.float64))
    with pytest.raises(ValueError, match="max_pool2d_backward"):
        K.max_pool2d_backward(g, kempty((1, 2, 3, 2), np.int64), kempty((1, 2, 6, 6), np.float64))
    with pytest.raises(ValueError, match="max_pool2d_backward"):
        K.max_pool2d_backward(g, idx, kempty((1, 3, 6, 6), np.float64))


# ------------------------------------------------------------------------ avg refs


def ref_avg_pool(x, kh, kw, sh, sw, ph, pw, ceil_mode, count_include_pad, divisor_override):
    N, C, H, W = x.shape
    OH, OW = pool_out(H, kh, sh, ph, 1, ceil_mode), pool_out(W, kw, sw, pw, 1, ceil_mode)
    out = np.zeros((N, C, OH, OW))
    for oh, ow in itertools.product(range(OH), range(OW)):
        h0, w0 = oh * sh - ph, ow * sw - pw
        h1, w1 = min(h0 + kh, H + ph), min(w0 + kw, W + pw)
        pool_size = (h1 - h0) * (w1 - w0)
        h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, H), min(w1, W)
        if divisor_override:
            div = divisor_override
        else:
            div = pool_size if count_include_pad else (h1 - h0) * (w1 - w0)
        out[:, :, oh, ow] = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3)) / div
    return out


# (N, C, H, W, kh, kw, sh, sw, ph, pw)
AVG_GEOMS = [
    (2, 3, 7, 7, 3, 3, 2, 2, 1, 1),
    (1, 2, 6, 9, 2, 3, 2, 3, 1, 1),
    (1, 1, 5, 5, 2, 2, 2, 2, 1, 1),
    (2, 2, 28, 28, 2, 2, 2, 2, 0, 0),
    (1, 1, 4, 5, 4, 5, 1, 1, 2, 2),
    (1, 2, 1, 1, 1, 1, 1, 1, 0, 0),
    (1, 1, 6, 6, 3, 3, 2, 2, 0, 0),  # ceil: the last window overhangs the input
]
AVG_CASES = [g + m for g in AVG_GEOMS for m in itertools.product([False, True], [False, True], [0, 5])]


def avg_out_shape(case):
    N, C, H, W, kh, kw, sh, sw, ph, pw, cm = case[:11]
    return (N, C, pool_out(H, kh, sh, ph, 1, cm), pool_out(W, kw, sw, pw, 1, cm))


def test_avg_reference_is_zero_padded_mean():
    # Cross-check of the reference: with count_include_pad and windows that stay in the
    # padded input, it is the plain mean over the zero-padded image.
    x = rand((1, 2, 7, 7))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ref = ref_avg_pool(x, 3, 3, 2, 2, 1, 1, False, True, 0)
    for oh, ow in itertools.product(range(4), range(4)):
        np.testing.assert_allclose(ref[:, :, oh, ow], xp[:, :, 2 * oh:2 * oh + 3, 2 * ow:2 * ow + 3].mean(axis=(2, 3)))


@pytest.mark.parametrize("case", AVG_CASES)
def test_avg_pool_matches_reference(case):
    N, C, H, W, *p = case
    x = rand((N, C, H, W))
    ref = ref_avg_pool(x, *p)
    for xv in views(x):
        out = kview(np.full(avg_out_shape(case), 4.0))
        K.avg_pool2d(xv, out, *p)
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("case", AVG_CASES[::5])
def test_avg_pool_float32(case):
    N, C, H, W, *p = case
    x = rand((N, C, H, W), np.float32)
    out = kempty(avg_out_shape(case), np.float32)
    K.avg_pool2d(views(x)[1], out, *p)
    np.testing.assert_allclose(out.numpy(), ref_avg_pool(x.astype(np.float64), *p), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", AVG_CASES)
def test_avg_pool_backward_is_the_adjoint(case):
    N, C, H, W, *p = case
    x, g = rand((N, C, H, W)), rand(avg_out_shape(case))
    out = kempty(avg_out_shape(case), np.float64)
    K.avg_pool2d(kview(x), out, *p)
    gi = kview(np.full(x.shape, 3.0))
    K.avg_pool2d_backward(views(g)[2], gi, *p)
    lhs, rhs = np.vdot(out.numpy(), g), np.vdot(x, gi.numpy())
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))
    if x.size <= 50:  # small enough to build the transposed Jacobian from the reference
        jac_t = np.zeros(x.shape)
        for k in np.ndindex(x.shape):
            e = np.zeros(x.shape)
            e[k] = 1.0
            jac_t[k] = np.vdot(ref_avg_pool(e, *p), g)
        np.testing.assert_allclose(gi.numpy(), jac_t, rtol=1e-12, atol=1e-14)


def test_avg_pool_backward_float32():
    p = (3, 2, 2, 1, 1, 1, True, False, 0)
    x = rand((2, 3, 7, 6), np.float32)
    oshape = (2, 3, pool_out(7, 3, 2, 1, 1, True), pool_out(6, 2, 1, 1, 1, True))
    g = rand(oshape, np.float32)
    gi = kempty(x.shape, np.float32)
    K.avg_pool2d_backward(kview(g), gi, *p)
    gi64 = kempty(x.shape, np.float64)
    K.avg_pool2d_backward(kview(g.astype(np.float64)), gi64, *p)
    np.testing.assert_allclose(gi.numpy(), gi64.numpy(), rtol=1e-5, atol=1e-6)


def test_avg_pool_errors():
    x = kview(rand((1, 2, 6, 6)))
    out = kempty((1, 2, 3, 3), np.float64)
    with pytest.raises(ValueError, match="avg_pool2d.*padding"):
        K.avg_pool2d(x, kempty((1, 2, 5, 5), np.float64), 2, 2, 2, 2, 2, 2, False, True, 0)
    with pytest.raises(ValueError, match="avg_pool2d.*divisor_override"):
        K.avg_pool2d(x, out, 2, 2, 2, 2, 0, 0, False, True, -1)
    with pytest.raises(ValueError, match=r"avg_pool2d.*expected spatial size \(2, 2\)"):
        K.avg_pool2d(x, out, 3, 3, 2, 2, 0, 0, False, True, 0)
    with pytest.raises(TypeError, match="avg_pool2d"):
        K.avg_pool2d(x, kempty((1, 2, 3, 3), np.float32), 2, 2, 2, 2, 0, 0, False, True, 0)
    with pytest.raises(ValueError, match="avg_pool2d.*4-D"):
        K.avg_pool2d(kview(rand((1, 1, 2, 6, 6))), out, 2, 2, 2, 2, 0, 0, False, True, 0)
    with pytest.raises(ValueError, match="avg_pool2d_backward"):
        K.avg_pool2d_backward(kempty((1, 2, 3, 3), np.float64), kempty((1, 2, 8, 8), np.float64),
                              2, 2, 2, 2, 0, 0, False, True, 0)
    base = np.zeros((1, 2, 3, 3))
    with pytest.raises(ValueError, match="avg_pool2d.*contiguous"):
        K.avg_pool2d(x, kview(base, base.transpose(0, 1, 3, 2)), 2, 2, 2, 2, 0, 0, False, True, 0)


# ------------------------------------------------------------------- adaptive refs


def ref_adaptive(x, OH, OW):
    N, C, H, W = x.shape
    out = np.zeros((N, C, OH, OW))
    for oh, ow in itertools.product(range(OH), range(OW)):
        h0, h1 = math.floor(oh * H / OH), math.ceil((oh + 1) * H / OH)
        w0, w1 = math.floor(ow * W / OW), math.ceil((ow + 1) * W / OW)
        out[:, :, oh, ow] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return out


ADAPTIVE_CASES = [(2, 3, 7, 7, 1, 1), (1, 2, 10, 9, 3, 4), (1, 1, 5, 5, 5, 5), (2, 1, 4, 6, 7, 8),
                  (1, 2, 1, 1, 2, 3), (1, 1, 13, 3, 4, 2)]


@pytest.mark.parametrize("case", ADAPTIVE_CASES)
def test_adaptive_avg_pool_forward_and_backward(case):
    N, C, H, W, OH, OW = case
    x, g = rand((N, C, H, W)), rand((N, C, OH, OW))
    ref = ref_adaptive(x, OH, OW)
    for xv in views(x):
        out = kview(np.full((N, C, OH, OW), 2.0))
        K.adaptive_avg_pool2d(xv, out)
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-13, atol=1e-14)
    gi = kview(np.full(x.shape, 5.0))
    K.adaptive_avg_pool2d_backward(views(g)[3], gi)
    lhs, rhs = np.vdot(ref, g), np.vdot(x, gi.numpy())
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))
    x32 = x.astype(np.float32)
    out32 = kempty((N, C, OH, OW), np.float32)
    K.adaptive_avg_pool2d(kview(x32), out32)
    np.testing.assert_allclose(out32.numpy(), ref_adaptive(x32.astype(np.float64), OH, OW), rtol=1e-6, atol=1e-6)


def test_adaptive_avg_pool_errors():
    with pytest.raises(ValueError, match="adaptive_avg_pool2d.*empty input plane"):
        K.adaptive_avg_pool2d(kview(np.zeros((1, 1, 0, 3))), kempty((1, 1, 2, 2), np.float64))
    with pytest.raises(ValueError, match="adaptive_avg_pool2d.*4-D"):
        K.adaptive_avg_pool2d(kview(rand((1, 5, 5))), kempty((1, 1, 2, 2), np.float64))
    with pytest.raises(ValueError, match="adaptive_avg_pool2d_backward"):
        K.adaptive_avg_pool2d_backward(kempty((1, 2, 2, 2), np.float64), kempty((2, 2, 5, 5), np.float64))
    with pytest.raises(TypeError, match="adaptive_avg_pool2d"):
        K.adaptive_avg_pool2d(kview(rand((1, 1, 5, 5))), kempty((1, 1, 2, 2), np.float32))


@pytest.mark.parametrize("shape", [(0, 2, 6, 6), (2, 0, 6, 6)])
def test_pool_kernels_empty_batch_or_channels(shape):
    x = kview(np.zeros(shape))
    oshape = shape[:2] + (3, 3)
    out, idx = kempty(oshape, np.float64), kempty(oshape, np.int64)
    K.max_pool2d(x, out, idx, 2, 2, 2, 2, 0, 0, 1, 1, False)
    K.max_pool2d_backward(out, idx, kempty(shape, np.float64))
    K.avg_pool2d(x, out, 2, 2, 2, 2, 0, 0, False, True, 0)
    K.avg_pool2d_backward(out, kempty(shape, np.float64), 2, 2, 2, 2, 0, 0, False, True, 0)
    K.adaptive_avg_pool2d(x, out)
    K.adaptive_avg_pool2d_backward(out, kempty(shape, np.float64))


def test_threaded_split_matches_one_thread():
    # Large enough that parallel_for splits the work (grain 32768): results must be
    # bit-identical to one thread, since every task owns its output rows/planes.
    x = rand((4, 8, 32, 32))
    runs = []
    saved = _C.get_num_threads()
    try:
        for nt in (1, 4):
            _C.set_num_threads(nt)
            cols = kempty((4, 72, 32 * 32), np.float64)
            K.im2col(views(x)[1], cols, 3, 3, 1, 1, 1, 1, 1, 1)
            g = kempty(x.shape, np.float64)
            K.col2im(cols, g, 3, 3, 1, 1, 1, 1, 1, 1)
            out, idx = kempty((4, 8, 16, 16), np.float64), kempty((4, 8, 16, 16), np.int64)
            K.max_pool2d(views(x)[2], out, idx, 2, 2, 2, 2, 0, 0, 1, 1, False)
            gm = kempty(x.shape, np.float64)
            K.max_pool2d_backward(out, idx, gm)
            avg = kempty((4, 8, 16, 16), np.float64)
            K.avg_pool2d(kview(x), avg, 3, 3, 2, 2, 1, 1, False, False, 0)
            ga = kempty(x.shape, np.float64)
            K.avg_pool2d_backward(avg, ga, 3, 3, 2, 2, 1, 1, False, False, 0)
            runs.append([t.numpy().copy() for t in (cols, g, out, idx, gm, avg, ga)])
    finally:
        _C.set_num_threads(saved)
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(runs[0][2], ref_max_pool(x, 2, 2, 2, 2, 0, 0, 1, 1, False)[0])
