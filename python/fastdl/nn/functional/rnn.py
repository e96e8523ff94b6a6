"""One LSTM / GRU layer (one direction) over a whole sequence as a single Function, and
the cells as one-step layers. PyTorch's equations and gate orders (i,f,g,o / r,z,n).

Forward: ONE GEMM projects every time step's input, x (T*B, I) @ W_ih^T (the biases
ride in it as an extra column of ones); then per step one recurrent GEMM
h_{t-1} @ W_hh^T and the fused cell kernel (csrc/cpu/rnn.h). Backward runs through
time with the cell-backward kernels and one recurrent GEMM per step for dh_{t-1},
carried in one (B, H) buffer, and afterwards one GEMM each for dW_ih, dW_hh and
d(input) over all steps. Hidden / cell states live in (T+1, B, H) buffers in time
order with the initial state in the slot before the first processed step (slot 0
forward, slot T reversed), so the outputs and the "previous state" of every step are
both contiguous slices of one buffer.
"""
from ...autograd import Function
from ...ops._util import backend, contiguous_data, desc, empty
from .conv import _mT  # a raw transposed view, without the indexing ops


def _rows(t):
    """A contiguous (T, B, X) tensor seen as (T*B, X)."""
    return t._view((t.shape[0] * t.shape[1], t.shape[2]), (t.shape[2], 1), t._offset)


def _span(buf, start, T):
    """buf[start:start+T] of a contiguous (T+1, B, H) buffer."""
    return buf._view((T,) + tuple(buf.shape[1:]), buf._strides, buf._offset + start * buf._strides[0])


def _project(x, w, b, extra_b=None):
    """x (T, B, I) @ w^T + b (+ extra_b) as a fresh (T, B, G): one GEMM over all steps.
    The bias rides in the GEMM as an extra input column of ones, [x | 1] @ [w | b]^T:
    copying x (I+1 wide) is far cheaper than broadcasting b into the G-wide result."""
    T, B, I = x.shape
    kern = backend(x, "rnn")
    G = w.shape[0]
    out = empty((T, B, G), x.dtype, x.device)
    if b is None:
        kern.matmul(_rows(contiguous_data(x)), _mT(w), _rows(out), 1.0, 0.0)
        return out
    xa = empty((T * B, I + 1), x.dtype, x.device)
    wa = empty((G, I + 1), x.dtype, x.device)
    kern.copy(x, xa._view((T, B, I), (B * (I + 1), I + 1, 1)))
    kern.fill(_column(xa, I), 1.0)
    kern.copy(w, wa._view((G, I), (I + 1, 1)))
    if extra_b is None:
        kern.copy(b, _column(wa, I))
    else:
        kern.binary("add", b, extra_b, _column(wa, I))
    kern.matmul(xa, _mT(wa), _rows(out), 1.0, 0.0)
    return out


def _column(m, j):
    """Column j of a contiguous 2-D tensor as a strided 1-D view."""
    return m._view((m.shape[0],), (m._strides[0],), m._offset + j)


def _copy(src):
    out = empty(src.shape, src.dtype, src.device)
    backend(src, "rnn").copy(src, out)
    return out


def _steps(buf):
    """[buf[0], buf[1], ...] as raw views, made once per call: the time loops index them
    instead of building a view per use (view creation is most of their Python cost)."""
    shape, strides, step, off = tuple(buf.shape[1:]), buf._strides[1:], buf._strides[0], buf._offset
    return [buf._view(shape, strides, off + i * step) for i in range(buf.shape[0])]


def _order(T, reverse):
    """Processing order of time steps, and per step the slots of (prev, new) state."""
    if reverse:
        return [(t, t + 1, t) for t in range(T - 1, -1, -1)]
    return [(t, t, t + 1) for t in range(T)]


def _weight_grad(kern, dgates, inp):
    """sum over steps of dgates_t^T @ inp_t: dW from every step's gate grads, one GEMM."""
    dg, rows = _rows(dgates), _rows(inp)
    dw = empty((dg.shape[1], rows.shape[1]), dg.dtype, dg.device)
    kern.matmul(_mT(dg), rows, dw, 1.0, 0.0)
    return dw


def _input_grad(kern, dgates, w_ih, like):
    """d(input) of every step: dgates (T, B, G) @ W_ih, one GEMM."""
    dx = empty(like.shape, dgates.dtype, dgates.device)
    kern.matmul(_rows(dgates), w_ih, _rows(dx), 1.0, 0.0)
    return dx


