"""The kernels and shortcuts that keep small training steps cheap: the fused linear
backward, the multi-tensor Adam step, the one-node mse_loss and the binary-op fast
path. Each is checked against a float64 NumPy reference or the general path it
replaces."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.ops._util import empty
from fastdl.testing import gradcheck
from test_cuda_backend import gpu


def _t(a):
    return fastdl.tensor(np.asarray(a))


# ---- cpu.linear_backward -------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_linear_backward_kernel_matches_numpy(dtype, layout):
    rng = np.random.default_rng(0)
    M, K, N = 7, 5, 3
    g, x, w = rng.standard_normal((M, N)), rng.standard_normal((M, K)), rng.standard_normal((N, K))
    if layout == "transposed":  # strided views: the kernel must honour any strides
        fg, fx, fw = (_t(a.T.copy().astype(dtype)).t() for a in (g, x, w))
    else:
        fg, fx, fw = (_t(a.astype(dtype)) for a in (g, x, w))
    dt = fastdl.float32 if dtype == np.float32 else fastdl.float64
    gx, gw, gb = empty((M, K), dt, fg.device), empty((N, K), dt, fg.device), empty((N,), dt, fg.device)
    _C.cpu.linear_backward(fg, fx, fw, gx, gw, gb)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(gx.numpy(), g @ w, rtol=tol, atol=tol)
    np.testing.assert_allclose(gw.numpy(), g.T @ x, rtol=tol, atol=tol)
    np.testing.assert_allclose(gb.numpy(), g.sum(0), rtol=tol, atol=tol)


def test_linear_backward_kernel_computes_only_what_is_asked():
    rng = np.random.default_rng(1)
    g, x = _t(rng.standard_normal((4, 3))), _t(rng.standard_normal((4, 2)))
    gw = empty((3, 2), g.dtype, g.device)
    _C.cpu.linear_backward(g, x, None, None, gw, None)  # weight not needed for grad_weight
    np.testing.assert_allclose(gw.numpy(), g.numpy().T @ x.numpy(), rtol=1e-12)


@pytest.mark.parametrize("args, match", [
    (lambda g, x, w: (g, x, w, empty((4, 3), g.dtype, g.device), None, None), "grad_input must be \\[4, 2\\]"),
    (lambda g, x, w: (g, x, None, empty((4, 2), g.dtype, g.device), None, None), "grad_input needs the weight"),
    (lambda g, x, w: (g, None, w, None, empty((3, 2), g.dtype, g.device), None), "grad_weight needs the input"),
    (lambda g, x, w: (g, x, w.t(), None, None, None), "weight must be \\[3, 2\\]"),
    (lambda g, x, w: (g, x.float(), w, None, None, None), "expected dtype float64"),
])
def test_linear_backward_kernel_errors(args, match):
    g, x, w = _t(np.ones((4, 3))), _t(np.ones((4, 2))), _t(np.ones((3, 2)))
    with pytest.raises((ValueError, TypeError), match="linear_backward: " + match):
        _C.cpu.linear_backward(*args(g, x, w))


@pytest.mark.parametrize("x_shape, bias", [((5, 4), True), ((2, 3, 4), True), ((5, 4), False)])
def test_linear_gradients_through_the_fused_backward(x_shape, bias):
    rng = np.random.default_rng(2)
    x = _t(rng.standard_normal(x_shape)).requires_grad_()
    w = _t(rng.standard_normal((3, 4))).requires_grad_()
    b = _t(rng.standard_normal(3)).requires_grad_() if bias else None
    inputs = (x, w, b) if bias else (x, w)
    assert gradcheck(lambda *a: fastdl.nn.functional.linear(*a), inputs)


def test_linear_backward_with_only_the_input_needing_grad_saves_no_input():
    x = _t(np.ones((2, 4))).requires_grad_()
    w = _t(np.ones((3, 4)))
    y = fastdl.nn.functional.linear(x, w)
    w.mul_(2)  # the weight is saved (x's gradient needs it): modifying it must be caught
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ---- cpu.adam_step_multi ----------------------------------------------------------------

@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_step_multi_equals_one_call_per_tensor(amsgrad):
    rng = np.random.default_rng(3)
    shapes, steps = [(3, 4), (5,), (2, 2, 2)], [1, 4, 9]

    def fresh():
        p = [_t(rng.standard_normal(s).astype(np.float32)) for s in shapes]
        return p, [[t.clone() for t in p] for _ in range(4)]

    params, (grads, ms, vs, vmaxs) = fresh()
    for t in vs + vmaxs:
        t.abs_()
    copies = [[t.clone() for t in ts] for ts in (params, grads, ms, vs, vmaxs)]
    hyper = (1e-2, 0.9, 0.999, 1e-8, 0.1, amsgrad, False, False)
    _C.cpu.adam_step_multi(params, grads, ms, vs, vmaxs if amsgrad else [], steps, *hyper)
    for i in range(len(shapes)):
        p, g, m, v, vmax = (ts[i] for ts in copies)
        _C.cpu.adam_step(p, g, m, v, vmax if amsgrad else None, steps[i], *hyper)
        for a, b in ((params[i], p), (ms[i], m), (vs[i], v)) + (((vmaxs[i], vmax),) if amsgrad else ()):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert [t._buf.version for t in params] == [1, 1, 1]  # every written tensor is bumped
    assert [t._buf.version for t in grads] == [0, 0, 0]


def test_adam_step_multi_errors():
    p = _t(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="adam_step_multi: expected 1 grads"):
        _C.cpu.adam_step_multi([p], [], [p.clone()], [p.clone()], [], [1], 1e-3, 0.9, 0.999, 1e-8, 0, False,
                               False, False)
    with pytest.raises(ValueError, match="adam_step: max_exp_avg_sq is required when amsgrad"):
        _C.cpu.adam_step(p, p.clone(), p.clone(), p.clone(), None, 1, 1e-3, 0.9, 0.999, 1e-8, 0, True, False, False)


def test_adam_mixes_the_multi_tensor_call_and_strided_parameters():
    """A transposed parameter takes the per-tensor path, the rest one call; the result
    equals Adam run on contiguous copies."""
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(5)
    strided = _t(a.T.copy()).t().detach().requires_grad_()
    plain = _t(b).requires_grad_()
    ref = [_t(a).requires_grad_(), _t(b).requires_grad_()]
    opt, opt_ref = fastdl.optim.Adam([strided, plain], lr=0.1), fastdl.optim.Adam(ref, lr=0.1)
    for step in range(3):
        for ps, o in (([strided, plain], opt), (ref, opt_ref)):
            o.zero_grad()
            loss = (ps[0] * ps[0]).sum() + ((ps[1] * 3).sum() if step != 1 else 0)  # plain skips step 1
            loss.backward()
            o.step()
    assert not strided.is_contiguous()
    np.testing.assert_allclose(strided.detach().numpy(), ref[0].detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(plain.detach().numpy(), ref[1].detach().numpy(), rtol=1e-14)
    assert opt.state[plain]["step"] == 2 and opt.state[strided]["step"] == 3


@gpu
def test_linear_and_adam_on_cuda_take_the_fused_kernels_and_match_the_cpu():
    """F.linear's one-call backward and Adam's multi-tensor step on CUDA (with one
    strided parameter on the per-tensor path) give what they give on the CPU."""
    rng = np.random.default_rng(6)
    x, w, b = rng.standard_normal((2, 5, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
    runs = []
    for dev in ("cpu", "cuda"):
        xs = _t(x).to(dev)
        wt = _t(w.T.copy()).to(dev).t().detach().requires_grad_()  # strided: per-tensor path
        bs = _t(b).to(dev).requires_grad_()
        opt = fastdl.optim.Adam([wt, bs], lr=0.1, amsgrad=True)
        for _ in range(3):
            opt.zero_grad()
            (fastdl.nn.functional.linear(xs, wt, bs) ** 2).sum().backward()
            opt.step()
        runs.append([t.detach().cpu().numpy() for t in (wt, bs, wt.grad, bs.grad)])
    for got, want in zip(runs[1], runs[0]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# ---- mse_loss as one node, binary fast path ------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_gradients_with_broadcasting_and_target_grad(reduction):
    rng = np.random.default_rng(5)
    x = _t(rng.standard_normal((4, 3))).requires_grad_()
    t = _t(rng.standard_normal((3,))).requires_grad_()
    assert gradcheck(lambda a, b: fastdl.mse_loss(a, b, reduction=reduction), (x, t))


def test_mse_loss_mixed_dtypes_give_each_input_its_own_dtype():
    x = _t(np.array([1.0, 2.0])).requires_grad_()
    t = fastdl.tensor([0.5, 0.0], dtype=fastdl.float32).requires_grad_()
    loss = fastdl.mse_loss(x, t)
    assert loss.dtype is fastdl.float64
    loss.backward()
    assert x.grad.dtype is fastdl.float64 and t.grad.dtype is fastdl.float32
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 2.0])
    np.testing.assert_allclose(t.grad.numpy(), [-0.5, -2.0])


@pytest.mark.parametrize("a, b, dtype", [
    (np.ones(3, np.float32), 2, fastdl.float32),          # tensor-number fast path
    (np.ones(3, np.float32), 2.5, fastdl.float32),
    (np.ones(3, np.int64), 2.5, fastdl.float32),          # promotion: the general path
    (np.ones(3, np.float32), np.ones(3, np.float64), fastdl.float64),
    (np.ones((2, 3), np.float32), np.ones(3, np.float32), fastdl.float32),  # broadcasting
])
def test_binary_ops_promote_and_broadcast_as_before(a, b, dtype):
    fa = fastdl.tensor(a)
    fb = fastdl.tensor(b) if isinstance(b, np.ndarray) else b
    out = fa * fb
    assert out.dtype is dtype
    np.testing.assert_allclose(out.numpy(), np.asarray(a, np.float64) * np.asarray(b, np.float64))


@pytest.mark.parametrize("a, b, dtype", [
    (np.array([1.0, -2.0, 3.0], np.float32), 0.0, fastdl.float32),   # relu's backward: the fast path
    (np.array([1, -2, 3], np.int64), 0.5, fastdl.float32),           # promotion: the general path
    (np.array([1.0, -2.0, 3.0]), np.array([7.0]), fastdl.float64),   # broadcasting
])
def test_where_fast_path_agrees_with_numpy(a, b, dtype):
    mask = np.array([True, False, True])
    out = fastdl.where(fastdl.tensor(mask), fastdl.tensor(a), fastdl.tensor(b) if isinstance(b, np.ndarray) else b)
    assert out.dtype is dtype
    np.testing.assert_array_equal(out.numpy(), np.where(mask, a, b))


def test_small_op_bench_rows_are_valid_and_report_per_op_times():
    from fastdl import bench
    try:
        import torch
    except ImportError:
        torch = None
    b = bench.Bench(1, True, torch)
    b.rounds, b.sample_s = 1, 0.001
    bench.bench_small_ops(b)
    assert [r["kernel"] for r in b.rows] == ["small op overhead", "small op + backward"]
    for r, n_ops in zip(b.rows, (2, 3)):
        assert r["valid"]
        assert r["fastdl_per_op_us"] == pytest.approx(r["fastdl_ms"] * 1e3 / n_ops)
        assert ("torch_per_op_us" in r) == (torch is not None)
