"""Helpers shared by the op modules: kernel lookup, allocation, broadcasting, checks."""
import math
import numbers

import numpy as np

from .. import _C
from .. import dtypes as _dt
from ..device import device as _device
from ..tensor import Tensor, _alloc, contiguous_strides

_empty_cpu = _C.empty_cpu
float32, float64, int64, bool_ = _dt.float32, _dt.float64, _dt.int64, _dt.bool_


def backend(t, op="op"):
    if t._device.type == "cuda":
        return _CudaBackend(op)
    return _C.cpu


class _CudaBackend:
    """Forwards to _C.cuda, turning a kernel that does not exist there into a clear error."""

    def __init__(self, op):
        self.op = op

    def __getattr__(self, name):
        fn = getattr(_C.cuda, name, None)
        if fn is None:
            raise RuntimeError(f"{self.op}: the CUDA kernel '{name}' is not available in this build "
                               f"(fastdl.cuda.is_built() = {_C.cuda_built}); move the tensor to the CPU")
        return fn


def empty(shape, dtype, device):
    """An uninitialised contiguous tensor. Ops call this for every output, so a CPU
    device and a DType object go straight to the C++ constructor (tensor.py's _make)."""
    if type(device) is _device and device.type == "cpu" and type(dtype) is _dt.DType:
        return _empty_cpu(shape, dtype, device)
    return _alloc(tuple(shape), dtype, device)


def empty_like_inputs(shape, dtype, device, *inputs):
    """The new output of an elementwise op whose inputs are `inputs` (tensors broadcast
    to `shape`): dense, in the memory order of their dims, as torch lays it out (x.t() + 1
    is transposed like x.t()); row-major where the inputs do not say otherwise."""
    out = empty(shape, dtype, device)
    if len(shape) > 1:
        strides = _C.elementwise_strides(*inputs)
        if strides is not None:
            out._strides = strides
    return out


def desc(t):
    if isinstance(t, Tensor):
        return f"{t.dtype.name}{list(t.shape)}" + ("" if t.device.type == "cpu" else f" on {t.device}")
    return repr(t)


def in_dtype(x, dtype):
    """A Python number as a kernel of dtype sees it (float32: rounded to float)."""
    return float(np.float32(x)) if dtype is _dt.float32 else x


def records_graph(*ts):
    """Whether an op on ts would record a graph (grad mode on and a tensor requiring grad)."""
    from ..autograd import is_grad_enabled
    return is_grad_enabled() and any(isinstance(t, Tensor) and t._requires_grad for t in ts)


def check_tensor(op, x, name="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(x).__name__}")


def same_device(op, *ts):
    dev = None
    for t in ts:
        if isinstance(t, Tensor):
            if dev is None:
                dev = t._device
            elif t._device is not dev and t._device != dev:
                break
    else:
        return
    raise RuntimeError(f"{op}: expected all tensors to be on the same device, got "
                       + ", ".join(desc(t) for t in ts if isinstance(t, Tensor)))


def index_arg(v):
    """A 0-d integer tensor where an int is expected is read as that int, as torch reads
    it through __index__; anything else is returned for the caller's own check."""
    if isinstance(v, Tensor) and v.ndim == 0 and v.dtype.category == 1:
        return int(v)
    return v


