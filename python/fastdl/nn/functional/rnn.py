"""One LSTM / GRU layer (one direction) over a whole sequence as a single Function, and
the cells as one-step layers. PyTorch's equations and gate orders (i,f,g,o / r,z,n).

Forward: one kernel call runs the time loop (csrc/cpu/rnn_sequence.h): per step one
GEMM, then the fused cell. The LSTM's GEMM is [x_t | h_{t-1} | 1] @ [W_ih | W_hh | b]^T
(weights packed once; the kernel writes h_{t-1} into the (T, B, I+H+1) buffer the
backward reuses). The GRU projects every step's input first, ONE GEMM
x (T*B, I) @ W_ih^T (+ b_ih as a column of ones), and per step runs h_{t-1} @ W_hh^T.
Backward is one kernel call through time the other way (cell backward, then
dh_{t-1} = dgates @ W_hh; the LSTM's also gives d(input) = dgates @ W_ih and d(bias)
step by step, while dgates is in cache), then one GEMM per weight gradient over all
steps (the LSTM's two as one, dgates^T @ [x | h_prev]). Hidden / cell states live in (T+1, B, H)
buffers in time order with the initial state in the slot before the first processed
step (slot 0 forward, slot T reversed), so the outputs and the "previous state" of
every step are both contiguous slices of one buffer.

The Elman RNN layer (rnn_layer, tanh or relu) is composed of differentiable ops instead,
so autograd gives its backward on any device: one linear projects every step's input
(both biases folded into it), then per step one addmm, h_{t-1} @ W_hh^T onto the step's
projection, and the activation. The steps are split off by _Steps, whose one backward
writes every step's gradient into a single buffer (unbind's per-step backward would
pad each to the whole sequence).
"""
from ...autograd import Function, backward_by_reforward, is_grad_enabled
from ...ops._util import backend, contiguous_data, desc, empty, transposed_view
from ...ops.elementwise import relu, sigmoid, tanh
from ...ops.linalg import addmm
from ...ops.shape import stack
from .linear import linear


def _rows(t):
    """A contiguous (T, B, X) tensor seen as (T*B, X)."""
    return t._view((t.shape[0] * t.shape[1], t.shape[2]), (t.shape[2], 1), t._offset)


def _span(buf, start, T):
    """buf[start:start+T] of a contiguous (T+1, B, H) buffer."""
    return buf._view((T,) + tuple(buf.shape[1:]), buf._strides, buf._offset + start * buf._strides[0])


def _lstm_bias(kern, b_ih, b_hh):
    """b_ih + b_hh (either may be None), the LSTM's one bias of every gate."""
    if b_ih is None or b_hh is None:
        return b_hh if b_ih is None else b_ih
    out = empty(b_ih.shape, b_ih.dtype, b_ih.device)
    kern.binary("add", b_ih, b_hh, out)
    return out


def _project(x, w, b):
    """x (T, B, I) @ w^T + b as a fresh (T, B, G): one GEMM over all steps.
    The bias rides in the GEMM as an extra input column of ones, [x | 1] @ [w | b]^T:
    copying x (I+1 wide) is far cheaper than broadcasting b into the G-wide result."""
    T, B, I = x.shape
    kern = backend(x, "rnn")
    G = w.shape[0]
    out = empty((T, B, G), x.dtype, x.device)
    if b is None:
        kern.matmul(_rows(contiguous_data(x)), transposed_view(w), _rows(out), 1.0, 0.0)
        return out
    xa = empty((T * B, I + 1), x.dtype, x.device)
    wa = empty((G, I + 1), x.dtype, x.device)
    kern.copy(x, xa._view((T, B, I), (B * (I + 1), I + 1, 1)))
    kern.fill(_column(xa, I), 1.0)
    kern.copy(w, wa._view((G, I), (I + 1, 1)))
    kern.copy(b, _column(wa, I))
    kern.matmul(xa, transposed_view(wa), _rows(out), 1.0, 0.0)
    return out


