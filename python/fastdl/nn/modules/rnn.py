"""LSTM / GRU / RNN (multi-layer, bidirectional) and LSTMCell / GRUCell / RNNCell
modules with PyTorch's arguments, parameter names (weight_ih_l{k}[_reverse], ...),
shapes, gate orders, init U(-1/sqrt(H), 1/sqrt(H)), input/state layouts and repr. Each
LSTM / GRU layer and direction is one Function from nn.functional.rnn; the Elman RNN's
(tanh or relu) is rnn_layer there, composed of differentiable ops. All share _RNNBase's
argument checks, parameters, layouts and inter-layer dropout."""
import math
import numbers
import warnings

from ...ops import cat, stack
from ...tensor import empty, zeros
from .. import init
from ..functional.dropout import dropout as _dropout
from ..functional.rnn import gru_cell, gru_layer, lstm_cell, lstm_layer, rnn_cell, rnn_layer
from ..module import Module
from ..parameter import Parameter


def _check_sizes(input_size, hidden_size):
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise TypeError(f"{name} should be of type int, got: {type(v).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")


def _check_nonlinearity(name, nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{name}: Unknown nonlinearity {nonlinearity!r}. Select from 'tanh' or 'relu'.")


class _RNNBase(Module):
    _gates = 0  # gate blocks per weight: 4 (LSTM), 3 (GRU) or 1 (RNN)
    _state_names = ("hx",)  # the recurrent states: ("hx", "cx") for the LSTM

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__()
        _check_sizes(input_size, hidden_size)
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}")
        self.mode = type(self).__name__
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        D = 2 if bidirectional else 1
        G = self._gates * hidden_size
        self._all_weights = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * D
            for direction in range(D):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                names = [f"weight_ih{sfx}", f"weight_hh{sfx}"] + ([f"bias_ih{sfx}", f"bias_hh{sfx}"] if bias else [])
                shapes = [(G, layer_in), (G, hidden_size), (G,), (G,)]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(empty(shape, dtype=dtype, device=device)))
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def _layer_weights(self, layer, direction):
        names = self._all_weights[layer * (2 if self.bidirectional else 1) + direction]
        ws = [getattr(self, n) for n in names]
        return ws if self.bias else ws + [None, None]

    def _check_input(self, input):
        if input.ndim not in (2, 3):
            raise ValueError(f"{self.mode}: Expected input to be 2D or 3D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{self.mode}: input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        if input.dtype is not self._flat_dtype():
            raise TypeError(f"{self.mode}: input dtype {input.dtype} does not match the parameters' "
                            f"{self._flat_dtype()}")

    def _flat_dtype(self):
        return self._layer_weights(0, 0)[0].dtype

    def _state(self, h, name, batched, batch):
        """Checks an initial state and returns it as (L*D, B, H)."""
        want = 3 if batched else 2
        if h.ndim != want:
            raise RuntimeError(f"{self.mode}: for {'batched 3-D' if batched else 'unbatched 2-D'} input, {name} "
                               f"should also be {want}-D but got a {h.ndim}-D tensor")
        if not batched:
            h = h.unsqueeze(1)
        expected = (self.num_layers * (2 if self.bidirectional else 1), batch, self.hidden_size)
        if tuple(h.shape) != expected:
            raise RuntimeError(f"{self.mode}: Expected {name} size {expected}, got {tuple(h.shape)}")
        if h.dtype is not self._flat_dtype():
            raise TypeError(f"{self.mode}: {name} dtype {h.dtype} does not match the parameters' "
                            f"{self._flat_dtype()}")
        return h

    def _run(self, input, states):
        """Runs every layer and direction. input (T, B, I) time-major; states: the
        initial (L*D, B, H) states (1 for GRU, 2 for LSTM). Returns output and finals."""
        D = 2 if self.bidirectional else 1
        per_slot = [s.unbind(0) for s in states]
        finals = [[] for _ in states]
        x = input
        for layer in range(self.num_layers):
            outs = []
            for direction in range(D):
                slot = layer * D + direction
                w_ih, w_hh, b_ih, b_hh = self._layer_weights(layer, direction)
                init_states = [s[slot] for s in per_slot]
                res = self._layer(x, init_states, w_ih, w_hh, b_ih, b_hh, direction == 1)
                outs.append(res[0])
                for f, r in zip(finals, res[1:]):
                    f.append(r)
            x = outs[0] if D == 1 else cat(outs, dim=2)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout)  # inverted dropout between layers
        return x, [stack(f, 0) for f in finals]

    def _forward(self, input, hx):
        self._check_input(input)
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        B = input.shape[1]
        names = self._state_names
        n_states = len(names)
        if hx is None:
            shape = (self.num_layers * (2 if self.bidirectional else 1), B, self.hidden_size)
            states = [zeros(shape, dtype=input.dtype, device=input.device) for _ in range(n_states)]
        else:
            hx = hx if n_states == 2 else (hx,)
            if len(hx) != n_states:
                raise RuntimeError(f"{self.mode}: expected hx to be a tuple (h_0, c_0)")
            states = [self._state(h, n, batched, B) for h, n in zip(hx, names)]
        out, finals = self._run(input, states)
        if not batched:
            return out.squeeze(1), [f.squeeze(1) for f in finals]
        if self.batch_first:
            out = out.transpose(0, 1)
        return out, finals


