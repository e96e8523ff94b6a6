"""torch's ATen-level RNN functions (torch.lstm / gru / rnn_tanh / rnn_relu, both the
padded overload (input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
batch_first) and the packed one (data, batch_sizes, hx, params, has_biases, num_layers,
dropout, train, bidirectional), and the cells torch.lstm_cell / gru_cell / rnn_tanh_cell /
rnn_relu_cell (input, hx, w_ih, w_hh, b_ih=None, b_hh=None)). They run the nn.RNN modules'
own code (_RNNBase._run / _run_packed) on a flat parameter list, so the numbers and
gradients are the modules'."""
from ...tensor import Tensor
from ..modules import rnn as _m

_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
_MODULE = {"lstm": _m.LSTM, "gru": _m.GRU, "rnn_tanh": _m.RNN, "rnn_relu": _m.RNN}


class _Flat:
    """The parts of an _RNNBase that _run / _run_packed read, over a flat params list in
    torch's order: per layer, per direction, w_ih, w_hh (, b_ih, b_hh)."""

    _run = _m._RNNBase._run
    _run_packed = _m._RNNBase._run_packed

    def __init__(self, mode, params, has_biases, num_layers, dropout, train, bidirectional):
        self.mode, self.num_layers, self.dropout = mode, int(num_layers), float(dropout)
        self.training, self.bidirectional = bool(train), bool(bidirectional)
        self.nonlinearity = mode[4:] if mode.startswith("rnn_") else None
        per = 4 if has_biases else 2
        D = 2 if bidirectional else 1
        params = list(params)
        if len(params) != per * D * self.num_layers:
            raise RuntimeError(f"{mode}: got an incorrect number of RNN parameters: {len(params)}, expected "
                               f"{per * D * self.num_layers} (num_layers={num_layers}, bidirectional={bidirectional}, "
                               f"has_biases={has_biases}; projections are not supported)")
        if any(not isinstance(p, Tensor) for p in params):
            raise TypeError(f"{mode}: params must be Tensors")
        self._weights = [params[i:i + per] + ([None, None] if per == 2 else []) for i in range(0, len(params), per)]
        cls = _MODULE[mode]
        self._layer_fn = cls._layer
        self._packed_fn = cls._packed_direction if mode.startswith("rnn_") else _m._RNNBase._packed_direction

    def _layer_weights(self, layer, direction):
        return self._weights[layer * (2 if self.bidirectional else 1) + direction]

    def _layer(self, x, states, w_ih, w_hh, b_ih, b_hh, reverse):
        if self.nonlinearity is not None:
            return self._layer_fn(self, x, states, w_ih, w_hh, b_ih, b_hh, reverse)
        return self._layer_fn(x, states, w_ih, w_hh, b_ih, b_hh, reverse)

    def _packed_direction(self, x, batch_sizes, init, weights, reverse):
        return self._packed_fn(self, x, batch_sizes, init, weights, reverse)


def _states(mode, hx):
    if mode == "lstm":
        if not isinstance(hx, (list, tuple)) or len(hx) != 2:
            raise RuntimeError(f"lstm: hx must be a list of two tensors (h_0, c_0), got {type(hx).__name__}")
        return list(hx)
    if not isinstance(hx, Tensor):
        raise TypeError(f"{mode}: hx must be a Tensor, got {type(hx).__name__}")
    return [hx]


def _check_states(mode, states, flat, batch, hidden):
    want = (flat.num_layers * (2 if flat.bidirectional else 1), batch, hidden)
    for s in states:
        if s.ndim != 3 or tuple(s.shape) != want:
            raise RuntimeError(f"{mode}: expected hidden state of shape {list(want)}, got {list(s.shape)}")


