"""Tensor methods of torch's long tail: new_empty_strided, apply_ / map_ / map2_, the
storage and layout queries, output_nr, dim_order, resize_ / resize_as_ / as_strided_.

What differs from torch, by design:
- share_memory_() / is_shared(): see tensor_shared.py (shared-memory blocks).
- pin_memory(): without CUDA it raises, as torch does without an accelerator; with CUDA
  it returns a CPU copy (fastdl allocates no page-locked memory; is_pinned() is False).
- resize_() that needs more memory gives the tensor a new, larger buffer holding the old
  bytes first (torch grows the storage in place, so other views of it see the growth;
  in fastdl they keep the old buffer).
- byte() / char() / short() are absent: fastdl has no uint8 / int8 / int16 dtypes."""
import math

from . import _memory_format as _mf, dtypes as _dt
from .autograd import is_grad_enabled, no_grad
from .tensor import Size, Tensor

__all__ = ["layout", "strided", "install"]


class layout:
    """torch.layout: fastdl has the one, fastdl.strided."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"fastdl.{self.name}"

    def __reduce__(self):
        return (_strided, ())


strided = layout("strided")


def _strided():
    return strided


def _new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None, pin_memory=False,
                       requires_grad=False):
    from .ops.promotion import empty_strided
    return empty_strided(size, stride, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)


# ---- apply_ / map_ / map2_: a Python callable per element (CPU only, as torch) ----


def _host_check(op, *ts):
    for t in ts:
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected a Tensor, got {type(t).__name__}")
        if t.device.type != "cpu":
            raise TypeError(f"{op}_ is only implemented on CPU tensors, got a tensor on {t.device}")
    if ts[0].requires_grad:
        raise RuntimeError(f"Can't call {op}() on Variable that requires grad. Use var.detach().{op}() instead.")


def _py_values(t, shape):
    """The elements of t broadcast to shape, as a flat list of Python numbers."""
    from .ops import broadcast_to
    with no_grad():
        return broadcast_to(t.detach(), shape).reshape(-1).tolist()


def _write_back(self, values, op):
    from .tensor import tensor
    with no_grad():
        new = tensor(values, dtype=_dt.float64 if self.dtype.is_floating_point else None)
        if self.dtype is _dt.bool_:
            new = new.bool()
        elif self.dtype is _dt.int64 and new.dtype.is_floating_point:
            new = new.trunc().long()  # a float result is truncated into an int tensor, as torch's cast
        self.copy_(new.reshape(self.shape))
    return self


def _apply_(self, callable):
    _host_check("apply_", self)
    return _write_back(self, [callable(v) for v in _py_values(self, self.shape)], "apply_")


def _map_(self, tensor, callable):
    _host_check("map_", self, tensor)
    shape = tuple(self.shape)
    return _write_back(self, [callable(a, b) for a, b in zip(_py_values(self, shape), _py_values(tensor, shape))],
                       "map_")


def _map2_(self, x, y, callable):
    _host_check("map2_", self, x, y)
    shape = tuple(self.shape)
    vals = zip(_py_values(self, shape), _py_values(x, shape), _py_values(y, shape))
    return _write_back(self, [callable(a, b, c) for a, b, c in vals], "map2_")


# ---- storage queries ----


def _pin_memory(self, device=None):
    from . import cuda
    if self.device.type != "cpu":
        raise RuntimeError(f"cannot pin '{self.device}' memory: only CPU tensors can be pinned")
    if not cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return self.clone()


def _output_nr(self):
    """The index of this tensor among the outputs of the fastdl node that made it (0 for
    leaves). fastdl's graph has its own nodes: where it makes one node per output
    (unbind, aminmax) this is 0 where torch's single node numbers them."""
    return self._out_index if self._grad_fn is not None and self._out_index is not None else 0


