"""One LSTM / GRU layer (one direction) over a whole sequence as a single Function, and
the cells as one-step layers. PyTorch's equations and gate orders (i,f,g,o / r,z,n).

Forward: ONE GEMM projects every time step's input, x (T*B, I) @ W_ih^T (+ biases);
then per step one recurrent GEMM h_{t-1} @ W_hh^T and the fused cell kernel
(csrc/cpu/rnn.h). Backward runs through time with the cell-backward kernels, one
recurrent GEMM per step for dh_{t-1}, and afterwards one GEMM each for dW_ih, dW_hh
and d(input) over all steps. Hidden / cell states live in (T+1, B, H) buffers in time
order with the initial state in the slot before the first processed step (slot 0
forward, slot T reversed), so the outputs and the "previous state" of every step are
both contiguous slices of one buffer.
"""
from ...autograd import Function
from ...ops._util import backend, contiguous_data, desc, empty
from .conv import _at, _mT  # raw views: buf[t] and a transpose, without the indexing ops


def _rows(t):
    """A contiguous (T, B, X) tensor seen as (T*B, X)."""
    return t._view((t.shape[0] * t.shape[1], t.shape[2]), (t.shape[2], 1), t._offset)


def _span(buf, start, T):
    """buf[start:start+T] of a contiguous (T+1, B, H) buffer."""
    return buf._view((T,) + tuple(buf.shape[1:]), buf._strides, buf._offset + start * buf._strides[0])


def _project(x, w, b, extra_b=None):
    """x (T, B, I) @ w^T + b (+ extra_b) as a fresh (T, B, G): one GEMM over all steps."""
    T, B = x.shape[:2]
    kern = backend(x, "rnn")
    out = empty((T, B, w.shape[0]), x.dtype, x.device)
    beta = 0.0
    if b is not None:
        if extra_b is not None:
            b = _add(b, extra_b)
        kern.copy(b._view(out.shape, (0, 0, b._strides[0]), b._offset), out)
        beta = 1.0
    kern.matmul(_rows(contiguous_data(x)), _mT(w), _rows(out), 1.0, beta)
    return out


def _add(a, b):
    out = empty(a.shape, a.dtype, a.device)
    backend(a, "rnn").binary("add", a, b, out)
    return out


def _copy(src):
    out = empty(src.shape, src.dtype, src.device)
    backend(src, "rnn").copy(src, out)
    return out


def _order(T, reverse):
    """Processing order of time steps, and per step the slots of (prev, new) state."""
    if reverse:
        return [(t, t + 1, t) for t in range(T - 1, -1, -1)]
    return [(t, t, t + 1) for t in range(T)]


def _input_grads(kern, dgates, x, w_ih, need_x):
    """dW_ih, d(input) and the bias gradient from every step's input-side gate grads."""
    dg = _rows(dgates)
    dw_ih = empty((dg.shape[1], x.shape[2]), dg.dtype, dg.device)
    kern.matmul(_mT(dg), _rows(contiguous_data(x)), dw_ih, 1.0, 0.0)
    dx = None
    if need_x:
        dx = empty(x.shape, dg.dtype, dg.device)
        kern.matmul(dg, w_ih, _rows(dx), 1.0, 0.0)
    return dw_ih, dx, dg.sum(dim=0)


def _recurrent_grads(kern, dgates, prev_h):
    """dW_hh and the bias gradient from every step's recurrent-side gate grads."""
    dg = _rows(dgates)
    dw_hh = empty((dg.shape[1], prev_h.shape[2]), dg.dtype, dg.device)
    kern.matmul(_mT(dg), _rows(prev_h), dw_hh, 1.0, 0.0)
    return dw_hh, dg.sum(dim=0)


