"""torch's *_copy ops (the view ops whose result is new contiguous memory rather than a
view: torch.transpose_copy(x, 0, 1) is x.transpose(0, 1).clone(memory_format=
contiguous_format), row-major whatever the view's strides), and the unsafe_*
splits (torch's versions skip a view-aliasing check that fastdl does not have, so they
are split / chunk themselves). Each is the view op followed by a differentiable clone,
so the gradient is the view op's."""
from .. import dtypes as _dt
from .._memory_format import contiguous_format as _contiguous
from ..tensor import Tensor
from ._util import check_tensor

__all__ = ["view_copy", "permute_copy", "transpose_copy", "t_copy", "expand_copy", "diagonal_copy", "select_copy",
           "slice_copy", "squeeze_copy", "unsqueeze_copy", "unbind_copy", "split_copy", "split_with_sizes_copy",
           "unfold_copy", "alias_copy", "as_strided_copy", "detach_copy", "unsafe_chunk", "unsafe_split",
           "unsafe_split_with_sizes"]


def _ops():
    from .. import ops
    return ops


def view_copy(input, size):
    """A copy of input.view(size); a dtype instead of a size (view as another dtype) is
    not supported."""
    check_tensor("view_copy", input)
    if isinstance(size, _dt.DType):
        raise NotImplementedError("view_copy: viewing as another dtype is not supported by fastdl")
    return input.view(size).clone(memory_format=_contiguous)


def permute_copy(input, dims):
    check_tensor("permute_copy", input)
    return input.permute(dims).clone(memory_format=_contiguous)


def transpose_copy(input, dim0, dim1):
    check_tensor("transpose_copy", input)
    return input.transpose(dim0, dim1).clone(memory_format=_contiguous)


def t_copy(input):
    check_tensor("t_copy", input)
    return input.t().clone(memory_format=_contiguous)


def expand_copy(input, size, *, implicit=False):
    check_tensor("expand_copy", input)
    return input.expand(size).clone(memory_format=_contiguous)


def diagonal_copy(input, offset=0, dim1=0, dim2=1):
    check_tensor("diagonal_copy", input)
    return _ops().diagonal(input, offset, dim1, dim2).clone(memory_format=_contiguous)


def select_copy(input, dim, index):
    check_tensor("select_copy", input)
    return _ops().select(input, dim, index).clone(memory_format=_contiguous)


def slice_copy(input, dim=0, start=None, end=None, step=1):
    """input[..., start:end:step, ...] along dim, copied (torch.slice_copy)."""
    check_tensor("slice_copy", input)
    if input.ndim == 0:
        raise IndexError("slice_copy: slice() cannot be applied to a 0-dim tensor.")
    from ._util import norm_dim
    d = norm_dim("slice_copy", dim, input.ndim)
    if not isinstance(step, int) or step <= 0:
        raise RuntimeError(f"slice_copy: slice step must be positive, got {step!r}")
    return input[(slice(None),) * d + (slice(start, end, step),)].clone(memory_format=_contiguous)


def squeeze_copy(input, dim=None):
    check_tensor("squeeze_copy", input)
    return _ops().squeeze(input, dim).clone(memory_format=_contiguous)


def unsqueeze_copy(input, dim):
    check_tensor("unsqueeze_copy", input)
    return input.unsqueeze(dim).clone(memory_format=_contiguous)


def unbind_copy(input, dim=0):
    check_tensor("unbind_copy", input)
    return tuple(t.clone(memory_format=_contiguous) for t in input.unbind(dim))


def split_copy(input, split_size, dim=0):
    check_tensor("split_copy", input)
    return tuple(t.clone(memory_format=_contiguous) for t in input.split(split_size, dim))


def split_with_sizes_copy(input, split_sizes, dim=0):
    check_tensor("split_with_sizes_copy", input)
    return tuple(t.clone(memory_format=_contiguous) for t in _ops().split_with_sizes(input, split_sizes, dim))


def unfold_copy(input, dimension, size, step):
    check_tensor("unfold_copy", input)
    return input.unfold(dimension, size, step).clone(memory_format=_contiguous)


def alias_copy(input):
    check_tensor("alias_copy", input)
    return input.clone(memory_format=_contiguous)


def as_strided_copy(input, size, stride, storage_offset=None):
    check_tensor("as_strided_copy", input)
    return _ops().as_strided(input, size, stride, storage_offset).clone(memory_format=_contiguous)


def detach_copy(input):
    check_tensor("detach_copy", input)
    return input.detach().clone(memory_format=_contiguous)


def unsafe_chunk(input, chunks, dim=0):
    check_tensor("unsafe_chunk", input)
    return tuple(input.chunk(chunks, dim))


def unsafe_split(input, split_size, dim=0):
    check_tensor("unsafe_split", input)
    return tuple(input.split(split_size, dim))


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    check_tensor("unsafe_split_with_sizes", input)
    return tuple(_ops().split_with_sizes(input, split_sizes, dim))


def install_methods():
    """Tensor.unsafe_chunk / unsafe_split / unsafe_split_with_sizes, as torch's Tensor has."""
    Tensor.unsafe_chunk, Tensor.unsafe_split = unsafe_chunk, unsafe_split
    Tensor.unsafe_split_with_sizes = unsafe_split_with_sizes
