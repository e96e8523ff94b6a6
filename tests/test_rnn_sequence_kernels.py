"""The LSTM / GRU sequence kernels of _C.cpu (csrc/cpu/rnn_sequence.h: the whole time
loop of one layer in one call): forward against a float64 NumPy loop of the
equations, backward against central finite differences of that forward, the same
results on 1 and 2 threads, on the AVX2 and scalar paths and with a strided W_hh,
and errors that name the op and the operand."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from isa_switch import vector_and_portable
from kernel_views import kempty, kview
from test_rnn_kernels import needs_avx2, numeric_grad, ref_gru, ref_lstm

cpu = _C.cpu
# (T, B, H): one step, one row, H below / not a multiple of the 8-lane block, and
# B = 13 and 64 rows, which the threads split mid micro-tile (6 rows).
SHAPES = [(1, 1, 1), (1, 3, 5), (4, 1, 8), (3, 13, 13), (5, 7, 17), (2, 64, 20)]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


def steps(T, reverse):
    """(t, prev slot, next slot) in processing order."""
    return [(t, t + 1, t) for t in range(T - 1, -1, -1)] if reverse else [(t, t, t + 1) for t in range(T)]


def states(h0, T, reverse):
    hs = np.zeros((T + 1,) + h0.shape, h0.dtype)
    hs[T if reverse else 0] = h0
    return hs


# ---- float64 NumPy references ----------------------------------------------------------
def ref_lstm_sequence(pre, w_hh, h0, c0, reverse):
    T = pre.shape[0]
    acts, hs, cs = np.zeros_like(pre), states(h0, T, reverse), states(c0, T, reverse)
    for t, p, n in steps(T, reverse):
        hs[n], cs[n], acts[t] = ref_lstm(pre[t] + hs[p] @ w_hh.T, cs[p])
    return acts, hs, cs


def ref_gru_sequence(gi, w_hh, b_hh, h0, reverse):
    T = gi.shape[0]
    hs, saved = states(h0, T, reverse), np.zeros(gi.shape[:2] + (4 * h0.shape[1],))
    for t, p, n in steps(T, reverse):
        hs[n], saved[t] = ref_gru(gi[t], hs[p] @ w_hh.T + (0 if b_hh is None else b_hh), hs[p])
    return hs, saved


# ---- kernel drivers: NumPy in, NumPy out -------------------------------------------------
def k_lstm_forward(pre, w_hh, h0, c0, reverse):
    T = pre.shape[0]
    acts, hs, cs = pre.copy(), states(h0, T, reverse), states(c0, T, reverse)
    cpu.lstm_sequence_forward(kview(acts), kview(w_hh), kview(hs), kview(cs), reverse)
    return acts, hs, cs


def k_lstm_backward(acts, w_hh, cs, g_out, g_h, g_c, reverse):
    dh, dc, dg = g_h.copy(), g_c.copy(), np.zeros_like(acts)
    cpu.lstm_sequence_backward(kview(acts), kview(w_hh), kview(cs), kview(g_out), kview(dh), kview(dc), kview(dg),
                               reverse)
    return dg, dh, dc


def k_gru_forward(gi, w_hh, b_hh, h0, reverse):
    T, B, G = gi.shape
    hs, saved = states(h0, T, reverse), np.zeros((T, B, G // 3 * 4), gi.dtype)
    cpu.gru_sequence_forward(kview(gi), kview(w_hh), None if b_hh is None else kview(b_hh), kview(hs),
                             kview(saved), reverse)
    return hs, saved


def k_gru_backward(saved, w_hh, hs, g_out, g_h, reverse):
    dh, dgi = g_h.copy(), np.zeros(saved.shape[:2] + (w_hh.shape[0],), saved.dtype)
    dgh = np.zeros_like(dgi)
    cpu.gru_sequence_backward(kview(saved), kview(w_hh), kview(hs), kview(g_out), kview(dh), kview(dgi),
                              kview(dgh), reverse)
    return dgi, dgh, dh


def outputs(hs, reverse):
    return hs[:-1] if reverse else hs[1:]


def final(hs, reverse):
    return hs[0] if reverse else hs[-1]


def lstm_case(T, B, H, dtype, seed=0):
    rng = np.random.default_rng(seed + 97 * T + 13 * B + H)
    s = 1.0 / np.sqrt(max(H, 1))
    return [(rng.standard_normal((T, B, 4 * H)) * 1.5).astype(dtype), rng.uniform(-2 * s, 2 * s, (4 * H, H)).astype(dtype),
            rng.standard_normal((B, H)).astype(dtype), rng.standard_normal((B, H)).astype(dtype)]


def gru_case(T, B, H, dtype, seed=0):
    rng = np.random.default_rng(seed + 89 * T + 11 * B + H)
    s = 1.0 / np.sqrt(max(H, 1))
    return [(rng.standard_normal((T, B, 3 * H)) * 1.5).astype(dtype), rng.uniform(-2 * s, 2 * s, (3 * H, H)).astype(dtype),
            rng.uniform(-s, s, 3 * H).astype(dtype), rng.standard_normal((B, H)).astype(dtype)]



# ---- forward ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("T,B,H", SHAPES)
def test_lstm_forward_matches_reference(T, B, H, reverse, dtype, threads):
    pre, w, h0, c0 = lstm_case(T, B, H, dtype)
    got = k_lstm_forward(pre, w, h0, c0, reverse)
    want = ref_lstm_sequence(*(a.astype(np.float64) for a in (pre, w, h0, c0)), reverse)
    for name, g, wv in zip(["acts", "hs", "cs"], got, want):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, wv, **TOL[dtype], err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("T,B,H", SHAPES)
def test_gru_forward_matches_reference(T, B, H, bias, reverse, dtype, threads):
    gi, w, b, h0 = gru_case(T, B, H, dtype)
    b = b if bias else None
    got = k_gru_forward(gi, w, b, h0, reverse)
    want = ref_gru_sequence(gi.astype(np.float64), w.astype(np.float64), None if b is None else b.astype(np.float64),
                            h0.astype(np.float64), reverse)
    for name, g, wv in zip(["hs", "saved"], got, want):
        np.testing.assert_allclose(g, wv, **TOL[dtype], err_msg=name)


def k_lstm_forward_with_input(x, w_ih, bias, w_hh, h0, c0, reverse):
    """The forward that projects the input itself: returns acts, hs, cs and xh."""
    T, B, I = x.shape
    H = w_hh.shape[1]
    acts, hs, cs = np.full((T, B, 4 * H), np.nan, x.dtype), states(h0, T, reverse), states(c0, T, reverse)
    xh = np.full((T, B, I + H + 1), np.nan, x.dtype)
    xh[..., :I], xh[..., -1] = x, 1
    cpu.lstm_sequence_forward(kview(acts), kview(w_hh), kview(hs), kview(cs), reverse, kview(xh), kview(w_ih),
                              None if bias is None else kview(bias))
    return acts, hs, cs, xh


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("T,B,H,I", [(1, 1, 1, 1), (1, 3, 5, 7), (4, 1, 8, 16), (3, 13, 13, 3), (2, 64, 20, 33),
                                     (2, 3, 4, 0)])
def test_lstm_forward_with_input_matches_reference(T, B, H, I, bias, reverse, dtype, threads):
    """x_t W_ih^T + bias inside the loop: the same as the reference on the projections,
    and xh left holding [x_t | h_prev | 1] of every step."""
    _, w, h0, c0 = lstm_case(T, B, H, dtype)
    rng = np.random.default_rng(T + B + H + I + 7)
    x = rng.standard_normal((T, B, I)).astype(dtype)
    w_ih = (rng.standard_normal((4 * H, I)) / np.sqrt(max(I, 1))).astype(dtype)
    b = rng.standard_normal(4 * H).astype(dtype) if bias else None
    acts, hs, cs, xh = k_lstm_forward_with_input(x, w_ih, b, w, h0, c0, reverse)
    pre = x.astype(np.float64) @ w_ih.T.astype(np.float64) + (0 if b is None else b)
    want = ref_lstm_sequence(pre, w.astype(np.float64), h0.astype(np.float64), c0.astype(np.float64), reverse)
    for g, r in zip((acts, hs, cs), want):
        np.testing.assert_allclose(g, r, **TOL[dtype])
    np.testing.assert_array_equal(xh[..., :I], x)
    np.testing.assert_array_equal(xh[..., I:I + H], hs[1:] if reverse else hs[:-1])
    np.testing.assert_array_equal(xh[..., -1], np.ones((T, B), dtype))


def test_lstm_forward_with_input_strided_weights():
    _, w, h0, c0 = lstm_case(3, 5, 6, np.float32)
    rng = np.random.default_rng(8)
    x, w_ih = rng.standard_normal((3, 5, 4)).astype(np.float32), rng.standard_normal((24, 4)).astype(np.float32)
    b = rng.standard_normal(48).astype(np.float32)[::2]  # a strided bias
    want = k_lstm_forward_with_input(x, w_ih, np.ascontiguousarray(b), w, h0, c0, False)
    acts, hs, cs = np.zeros((3, 5, 24), np.float32), states(h0, 3, False), states(c0, 3, False)
    xh = np.zeros((3, 5, 11), np.float32)
    xh[..., :4], xh[..., -1] = x, 1
    w_ih_t, w_t = np.ascontiguousarray(w_ih.T), np.ascontiguousarray(w.T)
    b_base = rng.standard_normal(48).astype(np.float32)
    b_base[::2] = b
    cpu.lstm_sequence_forward(kview(acts), kview(w_t, w_t.T), kview(hs), kview(cs), False, kview(xh),
                              kview(w_ih_t, w_ih_t.T), kview(b_base, b_base[::2]))
    for got, ref in zip((acts, hs, cs, xh), want):
        np.testing.assert_array_equal(got, ref)


def test_strided_w_hh_gives_the_same_result():
    # W_hh may be any view: here a transposed copy seen through .T
    pre, w, h0, c0 = lstm_case(3, 5, 9, np.float32)
    wt = np.ascontiguousarray(w.T)
    got = [k_lstm_forward(pre, w, h0, c0, False)]
    acts, hs, cs = pre.copy(), states(h0, 3, False), states(c0, 3, False)
    cpu.lstm_sequence_forward(kview(acts), kview(wt, wt.T), kview(hs), kview(cs), False)
    got.append((acts, hs, cs))
    for a, b in zip(*got):
        np.testing.assert_array_equal(a, b)


def test_empty_batch_or_hidden_is_a_no_op():
    for B, H in [(0, 3), (2, 0)]:
        pre, w, h0, c0 = lstm_case(2, B, H, np.float32)
        acts, hs, cs = k_lstm_forward(pre, w, h0, c0, False)
        assert acts.shape == pre.shape and hs.shape == (3, B, H)


# ---- backward ------------------------------------------------------------------------
def lstm_loss_grads(pre, w, h0, c0, reverse, rng):
    """Weights of a scalar loss of the outputs and final states, the loss, and the
    kernels' gradients of it w.r.t. pre-activations, W_hh, h0 and c0."""
    T = pre.shape[0]
    wo, wh, wc = rng.standard_normal((T,) + h0.shape), rng.standard_normal(h0.shape), rng.standard_normal(h0.shape)

    def loss():
        _, hs, cs = k_lstm_forward(pre, w, h0, c0, reverse)
        return np.sum(wo * outputs(hs, reverse)) + np.sum(wh * final(hs, reverse)) + np.sum(wc * final(cs, reverse))

    acts, hs, cs = k_lstm_forward(pre, w, h0, c0, reverse)
    dg, dh0, dc0 = k_lstm_backward(acts, w, cs, wo, wh, wc, reverse)
    prev = hs[1:] if reverse else hs[:-1]
    dw = np.einsum("tbg,tbh->gh", dg, prev)
    return loss, dict(pre=dg, w=dw, h0=dh0, c0=dc0)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("T,B,H", [(1, 1, 1), (3, 2, 3), (2, 3, 9)])
