"""The spine's CUDA kernels in `fastdl._C.cuda` (matmul, reduce, softmax, cross-entropy,
indexing, random), checked against the `_C.cpu` kernel of the same name on the same
inputs: NumPy data goes cpu -> cuda (`_C.cuda.copy`), through the CUDA kernel, and back.

Tests marked `cuda` need a GPU; without one, every kernel must raise the clear
no-device RuntimeError (checked here on a CUDA build).
"""
import numpy as np
import pytest

from fastdl import _C
from kernel_views import kempty, kview
from test_cuda_backend import BUILT, HAS_GPU, NO_DEVICE, cuda_empty, gpu, to_cuda, to_numpy

cpu = _C.cpu
cuda = _C.cuda if BUILT else None


# ---------------------------------------------------------------- without a GPU
def _no_gpu_calls():
    x, o = kview(np.ones((2, 3), np.float32)), kempty((2, 3))
    i = kview(np.zeros(2, np.int64))
    return {
        "matmul": lambda: cuda.matmul(x, kview(np.ones((3, 2), np.float32)), kempty((2, 2))),
        "sum": lambda: cuda.reduce("sum", x, kempty((1, 3)), [0]),
        "softmax": lambda: cuda.softmax(x, o, 1, False),
        "log_softmax_backward": lambda: cuda.softmax_backward(x, x, o, 1, True),
        "cross_entropy": lambda: cuda.cross_entropy(x, i, None, kempty(2), kempty(2), -100, 0.0),
        "cross_entropy_backward": lambda: cuda.cross_entropy_backward(x, i, None, kempty(2), kempty(2), o, -100, 0.0),
        "index_select": lambda: cuda.index_select(x, 0, i, o),
        "index_add": lambda: cuda.index_add(o, 0, i, x),
        "index_put": lambda: cuda.index_put(o, 0, i, x, False),
        "gather": lambda: cuda.gather(x, 1, kview(np.zeros((2, 3), np.int64)), o),
        "scatter_add": lambda: cuda.scatter_add(o, 1, kview(np.zeros((2, 3), np.int64)), x),
        "count_nonzero": lambda: cuda.count_nonzero(x),
        "nonzero": lambda: cuda.nonzero(x, kempty((6, 2), np.int64)),
        "random_uniform": lambda: cuda.random_uniform(o, 1, 0, 0.0, 1.0),
        "random_normal": lambda: cuda.random_normal(o, 1, 0, 0.0, 1.0),
        "random_int": lambda: cuda.random_int(o, 1, 0, 0, 5),
        "bernoulli": lambda: cuda.bernoulli(o, 1, 0, 0.5),
        "randperm": lambda: cuda.randperm(kempty(4, np.int64), 1, 0),
        "arange": lambda: cuda.arange(kempty(4), 0.0, 1.0),
    }


NO_GPU_NAMES = ["matmul", "sum", "softmax", "log_softmax_backward", "cross_entropy", "cross_entropy_backward",
                "index_select", "index_add", "index_put", "gather", "scatter_add", "count_nonzero", "nonzero",
                "random_uniform", "random_normal", "random_int", "bernoulli", "randperm", "arange"]


@pytest.mark.skipif(not BUILT or HAS_GPU, reason="needs a CUDA build on a machine without a GPU")
@pytest.mark.parametrize("name", NO_GPU_NAMES)
def test_kernels_raise_without_device(name):
    with pytest.raises(RuntimeError, match=f"^{name}: {NO_DEVICE}"):
        _no_gpu_calls()[name]()


@pytest.mark.skipif(not BUILT, reason="fastdl was built without CUDA")
def test_cuda_module_has_the_cpu_signatures():
    for name in ["matmul", "reduce", "softmax", "softmax_backward", "cross_entropy", "cross_entropy_backward",
                 "index_select", "index_add", "index_put", "gather", "scatter_add", "count_nonzero", "nonzero",
                 "random_uniform", "random_normal", "random_int", "bernoulli", "randperm", "arange"]:
        sig = lambda f: f.__doc__.splitlines()[0].split("(", 1)[1].split(")")[0]  # noqa: E731
        c, g = sig(getattr(cpu, name)), sig(getattr(cuda, name))
        strip = lambda s: [a.split(":")[0].strip() + ("=" + a.split("=")[1].strip() if "=" in a else "")  # noqa: E731
                           for a in s.split(",")]
        assert strip(c) == strip(g), name


