"""Automatic mixed precision (fastdl/amp): autocast's op policy against torch's CPU
autocast on the same code, its state (nesting, decorator, threads, bad input), the
weight cast cache, custom_fwd / custom_bwd, and GradScaler's schedule step by step
against torch's, with small training loops that learn."""
import threading
import warnings

import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F

rng = np.random.default_rng(0)
A = rng.standard_normal((4, 6)).astype(np.float32)
B = rng.standard_normal((6, 5)).astype(np.float32)
W = rng.standard_normal((5, 6)).astype(np.float32)
V5 = rng.standard_normal(5).astype(np.float32)
V6 = rng.standard_normal(6).astype(np.float32)
B3 = rng.standard_normal((2, 4, 6)).astype(np.float32)
C3 = rng.standard_normal((2, 6, 5)).astype(np.float32)
M45 = rng.standard_normal((4, 5)).astype(np.float32)
X1 = rng.standard_normal((2, 3, 8)).astype(np.float32)
K1 = rng.standard_normal((4, 3, 3)).astype(np.float32)
X2 = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
K2 = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
X3 = rng.standard_normal((1, 2, 4, 4, 4)).astype(np.float32)
K3 = rng.standard_normal((3, 2, 2, 2, 2)).astype(np.float32)
Q = rng.standard_normal((2, 3, 4)).astype(np.float32)
POS = np.abs(A) + 0.5
PROB = 1 / (1 + np.exp(-A))
TGT = np.array([1, 0, 4, 2])

# name -> fn(lib, F, t): t(array) makes a tensor of the input dtype under test, t(i, int) an index
OPS = {
    # lower precision list
    "matmul_op": lambda L, F, t: t(A) @ t(B),
    "matmul": lambda L, F, t: L.matmul(t(A), t(B)),
    "matmul_batched": lambda L, F, t: L.matmul(t(B3), t(C3)),
    "mm": lambda L, F, t: L.mm(t(A), t(B)),
    "Tensor.mm": lambda L, F, t: t(A).mm(t(B)),
    "bmm": lambda L, F, t: L.bmm(t(B3), t(C3)),
    "addmm": lambda L, F, t: L.addmm(t(M45), t(A), t(B)),
    "addbmm": lambda L, F, t: L.addbmm(t(M45), t(B3), t(C3)),
    "baddbmm": lambda L, F, t: L.baddbmm(t(M45), t(B3), t(C3)),
    "linear": lambda L, F, t: F.linear(t(A), t(W), t(V5)),
    "conv1d": lambda L, F, t: F.conv1d(t(X1), t(K1)),
    "conv2d": lambda L, F, t: F.conv2d(t(X2), t(K2), padding=1),
    "conv3d": lambda L, F, t: F.conv3d(t(X3), t(K3)),
    "conv_transpose1d": lambda L, F, t: F.conv_transpose1d(t(X1), t(K1.transpose(1, 0, 2).copy())),
    "conv_transpose2d": lambda L, F, t: F.conv_transpose2d(t(X2), t(K2.transpose(1, 0, 2, 3).copy())),
    "conv_transpose3d": lambda L, F, t: F.conv_transpose3d(t(X3), t(K3.transpose(1, 0, 2, 3, 4).copy())),
    "prelu": lambda L, F, t: F.prelu(t(X2), t(np.array([0.25], np.float32))),
    "sdpa": lambda L, F, t: F.scaled_dot_product_attention(t(Q), t(Q), t(Q)),
    # float32 list (CPU)
    "mse_loss": lambda L, F, t: F.mse_loss(t(A), t(A * 0.5)),
    "l1_loss": lambda L, F, t: F.l1_loss(t(A), t(A * 0.5)),
    "smooth_l1_loss": lambda L, F, t: F.smooth_l1_loss(t(A), t(A * 0.5)),
    "huber_loss": lambda L, F, t: F.huber_loss(t(A), t(A * 0.5)),
    "cross_entropy": lambda L, F, t: F.cross_entropy(t(M45), t(TGT, int)),
    "nll_loss": lambda L, F, t: F.nll_loss(t(M45), t(TGT, int)),
    "kl_div": lambda L, F, t: F.kl_div(t(A), t(PROB), reduction="batchmean"),
    "bce": lambda L, F, t: F.binary_cross_entropy(t(PROB), t(PROB * 0.5)),
    "bce_with_logits": lambda L, F, t: F.binary_cross_entropy_with_logits(t(A), t(PROB)),
    "soft_margin_loss": lambda L, F, t: F.soft_margin_loss(t(A), t(np.sign(A))),
    "cdist": lambda L, F, t: L.cdist(t(A), t(A)),
    "prod": lambda L, F, t: L.prod(t(POS)),
    "trace": lambda L, F, t: L.trace(t(A)),
    "quantile": lambda L, F, t: L.quantile(t(V6), 0.3),
    # promote list (CPU)
    "cat": lambda L, F, t: L.cat([t(A), t(A).to(L.bfloat16)]),
    "stack": lambda L, F, t: L.stack([t(A), t(A)]),
    # outside the lists: the input's dtype
    "exp": lambda L, F, t: L.exp(t(A)),
    "sum": lambda L, F, t: t(A).sum(),
    "softmax": lambda L, F, t: F.softmax(t(A), dim=-1),
    "layer_norm": lambda L, F, t: F.layer_norm(t(A), (6,)),
    "relu": lambda L, F, t: F.relu(t(A)),
    "add_mixed": lambda L, F, t: t(A) + t(A).to(L.bfloat16),
}