def _bias_grad(dgates, needed):
    """dL/db summed over steps and batch, or None when no bias needs it."""
    return _rows(dgates).sum(dim=0) if needed else None


def _last_step_grad(kern, g_out_last, g_hn):
    """A fresh (B, H) buffer with dL/dh at the last processed step: the output gradient
    there plus the final-state gradient. Backward-through-time carries it step by step."""
    dh = empty(g_hn.shape, g_hn.dtype, g_hn.device)
    kern.binary("add", g_out_last, g_hn, dh)
    return dh


class _LSTMLayer(Function):
    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        T, B = x.shape[:2]
        H = w_hh.shape[1]
        kern = backend(x, "lstm")
        acts = _project(x, w_ih, b_ih, b_hh)  # gate pre-activations, overwritten by the activations
        hs = empty((T + 1, B, H), x.dtype, x.device)
        cs = empty((T + 1, B, H), x.dtype, x.device)
        first = T if reverse else 0
        A, Hs, Cs = _steps(acts), _steps(hs), _steps(cs)
        kern.copy(h0, Hs[first])
        kern.copy(c0, Cs[first])
        w_hh_t = _mT(w_hh)
        for t, p, n in _order(T, reverse):
            kern.matmul(Hs[p], w_hh_t, A[t], 1.0, 1.0)
            kern.lstm_cell_forward(A[t], Cs[p], Hs[n], Cs[n], A[t])
        ctx.save_for_backward(x, w_ih, w_hh, hs, cs, acts)
        ctx.reverse, ctx.step_views = reverse, (A, Cs)
        last = 0 if reverse else T
        return _span(hs, 0 if reverse else 1, T), Hs[last], Cs[last]

    @staticmethod
    def backward(ctx, g_out, g_hn, g_cn):
        x, w_ih, w_hh, hs, _, acts = ctx.saved_tensors  # the step views of cs and acts are in ctx
        reverse, need = ctx.reverse, ctx.needs_input_grad
        T, B = x.shape[:2]
        kern = backend(x, "lstm")
        order = _order(T, reverse)
        A, Cs = ctx.step_views
        dgates = empty(acts.shape, acts.dtype, acts.device)
        DG, Gout = _steps(dgates), _steps(g_out)
        dh = _last_step_grad(kern, Gout[order[-1][0]], g_hn)
        dc = _copy(g_cn)
        for k in range(T - 1, -1, -1):
            t, p, n = order[k]
            kern.lstm_cell_backward(A[t], Cs[p], Cs[n], dh, dc, DG[t], dc)
            # dh of the previous step = its output gradient + dgates @ W_hh; at the start, dh0
            if k:
                kern.copy(Gout[order[k - 1][0]], dh)
            kern.matmul(DG[t], w_hh, dh, 1.0, 1.0 if k else 0.0)
        dh0 = dh
        dx = _input_grad(kern, dgates, w_ih, x) if need[0] else None
        dw_ih = _weight_grad(kern, dgates, contiguous_data(x))
        dw_hh = _weight_grad(kern, dgates, _span(hs, 1 if reverse else 0, T))
        db = _bias_grad(dgates, need[5] or need[6])  # b_ih and b_hh get the same gradient
        return dx, dh0, dc, dw_ih, dw_hh, db if need[5] else None, db if need[6] else None, None