# ---------------------------------------------------------------- matmul
def gemm_tol(dtype, k):
    return dict(rtol=1e-4, atol=3e-6 * max(k, 1)) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12 * max(k, 1))


def operand(rng, rows, cols, dtype, layout):
    """A (rows, cols) view: 'n' contiguous, 't' a transposed base, 's' a stepped slice."""
    if layout == "n":
        b = rng.uniform(-1, 1, (rows, cols)).astype(dtype)
        return b, b
    if layout == "t":
        b = rng.uniform(-1, 1, (cols, rows)).astype(dtype)
        return b, b.T
    b = rng.uniform(-1, 1, (rows * 2, cols + 3)).astype(dtype)
    return b, b[::2, 1:cols + 1]


def check_matmul(ab, av, bb, bv, dtype, alpha=1.0, beta=0.0, out0=None):
    shape = av.shape[:-1] + bv.shape[-1:]
    out0 = np.zeros(shape, dtype) if out0 is None else out0
    out = to_cuda(out0.copy())
    cuda.matmul(to_cuda(ab, av), to_cuda(bb, bv), out, alpha, beta)
    want = kview(out0.copy())
    cpu.matmul(kview(ab, av), kview(bb, bv), want, alpha, beta)
    # alpha == 0 reads neither operand (NaNs there must not leak in)
    ref = alpha * (av.astype(np.float64) @ bv.astype(np.float64)) if alpha != 0 else np.zeros(shape)
    if beta != 0:
        ref = ref + beta * out0
    got = to_numpy(out)
    np.testing.assert_allclose(got, ref, **gemm_tol(dtype, av.shape[-1]), err_msg=f"{av.shape} @ {bv.shape}")
    np.testing.assert_allclose(got, want.numpy(), **gemm_tol(dtype, av.shape[-1]))


GEMM_SIZES = [(1, 1, 1), (7, 7, 7), (33, 33, 33), (129, 129, 129), (1, 1000, 1), (1000, 8, 1000),
              (128, 128, 128), (260, 64, 132), (1000, 1000, 1000), (5, 0, 6)]


@gpu
@pytest.mark.parametrize("layouts", ["nn", "nt", "tn", "tt", "sn", "ns"])
@pytest.mark.parametrize("mkn", GEMM_SIZES)
def test_matmul_sizes_and_layouts(mkn, layouts):
    m, k, n = mkn
    rng = np.random.default_rng(m * 7 + k * 3 + n)
    ab, av = operand(rng, m, k, np.float32, layouts[0])
    bb, bv = operand(rng, k, n, np.float32, layouts[1])
    check_matmul(ab, av, bb, bv, np.float32)


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_alpha_beta_and_float64(dtype):
    rng = np.random.default_rng(1)
    for m, k, n in [(33, 17, 65), (128, 64, 256), (7, 1000, 3)]:
        for layouts in ["nn", "tt", "sn"]:
            ab, av = operand(rng, m, k, dtype, layouts[0])
            bb, bv = operand(rng, k, n, dtype, layouts[1])
            check_matmul(ab, av, bb, bv, dtype, 0.5, 2.0, rng.uniform(-1, 1, (m, n)).astype(dtype))
            check_matmul(ab, av, bb, bv, dtype, -1.5, 0.0, np.full((m, n), np.nan, dtype))  # beta 0: C unread
    a = np.full((4, 5), np.nan, dtype)
    check_matmul(a, a, a.T.copy(), a.T.copy(), dtype, 0.0, 3.0, np.ones((4, 4), dtype))  # alpha 0: A, B unread


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_matmul_batched_and_broadcast(dtype):
    rng = np.random.default_rng(2)
    cast = (lambda x: np.round(x * 4).astype(dtype)) if dtype == np.int64 else (lambda x: x.astype(dtype))
    for (m, k, n) in [(64, 32, 128), (9, 13, 5)]:
        ab = cast(rng.uniform(-1, 1, (1, m, k)))
        av = np.broadcast_to(ab, (3, m, k))  # batch stride 0
        bb = cast(rng.uniform(-1, 1, (3, n, k)))
        bv = bb.transpose(0, 2, 1)
        if dtype == np.int64:
            out = cuda_empty((3, m, n), dtype)
            cuda.matmul(to_cuda(ab, av), to_cuda(bb, bv), out)
            np.testing.assert_array_equal(to_numpy(out), av @ bv)
        else:
            check_matmul(ab, av, bb, bv, dtype)
    if dtype != np.int64:
        a4 = cast(rng.uniform(-1, 1, (2, 3, 8, 4)))  # 4-d, 16-byte aligned: the vectorised SGEMM
        c4 = cast(rng.uniform(-1, 1, (2, 3, 4, 8)))
        check_matmul(a4, a4, c4, c4, dtype)
        a5 = cast(rng.uniform(-1, 1, (2, 3, 9, 5)))  # row stride 5: the strided fallback
        check_matmul(a5, a5[:, :, 1:, 1:], c4, c4, dtype)