def test_lstm_backward_finite_differences(T, B, H, reverse):
    pre, w, h0, c0 = lstm_case(T, B, H, np.float64, seed=5)
    loss, grads = lstm_loss_grads(pre, w, h0, c0, reverse, np.random.default_rng(1))
    for name, arr in dict(pre=pre, w=w, h0=h0, c0=c0).items():
        np.testing.assert_allclose(grads[name], numeric_grad(loss, arr), rtol=1e-6, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("T,B,H", [(1, 1, 1), (3, 2, 3), (2, 3, 9)])
def test_gru_backward_finite_differences(T, B, H, reverse):
    gi, w, b, h0 = gru_case(T, B, H, np.float64, seed=5)
    rng = np.random.default_rng(2)
    wo, wh = rng.standard_normal((T, B, H)), rng.standard_normal((B, H))

    def loss():
        hs, _ = k_gru_forward(gi, w, b, h0, reverse)
        return np.sum(wo * outputs(hs, reverse)) + np.sum(wh * final(hs, reverse))

    hs, saved = k_gru_forward(gi, w, b, h0, reverse)
    dgi, dgh, dh0 = k_gru_backward(saved, w, hs, wo, wh, reverse)
    prev = hs[1:] if reverse else hs[:-1]
    grads = dict(gi=dgi, w=np.einsum("tbg,tbh->gh", dgh, prev), b=dgh.sum(axis=(0, 1)), h0=dh0)
    for name, arr in dict(gi=gi, w=w, b=b, h0=h0).items():
        np.testing.assert_allclose(grads[name], numeric_grad(loss, arr), rtol=1e-6, atol=1e-7, err_msg=name)


def k_lstm_backward_with_input(acts, w_hh, cs, g_out, g_h, g_c, reverse, w_ih, w_ih_view=None):
    """The backward with its optional outputs: d(input) (with W_ih, as given or through
    w_ih_view) and d(bias)."""
    dh, dc, dg = g_h.copy(), g_c.copy(), np.zeros_like(acts)
    dx, db = np.full(acts.shape[:2] + (w_ih.shape[1],), np.nan, acts.dtype), np.full(acts.shape[2], np.nan, acts.dtype)
    cpu.lstm_sequence_backward(kview(acts), kview(w_hh), kview(cs), kview(g_out), kview(dh), kview(dc), kview(dg),
                               reverse, w_ih_view or kview(w_ih), kview(dx), kview(db))
    return dg, dh, dc, dx, db


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("T,B,H,I", [(1, 1, 1, 1), (1, 3, 5, 7), (4, 1, 8, 16), (3, 13, 13, 3), (2, 64, 20, 33),
                                     (2, 3, 4, 0)])
def test_lstm_backward_input_and_bias_grads(T, B, H, I, reverse, dtype, threads):
    """d(input) = dgates @ W_ih and d(bias) = dgates summed over steps and rows, against
    float64 NumPy on the same call's dgates; the other outputs are those without them."""
    pre, w, h0, c0 = lstm_case(T, B, H, dtype)
    rng = np.random.default_rng(T + B + H + I)
    w_ih = rng.standard_normal((4 * H, I)).astype(dtype)
    go, gh, gc = (rng.standard_normal(s).astype(dtype) for s in [(T, B, H), (B, H), (B, H)])
    acts, hs, cs = k_lstm_forward(pre, w, h0, c0, reverse)
    dg, dh, dc, dx, db = k_lstm_backward_with_input(acts, w, cs, go, gh, gc, reverse, w_ih)
    for got, want in zip((dg, dh, dc), k_lstm_backward(acts, w, cs, go, gh, gc, reverse)):
        np.testing.assert_array_equal(got, want)
    dg64 = dg.astype(np.float64)
    np.testing.assert_allclose(dx, dg64 @ w_ih.astype(np.float64), **TOL[dtype])
    np.testing.assert_allclose(db, dg64.sum(axis=(0, 1)), **TOL[dtype])


def test_lstm_backward_input_grad_with_strided_w_ih_and_no_gates():
    pre, w, h0, c0 = lstm_case(3, 5, 6, np.float32)
    rng = np.random.default_rng(4)
    w_ih = rng.standard_normal((24, 10)).astype(np.float32)
    w_ih_t = np.ascontiguousarray(w_ih.T)  # W_ih as the transpose of a contiguous (I, 4H)
    go, gh, gc = rng.standard_normal((3, 5, 6)), rng.standard_normal((5, 6)), rng.standard_normal((5, 6))
    go, gh, gc = go.astype(np.float32), gh.astype(np.float32), gc.astype(np.float32)
    acts, hs, cs = k_lstm_forward(pre, w, h0, c0, False)
    want = k_lstm_backward_with_input(acts, w, cs, go, gh, gc, False, w_ih)
    got = k_lstm_backward_with_input(acts, w, cs, go, gh, gc, False, w_ih, kview(w_ih_t, w_ih_t.T))
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    # H = 0: no gates, so d(input) is zero (the buffer started as NaN) and d(bias) empty
    pre, w, h0, c0 = lstm_case(2, 3, 0, np.float32)
    acts, hs, cs = k_lstm_forward(pre, w, h0, c0, False)
    _, _, _, dx, db = k_lstm_backward_with_input(acts, w, cs, np.zeros((2, 3, 0), np.float32),
                                                 h0.copy(), c0.copy(), False, np.zeros((0, 4), np.float32))
    np.testing.assert_array_equal(dx, np.zeros((2, 3, 4), np.float32))
    assert db.shape == (0,)


def run_both_backwards(dtype, reverse):
    """Every output of the LSTM and GRU sequence kernels (forward and backward) at a
    size the threads split."""
    T, B, H = 4, 13, 20
    rng = np.random.default_rng(3)
    pre, w, h0, c0 = lstm_case(T, B, H, dtype)
    go, gh, gc = (rng.standard_normal(s).astype(dtype) for s in [(T, B, H), (B, H), (B, H)])
    acts, hs, cs = k_lstm_forward(pre, w, h0, c0, reverse)
    out = [acts, hs, cs, *k_lstm_backward(acts, w, cs, go, gh, gc, reverse)]
    gi, wg, b, _ = gru_case(T, B, H, dtype)
    ghs, saved = k_gru_forward(gi, wg, b, h0, reverse)
    return out + [ghs, saved, *k_gru_backward(saved, wg, ghs, go, gh, reverse)]


@pytest.mark.parametrize("reverse", [False, True])
def test_float32_backward_matches_float64(reverse):
    for g, w in zip(run_both_backwards(np.float32, reverse), run_both_backwards(np.float64, reverse)):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)