def _dim_order(self, *, ambiguity_check=False):
    """The dims from outermost to innermost in memory (torch's stride sort, ported)."""
    if not isinstance(ambiguity_check, bool):
        raise TypeError(f"dim_order: ambiguity_check must be a bool, got {type(ambiguity_check).__name__}")
    shape, strides, n = tuple(self.shape), tuple(self.stride()), self.ndim
    if ambiguity_check and (any(a == b for a, b in zip(strides, strides[1:])) or 1 in shape):
        raise RuntimeError("The tensor does not have unique dim order, or cannot map to exact one of the given "
                           "memory formats.")
    if n <= 1:
        return tuple(range(n))
    contiguous, channels_last = self.is_contiguous(), _mf.is_contiguous_as(shape, strides, _mf.channels_last)
    if contiguous and not channels_last:
        return tuple(range(n))
    if channels_last and not contiguous:
        return (0, *range(2, n), 1)

    def ge(a, b):
        return b == 0 or (a != 0 and (a >= b or a % b == 0))

    def should_swap(a, b):
        sa, sb = strides[a], strides[b]
        if sa == 0 or sb == 0:
            return 0
        if sa == sb:
            return 0 if ge(shape[b], shape[a]) else 1
        return -1 if ge(sb, sa) else 1

    perm = list(reversed(range(n)))
    for i in range(1, n):  # insertion sort, as torch's
        dim1 = i
        for dim0 in reversed(range(i)):
            c = should_swap(perm[dim0], perm[dim1])
            if c > 0:
                perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
                dim1 = dim0
            elif c < 0:
                break
    return tuple(reversed(perm))


# ---- resize_ / resize_as_ / as_strided_ ----


def _refuse_grad(self, op):
    if self.requires_grad:
        raise RuntimeError(f"{op}: cannot resize variables that require grad")


def _resize_(self, *sizes, memory_format=None):
    from .tensor import _shape_arg
    _refuse_grad(self, "resize_")
    if not sizes:
        raise TypeError('resize_() missing 1 required positional arguments: "size"')
    shape = _shape_arg("resize_", sizes)
    need = (self._offset + math.prod(shape)) * self.dtype.itemsize if math.prod(shape) else 0
    if need > self._buf.nbytes:  # a bigger buffer, the old bytes first (torch keeps them too)
        n_old, n_new = self._buf.nbytes // self.dtype.itemsize, need // self.dtype.itemsize
        old = Tensor._make(self._buf, self.dtype, (n_old,), (1,), 0, self.device)
        new = Tensor._make(_alloc_buffer(need, self.device), self.dtype, (n_new,), (1,), 0, self.device)
        with no_grad():
            if n_old:
                new[:n_old].copy_(old)
        self._buf = new._buf
    if memory_format is not None or tuple(shape) != tuple(self._shape):  # torch keeps an unchanged size's strides
        fmt = _mf.contiguous_format if memory_format is None else _mf.check_format("resize_", memory_format)
        if fmt is _mf.preserve_format:
            raise RuntimeError("resize_: unsupported memory format preserve_format")
        self._shape, self._strides = Size(shape), _mf.format_strides("resize_", shape, fmt)
    self._buf.version += 1
    return self


def _alloc_buffer(nbytes, device):
    from . import _C
    return _C.Buffer(nbytes, device.code, device.index or 0)


def _resize_as_(self, the_template, *, memory_format=None):
    if not isinstance(the_template, Tensor):
        raise TypeError(f"resize_as_: expected a Tensor, got {type(the_template).__name__}")
    _refuse_grad(self, "resize_as_")
    return _resize_(self, tuple(the_template.shape), memory_format=memory_format)


def _as_strided_(self, size, stride, storage_offset=None):
    """This tensor becomes the view as_strided(size, stride, storage_offset) of its own
    memory (the geometry is checked by as_strided)."""
    from .ops import as_strided
    if self.requires_grad and is_grad_enabled():
        raise RuntimeError("as_strided_: in-place restriding of a tensor that requires grad is not supported; use "
                           "as_strided (out of place)")
    with no_grad():
        v = as_strided(self, size, stride, storage_offset)
    self._shape, self._strides, self._offset = v._shape, v._strides, v._offset
    return self


def install():
    Tensor.new_empty_strided = _new_empty_strided
    Tensor.apply_, Tensor.map_, Tensor.map2_ = _apply_, _map_, _map2_
    from . import tensor_shared  # shared-memory blocks (ex1 branch)
    Tensor.share_memory_ = tensor_shared.share_memory_
    Tensor.is_shared = tensor_shared.is_shared
    Tensor.pin_memory = _pin_memory
    for name in ("is_meta", "is_sparse", "is_quantized", "is_nested", "is_mkldnn", "is_sparse_csr"):
        setattr(Tensor, name, property(lambda self: False))
    Tensor.layout = property(lambda self: strided)
    Tensor.output_nr = property(_output_nr)
    Tensor.dim_order = _dim_order
    Tensor.resize_, Tensor.resize_as_, Tensor.as_strided_ = _resize_, _resize_as_, _as_strided_