def _column(m, j):
    """Column j of a contiguous 2-D tensor as a strided 1-D view."""
    return m._view((m.shape[0],), (m._strides[0],), m._offset + j)


def _copy(src):
    out = empty(src.shape, src.dtype, src.device)
    backend(src, "rnn").copy(src, out)
    return out


def _weight_grad(kern, dgates, inp):
    """sum over steps of dgates_t^T @ inp_t: dW from every step's gate grads, one GEMM."""
    dg, rows = _rows(dgates), _rows(inp)
    dw = empty((dg.shape[1], rows.shape[1]), dg.dtype, dg.device)
    kern.matmul(transposed_view(dg), rows, dw, 1.0, 0.0)
    return dw


def _input_rows(kern, x, H):
    """A (T, B, I+H+1) buffer [x_t | (h_prev) | 1] for the LSTM kernel, which fills in h_prev."""
    T, B, I = x.shape
    K = I + H + 1
    xh = empty((T, B, K), x.dtype, x.device)
    kern.copy(x, xh._view((T, B, I), (B * K, K, 1)))
    kern.fill(xh._view((T, B), (B * K, K), xh._offset + I + H), 1.0)
    return xh


def _lstm_weight_grads(kern, dgates, xh, I):
    """dW_ih and dW_hh of the LSTM in one GEMM, dgates^T @ [x | h_prev] over all steps,
    on the forward's side-by-side rows: dgates^T (the larger operand, transposed) is
    packed once for both."""
    T, B, K = xh.shape
    H = K - 1 - I
    rows = xh._view((T * B, I + H), (K, 1))
    dg = _rows(dgates)
    dw = empty((dg.shape[1], I + H), dg.dtype, dg.device)
    kern.matmul(transposed_view(dg), rows, dw, 1.0, 0.0)
    return _copy(dw._view((dw.shape[0], I), (I + H, 1))), _copy(dw._view((dw.shape[0], H), (I + H, 1), I))


def _input_grad(kern, dgates, w_ih, like):
    """d(input) of every step: dgates (T, B, G) @ W_ih, one GEMM."""
    dx = empty(like.shape, dgates.dtype, dgates.device)
    kern.matmul(_rows(dgates), w_ih, _rows(dx), 1.0, 0.0)
    return dx


def _bias_grad(dgates, needed):
    """dL/db summed over steps and batch, or None when no bias needs it."""
    return _rows(dgates).sum(dim=0) if needed else None


def _state_slot(buf, slot):
    """buf[slot] of a contiguous (T+1, B, H) state buffer as a raw view."""
    return buf._view(tuple(buf.shape[1:]), buf._strides[1:], buf._offset + slot * buf._strides[0])


def _states(h0, T, reverse):
    """A fresh (T+1, B, H) state buffer holding h0 in the slot before the first step."""
    hs = empty((T + 1,) + tuple(h0.shape), h0.dtype, h0.device)
    backend(h0, "rnn").copy(h0, _state_slot(hs, T if reverse else 0))
    return hs


def _outputs(hs, T, reverse):
    """The layer's outputs (T, B, H) and final state, views of the state buffer."""
    return _span(hs, 0 if reverse else 1, T), _state_slot(hs, 0 if reverse else T)


