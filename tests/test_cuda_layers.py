"""The layers' CUDA kernels in `fastdl._C.cuda` (conv, pooling, RNN cells,
normalisation, linear, optimizer steps) against the `_C.cpu` kernel of the same name.

Every case below is one call with NumPy arrays: the same copies go to the CPU kernel
(as views of host memory) and to the CUDA kernel (copied to the device), and after
the call every array argument (inputs, outputs, state updated in place) must agree.
Cases marked `cuda` need a GPU; without one each kernel must raise the clear
no-device error, and (on any CUDA build) `_C.cuda` must offer every `_C.cpu` kernel
under the same signature.
"""
import itertools

import numpy as np
import pytest

from fastdl import _C
from kernel_views import kview
from test_cuda_backend import BUILT, HAS_GPU, NO_DEVICE, CudaView, _contiguous_strides, gpu, to_cuda, to_numpy

cpu = _C.cpu
cuda = _C.cuda if BUILT else None

# _C.cpu helpers with no CUDA counterpart: philox4x32_10 exposes one Philox block to
# the CPU tests of the random streams (the CUDA kernels share csrc/common/philox.h);
# fma_peak_gflops probes the CPU's FMA ceiling for the benchmarks; mma_tf32_layout,
# mma_half_layout and their *_chunk_bytes expose the tensor-core GEMMs' index math
# (csrc/common/mma_*_layout.h) to the CPU tests, the wgmma_* ones the sm_90a GEMM's
# (csrc/common/wgmma_layout.h).
CPU_ONLY = {"philox4x32_10", "fma_peak_gflops", "mma_tf32_layout", "mma_tf32_chunk_bytes", "mma_half_layout",
            "mma_half_chunk_bytes", "im2col_sources", "wgmma_layout", "wgmma_swizzle128", "wgmma_smem_desc",
            "wgmma_desc_start", "wgmma_box_coord", "wgmma_tma_operand", "wgmma_flat_batch",
            # no CUDA sort kernel: fastdl.sort / argsort / topk on a device compose a bitonic
            # network from device ops (python/fastdl/ops/sorting.py)
            "argsort",
            # no CUDA FFT kernel: fastdl.fft on a device multiplies by the DFT matrix (python/fastdl/fft/)
            "fft_c2c",
            # scatter without reduce on a device is index_put at linear positions (ops/indexing_extra.py),
            # whose CUDA kernel keeps the last of a repeated index too
            "scatter",
            # float16 / bfloat16 + - * / on a device run the float32 kernels through via_float32
            "half_arith",
            # F.interpolate's linear modes and F.pad's constant mode on a device compose their
            # device ops: index_select / mul / add, and fill / copy (nn/functional/interpolation.py,
            # padding.py); the fused CPU kernels keep the composed forward's bits
            "interp_linear", "interp_linear_backward", "pad_constant",
            # triu_indices / tril_indices on a device copy the CPU kernel's coordinates over
            "tri_count", "tri_indices"}
# _C.cuda functions that manage the device rather than compute (cuda/bind_cuda.cpp).
CUDA_RUNTIME = {"device_count", "current_device", "set_device", "device_name", "capability", "mem_get_info",
                "synchronize", "memory_allocated", "max_memory_allocated", "memory_reserved",
                "reset_peak_memory_stats", "empty_cache", "allow_tf32", "set_allow_tf32", "conv_algo", "set_conv_algo",
                "set_wgmma", "wgmma_enabled", "wgmma_launches",
                # events, properties and the toolkit version (cuda/events.cu: fastdl.cuda.Event, ...)
                "event_create", "event_destroy", "event_record", "event_synchronize", "event_query",
                "event_elapsed_ms", "device_properties", "runtime_version"}


def public(mod):
    return {n for n in dir(mod) if not n.startswith("_")}