def _maker(lib, dtype):
    def t(a, kind=float):
        if kind is int:
            return lib.tensor(a.tolist(), dtype=lib.int64)
        return lib.tensor(a.tolist(), dtype=lib.float32).to(dtype)
    return t


def _dtypes(lib, Fn, name, input_dtype, autocast_dtype):
    t = _maker(lib, getattr(lib, input_dtype))
    with lib.autocast("cpu", dtype=getattr(lib, autocast_dtype)):
        out = OPS[name](lib, Fn, t)
    return str(out.dtype).split(".")[-1]


@pytest.mark.parametrize("autocast_dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("input_dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("name", list(OPS))
def test_op_dtype_matches_torch(name, input_dtype, autocast_dtype):
    torch = pytest.importorskip("torch")
    if autocast_dtype == "float16" and input_dtype == "bfloat16" and name in ("cat", "stack"):
        pytest.skip("torch raises 'Unexpected floating ScalarType in at::autocast::prioritize' here")
    want = _dtypes(torch, torch.nn.functional, name, input_dtype, autocast_dtype)
    assert _dtypes(fastdl, F, name, input_dtype, autocast_dtype) == want


def test_lower_precision_values_are_the_cast_op():
    # the op computed on the inputs rounded to bfloat16: exactly fastdl's bfloat16 op
    a, b = fastdl.tensor(A), fastdl.tensor(B)
    with fastdl.autocast("cpu"):
        got = a @ b
    want = a.bfloat16() @ b.bfloat16()
    assert got.dtype is fastdl.bfloat16
    np.testing.assert_array_equal(got.float().numpy(), want.float().numpy())
    np.testing.assert_allclose(got.float().numpy(), A @ B, rtol=2e-2, atol=5e-2)


def test_outside_autocast_unchanged_and_fronts_restored():
    a, b = fastdl.tensor(A), fastdl.tensor(B)
    front = fastdl.Tensor.__dict__["__matmul__"]
    with fastdl.autocast("cpu"):
        assert fastdl.Tensor.__dict__["__matmul__"] is not front  # the Python front stands in
        a @ b
    assert fastdl.Tensor.__dict__["__matmul__"] is front and fastdl.matmul is front
    assert (a @ b).dtype is fastdl.float32 and F.linear(a, fastdl.tensor(W)).dtype is fastdl.float32


def test_grads_reach_float32_parameters():
    torch = pytest.importorskip("torch")
    out = {}
    for lib in (fastdl, torch):
        w = lib.tensor(W.tolist(), requires_grad=True)
        x = lib.tensor(A.tolist())
        with lib.autocast("cpu"):
            y = lib.nn.functional.linear(x, w)
            loss = (y.float() ** 2).mean()
        loss.backward()
        assert w.grad.dtype == lib.float32
        out[lib.__name__] = w.grad.numpy() if lib is fastdl else w.grad.detach().numpy()
    np.testing.assert_allclose(out["fastdl"], out["torch"], rtol=2e-2, atol=2e-2)


def test_weight_cast_cache():
    w = fastdl.tensor(W, requires_grad=True)
    x = fastdl.tensor(A)
    from fastdl.amp import autocast_mode as am
    with fastdl.autocast("cpu"):
        F.linear(x, w)
        F.linear(x, w)
        assert len(am._tls.cache) == 1  # one bfloat16 copy for both uses
        with fastdl.autocast("cpu"):  # nested regions share it
            F.linear(x, w)
        assert len(am._tls.cache) == 1
    assert len(am._tls.cache) == 0  # cleared when the outermost region ends
    with fastdl.autocast("cpu", cache_enabled=False):
        F.linear(x, w)
        assert len(am._tls.cache) == 0


def test_nesting_enabled_false_and_state():
    assert not fastdl.is_autocast_enabled("cpu")
    assert fastdl.get_autocast_dtype("cpu") is fastdl.bfloat16
    assert fastdl.get_autocast_dtype("cuda") is fastdl.float16
    a, b = fastdl.tensor(A), fastdl.tensor(B)
    with fastdl.autocast("cpu"):
        assert fastdl.is_autocast_enabled("cpu") and not fastdl.is_autocast_enabled()
        with fastdl.autocast("cpu", enabled=False):
            assert not fastdl.is_autocast_enabled("cpu")
            assert (a @ b).dtype is fastdl.float32
        assert fastdl.is_autocast_enabled("cpu") and (a @ b).dtype is fastdl.bfloat16
        with fastdl.autocast("cpu", dtype=fastdl.float16):
            assert fastdl.get_autocast_dtype("cpu") is fastdl.float16 and (a @ b).dtype is fastdl.float16
        assert fastdl.get_autocast_dtype("cpu") is fastdl.bfloat16
    assert not fastdl.is_autocast_enabled("cpu")
    fastdl.set_autocast_enabled("cpu", True)
    try:
        assert (a @ b).dtype is fastdl.bfloat16
    finally:
        fastdl.set_autocast_enabled("cpu", False)
    assert (a @ b).dtype is fastdl.float32


def test_exception_inside_restores_state():
    with pytest.raises(KeyError):
        with fastdl.autocast("cpu"):
            raise KeyError("x")
    assert not fastdl.is_autocast_enabled("cpu")
    assert (fastdl.tensor(A) @ fastdl.tensor(B)).dtype is fastdl.float32


def test_decorator_and_aliases():
    @fastdl.autocast("cpu")
    def f(a, b):
        return fastdl.is_autocast_enabled("cpu"), a @ b

    on, y = f(fastdl.tensor(A), fastdl.tensor(B))
    assert on and y.dtype is fastdl.bfloat16 and not fastdl.is_autocast_enabled("cpu")
    assert fastdl.amp.autocast is fastdl.autocast
    with pytest.warns(FutureWarning, match="fastdl.amp.autocast"):
        ctx = fastdl.cpu.amp.autocast()
    with ctx:
        assert fastdl.is_autocast_enabled("cpu")
    with pytest.warns(FutureWarning):
        fastdl.cuda.amp.autocast(enabled=False)


def test_thread_local():
    seen = {}
    a, b = fastdl.tensor(A), fastdl.tensor(B)
    inside, done = threading.Event(), threading.Event()

    def other():
        inside.wait()
        seen["enabled"] = fastdl.is_autocast_enabled("cpu")
        seen["dtype"] = (a @ b).dtype
        done.set()

    th = threading.Thread(target=other)
    th.start()
    with fastdl.autocast("cpu"):
        inside.set()
        done.wait()
        assert (a @ b).dtype is fastdl.bfloat16
    th.join()
    assert seen == {"enabled": False, "dtype": fastdl.float32}


def test_bad_input():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="foo"):
        fastdl.autocast("foo")
    with pytest.raises(ValueError, match="str"):
        fastdl.autocast(3)
    with pytest.raises(RuntimeError):
        torch.autocast("foo")
    for lib in (fastdl, torch):
        with pytest.warns(UserWarning, match="Disabling autocast"):
            ctx = lib.autocast("cpu", dtype=lib.float32)
        with ctx:
            assert not lib.is_autocast_enabled("cpu")
            assert (lib.ones(2, 2) @ lib.ones(2, 2)).dtype == lib.float32
    with pytest.raises(RuntimeError, match="foo"):
        fastdl.is_autocast_enabled("foo")