def _start_grad(g_out, g_hn, last):
    """A fresh copy of the output gradient with the final-state gradient added at the
    last processed step: the running dh of backward-through-time accumulates in it."""
    dh = _copy(g_out)
    step = _at(dh, last)
    backend(dh, "rnn").binary("add", step, g_hn, step)
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
        kern.copy(h0, _at(hs, first))
        kern.copy(c0, _at(cs, first))
        w_hh_t = _mT(w_hh)
        for t, p, n in _order(T, reverse):
            gates = _at(acts, t)
            kern.matmul(_at(hs, p), w_hh_t, gates, 1.0, 1.0)
            kern.lstm_cell_forward(gates, _at(cs, p), _at(hs, n), _at(cs, n), gates)
        ctx.save_for_backward(x, w_ih, w_hh, hs, cs, acts)
        ctx.reverse = reverse
        last = 0 if reverse else T
        return _span(hs, 0 if reverse else 1, T), _at(hs, last), _at(cs, last)

    @staticmethod
    def backward(ctx, g_out, g_hn, g_cn):
        x, w_ih, w_hh, hs, cs, acts = ctx.saved_tensors
        reverse, need = ctx.reverse, ctx.needs_input_grad
        T, B = x.shape[:2]
        kern = backend(x, "lstm")
        order = _order(T, reverse)
        dh = _start_grad(g_out, g_hn, order[-1][0])
        dc = _copy(g_cn)
        dgates = empty(acts.shape, acts.dtype, acts.device)
        dh0 = empty(dc.shape, dc.dtype, dc.device)
        for k in range(T - 1, -1, -1):
            t, p, n = order[k]
            dg = _at(dgates, t)
            kern.lstm_cell_backward(_at(acts, t), _at(cs, p), _at(cs, n), _at(dh, t), dc, dg, dc)
            # dh_{prev} += dgates @ W_hh: into the previous step's slot, or dh0 at the start
            if k:
                kern.matmul(dg, w_hh, _at(dh, order[k - 1][0]), 1.0, 1.0)
            else:
                kern.matmul(dg, w_hh, dh0, 1.0, 0.0)
        dw_ih, dx, db = _input_grads(kern, dgates, x, w_ih, need[0])
        dw_hh = _recurrent_grads(kern, dgates, _span(hs, 1 if reverse else 0, T))[0]
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
        kern.copy(h0, _at(hs, T if reverse else 0))
        w_hh_t = _mT(w_hh)
        b_hh_rows = None if b_hh is None else b_hh._view(gh.shape, (0, b_hh._strides[0]), b_hh._offset)
        for t, p, n in _order(T, reverse):
            if b_hh_rows is not None:
                kern.copy(b_hh_rows, gh)
            kern.matmul(_at(hs, p), w_hh_t, gh, 1.0, 0.0 if b_hh_rows is None else 1.0)
            kern.gru_cell_forward(_at(gi, t), gh, _at(hs, p), _at(hs, n), _at(saved, t))
        ctx.save_for_backward(x, w_ih, w_hh, hs, saved)
        ctx.reverse = reverse
        return _span(hs, 0 if reverse else 1, T), _at(hs, 0 if reverse else T)

    @staticmethod
    def backward(ctx, g_out, g_hn):
        x, w_ih, w_hh, hs, saved = ctx.saved_tensors
        reverse, need = ctx.reverse, ctx.needs_input_grad
        T, B = x.shape[:2]
        H = w_hh.shape[1]
        kern = backend(x, "gru")
        order = _order(T, reverse)
        dh = _start_grad(g_out, g_hn, order[-1][0])
        dgi = empty((T, B, 3 * H), x.dtype, x.device)
        dgh = empty((T, B, 3 * H), x.dtype, x.device)
        direct = empty((B, H), x.dtype, x.device)  # the z * h_prev path of dh_prev
        for k in range(T - 1, -1, -1):
            t, p, _ = order[k]
            kern.gru_cell_backward(_at(saved, t), _at(hs, p), _at(dh, t), _at(dgi, t), _at(dgh, t), direct)
            # dh_prev = direct + dgh @ W_hh, added into the previous step's slot
            target = _at(dh, order[k - 1][0]) if k else direct
            if k:
                kern.binary("add", target, direct, target)
            kern.matmul(_at(dgh, t), w_hh, target, 1.0, 1.0)
        dw_ih, dx, db_ih = _input_grads(kern, dgi, x, w_ih, need[0])
        dw_hh, db_hh = _recurrent_grads(kern, dgh, _span(hs, 1 if reverse else 0, T))
        return dx, direct, dw_ih, dw_hh, db_ih if need[4] else None, db_hh if need[5] else None, None


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