@gpu
def test_matmul_errors():
    a, b = cuda_empty((3, 4)), cuda_empty((4, 5))
    with pytest.raises(TypeError, match="matmul: dtype mismatch"):
        cuda.matmul(a, cuda_empty((4, 5), np.float64), cuda_empty((3, 5)))
    with pytest.raises(ValueError, match="matmul: shape mismatch"):
        cuda.matmul(a, cuda_empty((5, 4)), cuda_empty((3, 4)))
    with pytest.raises(ValueError, match="matmul: out shape mismatch"):
        cuda.matmul(a, b, cuda_empty((3, 4)))
    with pytest.raises(ValueError, match="matmul: CUDA kernel given"):
        cuda.matmul(a, kempty((4, 5)), cuda_empty((3, 5)))


# ---------------------------------------------------------------- reductions
def check_reduce(op, base, view, dims, out_dtype, exact):
    shape = tuple(1 if d in dims else s for d, s in enumerate(view.shape))
    out = cuda_empty(shape, out_dtype)
    cuda.reduce(op, to_cuda(base, view), out, list(dims))
    want = kempty(shape, out_dtype)
    cpu.reduce(op, kview(base, view), want, list(dims))
    if exact:
        np.testing.assert_array_equal(to_numpy(out), want.numpy(), err_msg=f"{op} {view.shape} {dims}")
    else:
        np.testing.assert_allclose(to_numpy(out), want.numpy(), rtol=1e-5, atol=1e-5, err_msg=f"{op} {view.shape} {dims}")


REDUCE_CASES = [((7,), (0,)), ((5, 6), (0,)), ((5, 6), (1,)), ((5, 6), (0, 1)), ((3, 4, 5), (0, 2)),
                ((3, 4, 5), (1,)), ((4, 300), (1,)), ((3000, 5), (0,)), ((), ()), ((2, 0, 3), (1,)),
                ((40, 5000), (0,)), ((5000, 3), (1,))]  # the last two: a thread per output


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("op", ["sum", "prod", "max", "min", "argmax", "argmin", "any", "all"])
def test_reduce_matches_cpu(op, dtype):
    rng = np.random.default_rng(3)
    for shape, dims in REDUCE_CASES:
        empty_red = any(shape[d] == 0 for d in dims)
        if op in ("argmax", "argmin") and (len(dims) != 1 or empty_red):
            continue
        if op in ("max", "min") and empty_red:
            continue
        # small integers: ties (first occurrence for arg ops) and exact products
        base = rng.integers(-3, 4, size=shape).astype(dtype) if op != "prod" else rng.choice([-1.0, 1.0, 0.5, 2.0], size=shape).astype(dtype)
        views = [(base, base)]
        if len(shape) >= 2:
            big = np.ascontiguousarray(np.swapaxes(base, 0, 1))
            views.append((big, np.swapaxes(big, 0, 1)))
        out_dtype = {"argmax": np.int64, "argmin": np.int64, "any": np.bool_, "all": np.bool_}.get(op, dtype)
        for b, v in views:
            check_reduce(op, b, v, dims, out_dtype, exact=op not in ("sum", "prod") or dtype == np.int64)


