"""torch's memory formats: the order in which a tensor's elements are laid out.

`contiguous_format` is row-major (NCHW for images); `channels_last` (4-D) and
`channels_last_3d` (5-D) keep the channel dimension innermost (NHWC / NDHWC), with the
dims still indexed as N, C, H, W; `preserve_format` means "keep the input's layout".
They are accepted where torch accepts them: `Tensor.contiguous / is_contiguous / clone /
to`, `Module.to`, `empty` and the `*_like` factories. fastdl's kernels read any strides,
so the format changes where elements live, never a result's values. Elementwise ops
lay their outputs out as their inputs are laid out, by torch's rule
(csrc/core/elementwise_layout.h): a channels-last input gives a channels-last result.
Other ops return row-major outputs (torch keeps channels_last through most ops): the
strides differ from torch's there, the values do not.
"""

__all__ = ["memory_format", "contiguous_format", "channels_last", "channels_last_3d", "preserve_format"]


class memory_format:
    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"fastdl.{self._name}"

    def __reduce__(self):
        return self._name  # module-level singletons: pickled by name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")

# dims from innermost to outermost, for the channels-last formats of each rank
_CHANNELS_LAST_ORDER = {channels_last: (4, (1, 3, 2, 0)), channels_last_3d: (5, (1, 4, 3, 2, 0))}


def check_format(op, fmt):
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{op}: memory_format must be a fastdl.memory_format (e.g. fastdl.channels_last), "
                        f"got {fmt!r}")
    return fmt


def _check_rank(op, shape, fmt):
    rank, _ = _CHANNELS_LAST_ORDER[fmt]
    if len(shape) != rank:
        raise RuntimeError(f"{op}: required rank {rank} tensor to use {fmt._name} format, got shape {list(shape)}")


def is_contiguous_as(shape, strides, fmt):
    """torch's is_contiguous(memory_format=fmt): dims of size 1 may have any stride."""
    if fmt is contiguous_format or fmt is preserve_format:
        order = range(len(shape) - 1, -1, -1)
    else:
        rank, order = _CHANNELS_LAST_ORDER[fmt]
        if len(shape) != rank:
            return False
    if 0 in shape:
        return True
    expect = 1
    for d in order:
        if shape[d] != 1:
            if strides[d] != expect:
                return False
            expect *= shape[d]
    return True


def format_strides(op, shape, fmt):
    """The strides of a dense tensor of `shape` laid out in `fmt` (not preserve_format)."""
    if fmt is contiguous_format:
        order = range(len(shape) - 1, -1, -1)
    else:
        _check_rank(op, shape, fmt)
        order = _CHANNELS_LAST_ORDER[fmt][1]
    strides, step = [0] * len(shape), 1
    for d in order:
        strides[d] = step
        step *= max(shape[d], 1)
    return tuple(strides)


def _dense_strides(shape, strides):
    """`strides` when they address every element exactly once with no gap (torch's
    is_non_overlapping_and_dense), else None."""
    dims = sorted((d for d in range(len(shape)) if shape[d] != 1), key=lambda d: strides[d])
    expect = 1
    for d in dims:
        if strides[d] != expect:
            return None
        expect *= shape[d]
    return tuple(strides)


def _infer_dense_strides(shape, strides):
    """Dense strides in the order of t's strides (torch's infer_dense_strides, a stable
    insertion sort in which a zero stride compares as ambiguous and keeps its place)."""
    perm = list(range(len(shape) - 1, -1, -1))  # innermost first

    def should_swap(d0, d1):
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return -1 if s0 < s1 else 1
        return 1 if shape[d0] > shape[d1] else 0

    for i in range(1, len(perm)):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    out, step = [0] * len(shape), 1
    for d in perm:
        out[d] = step
        step *= shape[d] if shape[d] > 1 else 1
    return tuple(out)


def _strides_like(shape, strides, fmt):
    """torch's is_channels_last_strides_2d / _3d: the strides order dims as fmt does (not
    necessarily densely); ambiguous cases (size-1 dims, zero channel stride) count as
    row-major."""
    rank, order = _CHANNELS_LAST_ORDER[fmt]
    if len(shape) != rank or strides[1] == 0:
        return False
    low = 0
    for d in order:
        if shape[d] == 0 or strides[d] < low or (d == 0 and low == strides[1]):
            return False
        low = strides[d] * (shape[d] if shape[d] > 1 else 1)
    return True


def _suggested(shape, strides):
    """torch's suggest_memory_format."""
    for fmt in (channels_last, channels_last_3d):
        if _strides_like(shape, strides, fmt):
            return fmt
    return contiguous_format


def target_strides(op, t, fmt):
    """Strides of a new tensor like `t` in `fmt`; preserve_format keeps t's own strides when
    they are dense (torch's empty_like / clone rule), else its suggested format's."""
    shape, strides = tuple(t.shape), tuple(t.stride())
    if fmt is preserve_format:
        if 0 in shape:
            return format_strides(op, shape, contiguous_format)
        dense = _dense_strides(shape, strides)
        return dense if dense is not None else _infer_dense_strides(shape, strides)
    return format_strides(op, shape, fmt)


def lay_out_like(op, src, out, fmt):
    """`out`, a fresh row-major tensor of src's shape from a `*_like` factory, laid out as
    torch's factory would lay it out for `src` in `fmt` (preserve_format: src's layout)."""
    check_format(op, fmt)
    if out.numel() <= 1:
        return out
    strides = target_strides(op, src, fmt)
    if strides == tuple(out.stride()):
        return out
    from .ops.shape import copy_with_strides
    return copy_with_strides(out, strides).requires_grad_(out.requires_grad)
