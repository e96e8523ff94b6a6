"""torch.nn.utils.rnn: variable-length sequences. pad_sequence / unpad_sequence,
PackedSequence, pack_padded_sequence / pad_packed_sequence, pack_sequence /
unpack_sequence, with torch's arguments, layouts, sort order and errors.

A PackedSequence holds the steps of a batch of sequences sorted by decreasing length,
time-major: data (sum(lengths), *) is step 0 of every sequence, then step 1 of every
sequence at least 2 long, ...; batch_sizes (CPU int64) counts the sequences of each
step; sorted_indices[j] is the original batch index of sorted row j and
unsorted_indices its inverse (both None when the input was already sorted).

Every (un)packing and (un)padding is one index_select of the flattened input (the
padding comes from one extra row appended to the source), so autograd scatters the
gradients back through index_select's backward; the index arrays are NumPy on the host.
nn.LSTM / GRU / RNN take a PackedSequence directly (nn/modules/rnn.py).
"""
import numbers
from collections import namedtuple
from collections.abc import Iterable

import numpy as np

from ...ops import cat, index_select
from ...ops._util import desc
from ...tensor import Tensor, full, tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _host(t):
    """An int64 NumPy copy of an index / length tensor (or sequence of ints)."""
    if isinstance(t, Tensor):
        return np.asarray(t.detach().cpu().numpy()).astype(np.int64)
    return np.asarray(t).astype(np.int64)


def _index(arr, device):
    return tensor(np.ascontiguousarray(arr, dtype=np.int64), device=device)


