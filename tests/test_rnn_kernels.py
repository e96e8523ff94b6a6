"""Fused LSTM / GRU cell kernels in _C.cpu: forward against a float64 NumPy reference
of the PyTorch equations, backward against central finite differences, and a 5-step
LSTM unrolled in NumPy (GEMMs) + kernels (pointwise) checked by backprop through time."""
import itertools

import numpy as np
import pytest

from fastdl import _C
from isa_switch import avx2_switched, vector_and_portable
from kernel_views import kempty, kview

cpu = _C.cpu
SIZES = list(itertools.product([1, 3, 17], [1, 3, 17]))  # (B, H)
TOL = {np.float32: dict(rtol=1e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---- float64 NumPy references of the equations ---------------------------------------
def ref_lstm(gates, c_prev):
    H = c_prev.shape[1]
    i, f = sigmoid(gates[:, :H]), sigmoid(gates[:, H:2 * H])
    g, o = np.tanh(gates[:, 2 * H:3 * H]), sigmoid(gates[:, 3 * H:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c, np.concatenate([i, f, g, o], axis=1)


def ref_gru(gi, gh, h_prev):
    H = h_prev.shape[1]
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return (1 - z) * n + z * h_prev, np.concatenate([r, z, n, gh[:, 2 * H:]], axis=1)


# ---- kernel drivers: NumPy in, NumPy out -------------------------------------------
def k_lstm_fwd(gates, c_prev):
    B, H = c_prev.shape
    h, c, act = kempty((B, H), gates.dtype), kempty((B, H), gates.dtype), kempty((B, 4 * H), gates.dtype)
    cpu.lstm_cell_forward(kview(gates), kview(c_prev), h, c, act)
    return h.numpy(), c.numpy(), act.numpy()


def k_lstm_bwd(act, c_prev, c, grad_h, grad_c):
    B, H = c_prev.shape
    dg, dcp = kempty((B, 4 * H), act.dtype), kempty((B, H), act.dtype)
    cpu.lstm_cell_backward(kview(act), kview(c_prev), kview(c), kview(grad_h), kview(grad_c), dg, dcp)
    return dg.numpy(), dcp.numpy()


def k_gru_fwd(gi, gh, h_prev):
    B, H = h_prev.shape
    h, saved = kempty((B, H), gi.dtype), kempty((B, 4 * H), gi.dtype)
    cpu.gru_cell_forward(kview(gi), kview(gh), kview(h_prev), h, saved)
    return h.numpy(), saved.numpy()


def k_gru_bwd(saved, h_prev, grad_h):
    B, H = h_prev.shape
    dgi, dgh, dhp = kempty((B, 3 * H), saved.dtype), kempty((B, 3 * H), saved.dtype), kempty((B, H), saved.dtype)
    cpu.gru_cell_backward(kview(saved), kview(h_prev), kview(grad_h), dgi, dgh, dhp)
    return dgi.numpy(), dgh.numpy(), dhp.numpy()


def numeric_grad(loss, x, eps=1e-6):
    """Central differences of the scalar loss() w.r.t. every entry of x (perturbed in place)."""
    g = np.zeros_like(x)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + eps
        lp = loss()
        flat[k] = old - eps
        lm = loss()
        flat[k] = old
        gflat[k] = (lp - lm) / (2 * eps)
    return g


def lstm_inputs(rng, B, H, dtype=np.float64):
    # Pre-activations of order 1..2 exercise the non-linear part of every gate.
    return (rng.standard_normal((B, 4 * H)) * 1.5).astype(dtype), rng.standard_normal((B, H)).astype(dtype)


def gru_inputs(rng, B, H, dtype=np.float64):
    return tuple(rng.standard_normal(s).astype(dtype) for s in [(B, 3 * H), (B, 3 * H), (B, H)])


# ---- forward -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("B,H", SIZES + [(0, 3), (2, 0)])
def test_lstm_forward(B, H, dtype):
    gates, c_prev = lstm_inputs(np.random.default_rng(B * 100 + H), B, H, dtype)
    got = k_lstm_fwd(gates, c_prev)
    want = ref_lstm(gates.astype(np.float64), c_prev.astype(np.float64))
    for g, w in zip(got, want):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, w, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("B,H", SIZES + [(0, 3), (2, 0)])
def test_gru_forward(B, H, dtype):
    gi, gh, h_prev = gru_inputs(np.random.default_rng(B * 100 + H + 7), B, H, dtype)
    got = k_gru_fwd(gi, gh, h_prev)
    want = ref_gru(*(a.astype(np.float64) for a in (gi, gh, h_prev)))
    for g, w in zip(got, want):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, w, **TOL[dtype])


def test_forward_extreme_preactivations_stay_finite():
    # Saturated gates: sigmoid must reach exactly 0/1 without exp overflow turning into NaN.
    for dtype in (np.float32, np.float64):
        gates = np.array([[-1e4, 1e4, -800.0, 800.0, 1e4, -1e4, 90.0, -90.0]], dtype=dtype)
        c_prev = np.array([[2.0, -3.0]], dtype=dtype)
        h, c, act = k_lstm_fwd(gates, c_prev)
        assert np.all(np.isfinite(h)) and np.all(np.isfinite(c)) and np.all(np.isfinite(act))
        # i=[0,1] f=[0,1] g=[1,-1] o=[1,0]: c = f*c_prev + i*g = [0, -4], h = o*tanh(c) = [0, 0]
        np.testing.assert_allclose(act, [[0, 1, 0, 1, 1, -1, 1, 0]], atol=1e-30)
        np.testing.assert_allclose(c, [[0.0, -4.0]], atol=1e-30)
        np.testing.assert_allclose(h, [[0.0, 0.0]], atol=1e-30)


def test_lstm_forward_in_place_activations():
    # act_out may be the gates buffer itself (saves a (B, 4H) allocation per step).
    gates, c_prev = lstm_inputs(np.random.default_rng(1), 5, 6)
    want = ref_lstm(gates, c_prev)
    g = kview(gates.copy())
    h, c = kempty((5, 6), np.float64), kempty((5, 6), np.float64)
    cpu.lstm_cell_forward(g, kview(c_prev), h, c, g)
    np.testing.assert_allclose(g.numpy(), want[2], rtol=1e-12)
    np.testing.assert_allclose(c.numpy(), want[1], rtol=1e-12)


# ---- backward vs finite differences (float64), and float32 vs float64 ---------------
@pytest.mark.parametrize("B,H", SIZES)
def test_lstm_backward_finite_differences(B, H):
    rng = np.random.default_rng(B * 31 + H)
    gates, c_prev = lstm_inputs(rng, B, H)
    w1, w2 = rng.standard_normal((B, H)), rng.standard_normal((B, H))

    def loss():
        h, c, _ = k_lstm_fwd(gates, c_prev)
        return np.sum(w1 * h) + np.sum(w2 * c)

    _, c, act = k_lstm_fwd(gates, c_prev)
    dgates, dc_prev = k_lstm_bwd(act, c_prev, c, w1, w2)
    np.testing.assert_allclose(dgates, numeric_grad(loss, gates), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dc_prev, numeric_grad(loss, c_prev), rtol=1e-6, atol=1e-8)

    # float32 kernel against the float64 one (itself checked above).
    f = lambda a: a.astype(np.float32)  # noqa: E731
    dg32, dcp32 = k_lstm_bwd(f(act), f(c_prev), f(c), f(w1), f(w2))
    assert dg32.dtype == np.float32
    np.testing.assert_allclose(dg32, dgates, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dcp32, dc_prev, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("B,H", SIZES)
def test_gru_backward_finite_differences(B, H):
    rng = np.random.default_rng(B * 37 + H)
    gi, gh, h_prev = gru_inputs(rng, B, H)
    w = rng.standard_normal((B, H))

    def loss():
        return np.sum(w * k_gru_fwd(gi, gh, h_prev)[0])

    _, saved = k_gru_fwd(gi, gh, h_prev)
    dgi, dgh, dhp = k_gru_bwd(saved, h_prev, w)
    np.testing.assert_allclose(dgi, numeric_grad(loss, gi), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dgh, numeric_grad(loss, gh), rtol=1e-6, atol=1e-8)
    # gh is an input independent of h_prev here, so FD w.r.t. h_prev is the direct path only.
    np.testing.assert_allclose(dhp, numeric_grad(loss, h_prev), rtol=1e-6, atol=1e-8)

    f = lambda a: a.astype(np.float32)  # noqa: E731
    for g32, g64 in zip(k_gru_bwd(f(saved), f(h_prev), f(w)), (dgi, dgh, dhp)):
        assert g32.dtype == np.float32
        np.testing.assert_allclose(g32, g64, rtol=1e-5, atol=1e-6)


def test_lstm_backward_grad_c_prev_in_place():
    # grad_c_prev may overwrite grad_c: BPTT carries one (B, H) buffer through the steps.
    rng = np.random.default_rng(5)
    gates, c_prev = lstm_inputs(rng, 4, 5)
    _, c, act = k_lstm_fwd(gates, c_prev)
    gh_, gc = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    want_dg, want_dcp = k_lstm_bwd(act, c_prev, c, gh_, gc)
    carry = kview(gc.copy())
    dg = kempty((4, 20), np.float64)
    cpu.lstm_cell_backward(kview(act), kview(c_prev), kview(c), kview(gh_), carry, dg, carry)
    np.testing.assert_allclose(dg.numpy(), want_dg, rtol=1e-14)
    np.testing.assert_allclose(carry.numpy(), want_dcp, rtol=1e-14)


# ---- float32 AVX2 cells (csrc/cpu/rnn_cells_avx2.cpp) vs the scalar *_elem equations ----
# H covers the 8-wide blocks with and without a masked tail; (64, 128) is the benchmark
# step (threaded where it pays). Pre-activations up to +-12 include saturated gates.
VEC_SIZES = [(1, 1), (1, 7), (1, 8), (3, 9), (2, 16), (4, 17), (5, 31), (64, 128)]
F32_EPS = float(np.finfo(np.float32).eps)


def assert_few_ulp(vec, scalar):
    # a few float32 ulps of the values (or of 1 for results near 0, e.g. 1 - s*s)
    for v, s in zip(vec, scalar):
        np.testing.assert_allclose(v, s, rtol=8 * F32_EPS, atol=4 * F32_EPS)


needs_avx2 = pytest.mark.skipif(not _C.cpu_has_avx2_fma(), reason="CPU without AVX2/FMA: one path only")


def wide(rng, *shape):
    return (rng.standard_normal(shape) * 4).clip(-12, 12).astype(np.float32)


@needs_avx2
@pytest.mark.parametrize("B,H", VEC_SIZES)
def test_vector_lstm_cells_match_scalar(B, H):
    rng = np.random.default_rng(B * 1000 + H)
    gates, c_prev = wide(rng, B, 4 * H), wide(rng, B, H)
    fwd_v, fwd_s = vector_and_portable(k_lstm_fwd, gates, c_prev)
    assert_few_ulp(fwd_v, fwd_s)
    _, c, act = fwd_s
    bwd_v, bwd_s = vector_and_portable(k_lstm_bwd, act, c_prev, c, wide(rng, B, H), wide(rng, B, H))
    assert_few_ulp(bwd_v, bwd_s)


@needs_avx2
@pytest.mark.parametrize("B,H", VEC_SIZES)
def test_vector_gru_cells_match_scalar(B, H):
    rng = np.random.default_rng(B * 1000 + H + 1)
    gi, gh, h_prev = wide(rng, B, 3 * H), wide(rng, B, 3 * H), wide(rng, B, H)
    fwd_v, fwd_s = vector_and_portable(k_gru_fwd, gi, gh, h_prev)
    assert_few_ulp(fwd_v, fwd_s)
    bwd_v, bwd_s = vector_and_portable(k_gru_bwd, fwd_s[1], h_prev, wide(rng, B, H))
    assert_few_ulp(bwd_v, bwd_s)


@needs_avx2
def test_vector_cells_in_place_and_specials():
    # act_out == gates and grad_c_prev == grad_c on the AVX2 path; inf / NaN pre-activations
    rng = np.random.default_rng(9)
    B, H = 3, 11
    gates, c_prev = wide(rng, B, 4 * H), wide(rng, B, H)
    gates[0, :4] = [np.inf, -np.inf, 1e30, -1e30]
    gates[1, 0] = np.nan
    want_h, want_c, want_act = vector_and_portable(k_lstm_fwd, gates, c_prev)[1]
    g = kview(gates.copy())
    h, c = kempty((B, H), np.float32), kempty((B, H), np.float32)
    with avx2_switched(True):
        cpu.lstm_cell_forward(g, kview(c_prev), h, c, g)
        assert_few_ulp([g.numpy(), c.numpy(), h.numpy()], [want_act, want_c, want_h])
        np.testing.assert_array_equal(np.isnan(h.numpy()), np.isnan(want_h))
        grad_h, grad_c = wide(rng, B, H), wide(rng, B, H)
        want_dg, want_dcp = k_lstm_bwd(want_act, c_prev, want_c, grad_h, grad_c)
        carry = kview(grad_c.copy())
        dg = kempty((B, 4 * H), np.float32)
        cpu.lstm_cell_backward(kview(want_act), kview(c_prev), kview(want_c), kview(grad_h), carry, dg, carry)
        assert_few_ulp([dg.numpy(), carry.numpy()], [want_dg, want_dcp])


@pytest.mark.parametrize("B,H", [(1, 9), (4, 17)])
def test_float64_cells_take_the_scalar_path(B, H):
    # float64 always runs the *_elem equations: bit-identical with AVX2 on or off
    rng = np.random.default_rng(H)
    gates, c_prev = rng.standard_normal((B, 4 * H)) * 3, rng.standard_normal((B, H))
    for v, s in zip(*vector_and_portable(k_lstm_fwd, gates, c_prev)):
        assert v.dtype == np.float64
        np.testing.assert_array_equal(v, s)
    gi, gh, h_prev = (rng.standard_normal(s) for s in [(B, 3 * H), (B, 3 * H), (B, H)])
    for v, s in zip(*vector_and_portable(k_gru_fwd, gi, gh, h_prev)):
        np.testing.assert_array_equal(v, s)


# ---- multi-step LSTM: GEMMs in NumPy, pointwise via the kernels, BPTT ---------------
class UnrolledLSTM:
    """T steps of an LSTM: gates_t = x_t W_ih^T + h W_hh^T + b; loss = sum_t <wh_t, h_t> + <wc, c_T>."""

    def __init__(self, rng, T, B, D, H):
        s = 1.0 / np.sqrt(H)
        self.W_ih = rng.uniform(-s, s, (4 * H, D)) * 2
        self.W_hh = rng.uniform(-s, s, (4 * H, H)) * 2
        self.b = rng.uniform(-s, s, 4 * H)
        self.x = rng.standard_normal((T, B, D))
        self.h0, self.c0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
        self.wh, self.wc = rng.standard_normal((T, B, H)), rng.standard_normal((B, H))

    def forward(self):
        h, c, tape = self.h0, self.c0, []
        loss = 0.0
        for t in range(self.x.shape[0]):
            gates = self.x[t] @ self.W_ih.T + h @ self.W_hh.T + self.b
            h_new, c_new, act = k_lstm_fwd(gates, c)
            tape.append((h, c, c_new, act))
            h, c = h_new, c_new
            loss += np.sum(self.wh[t] * h)
        return loss + np.sum(self.wc * c), tape

    def backward(self, tape):
        dW_ih, dW_hh, db = np.zeros_like(self.W_ih), np.zeros_like(self.W_hh), np.zeros_like(self.b)
        dh_next, dc = np.zeros_like(self.h0), self.wc.copy()
        for t in reversed(range(self.x.shape[0])):
            h_prev, c_prev, c, act = tape[t]
            dgates, dc = k_lstm_bwd(act, c_prev, c, self.wh[t] + dh_next, dc)
            dW_ih += dgates.T @ self.x[t]
            dW_hh += dgates.T @ h_prev
            db += dgates.sum(axis=0)
            dh_next = dgates @ self.W_hh
        return dict(h0=dh_next, c0=dc, W_ih=dW_ih, W_hh=dW_hh, b=db)


@pytest.mark.parametrize("B,H", SIZES)
def test_lstm_bptt_five_steps(B, H):
    m = UnrolledLSTM(np.random.default_rng(B * 7 + H), T=5, B=B, D=3, H=H)
    grads = m.backward(m.forward()[1])
    for name, g in grads.items():
        num = numeric_grad(lambda: m.forward()[0], getattr(m, name))
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-7, err_msg=name)


# ---- whole sequences: NumPy reference, kernels, and torch.nn.LSTM / GRU if present ----
def ref_sequence(cell, x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """float64 NumPy single-layer LSTM ("lstm") or GRU ("gru") over x (T, B, D), as
    torch.nn.LSTM/GRU with batch_first=False. Returns outputs (T, B, H), h_T, c_T (None for GRU)."""
    h, c, outs = h0, c0, []
    for x_t in x:
        gi, gh = x_t @ W_ih.T + b_ih, h @ W_hh.T + b_hh
        if cell == "lstm":
            h, c, _ = ref_lstm(gi + gh, c)
        else:
            h, _ = ref_gru(gi, gh, h)
        outs.append(h)
    return np.stack(outs), h, c


def kernel_sequence(cell, x, h0, c0, W_ih, W_hh, b_ih, b_hh):
    """The same recurrence with the pointwise part done by the fused kernels, the way
    an nn.LSTM/GRU layer uses them: one GEMM for x over all steps, one per step for h."""
    gi_all = x @ W_ih.T + b_ih
    h, c, outs = h0, c0, []
    for gi in gi_all:
        gh = h @ W_hh.T + b_hh
        if cell == "lstm":
            h, c, _ = k_lstm_fwd(np.ascontiguousarray(gi + gh), c)
        else:
            h, _ = k_gru_fwd(np.ascontiguousarray(gi), gh, h)
        outs.append(h)
    return np.stack(outs), h, c


def sequence_inputs(cell, dtype, T=6, B=3, D=4, H=5, seed=11):
    rng = np.random.default_rng(seed)
    G, s = (4 if cell == "lstm" else 3) * H, 1.0 / np.sqrt(H)
    arrs = [rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H)),
            rng.uniform(-s, s, (G, D)), rng.uniform(-s, s, (G, H)), rng.uniform(-s, s, G), rng.uniform(-s, s, G)]
    return [a.astype(dtype) for a in arrs]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_sequence_kernels_match_reference(cell, dtype):
    args = sequence_inputs(cell, dtype)
    want = ref_sequence(cell, *(a.astype(np.float64) for a in args))
    got = kernel_sequence(cell, *args)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    for g, w in zip(got, want):
        if w is not None:
            np.testing.assert_allclose(g, w, **tol)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_sequence_reference_matches_torch(cell):
    torch = pytest.importorskip("torch")
    x, h0, c0, W_ih, W_hh, b_ih, b_hh = sequence_inputs(cell, np.float64)
    T, B, D = x.shape
    H = h0.shape[1]
    mod = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(D, H).double()
    with torch.no_grad():
        for name, val in [("weight_ih_l0", W_ih), ("weight_hh_l0", W_hh), ("bias_ih_l0", b_ih), ("bias_hh_l0", b_hh)]:
            getattr(mod, name).copy_(torch.from_numpy(val))
        t = lambda a: torch.from_numpy(a)  # noqa: E731
        if cell == "lstm":
            out, (h_n, c_n) = mod(t(x), (t(h0)[None], t(c0)[None]))
        else:
            out, h_n = mod(t(x), t(h0)[None])
            c_n = None
    want_out, want_h, want_c = ref_sequence(cell, x, h0, c0, W_ih, W_hh, b_ih, b_hh)
    np.testing.assert_allclose(out.numpy(), want_out, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(h_n[0].numpy(), want_h, rtol=1e-12, atol=1e-13)
    if c_n is not None:
        np.testing.assert_allclose(c_n[0].numpy(), want_c, rtol=1e-12, atol=1e-13)


# ---- error cases -------------------------------------------------------------------
def f32(*shape):
    return kempty(shape, np.float32)


def lstm_fwd_args(B=2, H=3):
    return [f32(B, 4 * H), f32(B, H), f32(B, H), f32(B, H), f32(B, 4 * H)]


def test_lstm_forward_errors():
    a = lstm_fwd_args()
    a[0] = f32(2, 3 * 3)  # gates not 4H wide
    with pytest.raises(ValueError, match=r"lstm_cell_forward: gates must be \[2, 12\].*float32\[2, 9\]"):
        cpu.lstm_cell_forward(*a)
    a = lstm_fwd_args()
    a[2] = f32(3, 3)  # h_out batch mismatch
    with pytest.raises(ValueError, match="lstm_cell_forward: h_out"):
        cpu.lstm_cell_forward(*a)
    a = lstm_fwd_args()
    a[1] = f32(6)  # 1-D
    with pytest.raises(ValueError, match="lstm_cell_forward: c_prev must be 2-D"):
        cpu.lstm_cell_forward(*a)
    a = lstm_fwd_args()
    a[3] = kempty((2, 3), np.float64)  # mixed dtypes
    with pytest.raises(TypeError, match="lstm_cell_forward: all operands must share one dtype"):
        cpu.lstm_cell_forward(*a)
    a = [kempty(x._shape, np.int64) for x in lstm_fwd_args()]
    with pytest.raises(TypeError, match="lstm_cell_forward: expected float32 or float64"):
        cpu.lstm_cell_forward(*a)
    a = lstm_fwd_args()
    base = np.zeros((12, 2), np.float32)
    a[0] = kview(base, base.T)  # transposed gates
    with pytest.raises(ValueError, match="lstm_cell_forward: gates must be contiguous"):
        cpu.lstm_cell_forward(*a)


def test_lstm_backward_errors():
    B, H = 2, 3
    args = [f32(B, 4 * H), f32(B, H), f32(B, H), f32(B, H), f32(B, H), f32(B, 4 * H), f32(B, H)]
    bad = list(args)
    bad[5] = f32(B, 4 * H + 1)
    with pytest.raises(ValueError, match="lstm_cell_backward: grad_gates must be"):
        cpu.lstm_cell_backward(*bad)
    bad = list(args)
    base = np.zeros((B, 2 * H), np.float32)
    bad[3] = kview(base, base[:, ::2])  # strided columns
    with pytest.raises(ValueError, match="lstm_cell_backward: grad_h must be contiguous"):
        cpu.lstm_cell_backward(*bad)
    bad = list(args)
    bad[4] = kempty((B, H), np.float64)
    with pytest.raises(TypeError, match="lstm_cell_backward"):
        cpu.lstm_cell_backward(*bad)


def test_gru_errors():
    B, H = 2, 3
    fwd = [f32(B, 3 * H), f32(B, 3 * H), f32(B, H), f32(B, H), f32(B, 4 * H)]
    bad = list(fwd)
    bad[4] = f32(B, 3 * H)  # saved must be 4H: it also keeps gh_n
    with pytest.raises(ValueError, match=r"gru_cell_forward: saved must be \[2, 12\]"):
        cpu.gru_cell_forward(*bad)
    bad = list(fwd)
    base = np.zeros((2 * B, 3 * H), np.float32)
    bad[1] = kview(base, base[::2])  # strided rows
    with pytest.raises(ValueError, match="gru_cell_forward: gh must be contiguous"):
        cpu.gru_cell_forward(*bad)
    bad = list(fwd)
    bad[0] = kempty((B, 3 * H), np.bool_)
    with pytest.raises(TypeError, match="gru_cell_forward"):
        cpu.gru_cell_forward(*bad)

    bwd = [f32(B, 4 * H), f32(B, H), f32(B, H), f32(B, 3 * H), f32(B, 3 * H), f32(B, H)]
    bad = list(bwd)
    bad[2] = f32(B + 1, H)
    with pytest.raises(ValueError, match="gru_cell_backward: grad_h must be"):
        cpu.gru_cell_backward(*bad)
    bad = list(bwd)
    bad[5] = kempty((B, H), np.float64)
    with pytest.raises(TypeError, match="gru_cell_backward: all operands must share one dtype"):
        cpu.gru_cell_backward(*bad)
    with pytest.raises(TypeError):  # not a tensor at all
        cpu.gru_cell_backward(np.zeros((B, 4 * H)), *bwd[1:])
