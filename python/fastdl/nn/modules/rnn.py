"""LSTM / GRU / RNN (multi-layer, bidirectional) and LSTMCell / GRUCell / RNNCell
modules with PyTorch's arguments, parameter names (weight_ih_l{k}[_reverse], ...),
shapes, gate orders, init U(-1/sqrt(H), 1/sqrt(H)), input/state layouts and repr. Each
LSTM / GRU layer and direction is one Function from nn.functional.rnn; the Elman RNN's
(tanh or relu) is rnn_layer there, composed of differentiable ops. All share _RNNBase's
argument checks, parameters, layouts and inter-layer dropout.

A PackedSequence input (nn.utils.rnn) runs as torch's does, every sequence over its own
steps only: see _RNNBase._run_packed. The output is a PackedSequence, h_n (c_n) the
states after each sequence's last step (forward) or its first (reverse), in the
original batch order."""
import math
import numbers
import warnings

from ...autograd import Function, is_grad_enabled
from ...ops import addmm, cat, relu, stack, tanh
from ...ops._util import backend
from ...ops._util import empty as _raw_empty
from ...tensor import empty, zeros
from .. import init
from ..functional.dropout import dropout as _dropout
from ..functional.linear import linear
from ..functional.rnn import gru_cell, gru_layer, lstm_cell, lstm_layer, rnn_cell, rnn_layer
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence


def _check_sizes(input_size, hidden_size):
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise TypeError(f"{name} should be of type int, got: {type(v).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")


class _RowBlocks(Function):
    """The rows of a 2-D x (R, F) split into consecutive blocks, block i seen as shapes[i]
    = (*rows_i, F) (views of x), with one backward writing every block's gradient into
    one (R, F) buffer (a narrow per block would allocate a zero (R, F) gradient each)."""

    @staticmethod
    def forward(ctx, x, shapes):
        ctx.shape = tuple(x.shape)
        (s0, s1), off, out = x._strides, x._offset, []
        for shape in shapes:
            rows = tuple(shape[:-1])
            out.append(x._view(tuple(shape), tuple(r * s0 for r in _contiguous_strides(rows)) + (s1,), off))
            off += math.prod(rows) * s0
        return tuple(out)

    @staticmethod
    def backward(ctx, *grads):
        if is_grad_enabled():  # create_graph: the differentiable cat
            return cat([g.reshape(-1, ctx.shape[1]) for g in grads], 0), None
        g0 = grads[0]
        out = _raw_empty(ctx.shape, g0.dtype, g0.device)
        kern, off = backend(g0, "rnn"), 0
        for g in grads:
            kern.copy(g, out._view(tuple(g.shape), _contiguous_strides(g.shape), off))
            off += g.numel()
        return out, None


def _contiguous_strides(shape):
    """Row-major strides (in elements) of a contiguous tensor of this shape."""
    strides, n = [], 1
    for d in reversed(tuple(shape)):
        strides.append(n)
        n *= d
    return tuple(reversed(strides))


def _row_blocks(x, shapes):
    """_RowBlocks as a tuple, also for one block."""
    blocks = _RowBlocks.apply(x, shapes)
    return blocks if isinstance(blocks, (tuple, list)) else (blocks,)