def invert_permutation(permutation):
    """The inverse of a 1-D permutation tensor (None stays None)."""
    if permutation is None:
        return None
    p = _host(permutation)
    inv = np.empty_like(p)
    inv[p] = np.arange(p.shape[0], dtype=np.int64)
    return _index(inv, permutation.device)


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """The steps of a batch of variable-length sequences (see the module docstring).
    Made by pack_padded_sequence / pack_sequence; nn.LSTM / GRU / RNN take and return it."""
    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # torch's legacy form PackedSequence((data, batch_sizes))
            if not isinstance(data, (list, tuple)) or len(data) != 2:
                raise TypeError("PackedSequence: expected data and batch_sizes, or a (data, batch_sizes) tuple")
            data, batch_sizes = data
        if batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                             "created manually. They should be instantiated by functions like pack_sequence and "
                             "pack_padded_sequences in nn.utils.rnn. "
                             "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        """This sequence with data replaced; the indices follow data's device, batch_sizes
        stays on the CPU (self when data is unchanged)."""
        if data is self.data:
            return self
        move = (lambda t: None if t is None else t.to(data.device))  # noqa: E731
        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def to(self, *args, **kwargs):
        return self._with_data(self.data.to(*args, **kwargs))

    def cuda(self, *args, **kwargs):
        return self._with_data(self.data.cuda(*args, **kwargs))

    def cpu(self):
        return self._with_data(self.data.cpu())

    def double(self):
        return self._with_data(self.data.double())

    def float(self):
        return self._with_data(self.data.float())

    def half(self):
        return self._with_data(self.data.half())

    def long(self):
        return self._with_data(self.data.long())

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _lengths(fn, lengths):
    """lengths (a tensor or a sequence of numbers) as a 1-D int64 NumPy array."""
    arr = _host(lengths) if isinstance(lengths, Tensor) else np.asarray(lengths)
    if arr.ndim != 1:
        raise RuntimeError(f"{fn}: 'lengths' argument should be a 1D CPU int64 tensor, but got {arr.ndim}D "
                           f"lengths {arr.tolist()}")
    return arr.astype(np.int64)


def _batch_sizes(sorted_lengths):
    """batch_sizes[t] = how many of the (decreasing) lengths exceed t."""
    B = sorted_lengths.shape[0]
    counts = np.bincount(sorted_lengths, minlength=int(sorted_lengths[0]) + 1)
    return (B - np.cumsum(counts))[:int(sorted_lengths[0])]


def _packed_positions(batch_sizes):
    """(step, sorted row) of every packed row."""
    starts = np.cumsum(batch_sizes) - batch_sizes
    steps = np.repeat(np.arange(batch_sizes.shape[0], dtype=np.int64), batch_sizes)
    return steps, np.arange(int(batch_sizes.sum()), dtype=np.int64) - np.repeat(starts, batch_sizes)


def _flat(x, lead):
    """x (a, b, *) seen as (a*b, *) (a view when x is contiguous)."""
    return x.reshape((lead,) + tuple(x.shape[2:]))


def _with_padding_row(x, padding_value):
    """x (N, *) with one more row of padding_value at index N."""
    row = full((1,) + tuple(x.shape[1:]), padding_value, dtype=x.dtype, device=x.device)
    return cat([x, row], 0)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch input (T, B, *) ((B, T, *) if batch_first) whose sequence b
    is lengths[b] long. With enforce_sorted the lengths must be decreasing; otherwise the
    batch is sorted by decreasing length (stably) and sorted_indices records the order."""
    fn = "pack_padded_sequence"
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: expected input to be a Tensor, got {type(input).__name__}")
    lens = _lengths(fn, lengths)
    if input.ndim < 2:
        raise IndexError(f"{fn}: expected input of at least 2 dimensions ({'B, T' if batch_first else 'T, B'}, *), "
                         f"got {desc(input)}")
    if input.numel() == 0:
        raise RuntimeError(f"{fn}: Cannot pack empty tensors, got input {desc(input)}")
    T, B = (input.shape[1], input.shape[0]) if batch_first else (input.shape[0], input.shape[1])
    if lens.shape[0] != B:
        raise RuntimeError(f"{fn}: Expected `len(lengths)` to be equal to batch_size, but got {lens.shape[0]} "
                           f"(batch_size={B}) for input {desc(input)} with batch_first={batch_first}")
    given = lens.tolist()
    if enforce_sorted:
        if np.any(lens[1:] > lens[:-1]):
            raise RuntimeError(f"{fn}: `lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                               f"True, got lengths={given}. You can pass `enforce_sorted=False` to "
                               "pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do "
                               "not need ONNX exportability.")
        order = None
    else:
        order = np.argsort(-lens, kind="stable")  # torch's order, ties kept in batch order
        lens = lens[order]
    if lens[-1] <= 0:
        raise RuntimeError(f"{fn}: Length of all samples has to be greater than 0, but found an element in "
                           f"'lengths' that is <= 0: lengths={given}")
    if lens[0] > T:
        raise RuntimeError(f"{fn}: lengths={given} has a length "
                           f"{int(lens[0])} longer than the {T} steps of input {desc(input)} "
                           f"(batch_first={batch_first})")
    batch_sizes = _batch_sizes(lens)
    steps, rows = _packed_positions(batch_sizes)
    b = rows if order is None else order[rows]
    flat = b * T + steps if batch_first else steps * B + b
    data = index_select(_flat(input, T * B), 0, _index(flat, input.device))
    sorted_indices = None if order is None else _index(order, input.device)
    return PackedSequence(data, _index(batch_sizes, "cpu"), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths), in
    the original batch order; T = total_length if given, else the longest length.
    lengths is a CPU int64 tensor."""
    fn = "pad_packed_sequence"
    data, batch_sizes = sequence.data, _host(sequence.batch_sizes)
    max_len = batch_sizes.shape[0]
    T = max_len
    if total_length is not None:
        if not isinstance(total_length, numbers.Integral) or isinstance(total_length, bool):
            raise TypeError(f"{fn}: total_length must be int, not {type(total_length).__name__}")
        if total_length < max_len:
            raise ValueError(f"{fn}: Expected total_length to be at least the length of the longest sequence in "
                             f"input, but got total_length={total_length} and max sequence length being {max_len}")
        T = int(total_length)
    B = int(batch_sizes[0])
    lens = (batch_sizes[:, None] > np.arange(B)).sum(0)  # sorted rows' lengths
    unsorted = sequence.unsorted_indices
    j = np.arange(B, dtype=np.int64) if unsorted is None else _host(unsorted)  # sorted row of each output column
    starts = np.cumsum(batch_sizes) - batch_sizes
    bs_t = np.concatenate([batch_sizes, np.zeros(T - max_len, np.int64)])[:, None]
    st_t = np.concatenate([starts, np.zeros(T - max_len, np.int64)])[:, None]
    N = data.shape[0]
    src = np.where(j[None, :] < bs_t, st_t + j[None, :], N)  # (T, B) packed row, or N: the padding row
    src = src.T if batch_first else src
    out = index_select(_with_padding_row(data, padding_value), 0, _index(src.reshape(-1), data.device))
    shape = ((B, T) if batch_first else (T, B)) + tuple(data.shape[1:])
    return out.reshape(shape), _index(lens[j], "cpu")


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks sequences (L_i, *) into (T, B, *) ((B, T, *) if batch_first), T = max L_i,
    filled with padding_value after (padding_side='right') or before ('left') each one."""
    fn = "pad_sequence"
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    elif not isinstance(sequences, Iterable):
        raise RuntimeError(f"{fn}: Expected iterable for input sequences, but got arg of type: {type(sequences)}")
    sequences = list(sequences)
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"{fn}: Expected padding_side to be one of left or right, but got {padding_side}.")
    if not sequences:
        raise RuntimeError(f"{fn}: received an empty list of sequences")
    first = sequences[0]
    for i, s in enumerate(sequences):
        if not isinstance(s, Tensor):
            raise TypeError(f"{fn}: expected sequences[{i}] to be a Tensor, got {type(s).__name__}")
        if s.ndim == 0 or tuple(s.shape[1:]) != tuple(first.shape[1:]):
            raise RuntimeError(f"{fn}: every sequence must be (L, *) with the trailing shape "
                               f"{tuple(first.shape[1:])} of sequences[0] {desc(first)}, got sequences[{i}] {desc(s)}")
        if s.device != first.device:
            raise RuntimeError(f"{fn}: sequences[{i}] is on {s.device}, sequences[0] on {first.device}")
    sequences = [s if s.dtype is first.dtype else s.to(first.dtype) for s in sequences]
    lens = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    B, T, N = len(sequences), int(lens.max()), int(lens.sum())
    starts = (np.cumsum(lens) - lens)[None, :]
    t = np.arange(T, dtype=np.int64)[:, None]
    if padding_side == "left":
        t = t - (T - lens)[None, :]
    src = np.where((t >= 0) & (t < lens[None, :]), starts + t, N)  # (T, B)
    src = src.T if batch_first else src
    out = index_select(_with_padding_row(cat(sequences, 0), padding_value), 0,
                       _index(src.reshape(-1), first.device))
    return out.reshape(((B, T) if batch_first else (T, B)) + tuple(first.shape[1:]))


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The inverse of pad_sequence (right padding): the list of sequences (lengths[b], *)."""
    fn = "unpad_sequence"
    lens = _lengths(fn, lengths)
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    B, T = x.shape[0], x.shape[1]
    if lens.shape[0] != B:
        raise RuntimeError(f"{fn}: got {lens.shape[0]} lengths for the {B} sequences of {desc(padded_sequences)} "
                           f"(batch_first={batch_first})")
    out = []
    for b, n in enumerate(lens.tolist()):
        if not 0 <= n <= T:
            raise IndexError(f"{fn}: length {n} of sequence {b} (lengths={lens.tolist()}) is outside the {T} "
                             f"padded steps of {desc(padded_sequences)} (batch_first={batch_first})")
        out.append(index_select(x[b], 0, _index(np.arange(n), x.device)))
    return out


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of sequences (L_i, *): pack_padded_sequence(pad_sequence(sequences), lengths)."""
    sequences = list(sequences)
    lengths = [s.shape[0] if isinstance(s, Tensor) and s.ndim else 0 for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The inverse of pack_sequence: the list of sequences, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return [padded[b].narrow(0, 0, n) for b, n in enumerate(lengths.tolist())]