class LSTM(_RNNBase):
    """Multi-layer LSTM. forward(input, hx=None) with input (T, B, I) ((B, T, I) if
    batch_first, (T, I) unbatched) and hx = (h_0, c_0), each (L*D, B, H); returns
    output (T, B, D*H) and (h_n, c_n)."""
    _gates = 4
    _state_names = ("hx", "cx")

    @staticmethod
    def _layer(x, states, w_ih, w_hh, b_ih, b_hh, reverse):
        return lstm_layer(x, states[0], states[1], w_ih, w_hh, b_ih, b_hh, reverse)

    def forward(self, input, hx=None):
        out, (h, c) = self._forward(input, hx)
        return out, (h, c)


class GRU(_RNNBase):
    """Multi-layer GRU. forward(input, hx=None) -> (output, h_n); layouts as LSTM."""
    _gates = 3

    @staticmethod
    def _layer(x, states, w_ih, w_hh, b_ih, b_hh, reverse):
        return gru_layer(x, states[0], w_ih, w_hh, b_ih, b_hh, reverse)

    def forward(self, input, hx=None):
        out, (h,) = self._forward(input, hx)
        return out, h


class RNN(_RNNBase):
    """Multi-layer Elman RNN, h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) with act
    tanh or relu (nonlinearity). forward(input, hx=None) -> (output, h_n); layouts as LSTM."""
    _gates = 1

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        _check_nonlinearity("RNN", nonlinearity)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device,
                         dtype)
        self.nonlinearity = nonlinearity

    def _layer(self, x, states, w_ih, w_hh, b_ih, b_hh, reverse):
        return rnn_layer(x, states[0], w_ih, w_hh, b_ih, b_hh, reverse, self.nonlinearity)

    def forward(self, input, hx=None):
        out, (h,) = self._forward(input, hx)
        return out, h


class _CellBase(Module):
    _gates = 0

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        _check_sizes(input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        G = self._gates * hidden_size
        self.weight_ih = Parameter(empty((G, input_size), dtype=dtype, device=device))
        self.weight_hh = Parameter(empty((G, hidden_size), dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(G, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(G, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = _RNNBase.reset_parameters

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias is True else f", bias={self.bias}")

    def _prepare(self, input, hx, n_states):
        """Checks input / states and returns them batched (B, .) plus whether to unbatch."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got {input.shape[-1]} expected "
                               f"{self.input_size}")
        if input.dtype is not self.weight_ih.dtype:
            raise TypeError(f"{name}: input dtype {input.dtype} does not match the parameters' "
                            f"{self.weight_ih.dtype}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        B = x.shape[0]
        if hx is None:
            return x, [zeros((B, self.hidden_size), dtype=x.dtype, device=x.device) for _ in range(n_states)], batched
        states = []
        for i, h in enumerate(hx if n_states == 2 else (hx,)):
            if h.ndim != input.ndim:
                raise ValueError(f"{name}: Expected hx[{i}] to be {input.ndim}D like the input, got {h.ndim}D")
            h = h if batched else h.unsqueeze(0)
            if tuple(h.shape) != (B, self.hidden_size):
                raise RuntimeError(f"{name}: expected hidden state {i} of shape {(B, self.hidden_size)}, got "
                                   f"{tuple(h.shape)}")
            states.append(h)
        return x, states, batched

    def _unbatch(self, ts, batched):
        return ts if batched else [t.squeeze(0) for t in ts]


class LSTMCell(_CellBase):
    """One LSTM step: forward(input (B, I) or (I,), hx=(h, c)) -> (h', c')."""
    _gates = 4

    def forward(self, input, hx=None):
        x, (h, c), batched = self._prepare(input, hx, 2)
        h1, c1 = lstm_cell(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        h1, c1 = self._unbatch([h1, c1], batched)
        return h1, c1


class GRUCell(_CellBase):
    """One GRU step: forward(input (B, I) or (I,), hx=h) -> h'."""
    _gates = 3

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx, 1)
        h1 = gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return self._unbatch([h1], batched)[0]


class RNNCell(_CellBase):
    """One Elman RNN step: forward(input (B, I) or (I,), hx=h) -> h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    _gates = 1

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        _check_nonlinearity("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def extra_repr(self):
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity}")

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx, 1)
        h1 = rnn_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity)
        return self._unbatch([h1], batched)[0]


__all__ = ["LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "RNNCell"]