def test_custom_fwd_bwd():
    seen = {}

    class Mul(fastdl.autograd.Function):
        @staticmethod
        @fastdl.amp.custom_fwd(device_type="cpu", cast_inputs=fastdl.float32)
        def forward(ctx, a, b):
            seen["fwd"] = (a.dtype, fastdl.is_autocast_enabled("cpu"))
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        @fastdl.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            seen["bwd"] = fastdl.is_autocast_enabled("cpu")
            a, b = ctx.saved_tensors
            return g * b, g * a

    a = fastdl.tensor(A, requires_grad=True)
    with fastdl.autocast("cpu"):
        y = Mul.apply(a.bfloat16(), fastdl.tensor(A))
    assert seen["fwd"] == (fastdl.float32, False) and y.dtype is fastdl.float32
    y.sum().backward()
    assert seen["bwd"] is False and a.grad.dtype is fastdl.float32
    with pytest.raises(ValueError):
        fastdl.amp.custom_fwd(device_type=1)


# ---- GradScaler ----

def _scaler_run(lib, grads_inf, **kw):
    """A parameter stepped by SGD under a GradScaler; the gradient is inf at the steps in
    grads_inf. Returns the scale, growth tracker and parameter after every step."""
    p = lib.tensor([1.0, -2.0], requires_grad=True)
    opt = lib.optim.SGD([p], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", **kw)
    trace = []
    for step in range(len(grads_inf) if isinstance(grads_inf, list) else 0):
        opt.zero_grad()
        loss = (p * p).sum()
        if grads_inf[step]:
            loss = loss * float("inf")
        scaler.scale(loss).backward()
        ret = scaler.step(opt)
        scaler.update()
        pv = p.detach().numpy().tolist()
        trace.append((scaler.get_scale(), scaler._get_growth_tracker(), pv, ret))
    return trace, scaler


def test_grad_scaler_schedule_matches_torch():
    torch = pytest.importorskip("torch")
    pattern = [False, False, True, False, False, False, True, True, False, False, False]
    kw = dict(init_scale=2.0 ** 10, growth_factor=4.0, backoff_factor=0.25, growth_interval=3)
    ours, _ = _scaler_run(fastdl, pattern, **kw)
    theirs, _ = _scaler_run(torch, pattern, **kw)
    assert [t[:2] for t in ours] == [t[:2] for t in theirs]
    np.testing.assert_allclose([t[2] for t in ours], [t[2] for t in theirs], rtol=1e-6)
    # hand check: an inf step backs off and leaves the parameter; growth after 3 clean steps
    assert ours[2][0] == 2.0 ** 10 / 4 and ours[2][2] == ours[1][2]
    assert ours[5][0] == 2.0 ** 10 and ours[5][1] == 0


def test_grad_scaler_state_dict_and_accessors():
    torch = pytest.importorskip("torch")
    _, ours = _scaler_run(fastdl, [False, True, False], growth_interval=5)
    _, theirs = _scaler_run(torch, [False, True, False], growth_interval=5)
    assert ours.state_dict() == theirs.state_dict()
    fresh = fastdl.amp.GradScaler("cpu")
    fresh.load_state_dict(ours.state_dict())
    assert fresh.get_scale() == ours.get_scale() and fresh._get_growth_tracker() == 1
    assert fresh.get_growth_factor() == 2.0 and fresh.get_backoff_factor() == 0.5
    assert fresh.get_growth_interval() == 5 and fresh.is_enabled()
    off = fastdl.amp.GradScaler("cpu", enabled=False)
    assert off.state_dict() == {} and off.get_scale() == 1.0 and not off.is_enabled()
    with pytest.raises(RuntimeError, match="empty"):
        fresh.load_state_dict({})
    x = fastdl.ones(2)
    assert off.scale(x) is x


def test_grad_scaler_errors_and_unscale_clip():
    p = fastdl.tensor([3.0, 4.0], requires_grad=True)
    opt = fastdl.optim.SGD([p], lr=0.1)
    scaler = fastdl.amp.GradScaler("cpu", init_scale=8.0)
    with pytest.raises(RuntimeError, match="scale"):
        scaler.step(opt)
    scaler.scale((p * p).sum()).backward()
    np.testing.assert_allclose(p.grad.numpy(), [48.0, 64.0])
    scaler.unscale_(opt)
    np.testing.assert_allclose(p.grad.numpy(), [6.0, 8.0])
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    fastdl.nn.utils.clip_grad_norm_([p], 1.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    scaler.step(opt)
    np.testing.assert_allclose(p.detach().numpy(), [2.94, 3.92], rtol=1e-6)
    with pytest.raises(RuntimeError, match="step"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match="Closure"):
        scaler.step(opt, closure=lambda: 0)
    scaler.update()
    with pytest.raises(AssertionError):
        scaler.update()
    scaler.update(new_scale=2.0)
    assert scaler.get_scale() == 2.0
    with pytest.raises(ValueError):
        fastdl.amp.GradScaler("cpu", growth_factor=0.5)
    with pytest.warns(UserWarning, match="CUDA is not available"):
        if fastdl.cuda.is_available():
            warnings.warn("CUDA is not available (skipped: a GPU is present)")
        else:
            assert not fastdl.amp.GradScaler().is_enabled()
    with pytest.warns(FutureWarning):
        fastdl.cuda.amp.GradScaler(enabled=False)


def test_mlp_and_cnn_learn_under_autocast_and_scaler():
    fastdl.manual_seed(0)
    nn = fastdl.nn
    x = fastdl.tensor(rng.standard_normal((64, 8)).astype(np.float32))
    y = (x[:, :1] * 2 - x[:, 1:2]).detach()
    mlp = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    img = fastdl.tensor(rng.standard_normal((16, 1, 8, 8)).astype(np.float32))
    label = fastdl.tensor((img.numpy().mean(axis=(1, 2, 3)) > 0).astype(np.int64))
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(256, 2))
    for model, inp, target, loss_fn in ((mlp, x, y, F.mse_loss), (cnn, img, label, F.cross_entropy)):
        opt = fastdl.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        scaler = fastdl.amp.GradScaler("cpu", init_scale=2.0 ** 8)
        losses = []
        for _ in range(30):
            opt.zero_grad()
            with fastdl.autocast("cpu"):
                out = model(inp)
                assert out.dtype is fastdl.bfloat16
                loss = loss_fn(out, target)
                assert loss.dtype is fastdl.float32  # loss functions run in float32
            scaler.scale(loss).backward()
            for p in model.parameters():
                assert p.dtype is fastdl.float32 and p.grad.dtype is fastdl.float32
            scaler.step(opt)
            scaler.update()
            losses.append(float(loss.item()))
        assert losses[-1] < 0.5 * losses[0], losses