def signature(fn):
    """Argument names and defaults from pybind11's docstring, types dropped."""
    args = fn.__doc__.splitlines()[0].split("(", 1)[1].rsplit(")", 1)[0]
    return [a.split(":")[0].strip() + ("=" + a.split("=")[1].strip() if "=" in a else "")
            for a in args.split(", ") if a]


@pytest.mark.skipif(not BUILT, reason="fastdl was built without CUDA")
def test_cuda_has_every_cpu_kernel():
    assert public(cpu) - CPU_ONLY == public(cuda) - CUDA_RUNTIME


@pytest.mark.skipif(not BUILT, reason="fastdl was built without CUDA")
@pytest.mark.parametrize("name", sorted(public(cpu) - CPU_ONLY))
def test_cuda_kernel_has_the_cpu_signature(name):
    want, got = signature(getattr(cpu, name)), signature(getattr(cuda, name))
    if all(a.startswith("arg") for a in want):  # a CPU binding without argument names (where): arity only
        want, got = len(want), len(got)
    assert got == want


# ---------------------------------------------------------------- the cases
class View:
    """A strided argument: `view` of the C-contiguous `base`."""

    def __init__(self, base, view):
        self.base, self.view = base, view


def rnd(seed):
    return np.random.default_rng(seed)


def u(rng, shape, dtype=np.float64, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, shape).astype(dtype)


def transposed(a):
    """a's values behind swapped strides of the last two axes."""
    base = np.ascontiguousarray(np.swapaxes(a, -1, -2))
    return View(base, np.swapaxes(base, -1, -2))


def conv_cases(dtype):
    rng = rnd(1)
    out = []
    for (N, C, H, W), p in [((2, 3, 7, 6), (3, 3, 1, 1, 1, 1, 1, 1)), ((1, 2, 8, 9), (2, 3, 2, 1, 0, 1, 1, 2)),
                            ((2, 1, 5, 5), (1, 1, 1, 1, 0, 0, 1, 1)), ((1, 4, 9, 7), (3, 2, 2, 3, 2, 1, 2, 1))]:
        kh, kw, sh, sw, ph, pw, dh, dw = p
        OH = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        OW = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        x = u(rng, (N, C, H, W), dtype)
        cols = np.zeros((N, C * kh * kw, OH * OW), dtype)
        out.append(("im2col", [x, cols, *p]))
        out.append(("im2col", [transposed(x), cols, *p]))
        out.append(("col2im", [u(rng, cols.shape, dtype), np.zeros_like(x), *p]))
        out.append(("col2im", [transposed(u(rng, cols.shape, dtype)), np.zeros_like(x), *p]))
    return out + conv_driver_cases(dtype)