def test_two_threads_match_one():
    runs = []
    for n in (1, 2):
        before = fastdl.get_num_threads()
        fastdl.set_num_threads(n)
        try:
            runs.append(run_both_backwards(np.float32, False))
        finally:
            fastdl.set_num_threads(before)
    for a, b in zip(*runs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_lstm_bits_do_not_depend_on_the_row_blocks():
    # 1, 2 and 3 threads cut 64 rows into different blocks (one of 64; four of 16;
    # six of 11), so a row sits in a full 6-row tile under one count and among a
    # block's edge rows under another. gemm_prepacked runs edge rows with the same K
    # blocks and FMA order as a full tile: every output of the LSTM sequence kernels
    # (no bias sums, which are taken per block) must be the same bits. H = 70: the
    # backward's K = 4H = 280 spans two K blocks.
    T, B, H = 3, 64, 70
    rng = np.random.default_rng(5)
    pre, w, h0, c0 = lstm_case(T, B, H, np.float32)
    go, gh, gc = (rng.standard_normal(s).astype(np.float32) for s in [(T, B, H), (B, H), (B, H)])
    runs = []
    before = fastdl.get_num_threads()
    try:
        for n in (1, 2, 3):
            fastdl.set_num_threads(n)
            acts, hs, cs = k_lstm_forward(pre, w, h0, c0, False)
            runs.append([acts, hs, cs, *k_lstm_backward(acts, w, cs, go, gh, gc, False)])
    finally:
        fastdl.set_num_threads(before)
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(a, b)


@needs_avx2
def test_vector_and_scalar_paths_agree():
    vec, scalar = vector_and_portable(run_both_backwards, np.float32, True)
    for v, s in zip(vec, scalar):
        np.testing.assert_allclose(v, s, rtol=1e-5, atol=1e-5)


# ---- errors ------------------------------------------------------------------------------
def lstm_fwd_args(T=3, B=2, H=4, dtype=np.float32):
    return [kempty((T, B, 4 * H), dtype), kempty((4 * H, H), dtype), kempty((T + 1, B, H), dtype),
            kempty((T + 1, B, H), dtype), False]


def test_lstm_forward_errors():
    a = lstm_fwd_args()
    a[2] = kempty((3, 2, 4))  # T slots, not T+1
    with pytest.raises(ValueError, match=r"lstm_sequence_forward: hs must be \[4, 2, 4\] \(T=3, B=2, H=4\)"):
        cpu.lstm_sequence_forward(*a)
    a = lstm_fwd_args()
    a[1] = kempty((12, 4))  # 3H rows: a GRU weight
    with pytest.raises(ValueError, match=r"lstm_sequence_forward: w_hh must be \[16, 4\].*float32\[12, 4\]"):
        cpu.lstm_sequence_forward(*a)
    a = lstm_fwd_args()
    a[0] = kempty((2, 16))
    with pytest.raises(ValueError, match="lstm_sequence_forward: acts must be 3-D"):
        cpu.lstm_sequence_forward(*a)
    a = lstm_fwd_args()
    a[3] = kempty((4, 2, 4), np.float64)
    with pytest.raises(TypeError, match="lstm_sequence_forward: all operands must share one dtype"):
        cpu.lstm_sequence_forward(*a)
    a = lstm_fwd_args(dtype=np.int64)
    with pytest.raises(TypeError, match="lstm_sequence_forward: expected float32 or float64"):
        cpu.lstm_sequence_forward(*a)
    a = lstm_fwd_args()
    with pytest.raises(ValueError, match="lstm_sequence_forward: xh and w_ih must be given together"):
        cpu.lstm_sequence_forward(*a, kempty((3, 2, 10)))
    with pytest.raises(ValueError, match="lstm_sequence_forward: bias needs xh and w_ih"):
        cpu.lstm_sequence_forward(*a, None, None, kempty((16,)))
    with pytest.raises(ValueError, match=r"lstm_sequence_forward: xh must be \[3, 2, 10\] \(T=3, B=2, H=4, I=5\)"):
        cpu.lstm_sequence_forward(*a, kempty((3, 2, 9)), kempty((16, 5)))
    with pytest.raises(ValueError, match=r"lstm_sequence_forward: bias must be \[16\]"):
        cpu.lstm_sequence_forward(*a, kempty((3, 2, 10)), kempty((16, 5)), kempty((12,)))
    base = np.zeros((4, 4, 4), np.float32)
    a[2] = kview(base, base[:, ::2])  # strided rows
    with pytest.raises(ValueError, match="lstm_sequence_forward: hs must be contiguous"):
        cpu.lstm_sequence_forward(*a)


def test_lstm_backward_errors():
    T, B, H = 3, 2, 4
    args = [kempty((T, B, 4 * H)), kempty((4 * H, H)), kempty((T + 1, B, H)), kempty((T, B, H)), kempty((B, H)),
            kempty((B, H)), kempty((T, B, 4 * H)), False]
    bad = list(args)
    bad[5] = kempty((B + 1, H))
    with pytest.raises(ValueError, match=r"lstm_sequence_backward: grad_c must be \[2, 4\]"):
        cpu.lstm_sequence_backward(*bad)
    bad = list(args)
    bad[3] = kempty((T, B, 4 * H))
    with pytest.raises(ValueError, match="lstm_sequence_backward: grad_out must be"):
        cpu.lstm_sequence_backward(*bad)
    I = 5
    with pytest.raises(ValueError, match="lstm_sequence_backward: w_ih and grad_input must be given together"):
        cpu.lstm_sequence_backward(*args, kempty((4 * H, I)), None)
    with pytest.raises(ValueError, match=r"lstm_sequence_backward: grad_input must be \[3, 2, 5\] \(T=3, B=2, H=4, I=5\)"):
        cpu.lstm_sequence_backward(*args, kempty((4 * H, I)), kempty((T, B, I + 1)))
    with pytest.raises(ValueError, match=r"lstm_sequence_backward: w_ih must be \[16, 5\].*w_ih=float32\[12, 5\]"):
        cpu.lstm_sequence_backward(*args, kempty((3 * H, I)), kempty((T, B, I)))
    with pytest.raises(TypeError, match="lstm_sequence_backward: all operands must share one dtype"):
        cpu.lstm_sequence_backward(*args, kempty((4 * H, I), np.float64), kempty((T, B, I)))
    with pytest.raises(ValueError, match=r"lstm_sequence_backward: grad_bias must be \[16\]"):
        cpu.lstm_sequence_backward(*args, None, None, kempty((4 * H + 1,)))


def test_gru_errors():
    T, B, H = 2, 3, 5
    fwd = [kempty((T, B, 3 * H)), kempty((3 * H, H)), kempty((3 * H,)), kempty((T + 1, B, H)), kempty((T, B, 4 * H)),
           True]
    bad = list(fwd)
    bad[2] = kempty((4 * H,))
    with pytest.raises(ValueError, match=r"gru_sequence_forward: b_hh must be \[15\]"):
        cpu.gru_sequence_forward(*bad)
    bad = list(fwd)
    bad[4] = kempty((T, B, 3 * H))  # saved keeps gh_n too: 4H
    with pytest.raises(ValueError, match=r"gru_sequence_forward: saved must be \[2, 3, 20\]"):
        cpu.gru_sequence_forward(*bad)
    bwd = [kempty((T, B, 4 * H)), kempty((3 * H, H)), kempty((T + 1, B, H)), kempty((T, B, H)), kempty((B, H)),
           kempty((T, B, 3 * H)), kempty((T, B, 3 * H)), False]
    bad = list(bwd)
    bad[6] = kempty((T, B, 3 * H), np.float64)
    with pytest.raises(TypeError, match="gru_sequence_backward: all operands must share one dtype"):
        cpu.gru_sequence_backward(*bad)
    bad = list(bwd)
    bad[2] = kempty((T, B, H))
    with pytest.raises(ValueError, match=r"gru_sequence_backward: hs must be \[3, 3, 5\]"):
        cpu.gru_sequence_backward(*bad)