@gpu
def test_reduce_long_rows_nan_and_bool():
    rng = np.random.default_rng(4)
    x = rng.standard_normal(2_500_003).astype(np.float32)  # split over blocks
    check_reduce("sum", x, x, (0,), np.float32, exact=False)
    for op in ("max", "argmax", "argmin", "min"):
        check_reduce(op, x, x, (0,), np.int64 if op.startswith("arg") else np.float32, exact=True)
    y = rng.standard_normal((3, 70_000))
    y[1, 12345] = np.nan
    for op in ("max", "argmax", "sum"):
        check_reduce(op, y, y, (1,), np.int64 if op == "argmax" else np.float64, exact=op != "sum")
    bx = rng.random((40, 33)) > 0.7
    for op in ("any", "all"):
        check_reduce(op, bx, bx, (0,), np.bool_, exact=True)
        check_reduce(op, bx, bx, (1,), np.bool_, exact=True)


# ---------------------------------------------------------------- softmax, cross-entropy
SOFTMAX_CASES = [((7,), 0), ((4, 10), 1), ((4, 10), 0), ((3, 300), 1), ((2, 5, 6), 1), ((64, 1000), 1), ((0, 3), 1)]


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_forward_backward(log, dtype):
    rng = np.random.default_rng(5)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    for shape, dim in SOFTMAX_CASES:
        base = (rng.standard_normal(shape) * 4).astype(dtype)
        views = [(base, base)]
        if len(shape) == 2:
            t = np.ascontiguousarray(base.T)
            views.append((t, t.T))
        for b, v in views:
            out = cuda_empty(shape, dtype)
            cuda.softmax(to_cuda(b, v), out, dim, log)
            want = kempty(shape, dtype)
            cpu.softmax(kview(b, v), want, dim, log)
            y = to_numpy(out)
            np.testing.assert_allclose(y, want.numpy(), **tol)
            gy_base = rng.standard_normal(shape[::-1]).astype(dtype)
            gy = gy_base.T  # strided grad_y
            gx = cuda_empty(shape, dtype)
            yb = np.ascontiguousarray(y)
            cuda.softmax_backward(to_cuda(yb), to_cuda(gy_base, gy), gx, dim, log)
            gwant = kempty(shape, dtype)
            cpu.softmax_backward(kview(yb), kview(gy_base, gy), gwant, dim, log)
            np.testing.assert_allclose(to_numpy(gx), gwant.numpy(), **tol)


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_matches_cpu(dtype):
    rng = np.random.default_rng(6)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for n, c in [(1, 1), (5, 10), (64, 1000), (3, 7)]:
        logits = (rng.standard_normal((n, c)) * 3).astype(dtype)
        target = rng.integers(0, c, n).astype(np.int64)
        target[0] = -100
        weight = rng.uniform(0.5, 2, c).astype(dtype)
        for w in (None, weight):
            for eps in (0.0, 0.1):
                args_cpu = (kview(logits), kview(target), None if w is None else kview(w))
                args_gpu = (to_cuda(logits), to_cuda(target), None if w is None else to_cuda(w))
                loss, lse = cuda_empty((n,), dtype), cuda_empty((n,), dtype)
                cuda.cross_entropy(*args_gpu, loss, lse, -100, eps)
                wl, we = kempty(n, dtype), kempty(n, dtype)
                cpu.cross_entropy(*args_cpu, wl, we, -100, eps)
                np.testing.assert_allclose(to_numpy(loss), wl.numpy(), **tol)
                np.testing.assert_allclose(to_numpy(lse), we.numpy(), **tol)
                gl = rng.standard_normal(n).astype(dtype)
                gx = cuda_empty((n, c), dtype)
                cuda.cross_entropy_backward(*args_gpu, to_cuda(we.numpy().copy()), to_cuda(gl), gx, -100, eps)
                gw = kempty((n, c), dtype)
                cpu.cross_entropy_backward(*args_cpu, kview(we.numpy().copy()), kview(gl), gw, -100, eps)
                np.testing.assert_allclose(to_numpy(gx), gw.numpy(), **tol)


@gpu
def test_cross_entropy_bad_target_raises_index_error():
    logits = to_cuda(np.zeros((3, 4), np.float32))
    for bad in (4, -1):
        target = to_cuda(np.array([0, bad, 1], np.int64))
        with pytest.raises(IndexError, match=f"cross_entropy: target {bad} is out of bounds for 4 classes"):
            cuda.cross_entropy(logits, target, None, cuda_empty((3,)), cuda_empty((3,)), -100, 0.0)
    cuda.synchronize()