class _GRULayer(Function):
    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
        T, B = x.shape[:2]
        H = w_hh.shape[1]
        kern = backend(x, "gru")
        gi = _project(x, w_ih, b_ih)
        hs = empty((T + 1, B, H), x.dtype, x.device)
        saved = empty((T, B, 4 * H), x.dtype, x.device)  # per step [r, z, n, (h W_hh^T + b_hh)_n]
        gh = empty((B, 3 * H), x.dtype, x.device)
        GI, Hs, S = _steps(gi), _steps(hs), _steps(saved)
        kern.copy(h0, Hs[T if reverse else 0])
        w_hh_t = _mT(w_hh)
        b_hh_rows = None if b_hh is None else b_hh._view(gh.shape, (0, b_hh._strides[0]), b_hh._offset)
        for t, p, n in _order(T, reverse):
            if b_hh_rows is not None:
                kern.copy(b_hh_rows, gh)
            kern.matmul(Hs[p], w_hh_t, gh, 1.0, 0.0 if b_hh_rows is None else 1.0)
            kern.gru_cell_forward(GI[t], gh, Hs[p], Hs[n], S[t])
        ctx.save_for_backward(x, w_ih, w_hh, hs, saved)
        ctx.reverse, ctx.step_views = reverse, (Hs, S)
        return _span(hs, 0 if reverse else 1, T), Hs[0 if reverse else T]

    @staticmethod
    def backward(ctx, g_out, g_hn):
        x, w_ih, w_hh, hs, _ = ctx.saved_tensors  # the step views of saved are in ctx
        reverse, need = ctx.reverse, ctx.needs_input_grad
        T, B = x.shape[:2]
        H = w_hh.shape[1]
        kern = backend(x, "gru")
        order = _order(T, reverse)
        Hs, S = ctx.step_views
        dgi = empty((T, B, 3 * H), x.dtype, x.device)
        dgh = empty((T, B, 3 * H), x.dtype, x.device)
        DGI, DGH, Gout = _steps(dgi), _steps(dgh), _steps(g_out)
        dh = _last_step_grad(kern, Gout[order[-1][0]], g_hn)
        direct = empty((B, H), x.dtype, x.device)  # the z * h_prev path of dh_prev
        for k in range(T - 1, -1, -1):
            t, p, _ = order[k]
            kern.gru_cell_backward(S[t], Hs[p], dh, DGI[t], DGH[t], direct)
            # dh of the previous step = its output gradient + direct + dgh @ W_hh; at the
            # start (k = 0) direct + dgh @ W_hh is dh0
            target = dh if k else direct
            if k:
                kern.binary("add", Gout[order[k - 1][0]], direct, dh)
            kern.matmul(DGH[t], w_hh, target, 1.0, 1.0)
        dx = _input_grad(kern, dgi, w_ih, x) if need[0] else None
        dw_ih = _weight_grad(kern, dgi, contiguous_data(x))
        dw_hh = _weight_grad(kern, dgh, _span(hs, 1 if reverse else 0, T))
        return dx, direct, dw_ih, dw_hh, _bias_grad(dgi, need[4]), _bias_grad(dgh, need[5]), None


def _check_layer(op, x, h0, w_ih, w_hh, gates):
    G, I = w_ih.shape
    H = w_hh.shape[1]
    if x.ndim != 3 or x.shape[2] != I:
        raise RuntimeError(f"{op}: expected (T, B, {I}) input, got {desc(x)}")
    if x.shape[0] == 0:
        raise RuntimeError(f"{op}: expected sequence length to be larger than 0, got {desc(x)}")
    if G != gates * H or tuple(w_hh.shape) != (G, H):
        raise RuntimeError(f"{op}: weights {desc(w_ih)} and {desc(w_hh)} are not ({gates}H, I) and ({gates}H, H)")
    if tuple(h0.shape) != (x.shape[1], H):
        raise RuntimeError(f"{op}: expected hidden state of shape {[x.shape[1], H]}, got {desc(h0)}")


def lstm_layer(input, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """One LSTM layer in one direction: input (T, B, I), h0 / c0 (B, H) ->
    output (T, B, H), h_n, c_n. reverse runs the steps from T-1 down to 0."""
    _check_layer("lstm", input, h0, w_ih, w_hh, 4)
    if tuple(c0.shape) != tuple(h0.shape):
        raise RuntimeError(f"lstm: expected cell state of shape {list(h0.shape)}, got {desc(c0)}")
    return _LSTMLayer.apply(input, h0, c0, w_ih, w_hh, b_ih, b_hh, bool(reverse))


def gru_layer(input, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """One GRU layer in one direction: input (T, B, I), h0 (B, H) -> output (T, B, H), h_n."""
    _check_layer("gru", input, h0, w_ih, w_hh, 3)
    return _GRULayer.apply(input, h0, w_ih, w_hh, b_ih, b_hh, bool(reverse))


def lstm_cell(input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step on (B, I) input and (B, H) states -> (h', c')."""
    _, h, c = lstm_layer(input.unsqueeze(0), hx, cx, w_ih, w_hh, b_ih, b_hh)
    return h, c


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step on (B, I) input and a (B, H) state -> h'."""
    return gru_layer(input.unsqueeze(0), hx, w_ih, w_hh, b_ih, b_hh)[1]


__all__ = ["lstm_layer", "gru_layer", "lstm_cell", "gru_cell"]