class _JoinRows(Function):
    """Rows (N, D*H) from D groups of blocks (*rows, H), blocks d*S .. d*S+S-1 stacked
    in order into columns d*H.. (a packed output: each direction's outputs in time
    order, the directions side by side; D=1 is cat along rows). Backward hands each block
    its strided view of the gradient; lighter than cat, which it replaces per segment."""

    @staticmethod
    def forward(ctx, D, *blocks):
        S, H = len(blocks) // D, blocks[0].shape[-1]
        ctx.meta = (D, [tuple(b.shape) for b in blocks[:S]])
        N = sum(b.numel() for b in blocks[:S]) // H
        out = _raw_empty((N, D * H), blocks[0].dtype, blocks[0].device)
        kern = backend(out, "rnn")
        for i, b in enumerate(blocks):
            kern.copy(b, _JoinRows.block(out, D, ctx.meta[1], i))
        return out

    @staticmethod
    def block(t, D, shapes, i):
        """The view of packed rows t (N, D*H) holding block i."""
        d, k = divmod(i, len(shapes))
        shape = shapes[k]
        H, (s0, s1) = shape[-1], t._strides
        row0 = sum(math.prod(sh[:-1]) for sh in shapes[:k])
        strides = tuple(r * s0 for r in _contiguous_strides(shape[:-1])) + (s1,)
        return t._view(shape, strides, t._offset + row0 * s0 + d * H * s1)

    @staticmethod
    def backward(ctx, g):
        D, shapes = ctx.meta
        if is_grad_enabled():  # create_graph: the same blocks by differentiable narrows
            return (None,) + tuple(_JoinRows.block_op(g, D, shapes, i) for i in range(D * len(shapes)))
        return (None,) + tuple(_JoinRows.block(g, D, shapes, i) for i in range(D * len(shapes)))

    @staticmethod
    def block_op(t, D, shapes, i):
        """block() by narrow and reshape (ops that record)."""
        d, k = divmod(i, len(shapes))
        shape = shapes[k]
        H = shape[-1]
        row0 = sum(math.prod(sh[:-1]) for sh in shapes[:k])
        return t.narrow(0, row0, math.prod(shape[:-1])).narrow(1, d * H, H).reshape(shape)


def _segments(batch_sizes):
    """The runs of equal batch size: [(steps, n)], in time order."""
    segs, t0 = [], 0
    for t in range(1, len(batch_sizes) + 1):
        if t == len(batch_sizes) or batch_sizes[t] != batch_sizes[t0]:
            segs.append((t - t0, batch_sizes[t0]))
            t0 = t
    return segs