# ---------------------------------------------------------------- indexing
@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_index_select_gather_match_cpu(dtype):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((6, 5, 4)) * 5).astype(dtype)
    xt = np.ascontiguousarray(x.transpose(2, 1, 0))
    for xb, xv in [(x, x), (xt, xt.transpose(2, 1, 0))]:
        for dim in (0, 1, -1):
            size = xv.shape[dim]
            idx = rng.integers(-size, size, 9).astype(np.int64)
            shape = list(xv.shape)
            shape[dim] = 9
            out = cuda_empty(tuple(shape), dtype)
            cuda.index_select(to_cuda(xb, xv), dim, to_cuda(idx), out)
            want = kempty(tuple(shape), dtype)
            cpu.index_select(kview(xb, xv), dim, kview(idx), want)
            np.testing.assert_array_equal(to_numpy(out), want.numpy())
            gshape = list(xv.shape)
            gshape[dim] = 7
            gidx = rng.integers(-size, size, gshape).astype(np.int64)
            out = cuda_empty(tuple(gshape), dtype)
            cuda.gather(to_cuda(xb, xv), dim, to_cuda(gidx), out)
            want = kempty(tuple(gshape), dtype)
            cpu.gather(kview(xb, xv), dim, kview(gidx), want)
            np.testing.assert_array_equal(to_numpy(out), want.numpy())


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_index_add_put_scatter_add_match_cpu(dtype):
    rng = np.random.default_rng(8)
    target0 = rng.integers(-5, 5, (6, 5)).astype(dtype)
    idx = np.array([0, 3, 3, -1, 0, 2, 3], np.int64)  # duplicates
    src_base = rng.integers(-5, 5, (5, 7)).astype(dtype)
    src = src_base.T  # (7, 5), strided
    for name, extra in [("index_add", ()), ("index_put", (True,)), ("index_put", (False,))]:
        t = to_cuda(target0.copy())
        getattr(cuda, name)(t, 0, to_cuda(idx), to_cuda(src_base, src), *extra)
        want = kview(target0.copy())
        getattr(cpu, name)(want, 0, kview(idx), kview(src_base, src), *extra)
        np.testing.assert_array_equal(to_numpy(t), want.numpy(), err_msg=f"{name}{extra}")
    sidx = rng.integers(-6, 6, (4, 3)).astype(np.int64)
    ssrc = rng.integers(-5, 5, (5, 4)).astype(dtype)
    t = to_cuda(target0.copy())
    cuda.scatter_add(t, 0, to_cuda(sidx), to_cuda(ssrc))
    want = kview(target0.copy())
    cpu.scatter_add(want, 0, kview(sidx), kview(ssrc))
    np.testing.assert_array_equal(to_numpy(t), want.numpy())


@gpu
def test_index_errors_raise_index_error_before_writing():
    x = np.arange(20, dtype=np.float32).reshape(4, 5)
    dx = to_cuda(x)
    bad = to_cuda(np.array([0, 7, 1], np.int64))
    with pytest.raises(IndexError, match="index_select: index 7 is out of bounds for dim 0 with size 4"):
        cuda.index_select(dx, 0, bad, cuda_empty((3, 5)))
    with pytest.raises(IndexError, match="index_add: index 7 is out of bounds for dim 0 with size 4"):
        cuda.index_add(dx, 0, bad, to_cuda(np.ones((3, 5), np.float32)))
    with pytest.raises(IndexError, match="index_put: index -6 is out of bounds for dim 1 with size 5"):
        cuda.index_put(dx, 1, to_cuda(np.array([-6], np.int64)), to_cuda(np.ones((4, 1), np.float32)), False)
    gidx = np.zeros((4, 5), np.int64)
    gidx[2, 3] = 5
    with pytest.raises(IndexError, match="gather: index 5 is out of bounds for dim 1 with size 5"):
        cuda.gather(dx, 1, to_cuda(gidx), cuda_empty((4, 5)))
    with pytest.raises(IndexError, match="scatter_add: index 5 is out of bounds"):
        cuda.scatter_add(dx, 1, to_cuda(gidx), to_cuda(np.ones((4, 5), np.float32)))
    with pytest.raises(IndexError, match="index_select: dim 2 is out of range"):
        cuda.index_select(dx, 2, to_cuda(np.zeros(1, np.int64)), cuda_empty((4, 5)))
    np.testing.assert_array_equal(to_numpy(dx), x)  # nothing was written
    cuda.synchronize()