def norm_dim(op, dim, ndim):
    if type(dim) is int and -ndim <= dim < ndim:  # the common case, before the ABC checks below
        return dim + ndim if dim < 0 else dim
    if isinstance(dim, Tensor):
        dim = int(dim)
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not lo <= dim <= hi:
        raise IndexError(f"{op}: dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim % max(ndim, 1)


def norm_dims(op, dims, ndim):
    """None -> all dims; int or sequence -> sorted unique non-negative dims."""
    if dims is None:
        return list(range(ndim))
    if type(dims) is int and -ndim <= dims < ndim:  # the common case first (0.6 -> 0.2 us)
        return [dims + ndim if dims < 0 else dims]
    if isinstance(dims, (int, Tensor)) and not isinstance(dims, bool):
        dims = [dims]
    out = sorted({norm_dim(op, d, ndim) for d in dims})
    if len(out) != len(list(dims)):
        raise ValueError(f"{op}: dim {list(dims)} appears multiple times in the list of dims")
    return out if ndim else []  # a 0-d tensor's dim 0 / -1 (torch takes them) reduces over nothing


class BroadcastError(ValueError, RuntimeError):
    """Shapes that do not broadcast: torch raises RuntimeError (`except RuntimeError` in
    PyTorch code catches it); fastdl's ValueError stays true too."""


def broadcast_shapes(op, *shapes):
    nd = max((len(s) for s in shapes), default=0)
    out = [1] * nd
    for s in shapes:
        for i, d in enumerate(s, start=nd - len(s)):
            if d == out[i] or d == 1:
                continue
            if out[i] == 1:
                out[i] = d
            else:
                raise BroadcastError(f"{op}: shapes " + " and ".join(str(list(x)) for x in shapes)
                                     + " cannot be broadcast together")
    return tuple(out)


def expand_view(t, shape):
    """A stride-0 view of t broadcast to shape (no autograd link)."""
    shape = tuple(shape)
    if t._shape == shape:
        return t
    nd = len(shape)
    own = tuple(t._shape)  # tuple indexing: Size's [] is Python code
    lead = nd - len(own)
    strides = [0] * lead + list(t._strides)
    for i in range(lead, nd):
        if own[i - lead] == 1 and shape[i] != 1:
            strides[i] = 0
    return t._view(shape, strides)


def transposed_view(t):
    """t with its last two axes swapped, as a raw view (no autograd link): for kernels
    and for backward formulas, which run without recording."""
    shape, s = tuple(t._shape), t._strides
    return t._view(shape[:-2] + (shape[-1], shape[-2]), s[:-2] + (s[-1], s[-2]))


_SCALARS = {}  # (value, type, dtype) -> 0-d CPU tensor; see scalar_tensor


def scalar_tensor(value, dtype, device):
    """A 0-d tensor holding value, for ops to read as an operand (never to write or to
    hand out). Each costs an allocation and a fill kernel, and `x * lr` makes one per
    call, so Python numbers on the CPU are cached, except NaN (unequal to itself) and
    -0.0 (equal to 0.0). Device scalars are not: they would show in memory_allocated()."""
    cacheable = (device.type == "cpu" and type(value) in (float, int, bool) and value == value
                 and (value != 0 or math.copysign(1.0, value) > 0))
    key = (value, type(value), dtype)
    t = _SCALARS.get(key) if cacheable else None
    if t is None and isinstance(value, complex):  # (re, im) through the real view
        from ..tensor import full
        return full((), value, dtype=dtype, device=device)
    if t is None:
        t = _alloc((), dtype, device)
        backend(t).fill(t, float(value))
        if cacheable:
            if len(_SCALARS) >= 1024:
                _SCALARS.clear()
            _SCALARS[key] = t
    return t


def cast(t, dtype):
    """t converted to dtype (a copy only when the dtype differs); no autograd link."""
    if t.dtype is dtype:
        return t
    out = _alloc(t.shape, dtype, t.device)
    backend(t, "to").copy(t, out)
    return out


def via_float32(op, out, run):
    """float16 / bfloat16 ops: run(result) computes on float32 copies of the operands
    into a float32 (or bool / int64) result, rounded once into out, as torch's kernels do.
    The narrow integers likewise through int64 (the copy back wraps around, as torch's
    narrow arithmetic does)."""
    res = out if out.dtype not in _dt.STORAGE else empty(out.shape, _dt.compute_dtype(out.dtype), out.device)
    run(res)
    if res is not out:
        backend(out, op).copy(res, out)
    return out


# The index kernels (float32 / float64 / int64 / bool) and which argument each writes.
_INDEX_WRITES = {"index_select": -1, "gather": -1, "index_add": 0, "scatter_add": 0, "index_put": 0}


class _HalfIndexing:
    """An index kernel on float16 / bfloat16 tensors, run on float32 copies: moving a half
    value through float32 is exact, and adds accumulate in float32, rounded once. The
    written operand is copied back into the half tensor. Narrow integer tensors run on
    int64 copies the same way; index tensors (int64 already, or int32) are cast too."""

    def __init__(self, be, op):
        self.be, self.op = be, op

    def __getattr__(self, name):
        fn, w = getattr(self.be, name), _INDEX_WRITES[name]

        def call(*args):
            wide = [cast(a, _dt.compute_dtype(a.dtype)) if isinstance(a, Tensor) and a.dtype in _dt.STORAGE else a
                    for a in args]
            fn(*wide)
            if wide[w] is not args[w]:
                self.be.copy(wide[w], args[w])
        return call


def index_backend(t, op="op"):
    """backend(t, op) for the index kernels (_INDEX_WRITES), which take float16 / bfloat16 too."""
    be = backend(t, op)
    if t.dtype.category == 3:  # complex: on the (..., 2) real views (ops/complex_views.py)
        from .complex_views import ComplexIndexing
        return ComplexIndexing(be)
    return _HalfIndexing(be, op) if t.dtype in _dt.STORAGE else be


def contiguous_data(t):
    """t itself when contiguous, else a contiguous copy; no autograd link."""
    if t.is_contiguous():
        return t
    out = _alloc(t.shape, t.dtype, t.device)
    backend(t, "contiguous").copy(t, out)
    return out


def unbroadcast(g, shape):
    """Sums g over the dimensions that broadcasting expanded to reach g.shape from shape."""
    if g._shape == shape:
        return g
    shape, gs = tuple(shape), tuple(g._shape)
    lead = len(gs) - len(shape)
    inner = [lead + i for i, s in enumerate(shape) if s == 1 and gs[lead + i] != 1]
    if not inner and lead:  # only leading dims were added (a bias): one sum, no reshape
        return g.sum(dim=list(range(lead)))
    dims = list(range(lead)) + inner
    if dims:
        g = g.sum(dim=dims, keepdim=True)
    return g.reshape(shape)


def numel(shape):
    return math.prod(shape)


__all__ = ["backend", "empty", "desc", "check_tensor", "same_device", "norm_dim", "norm_dims", "broadcast_shapes",
           "expand_view", "transposed_view", "scalar_tensor", "cast", "contiguous_data", "unbroadcast", "contiguous_strides", "numel"]