def _packed_pass(blocks, ns, init, step, reverse):
    """One direction of a recurrent layer over packed blocks: block k holds ns[k] rows
    per step (the ns[k] longest sequences; ns non-increasing), step(block, states) runs
    it from states (ns[k], H) and returns (output, *final states). Forward, the states
    flow from block to block and hand off the rows of the sequences that end (their
    final states); reverse, the blocks run from the last, and each sequence joins with
    its initial state at the block holding its last step. Returns the outputs in time
    order and the final states (B, H), rows in sorted order."""
    K, H = len(blocks), init[0].shape[1]
    if reverse:
        sizes = [ns[-1]] + [ns[k] - ns[k + 1] for k in range(K - 2, -1, -1) if ns[k] > ns[k + 1]]
        joins = [list(_row_blocks(h0, [(m, H) for m in sizes])) for h0 in init]  # rows joining, in order
        states, outs = [j.pop(0) for j in joins], [None] * K
        for k in range(K - 1, -1, -1):
            if ns[k] > states[0].shape[0]:
                states = [_JoinRows.apply(1, h, j.pop(0)) for h, j in zip(states, joins)]
            outs[k], *states = step(blocks[k], states)
        return outs, states
    outs, ended, states = [], [[] for _ in init], list(init)
    for k, block in enumerate(blocks):
        out, *states = step(block, states)
        outs.append(out)
        n, n_next = ns[k], (ns[k + 1] if k + 1 < K else 0)
        if n_next < n:  # rows n_next.. end here
            split = [_row_blocks(h, [(n_next, H), (n - n_next, H)]) if n_next else (None, h) for h in states]
            for e, (_, tail) in zip(ended, split):
                e.append(tail)
            states = [head for head, _ in split]
    return outs, [e[0] if len(e) == 1 else _JoinRows.apply(1, *e[::-1]) for e in ended]


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

    def flatten_parameters(self):
        """torch re-packs the weights into one cuDNN buffer here; fastdl's kernels take
        the per-layer weights as they are, so there is nothing to do."""

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

    def _run_packed(self, x, batch_sizes, states):
        """_run on packed rows x (N, I) of a batch sorted by decreasing length: every
        sequence runs exactly its own steps in both directions, as in torch (nothing
        padded, masked or time-reversed), see _packed_direction and _packed_pass."""
        D = 2 if self.bidirectional else 1
        per_slot = [s.unbind(0) for s in states]
        finals = [[] for _ in states]
        for layer in range(self.num_layers):
            outs = []
            for direction in range(D):
                slot = layer * D + direction
                out, fin = self._packed_direction(x, batch_sizes, [s[slot] for s in per_slot],
                                                  self._layer_weights(layer, direction), direction == 1)
                outs += out
                for f, r in zip(finals, fin):
                    f.append(r)
            x = _JoinRows.apply(D, *outs)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout)  # inverted dropout between layers
        return x, [stack(f, 0) for f in finals]

    def _packed_direction(self, x, batch_sizes, init, weights, reverse):
        """LSTM / GRU: the steps split into segments of equal batch size n, one per
        distinct length. A segment's packed rows are one (steps, n, I) block of x, so each
        segment is ONE call of the fused layer function (a kernel time loop over all its
        active rows), and h_n / c_n are its final states: exact c_n with no per-step cell
        states from the kernel, and no padding computed. The cost is one layer call per
        distinct length (its fixed overhead, a weight gradient each) instead of one."""
        segs = _segments(batch_sizes)
        blocks = _row_blocks(x, [(steps, n, x.shape[1]) for steps, n in segs])
        return _packed_pass(blocks, [n for _, n in segs], init,
                            lambda block, states: self._layer(block, states, *weights, reverse), reverse)

    def _forward_packed(self, input, hx):
        data, batch_sizes, sorted_indices, unsorted_indices = input
        if data.ndim != 2:
            raise RuntimeError(f"{self.mode}: packed input data must be 2-D (sum of lengths, input_size), got "
                               f"{data.ndim}D")
        self._check_input(data)
        bs = [int(b) for b in batch_sizes.tolist()]
        if not bs or bs[-1] <= 0 or any(a < b for a, b in zip(bs, bs[1:])) or sum(bs) != data.shape[0]:
            raise RuntimeError(f"{self.mode}: batch_sizes {bs} must be positive and non-increasing and sum to the "
                               f"{data.shape[0]} packed rows")
        B = bs[0]
        names = self._state_names
        if hx is None:
            shape = (self.num_layers * (2 if self.bidirectional else 1), B, self.hidden_size)
            states = [zeros(shape, dtype=data.dtype, device=data.device) for _ in names]
        else:
            hx = hx if len(names) == 2 else (hx,)
            if len(hx) != len(names):
                raise RuntimeError(f"{self.mode}: expected hx to be a tuple (h_0, c_0)")
            states = [self._state(h, n, True, B) for h, n in zip(hx, names)]
            if sorted_indices is not None:  # given in the original batch order
                states = [s.index_select(1, sorted_indices) for s in states]
        out, finals = self._run_packed(data, bs, states)
        if unsorted_indices is not None:
            finals = [f.index_select(1, unsorted_indices) for f in finals]
        return PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices), finals

    def _forward(self, input, hx):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
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
    output (T, B, D*H) and (h_n, c_n). A PackedSequence input gives a PackedSequence output."""
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

    def _packed_direction(self, x, batch_sizes, init, weights, reverse):
        """Step by step, as rnn_layer and torch: one projection of every packed row (both
        biases folded in), then per step one addmm on that step's active rows (no layer
        call per segment: rnn_layer's per-call ops would cost more than the steps)."""
        w_ih, w_hh, b_ih, b_hh = weights
        bias = b_hh if b_ih is None else (b_ih if b_hh is None else b_ih + b_hh)
        proj = linear(x, w_ih, bias)
        act, w_t = (tanh if self.nonlinearity == "tanh" else relu), w_hh.t()

        def step(p, states):
            h = act(addmm(p, states[0], w_t))
            return h, h
        blocks = _row_blocks(proj, [(n, proj.shape[1]) for n in batch_sizes])
        return _packed_pass(blocks, batch_sizes, init, step, reverse)

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