@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_count_nonzero_and_nonzero_match_cpu(dtype):
    rng = np.random.default_rng(9)
    for shape in [(), (0,), (7,), (5, 6), (3, 4, 5), (70, 300)]:
        mask = np.asarray(rng.random(shape) > 0.6)
        base = np.asarray(mask.astype(dtype) if dtype == np.bool_ else (mask * -2.5).astype(dtype))
        views = [(base, base)]
        if len(shape) == 2:
            t = np.ascontiguousarray(base.T)
            views.append((t, t.T))
        for b, v in views:
            n = cuda.count_nonzero(to_cuda(b, v))
            assert n == cpu.count_nonzero(kview(b, v))
            out = cuda_empty((n, len(shape)), np.int64)
            cuda.nonzero(to_cuda(b, v), out)
            np.testing.assert_array_equal(to_numpy(out), np.argwhere(v))
    with pytest.raises(ValueError, match="nonzero: out must be contiguous int64"):
        cuda.nonzero(to_cuda(np.ones(3, np.float32)), cuda_empty((2, 1), np.int64))


# ---------------------------------------------------------------- random
@gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_streams_equal_cpu(dtype):
    for n, seed, offset in [(1, 0, 0), (1000, 42, 7), (100_003, 2**63 + 5, 2**40)]:
        for name, args, exact in [("random_uniform", (-2.0, 3.0), True), ("random_normal", (1.0, 2.0), False),
                                  ("random_int", (-5, 9), True), ("bernoulli", (0.3,), True)]:
            out = cuda_empty((n,), dtype)
            nxt = getattr(cuda, name)(out, seed, offset, *args)
            want = kempty(n, dtype)
            assert nxt == getattr(cpu, name)(want, seed, offset, *args) == offset + n
            if exact:
                np.testing.assert_array_equal(to_numpy(out), want.numpy(), err_msg=name)
            else:
                np.testing.assert_allclose(to_numpy(out), want.numpy(), rtol=2e-7 if dtype == np.float32 else 1e-13,
                                           atol=1e-12, err_msg=name)


@gpu
def test_random_int_bool_randperm_arange():
    for dtype in (np.int64, np.bool_):
        out = cuda_empty((999,), dtype)
        if dtype == np.int64:
            cuda.random_int(out, 3, 11, -(2**63), 2**63 - 1)
            want = kempty(999, dtype)
            cpu.random_int(want, 3, 11, -(2**63), 2**63 - 1)
        else:
            cuda.bernoulli(out, 3, 11, 0.5)
            want = kempty(999, dtype)
            cpu.bernoulli(want, 3, 11, 0.5)
        np.testing.assert_array_equal(to_numpy(out), want.numpy())
    for n in (0, 1, 10, 5000):
        out = cuda_empty((n,), np.int64)
        want = kempty(n, np.int64)
        assert cuda.randperm(out, 9, 4) == cpu.randperm(want, 9, 4) == 4 + n
        np.testing.assert_array_equal(to_numpy(out), want.numpy())
    for dtype, start, step in [(np.int64, -3, 2), (np.int64, 0.5, 1.5), (np.float32, 0.1, 0.3), (np.float64, 1, -0.25)]:
        base = np.zeros(40, dtype)
        dev = to_cuda(base, base[::2])  # strided out
        cuda.arange(dev, float(start), float(step))
        want = np.zeros(40, dtype)
        cpu.arange(kview(want, want[::2]), float(start), float(step))
        np.testing.assert_array_equal(to_numpy(dev), want[::2])
    with pytest.raises(ValueError, match="random_uniform: out must be contiguous"):
        b = np.zeros(8, np.float32)
        cuda.random_uniform(to_cuda(b, b[::2]), 0, 0, 0.0, 1.0)
    with pytest.raises(ValueError, match="arange: values overflow int64"):
        cuda.arange(cuda_empty((3,), np.int64), 2.0**62, 2.0**62)