def conv_driver_cases(dtype):
    """The whole-pass drivers: groups, bias or none, pointwise (x read in place, or
    unfolded when its rows are not unit-stride) and, in float64, a batch whose columns
    (5 x 2.4 MB) take several chunks of the CUDA workspace (2**21 elements)."""
    rng = rnd(7)
    out = []
    cases = [((2, 3, 7, 6), 4, 1, (3, 3, 1, 1, 1, 1, 1, 1), True), ((1, 4, 8, 9), 6, 2, (2, 3, 2, 1, 0, 1, 1, 2), False),
             ((2, 4, 5, 5), 6, 2, (1, 1, 1, 1, 0, 0, 1, 1), True), ((3, 6, 9, 7), 4, 2, (3, 2, 2, 3, 2, 1, 2, 1), True)]
    if dtype == np.float64:
        cases.append(((5, 64, 32, 32), 8, 1, (3, 3, 1, 1, 1, 1, 1, 1), True))
    for (N, C, H, W), O, groups, p, bias in cases:
        kh, kw, sh, sw, ph, pw, dh, dw = p
        OH = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        OW = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        x, w = u(rng, (N, C, H, W), dtype), u(rng, (O, C // groups, kh, kw), dtype)
        gy, y = u(rng, (N, O, OH, OW), dtype), np.zeros((N, O, OH, OW), dtype)
        b, gb = (u(rng, (O,), dtype), np.zeros(O, dtype)) if bias else (None, None)
        for xv in (x, transposed(x)):
            out.append(("conv2d_forward", [xv, w, b, y, *p, groups]))
            out.append(("conv2d_weight_grad", [xv, gy, np.zeros_like(w), gb, *p, groups]))
        out.append(("conv2d_input_grad", [gy, w, np.zeros_like(x), *p, groups]))
    return out


def pool_out(n, k, s, p, d, ceil):
    num = n + 2 * p - d * (k - 1) - 1
    o = (-(-num // s) if ceil else num // s) + 1
    return o - 1 if ceil and (o - 1) * s >= n + p else o


def pool_cases(dtype):
    rng = rnd(2)
    out = []
    for (N, C, H, W), (kh, kw, sh, sw, ph, pw, dh, dw), ceil in [
            ((2, 3, 8, 8), (2, 2, 2, 2, 0, 0, 1, 1), False), ((1, 2, 7, 9), (3, 3, 2, 2, 1, 1, 1, 1), True),
            ((2, 1, 9, 10), (3, 2, 1, 2, 1, 0, 2, 1), False), ((1, 3, 5, 6), (3, 3, 3, 3, 1, 1, 1, 1), True)]:
        OH, OW = pool_out(H, kh, sh, ph, dh, ceil), pool_out(W, kw, sw, pw, dw, ceil)
        x = u(rng, (N, C, H, W), dtype)
        x[0, 0, 1, 1] = np.nan  # a NaN wins its windows
        win = (kh, kw, sh, sw, ph, pw, dh, dw, ceil)
        out.append(("max_pool2d", [x, np.zeros((N, C, OH, OW), dtype), np.zeros((N, C, OH, OW), np.int64), *win]))
        out.append(("max_pool2d", [transposed(x), np.zeros((N, C, OH, OW), dtype),
                                   np.zeros((N, C, OH, OW), np.int64), *win]))
        idx = kview(np.zeros((N, C, OH, OW), np.int64))
        cpu.max_pool2d(kview(x), kview(np.zeros((N, C, OH, OW), dtype)), idx, *win)
        out.append(("max_pool2d_backward", [u(rng, (N, C, OH, OW), dtype), idx.numpy(), np.zeros_like(x)]))
        OH, OW = pool_out(H, kh, sh, ph, 1, ceil), pool_out(W, kw, sw, pw, 1, ceil)
        for count_pad, div in [(True, 0), (False, 0), (True, 5)]:
            avg = (kh, kw, sh, sw, ph, pw, ceil, count_pad, div)
            out.append(("avg_pool2d", [transposed(x), np.zeros((N, C, OH, OW), dtype), *avg]))
            out.append(("avg_pool2d_backward", [u(rng, (N, C, OH, OW), dtype), np.zeros_like(x), *avg]))
    for shape, (OH, OW) in [((2, 3, 5, 9), (3, 5)), ((1, 2, 5, 9), (7, 11)), ((1, 1, 6, 6), (1, 1))]:
        x = u(rng, shape, dtype)
        out.append(("adaptive_avg_pool2d", [transposed(x), np.zeros(shape[:2] + (OH, OW), dtype)]))
        out.append(("adaptive_avg_pool2d_backward", [u(rng, shape[:2] + (OH, OW), dtype), np.zeros_like(x)]))
    return out


def rnn_cases(dtype):
    rng = rnd(3)
    out = []
    for B, H in [(3, 5), (1, 33), (64, 128)]:
        z = lambda w: np.zeros((B, w * H), dtype)  # noqa: E731
        r = lambda w, s=2.0: u(rng, (B, w * H), dtype, -s, s)  # noqa: E731
        out.append(("lstm_cell_forward", [r(4, 6.0), r(1), z(1), z(1), z(4)]))
        act = 1 / (1 + np.exp(-r(4)))
        out.append(("lstm_cell_backward", [act.astype(dtype), r(1), r(1), r(1), r(1), z(4), z(1)]))
        out.append(("gru_cell_forward", [r(3, 6.0), r(3, 6.0), r(1), z(1), z(4)]))
        out.append(("gru_cell_backward", [r(4, 0.99), r(1), r(1), z(3), z(3), z(1)]))
    for (T, B, H), reverse in itertools.product([(3, 3, 5), (2, 1, 33)], [False, True]):
        s = lambda *shape, lim=1.0: u(rng, shape, dtype, -lim, lim)  # noqa: E731
        w = lambda g: s(g * H, H, lim=1 / np.sqrt(H))  # noqa: E731
        out.append(("lstm_sequence_forward", [s(T, B, 4 * H, lim=3.0), w(4), s(T + 1, B, H), s(T + 1, B, H), reverse]))
        out.append(("lstm_sequence_backward", [u(rng, (T, B, 4 * H), dtype, 0.01, 0.99), w(4), s(T + 1, B, H),
                                               s(T, B, H), s(B, H), s(B, H), s(T, B, 4 * H), reverse]))
        out.append(("gru_sequence_forward", [s(T, B, 3 * H, lim=3.0), w(3), s(3 * H) if reverse else None,
                                             s(T + 1, B, H), s(T, B, 4 * H), reverse]))
        out.append(("gru_sequence_backward", [s(T, B, 4 * H, lim=0.99), w(3), s(T + 1, B, H), s(T, B, H), s(B, H),
                                              s(T, B, 3 * H), s(T, B, 3 * H), reverse]))
    return out


def norm_cases(dtype):
    rng = rnd(4)
    out = []
    for shape in [(4, 3), (4, 3, 5, 2), (2, 70, 1)]:
        C = shape[1]
        x = u(rng, shape, dtype, 2.0, 5.0)  # a large mean: the shifted sums matter
        vec = lambda: u(rng, (C,), dtype, 0.5, 1.5)  # noqa: E731
        z = lambda: np.zeros((C,), dtype)  # noqa: E731
        for training, affine, running in [(True, True, True), (True, False, False), (False, True, True)]:
            w, b = (vec(), vec()) if affine else (None, None)
            rm, rv = (vec(), vec()) if running else (None, None)
            out.append(("batch_norm", [x, w, b, rm, rv, np.zeros_like(x), z(), z(), training, 0.1, 1e-5]))
            sm, si = vec() + 3, vec()
            out.append(("batch_norm_backward", [u(rng, shape, dtype), x, w, sm, si, np.zeros_like(x),
                                                z() if affine else None, z() if affine else None, training]))
        for axis in range(1, len(shape) + 1):
            D = int(np.prod(shape[axis:]))
            M = int(np.prod(shape[:axis]))
            w, b = u(rng, shape[axis:], dtype), u(rng, shape[axis:], dtype)
            out.append(("layer_norm", [x, w, b, np.zeros_like(x), np.zeros(M, dtype), np.zeros(M, dtype), axis, 1e-5]))
            out.append(("layer_norm", [x, None, None, np.zeros_like(x), np.zeros(M, dtype), np.zeros(M, dtype),
                                       axis, 1e-5]))
            mean, rstd = u(rng, (M,), dtype, 3, 4), u(rng, (M,), dtype, 0.5, 2)
            out.append(("layer_norm_backward", [u(rng, shape, dtype), x, mean, rstd, w, np.zeros_like(x),
                                                np.zeros(shape[axis:], dtype), np.zeros(shape[axis:], dtype), axis]))
            out.append(("layer_norm_backward", [u(rng, shape, dtype), x, mean, rstd, None, np.zeros_like(x),
                                                None, None, axis]))
            assert D > 0
    return out


def linear_cases(dtype):
    rng = rnd(5)
    out = []
    for M, K, N in [(5, 7, 3), (64, 784, 128), (1, 1, 1), (33, 20, 65)]:
        x, w = u(rng, (M, K), dtype), u(rng, (N, K), dtype)
        out.append(("linear", [x, w, u(rng, (N,), dtype), np.zeros((M, N), dtype)]))
        out.append(("linear", [transposed(x), transposed(w), None, np.zeros((M, N), dtype)]))
        g = u(rng, (M, N), dtype)
        grads = lambda: [np.zeros((M, K), dtype), np.zeros((N, K), dtype), np.zeros((N,), dtype)]  # noqa: E731
        out.append(("linear_backward", [g, x, w, *grads()]))
        out.append(("linear_backward", [transposed(g), transposed(x), transposed(w), *grads()]))
        out.append(("linear_backward", [g, x, None, None, grads()[1], None]))  # grad_weight only
        out.append(("linear_backward", [g, None, w, grads()[0], None, grads()[2]]))  # no grad_weight
    return out


def optim_cases(dtype):
    rng = rnd(6)
    out = []
    for n in [(7,), (3, 300)]:
        p = lambda: u(rng, n, dtype)  # noqa: E731
        pos = lambda: u(rng, n, dtype, 0.1, 1.0)  # noqa: E731
        for mom, damp, wd, nest, maxi, init in [(0, 0, 0, False, False, False), (0.9, 0.1, 0.01, False, True, False),
                                                (0.9, 0, 0.01, True, False, True)]:
            out.append(("sgd_step", [p(), p(), p() if mom else None, 0.1, mom, damp, wd, nest, maxi, init]))
        for ams, wd, dec, beta1 in [(False, 0, False, 0.9), (True, 0.01, False, 0.3), (False, 0.01, True, 0.9)]:
            out.append(("adam_step", [p(), p(), p(), pos(), pos() if ams else None, 3, 1e-2, beta1, 0.999, 1e-8,
                                      wd, ams, False, dec]))
        for cent, mom, wd, alpha in [(False, 0, 0, 0.99), (True, 0.9, 0.01, 0.3), (True, 0, 0, 0.99)]:
            sq = pos() + 1  # centered: square_avg > grad_avg**2
            out.append(("rmsprop_step", [p(), p(), sq, p() * 0.1 if cent else None, p() if mom else None, 1e-2,
                                         alpha, 1e-8, wd, mom, cent, False]))
    shapes = [(7,), (3, 300), (2, 2, 2)]
    for ams, maxi in [(False, False), (True, True)]:
        ts = lambda f: [u(rng, s, dtype, *f) for s in shapes]  # noqa: E731
        out.append(("adam_step_multi", [ts((-1, 1)), ts((-1, 1)), ts((-1, 1)), ts((0.1, 1)),
                                        ts((0.1, 1)) if ams else [], [1, 4, 9], 1e-2, 0.9, 0.999, 1e-8, 0.01, ams,
                                        maxi, False]))
    return out


FAMILIES = {"conv": conv_cases, "pool": pool_cases, "rnn": rnn_cases, "norm": norm_cases, "linear": linear_cases,
            "optim": optim_cases}


def host_args(args):
    """Fresh host copies of the arrays (also inside list arguments): (kernel arguments,
    the arrays to compare)."""
    kargs, arrays = [], []
    for a in args:
        if isinstance(a, list):
            ks, more = host_args(a)
            kargs.append(ks)
            arrays += more
        elif isinstance(a, View):
            base = a.base.copy()
            view = np.lib.stride_tricks.as_strided(base, a.view.shape, a.view.strides)
            kargs.append(kview(base, view))
            arrays.append(base)
        elif isinstance(a, np.ndarray):
            c = a.copy()
            kargs.append(kview(c))
            arrays.append(c)
        else:
            kargs.append(a)
    return kargs, arrays


def device_args(args):
    """Device copies of the arrays (also inside list arguments): (kernel arguments,
    whole-buffer views to compare)."""
    kargs, arrays = [], []
    for a in args:
        if isinstance(a, list):
            ks, more = device_args(a)
            kargs.append(ks)
            arrays += more
        elif isinstance(a, (View, np.ndarray)):
            base, view = (a.base, a.view) if isinstance(a, View) else (a, None)
            kargs.append(to_cuda(base.copy(), view))
            arrays.append(CudaView(kargs[-1]._buf, base.dtype, base.shape, _contiguous_strides(base.shape)))
        else:
            kargs.append(a)
    return kargs, arrays


def tol(dtype):
    return dict(rtol=2e-5, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-11)


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_cuda_matches_cpu(family, dtype):
    for i, (name, args) in enumerate(FAMILIES[family](dtype)):
        hargs, want = host_args(args)
        getattr(cpu, name)(*hargs)
        dargs, got = device_args(args)
        getattr(cuda, name)(*dargs)
        for k, (w, g) in enumerate(zip(want, got)):
            np.testing.assert_allclose(to_numpy(g), w, **tol(dtype), equal_nan=True, err_msg=f"{name} case {i} array {k}")


@gpu
@pytest.mark.parametrize("algo", ["im2col", "implicit_gemm", "auto"])
def test_conv_forward_algorithms_match_cpu(algo):
    """Each conv2d forward path (cuda/conv_driver.cpp, cuda/conv_implicit.cu) on the
    driver cases, plus shapes with several 128-wide tiles in both GEMM dims, a K that
    is not a multiple of 4 (scalar weight loads) and a batch past the im2col workspace."""
    rng = rnd(11)
    cases = [a for name, a in conv_driver_cases(np.float32) if name == "conv2d_forward"]
    for (N, C, H, W), O, p in [((3, 5, 30, 29), 130, (3, 3, 1, 1, 1, 1, 1, 1)),
                               ((64, 32, 26, 26), 64, (3, 3, 1, 1, 0, 0, 1, 1)),
                               ((2, 3, 17, 16), 7, (5, 3, 2, 1, 2, 0, 1, 2))]:
        kh, kw, sh, sw, ph, pw, dh, dw = p
        OH = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        OW = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        x, w, b = u(rng, (N, C, H, W), np.float32), u(rng, (O, C, kh, kw), np.float32), u(rng, (O,), np.float32)
        cases.append([x, w, b, np.zeros((N, O, OH, OW), np.float32), *p, 1])
        cases.append([transposed(x), w, None, np.zeros((N, O, OH, OW), np.float32), *p, 1])
    before = cuda.conv_algo()
    cuda.set_conv_algo(algo)
    try:
        for i, args in enumerate(cases):
            hargs, want = host_args(args)
            cpu.conv2d_forward(*hargs)
            dargs, got = device_args(args)
            cuda.conv2d_forward(*dargs)
            np.testing.assert_allclose(to_numpy(got[-1]), want[-1], rtol=1e-4, atol=1e-4, err_msg=f"{algo} case {i}")  # y
    finally:
        cuda.set_conv_algo(before)


@gpu
def test_max_pool2d_backward_rejects_bad_indices():
    go = to_cuda(np.ones((1, 1, 2, 2), np.float32))
    idx = to_cuda(np.array([[[[0, 1], [2, 99]]]], np.int64))
    with pytest.raises(IndexError, match="max_pool2d_backward: an index is outside the input plane"):
        cuda.max_pool2d_backward(go, idx, to_cuda(np.zeros((1, 1, 4, 4), np.float32)))


@gpu
def test_errors_name_the_op():
    x = to_cuda(np.ones((2, 3, 4, 4), np.float32))
    with pytest.raises(ValueError, match="im2col: columns .* do not match image"):
        cuda.im2col(x, to_cuda(np.zeros((2, 27, 5), np.float32)), 3, 3, 1, 1, 1, 1, 1, 1)
    with pytest.raises(ValueError, match="conv2d_forward: weight .* does not fit image"):
        cuda.conv2d_forward(x, to_cuda(np.zeros((4, 2, 3, 3), np.float32)), None,
                            to_cuda(np.zeros((2, 4, 2, 2), np.float32)), 3, 3, 1, 1, 0, 0, 1, 1, 1)
    with pytest.raises(ValueError, match="conv2d_weight_grad: CUDA kernel given"):
        cuda.conv2d_weight_grad(x, to_cuda(np.zeros((2, 4, 2, 2), np.float32)),
                                to_cuda(np.zeros((4, 3, 3, 3), np.float32)), kview(np.zeros(4, np.float32)),
                                3, 3, 1, 1, 0, 0, 1, 1, 1)
    with pytest.raises(ValueError, match="max_pool2d: CUDA kernel given"):
        cuda.max_pool2d(x, kview(np.zeros((2, 3, 2, 2), np.float32)), to_cuda(np.zeros((2, 3, 2, 2), np.int64)),
                        2, 2, 2, 2, 0, 0, 1, 1, False)
    with pytest.raises(TypeError, match="lstm_cell_forward: all operands must share one dtype"):
        cuda.lstm_cell_forward(to_cuda(np.zeros((2, 8), np.float32)), to_cuda(np.zeros((2, 2), np.float64)),
                               *(to_cuda(np.zeros(s, np.float32)) for s in [(2, 2), (2, 2), (2, 8)]))
    with pytest.raises(ValueError, match="adam_step: param and grad share memory"):
        p = to_cuda(np.zeros(4, np.float32))
        cuda.adam_step(p, p, to_cuda(np.zeros(4, np.float32)), to_cuda(np.zeros(4, np.float32)), None, 1, 1e-3,
                       0.9, 0.999, 1e-8, 0.0, False, False, False)


@gpu
def test_adam_step_multi_bumps_the_versions_the_cpu_bumps():
    def tensors(make):
        return [[make(np.full(3, v, np.float32)) for v in (0.5, 0.25)] for _ in range(5)]

    runs = []
    for kernels, make in ((cpu, kview), (cuda, to_cuda)):
        ps, gs, ms, vs, vmaxs = tensors(make)
        kernels.adam_step_multi(ps, gs, ms, vs, vmaxs, [1, 2], 1e-3, 0.9, 0.999, 1e-8, 0.0, True, False, False)
        runs.append([[t._buf.version for t in ts] for ts in (ps, gs, ms, vs, vmaxs)])
    assert runs[0] == runs[1] == [[1, 1], [0, 0], [1, 1], [1, 1], [1, 1]]


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sum_squares_multi_matches_cpu(dtype):
    rng = rnd(9)
    arrays = [u(rng, s, dtype) for s in [(7,), (3, 300), (1,), (200_003,)]]  # one spans many blocks
    want = cpu.sum_squares_multi([kview(a.copy()) for a in arrays])
    np.testing.assert_allclose(want, sum(float((a.astype(np.float64) ** 2).sum()) for a in arrays), rtol=1e-12)
    np.testing.assert_allclose(cuda.sum_squares_multi([to_cuda(a.copy()) for a in arrays]), want, rtol=1e-12)
    assert cuda.sum_squares_multi([]) == 0.0


# ---------------------------------------------------------------- without a GPU
@pytest.mark.skipif(not BUILT or HAS_GPU, reason="needs a CUDA build on a machine without a GPU")
def test_sum_squares_multi_raises_without_device():
    with pytest.raises(RuntimeError, match=f"^sum_squares_multi: {NO_DEVICE}"):
        cuda.sum_squares_multi([kview(np.ones(3, np.float32))])


NEW_KERNELS = sorted({name for cases in FAMILIES.values() for name, _ in cases(np.float32)})


@pytest.mark.skipif(not BUILT or HAS_GPU, reason="needs a CUDA build on a machine without a GPU")
@pytest.mark.parametrize("name", NEW_KERNELS)
def test_kernels_raise_without_device(name):
    for fam in FAMILIES.values():
        for n, args in fam(np.float32):
            if n == name:
                with pytest.raises(RuntimeError, match=f"^{name}: {NO_DEVICE}"):
                    getattr(cuda, name)(*host_args(args)[0])
                return