def _order(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def _lstm_reference(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
    """The LSTM layer in differentiable ops (gates i, f, g, o as torch), for a recorded
    backward: the fused kernels' arithmetic, one step at a time."""
    gi, h, c = linear(x, w_ih, b_ih), h0, c0
    outs = [None] * x.shape[0]
    for t in _order(x.shape[0], reverse):
        i, f, g, o = (gi[t] + linear(h, w_hh, b_hh)).chunk(4, 1)
        c = sigmoid(f) * c + sigmoid(i) * tanh(g)
        h = sigmoid(o) * tanh(c)
        outs[t] = h
    return stack(outs, 0), h, c


def _gru_reference(x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
    """The GRU layer in differentiable ops (r, z, n as torch), for a recorded backward."""
    gi, h = linear(x, w_ih, b_ih), h0
    outs = [None] * x.shape[0]
    for t in _order(x.shape[0], reverse):
        ir, iz, i_n = gi[t].chunk(3, 1)
        hr, hz, h_n = linear(h, w_hh, b_hh).chunk(3, 1)
        r, z = sigmoid(ir + hr), sigmoid(iz + hz)
        h = (1 - z) * tanh(i_n + r * h_n) + z * h
        outs[t] = h
    return stack(outs, 0), h


class _LSTMLayer(Function):
    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        T, B = x.shape[:2]
        kern = backend(x, "lstm")
        acts = empty((T, B, w_ih.shape[0]), x.dtype, x.device)  # out: the gate activations
        hs, cs = _states(h0, T, reverse), _states(c0, T, reverse)
        xh = _input_rows(kern, x, w_hh.shape[1])
        kern.lstm_sequence_forward(acts, w_hh, hs, cs, reverse, xh, w_ih, _lstm_bias(kern, b_ih, b_hh))
        # the inputs too, for a recorded backward (saved, so saved-tensor hooks see them)
        ctx.save_for_backward(xh, w_ih, w_hh, cs, acts, x, h0, c0, b_ih, b_hh)
        ctx.x_shape = x.shape
        ctx.reverse = reverse
        out, h_n = _outputs(hs, T, reverse)
        return out, h_n, _outputs(cs, T, reverse)[1]

    @staticmethod
    def backward(ctx, g_out, g_hn, g_cn):
        xh, w_ih, w_hh, cs, acts, x, h0, c0, b_ih, b_hh = ctx.saved_tensors
        if is_grad_enabled():  # create_graph: differentiate the same layer written in ops
            return backward_by_reforward(lambda *a: _lstm_reference(*a, ctx.reverse),
                                         (x, h0, c0, w_ih, w_hh, b_ih, b_hh), (g_out, g_hn, g_cn)) + (None,)
        reverse, need = ctx.reverse, ctx.needs_input_grad
        kern = backend(xh, "lstm")
        dgates = empty(acts.shape, acts.dtype, acts.device)
        dh, dc = _copy(g_hn), _copy(g_cn)  # in: dL/dh_n, dL/dc_n; out: dL/dh0, dL/dc0
        # d(input) and d(bias) come out of the time loop (b_ih and b_hh get the same one)
        dx = empty(ctx.x_shape, xh.dtype, xh.device) if need[0] else None
        db = empty((acts.shape[2],), xh.dtype, xh.device) if need[5] or need[6] else None
        kern.lstm_sequence_backward(acts, w_hh, cs, contiguous_data(g_out), dh, dc, dgates, reverse,
                                    w_ih if need[0] else None, dx, db)
        dw_ih, dw_hh = _lstm_weight_grads(kern, dgates, xh, w_ih.shape[1])
        return dx, dh, dc, dw_ih, dw_hh, db if need[5] else None, db if need[6] else None, None


class _GRULayer(Function):
    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
        T, B = x.shape[:2]
        H = w_hh.shape[1]
        gi = _project(x, w_ih, b_ih)
        hs = _states(h0, T, reverse)
        saved = empty((T, B, 4 * H), x.dtype, x.device)  # per step [r, z, n, (h W_hh^T + b_hh)_n]
        backend(x, "gru").gru_sequence_forward(gi, w_hh, b_hh, hs, saved, reverse)
        # h0 and the biases too, for a recorded backward (saved, so saved-tensor hooks see them)
        ctx.save_for_backward(x, w_ih, w_hh, hs, saved, h0, b_ih, b_hh)
        ctx.reverse = reverse
        return _outputs(hs, T, reverse)

    @staticmethod
    def backward(ctx, g_out, g_hn):
        x, w_ih, w_hh, hs, saved, h0, b_ih, b_hh = ctx.saved_tensors
        if is_grad_enabled():  # create_graph
            return backward_by_reforward(lambda *a: _gru_reference(*a, ctx.reverse),
                                         (x, h0, w_ih, w_hh, b_ih, b_hh), (g_out, g_hn)) + (None,)
        reverse, need = ctx.reverse, ctx.needs_input_grad
        T, B = x.shape[:2]
        H = w_hh.shape[1]
        kern = backend(x, "gru")
        dgi = empty((T, B, 3 * H), x.dtype, x.device)
        dgh = empty((T, B, 3 * H), x.dtype, x.device)
        dh = _copy(g_hn)  # in: dL/dh_n; out: dL/dh0
        kern.gru_sequence_backward(saved, w_hh, hs, contiguous_data(g_out), dh, dgi, dgh, reverse)
        dx = _input_grad(kern, dgi, w_ih, x) if need[0] else None
        dw_ih = _weight_grad(kern, dgi, contiguous_data(x))
        dw_hh = _weight_grad(kern, dgh, _span(hs, 1 if reverse else 0, T))
        return dx, dh, dw_ih, dw_hh, _bias_grad(dgi, need[4]), _bias_grad(dgh, need[5]), None


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


class _Steps(Function):
    """x (T, B, H) as its T steps x[0], ..., x[T-1], views of one copy of x, with a single
    backward that writes every step's gradient into one (T, B, H) buffer."""

    @staticmethod
    def forward(ctx, x):
        buf = _copy(x)
        ctx.shape = tuple(buf.shape)
        return tuple(_state_slot(buf, t) for t in range(buf.shape[0]))

    @staticmethod
    def backward(ctx, *grads):
        if is_grad_enabled():  # create_graph: the differentiable stack
            return stack(grads, 0)
        g0 = grads[0]
        out = empty(ctx.shape, g0.dtype, g0.device)
        kern = backend(g0, "rnn")
        for t, g in enumerate(grads):
            kern.copy(g, _state_slot(out, t))
        return out


_RNN_ACTIVATIONS = {"tanh": tanh, "relu": relu}


def _rnn_activation(nonlinearity):
    act = _RNN_ACTIVATIONS.get(nonlinearity)
    if act is None:
        raise ValueError(f"rnn: Unknown nonlinearity {nonlinearity!r}. Select from 'tanh' or 'relu'.")
    return act


def rnn_layer(input, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False, nonlinearity="tanh"):
    """One Elman RNN layer in one direction: input (T, B, I), h0 (B, H) -> output (T, B, H),
    h_n, with h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.
    reverse runs the steps from T-1 down to 0."""
    act = _rnn_activation(nonlinearity)
    _check_layer(f"rnn_{nonlinearity}", input, h0, w_ih, w_hh, 1)
    bias = b_hh if b_ih is None else (b_ih if b_hh is None else b_ih + b_hh)
    steps = _Steps.apply(linear(input, w_ih, bias))  # every step's x_t W_ih^T + b_ih + b_hh
    if not isinstance(steps, (tuple, list)):
        steps = (steps,)
    w_t = w_hh.t()
    outs, h = [None] * len(steps), h0
    for t in (range(len(steps) - 1, -1, -1) if reverse else range(len(steps))):
        h = act(addmm(steps[t], h, w_t))
        outs[t] = h
    return stack(outs, 0), h


def rnn_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """One Elman RNN step on (B, I) input and a (B, H) state -> h' (PyTorch's order of sums)."""
    return _rnn_activation(nonlinearity)(linear(input, w_ih, b_ih) + linear(hx, w_hh, b_hh))


__all__ = ["lstm_layer", "gru_layer", "lstm_cell", "gru_cell", "rnn_layer", "rnn_cell"]