def _run(mode, args):
    """Dispatches the two overloads: the packed one has a Tensor batch_sizes second and its
    hx third (a list for lstm, a Tensor otherwise) followed by the params list."""
    packed = len(args) == 9 and isinstance(args[1], Tensor) and isinstance(args[3], (list, tuple))
    if packed:
        data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional = args
        batch_first = False
    elif len(args) == 9:
        input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first = args
    else:
        raise TypeError(f"{mode}() takes (input, hx, params, has_biases, num_layers, dropout, train, bidirectional, "
                        f"batch_first) or (data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, "
                        f"bidirectional); got {len(args)} arguments")
    states = _states(mode, hx)
    flat = _Flat(mode, params, has_biases, num_layers, dropout, train, bidirectional)
    w_ih = flat._layer_weights(0, 0)[0]
    G, H = w_ih.shape[0], flat._layer_weights(0, 0)[1].shape[1]
    if G != _GATES[mode] * H:
        raise RuntimeError(f"{mode}: w_ih has {G} rows, expected {_GATES[mode]} x hidden size {H}")
    if packed:
        if data.ndim != 2:
            raise RuntimeError(f"{mode}: packed data must be 2-D (sum of lengths, input_size), got {list(data.shape)}")
        bs = [int(b) for b in batch_sizes.tolist()]
        if not bs or bs[-1] <= 0 or any(a < b for a, b in zip(bs, bs[1:])) or sum(bs) != data.shape[0]:
            raise RuntimeError(f"{mode}: batch_sizes {bs} must be positive and non-increasing and sum to the "
                               f"{data.shape[0]} packed rows")
        _check_states(mode, states, flat, bs[0], H)
        out, finals = flat._run_packed(data, bs, states)
        return (out, *finals)
    if input.ndim != 3:
        raise RuntimeError(f"{mode}: expected a 3-D input (seq, batch, feature), got {list(input.shape)}")
    if batch_first:
        input = input.transpose(0, 1)
    _check_states(mode, states, flat, input.shape[1], H)
    out, finals = flat._run(input, states)
    if batch_first:
        out = out.transpose(0, 1)
    return (out, *finals)


def lstm(*args):
    """torch.lstm -> (output, h_n, c_n); hx = [h_0, c_0]."""
    return _run("lstm", args)


def gru(*args):
    """torch.gru -> (output, h_n)."""
    return _run("gru", args)


def rnn_tanh(*args):
    """torch.rnn_tanh -> (output, h_n)."""
    return _run("rnn_tanh", args)


def rnn_relu(*args):
    """torch.rnn_relu -> (output, h_n)."""
    return _run("rnn_relu", args)


def _check_cell(op, input, hx, w_ih, w_hh, gates):
    if input.ndim != 2:
        raise RuntimeError(f"{op}: expected a 2-D input (batch, input_size), got {list(input.shape)}")
    H = w_hh.shape[1] if w_hh.ndim == 2 else -1
    if w_ih.ndim != 2 or w_ih.shape[0] != gates * H or w_ih.shape[1] != input.shape[1] or tuple(w_hh.shape) != (gates * H, H):
        raise RuntimeError(f"{op}: weights {list(w_ih.shape)} and {list(w_hh.shape)} do not fit input "
                           f"{list(input.shape)} ({gates}*H rows)")
    for h in hx:
        if tuple(h.shape) != (input.shape[0], H):
            raise RuntimeError(f"{op}: expected hidden state of shape {[input.shape[0], H]}, got {list(h.shape)}")


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """torch.lstm_cell: one step, hx = [h, c] -> (h', c')."""
    from .rnn import lstm_cell as cell
    if not isinstance(hx, (list, tuple)) or len(hx) != 2:
        raise RuntimeError("lstm_cell: hx must be a list of two tensors (h, c)")
    _check_cell("lstm_cell", input, hx, w_ih, w_hh, 4)
    return cell(input, hx[0], hx[1], w_ih, w_hh, b_ih, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """torch.gru_cell: one step -> h'."""
    from .rnn import gru_cell as cell
    _check_cell("gru_cell", input, [hx], w_ih, w_hh, 3)
    return cell(input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """torch.rnn_tanh_cell: tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    from .rnn import rnn_cell
    _check_cell("rnn_tanh_cell", input, [hx], w_ih, w_hh, 1)
    return rnn_cell(input, hx, w_ih, w_hh, b_ih, b_hh, "tanh")


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """torch.rnn_relu_cell: relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    from .rnn import rnn_cell
    _check_cell("rnn_relu_cell", input, [hx], w_ih, w_hh, 1)
    return rnn_cell(input, hx, w_ih, w_hh, b_ih, b_hh, "relu")


__all__ = ["lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"]
