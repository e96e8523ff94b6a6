"""fastdl.Tensor: a strided view (dtype, shape, strides, offset) over a C++ Buffer,
plus the autograd fields. Ops live in fastdl.ops; the methods here forward to them."""
import math
import numbers

import numpy as np

from . import _C
from . import dtypes as _dt
from . import autograd as _autograd
from .autograd import is_grad_enabled
from .device import CPU, device as _device_cls, to_device

__all__ = ["Tensor", "Size", "tensor", "as_tensor", "from_numpy", "empty", "zeros", "ones", "full",
           "zeros_like", "ones_like", "full_like", "empty_like", "arange", "linspace", "eye"]


class Size(_C.SizeBase):
    """torch.Size: a tuple that prints as fastdl.Size([...]); its slices are Sizes
    (_C.SizeBase indexes in C: shapes are read on every op)."""

    def numel(self):
        return math.prod(self)

    def __repr__(self):
        return f"fastdl.Size({list(self)})"


def contiguous_strides(shape):
    n = len(shape)
    if n <= 2:  # the common cases, without the loop (and unpacked: Size's [] is Python code)
        if n == 2:
            _, cols = shape
            return (cols if cols > 1 else 1, 1)
        return (1,) if n == 1 else ()
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(strides))


class Tensor:
    __slots__ = ("_buf", "_dtype", "_shape", "_strides", "_offset", "_device", "_requires_grad", "grad",
                 "_grad_fn", "_out_index", "_accumulator", "_hooks", "_base", "__weakref__")

    def __new__(cls, *args, device=None):
        """torch.Tensor(...), the legacy constructor in the default dtype: Tensor(2, 3)
        uninitialised, Tensor([0.5]) a copy of the data, Tensor() empty (legacy_types)."""
        from .legacy_types import construct
        t = construct("Tensor", _dt.get_default_dtype(), "cpu" if device is None else device, args)
        return t if cls is Tensor else t.as_subclass(cls)

    def __init__(self, *args, **kwargs):
        pass

    def _view(self, shape, strides, offset=None):
        """A tensor sharing this one's memory (no autograd link; ops add that)."""
        return Tensor._make(self._buf, self._dtype, shape, strides, self._offset if offset is None else offset,
                            self._device, self._base if self._base is not None else self)

    # ---- metadata -------------------------------------------------------------------
    @property
    def shape(self):
        return self._shape

    def size(self, dim=None):
        if dim is None:
            return self._shape
        from .ops._util import norm_dim
        return self._shape[norm_dim("size", dim, self.ndim)]

    @property
    def dtype(self):
        return self._dtype

    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def ndim(self):
        return len(self._shape)

    def dim(self):
        return len(self._shape)

    def numel(self):
        return math.prod(self._shape)

    nelement = numel

    def element_size(self):
        return self._dtype.itemsize

    def stride(self, dim=None):
        return self._strides if dim is None else self._strides[dim]

    def storage_offset(self):
        return self._offset

    def data_ptr(self):
        return self._buf.ptr + self._offset * self._dtype.itemsize

    def is_contiguous(self, memory_format=None):
        if memory_format is not None:
            from . import _memory_format as _mf
            return _mf.is_contiguous_as(self._shape, self._strides, _mf.check_format("is_contiguous", memory_format))
        if 0 in self._shape:  # no element is ever addressed: contiguous, as in torch
            return True
        expect = 1
        for s, st in zip(reversed(self._shape), reversed(self._strides)):
            if s != 1 and st != expect:
                return False
            expect *= s
        return True

    def is_floating_point(self):
        return self._dtype.is_floating_point

    # ---- autograd fields ------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if self._grad_fn is not None and not flag:
            raise RuntimeError("you can only change requires_grad flags of leaf variables; use detach()")
        if flag and self._dtype.category < 2:
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, got {self._dtype}")
        self._requires_grad = bool(flag)

    def requires_grad_(self, flag=True):
        if flag is not True and flag is not False:  # torch: a bool, not 0 / 1
            raise TypeError(f"requires_grad_(): argument 'requires_grad' must be bool, not {type(flag).__name__}")
        self.requires_grad = flag
        return self

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self):
        return self._grad_fn is None

    # detach() (a tensor of this class over the same memory and view, outside the graph)
    # is C++, installed below: Function.apply's saved outputs are made by the same code.

    def detach_(self):
        if self._base is not None:  # as torch: a view shares its base's graph position
            raise RuntimeError("detach_: Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self):
        return self.detach()

    @data.setter
    def data(self, other):
        if tuple(other.shape) != tuple(self._shape) or other.dtype is not self._dtype:
            raise ValueError(f"data: cannot assign {other.dtype.name}{list(other.shape)} to "
                             f"{self._dtype.name}{list(self._shape)}")
        self._buf, self._strides, self._offset, self._device = other._buf, other._strides, other._offset, other._device

    def register_hook(self, hook):
        """hook(grad) -> grad or None, called when this tensor's gradient is computed (a
        non-leaf's: before its producer's backward uses it; returns a removable handle)."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            from .autograd_graph import _tensor_hook
            return _tensor_hook(self, hook)
        self._hooks = (self._hooks or ()) + (hook,)
        return hook

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd import backward
        backward(self, None if gradient is None else (gradient,), retain_graph=retain_graph, create_graph=create_graph,
                 inputs=inputs)

    # ---- conversion -----------------------------------------------------------------
    def _np_view(self):
        isz = self._dtype.itemsize
        if self.is_contiguous():  # the common case without as_strided (~5 us): item(), numpy(), tolist()
            n = math.prod(self._shape)
            if n:
                return np.frombuffer(self._buf, self._dtype.np, n, self._offset * isz).reshape(self._shape)
        flat = np.frombuffer(self._buf, dtype=self._dtype.np)
        return np.lib.stride_tricks.as_strided(flat[self._offset:], shape=self._shape,
                                               strides=[s * isz for s in self._strides])

    def _host_values(self):
        """The values as a NumPy array on the host (bfloat16, which NumPy lacks, as float32)."""
        if self._device.type == "cpu" and self._dtype is not _dt.bfloat16:
            return self._np_view()
        t = self.detach().cpu()
        return (t.float() if t._dtype is _dt.bfloat16 else t)._np_view()

    def numpy(self, *, force=False):
        if self._device.type != "cpu":
            raise TypeError(f"can't convert {self._device} tensor to numpy; use Tensor.cpu() first")
        if self._dtype is _dt.bfloat16:
            raise TypeError("numpy: NumPy has no bfloat16; convert the tensor first, e.g. t.float().numpy()")
        if self._requires_grad and is_grad_enabled() and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._np_view()

    def __array__(self, dtype=None, copy=None):
        a = self._host_values()
        return a.astype(dtype) if dtype is not None else a

    def tolist(self):
        return self._host_values().tolist()

    def item(self):
        v = _C.cpu_item(self)  # a one-element CPU tensor: read in C++ (csrc/bind/bind_item.cpp)
        if v is not None:
            return v
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
        return self._host_values().reshape(()).item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._dtype.category > 1 or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.numel()} elements is ambiguous")
        return bool(self.item())

    def __len__(self):
        if not self._shape:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    def __iter__(self):
        if not self._shape:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._shape[0]))

    __hash__ = object.__hash__  # identity, at C speed (optimizer state is keyed by tensor)

    def __repr__(self):
        from ._format import format_tensor
        return format_tensor(self)

    def __format__(self, spec):
        """'{:.2f}'.format(t): a 0-d tensor formats as its Python number, as in torch;
        other tensors take only the empty spec (their str)."""
        if self.ndim == 0 and type(self) is Tensor:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol):
        """pickle (so multiprocessing queues, joblib, and pickling whole modules): as in
        PyTorch, graph leaves and tensors outside the graph, keeping the class (a
        Parameter stays one) and requires_grad, not .grad. A CPU tensor pickles its
        Buffer (_reduce_buffer), so views of one memory stay views of one memory; a
        device tensor pickles a CPU copy of its values and its device. fastdl.save is
        the checkpoint format: loading a pickle runs whatever code the file names."""
        if self._grad_fn is not None:
            raise RuntimeError("Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd "
                               "does not support crossing process boundaries. If you just want to transfer the "
                               "data, call detach() on the tensor before serializing.")
        if self._device.type != "cpu":
            return _rebuild_on_device, (type(self), self.detach().cpu(), str(self._device), self._requires_grad)
        root = self._base
        base = root if root is not None and root._grad_fn is None else None
        return _rebuild_tensor, (type(self), self._buf, self._dtype, tuple(self._shape), tuple(self._strides),
                                 self._offset, self._requires_grad, base)

    def __deepcopy__(self, memo):
        """copy.deepcopy (so also of a Module, an optimizer's model, a DQN target net):
        new memory with the same bytes, the same class (a Parameter stays one),
        requires_grad and a deep copy of .grad. As in PyTorch only graph leaves qualify,
        and tensors that share memory in the original share one new copy of it (the
        memo maps each old Buffer to its copy), so views stay views."""
        if self._grad_fn is not None:
            from .ops._util import desc
            raise RuntimeError(f"deepcopy: only graph leaves can be deep-copied, got {desc(self)}, the output "
                               f"of an op that recorded a graph; copy t.detach() instead")
        if id(self) in memo:
            return memo[id(self)]
        buf = memo.get(id(self._buf))
        if buf is None:
            buf = _copy_buffer(self._buf, self._dtype, self._device)
            memo[id(self._buf)] = buf
            memo.setdefault(id(memo), []).append(self._buf)  # keep the key's object alive, as copy does
        root = self._base
        base = None if root is None or root._grad_fn is not None else root.__deepcopy__(memo)
        out = type(self)._make(buf, self._dtype, self._shape, self._strides, self._offset, self._device, base)
        memo[id(self)] = out
        if self._requires_grad:
            out.requires_grad_(True)
        if self.grad is not None:
            out.grad = self.grad.__deepcopy__(memo)
        return out

    # ---- device / dtype moves -------------------------------------------------------
    def to(self, *args, **kwargs):
        from .ops.creation import to
        return to(self, *args, **kwargs)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        if device is not None and not isinstance(device, (str, int, _device_cls)):
            raise TypeError(f"cuda(): argument 'device' must be a device, not {type(device).__name__}")
        return self.to("cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device))

    def _as(self, dtype):
        """self.to(dtype), whose answer for a tensor of that dtype already (the tensor
        itself, as torch) needs no argument parsing."""
        return self if self._dtype is dtype else self.to(dtype)

    def float(self):
        return self._as(_dt.float32)

    def double(self):
        return self._as(_dt.float64)

    def half(self):
        return self.to(_dt.float16)

    def bfloat16(self):
        return self.to(_dt.bfloat16)

    def long(self):
        return self._as(_dt.int64)

    def int(self):
        return self.to(_dt.int32)

    def short(self):
        return self.to(_dt.int16)

    def char(self):
        return self.to(_dt.int8)

    def byte(self):
        return self.to(_dt.uint8)

    def bool(self):
        return self.to(_dt.bool_)

    def type_as(self, other):
        if not isinstance(other, Tensor):
            raise TypeError(f"type_as: expected other to be a Tensor, got {type(other).__name__}")
        return self.to(other.dtype)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """torch's legacy type string ('fastdl.FloatTensor'), or a copy converted to a
        dtype / legacy type / type name (legacy_types.py)."""
        from . import legacy_types
        return legacy_types.type_name(self) if dtype is None else legacy_types.convert(self, dtype)

    # ---- DLPack (python/fastdl/dlpack.py) -----------------------------------------------
    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """A "dltensor" capsule sharing this tensor's memory (an unversioned capsule
        whatever max_version asks, as the DLPack protocol allows)."""
        from .dlpack import to_dlpack
        return to_dlpack(self, stream=stream, dl_device=dl_device, copy=copy)

    def __dlpack_device__(self):
        from .dlpack import dlpack_device
        return dlpack_device(self)


# ---- creation ----------------------------------------------------------------------


# Tensor._make(buf, dtype, shape, strides, offset, dev, base=None) builds a tensor of this
# class (or a subclass) over `buf`: shape becomes a Size, strides a tuple, requires_grad
# False, grad/grad_fn/hooks None. It is C++ (csrc/bind/bind_tensor_new.cpp), as is
# ops/_util.empty's allocation: both write the __slots__ above directly, which costs
# about half of what the Python version did (empty 1.06 -> 0.53 us, _make 0.37 -> 0.16
# us), and every op output pays it.
_C.bind_tensor_class(Tensor, Size)
Tensor._make = classmethod(_C.make_tensor)


def _reduce_buffer(buf):
    """Buffer.__reduce__ (pickle): a CPU buffer's bytes. Device buffers are pickled by
    their tensors (Tensor.__reduce_ex__), never directly."""
    if buf.device != 0:
        raise TypeError("pickle: a CUDA Buffer is pickled through its tensor (which copies it to the CPU)")
    from .tensor_shared import reduce_shared
    shared = reduce_shared(buf)  # a share_memory_() buffer travels by name (tensor_shared.py)
    return shared if shared is not None else (_rebuild_buffer, (bytes(memoryview(buf)),))


def _rebuild_buffer(data):
    buf = _C.cpu_buffer(len(data))
    np.frombuffer(buf, np.uint8)[:] = np.frombuffer(data, np.uint8)
    return buf


def _rebuild_tensor(cls, buf, dtype, shape, strides, offset, requires_grad, base):
    t = cls._make(buf, dtype, shape, strides, offset, CPU, base)
    return t.requires_grad_(True) if requires_grad else t


def _rebuild_on_device(cls, cpu_tensor, device, requires_grad):
    t = cpu_tensor.to(device)
    if cls is not Tensor:
        t = cls._make(t._buf, t._dtype, t._shape, t._strides, t._offset, t._device)
    return t.requires_grad_(True) if requires_grad else t


_C.set_buffer_reducer(_reduce_buffer)
Tensor.detach = _C.tensor_method("detach")
_autograd._bind_apply()  # Function.apply, also C++, needs Tensor too


def _shape_arg(op, size):
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    for s in size:  # plain non-negative ints, the common case: no checks below
        if type(s) is not int or s < 0:
            break
    else:
        return tuple(size)
    out = []
    for s in size:
        if isinstance(s, Tensor):  # an integer 0-d tensor counts as its int (torch's parser)
            if s.ndim or s.dtype.is_floating_point or s.dtype.name == "bool":
                raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but found a Tensor "
                                f"{s.dtype.name}{list(s.shape)}")
            s = int(s)
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"{op}: size must be a sequence of ints, got {size!r}")
        if s < 0:
            raise ValueError(f"{op}: negative dimension {s} in size {list(size)}")
        out.append(int(s))
    return tuple(out)


def _copy_buffer(buf, dtype, dev):
    """A new Buffer on the same device with the bytes of `buf` (Tensor.__deepcopy__)."""
    if dev.type == "cpu":
        out = _C.cpu_buffer(buf.nbytes)
        np.frombuffer(out, np.uint8)[:] = np.frombuffer(buf, np.uint8)
        return out
    # a device buffer: copied as one flat tensor of its elements by the device's copy kernel
    n = buf.nbytes // dtype.itemsize
    if n * dtype.itemsize != buf.nbytes:
        raise RuntimeError(f"deepcopy: a {buf.nbytes}-byte {dev} buffer is not a whole number of {dtype.name} elements")
    flat = Tensor._make(buf, dtype, (n,), (1,), 0, dev)
    with _autograd.no_grad():
        return flat.clone()._buf


def _alloc(shape, dtype, dev):
    dev = to_device(dev)
    dtype = _dt.to_dtype(dtype)
    if dev.type == "cpu":
        return _C.empty_cpu(tuple(shape), dtype, dev)  # Tensor._make's C++ constructor, in one call
    if dev.type == "cuda":
        from . import cuda
        cuda._require("tensor allocation")
    nbytes = math.prod(shape) * dtype.itemsize
    buf = _C.Buffer(nbytes, dev.code, dev.index or 0)
    return Tensor._make(buf, dtype, shape, contiguous_strides(shape), 0, dev)


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None):
    t = _alloc(_shape_arg("empty", size), dtype or _dt.get_default_dtype(), device)
    if memory_format is not None:  # the same dense buffer, addressed in another order
        from . import _memory_format as _mf
        if _mf.check_format("empty", memory_format) is _mf.preserve_format:
            raise RuntimeError("empty: unsupported memory format option preserve_format")
        strides = _mf.format_strides("empty", tuple(t.shape), memory_format)
        t = Tensor._make(t._buf, t.dtype, t.shape, strides, 0, t.device)
    return t.requires_grad_(requires_grad) if requires_grad else t


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    shape = _shape_arg("full", (size,) if not isinstance(size, (tuple, list, Size)) else tuple(size))
    if dtype is None:
        dtype = _dt._category_default(_dt.scalar_category(fill_value))
    elif _dt.to_dtype(dtype) in _dt.NARROW_INT:  # torch refuses a value the dtype cannot hold
        from .ops.int_narrow import check_python_ints
        check_python_ints(fill_value, np.asarray(fill_value), _dt.to_dtype(dtype), "full")
    return _filled(shape, fill_value, dtype, device, requires_grad)


def _filled(shape, fill_value, dtype, device, requires_grad):
    """full's tensor once its arguments are checked: shape a tuple of ints."""
    t = _alloc(shape, dtype, device)
    if isinstance(fill_value, complex) or t.dtype.category == 3:  # (re, im) through the real view
        from .ops.complex_views import fill_complex
        fill_complex(t, fill_value, "full")
    else:
        _backend(t).fill(t, float(fill_value))
    return t.requires_grad_(requires_grad) if requires_grad else t


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _filled(_shape_arg("zeros", size), 0, dtype or _dt.get_default_dtype(), device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _filled(_shape_arg("ones", size), 1, dtype or _dt.get_default_dtype(), device, requires_grad)


def _lay_out(op, t, out, memory_format):
    """torch's *_like default (preserve_format) keeps t's layout: only a non-row-major t
    (or an explicit format) needs the memory_format module."""
    if memory_format is None and t.is_contiguous():
        return out
    from . import _memory_format as _mf
    return _mf.lay_out_like(op, t, out, _mf.preserve_format if memory_format is None else memory_format)


def _like(t, dtype, device):
    return (t.dtype if dtype is None else dtype), (t.device if device is None else device)


def empty_like(t, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(t, dtype, device)
    return _lay_out("empty_like", t, empty(t.shape, dtype=d, device=dev, requires_grad=requires_grad), memory_format)


def zeros_like(t, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(t, dtype, device)
    return _lay_out("zeros_like", t, zeros(t.shape, dtype=d, device=dev, requires_grad=requires_grad), memory_format)


def ones_like(t, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(t, dtype, device)
    return _lay_out("ones_like", t, ones(t.shape, dtype=d, device=dev, requires_grad=requires_grad), memory_format)


def full_like(t, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(t, dtype, device)
    out = full(t.shape, fill_value, dtype=d, device=dev, requires_grad=requires_grad)
    return _lay_out("full_like", t, out, memory_format)


def _infer_dtype(data, arr):
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        return _dt.to_dtype(arr.dtype)
    kind = arr.dtype.kind
    if kind == "b":
        return _dt.bool_
    if kind in "iu":
        return _dt.int64
    if kind == "f":
        return _dt.get_default_dtype()
    if kind == "c":  # Python complex numbers: torch's default complex dtype
        return _dt.to_complex(_dt.get_default_dtype())
    raise TypeError(f"tensor: could not infer a dtype from data of NumPy kind {arr.dtype}")


def _to_array(data):
    if isinstance(data, Tensor):
        return data._host_values()
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flatten_seq(data)):
        data = _tensors_to_lists(data)
    try:
        arr = np.asarray(data)
    except ValueError as e:
        raise ValueError(f"tensor: could not convert {type(data).__name__} to a tensor: {e}") from None
    if arr.dtype == object:
        raise TypeError(f"tensor: could not convert {type(data).__name__} to a tensor (ragged or non-numeric data)")
    return arr


def _flatten_seq(x):
    for e in x:
        if isinstance(e, (list, tuple)):
            yield from _flatten_seq(e)
        else:
            yield e


def _tensors_to_lists(x):
    if isinstance(x, Tensor):
        return x.tolist()
    if isinstance(x, (list, tuple)):
        return [_tensors_to_lists(e) for e in x]
    return x


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data` (nested lists, numbers, arrays, tensors)."""
    arr = _to_array(data)
    d = _dt.to_dtype(dtype) if dtype is not None else (data.dtype if isinstance(data, Tensor)
                                                        else _infer_dtype(data, arr))
    if d.category < 2 and arr.dtype.kind == "f" and dtype is not None and not np.all(np.isfinite(arr)):
        raise RuntimeError(f"tensor: value cannot be converted to type {d.name} without overflow "
                           f"(non-finite values to {d})")
    host = _alloc(tuple(arr.shape), d, CPU)
    if d is _dt.float16 and arr.dtype == np.float16:  # the same bits (a detour through float64 quiets signalling NaNs)
        host._np_view()[...] = arr
    elif d in _dt.HALF:  # rounded once, by the conversion kernel (NumPy has no bfloat16)
        _C.cpu.copy(from_numpy(np.array(arr, dtype=np.float64)), host)
    elif d in _dt.NARROW_INT and arr.dtype != d.np:  # torch's casts (truncation, wraparound), not NumPy's
        from .ops.int_narrow import check_python_ints
        check_python_ints(data, arr, d)
        _C.cpu.copy(from_numpy(np.array(arr, dtype=np.float64 if arr.dtype.kind == "f" else np.int64)), host)
    else:
        host._np_view()[...] = arr
    dev = to_device(device)  # None: fastdl.get_default_device()
    t = host if dev.type == "cpu" else host.to(dev)
    return t.requires_grad_(requires_grad) if requires_grad else t


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor) and (dtype is None or data.dtype is _dt.to_dtype(dtype)) and \
            (device is None or data.device == to_device(device)):
        return data
    if isinstance(data, np.ndarray) and dtype is None and to_device(device).type == "cpu" and data.dtype in _dt._BY_NP:
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(arr):
    """A tensor sharing memory with a C-contiguous NumPy array (torch.from_numpy)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(arr).__name__}")
    d = _dt.from_numpy_dtype(arr.dtype)
    if not arr.flags.c_contiguous:
        # strided arrays are copied: our views need a buffer that starts at the data
        arr = np.ascontiguousarray(arr)
    buf = _C.Buffer.wrap_numpy(arr)
    return Tensor._make(buf, d, tuple(arr.shape), contiguous_strides(arr.shape), 0, CPU)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if not all(math.isfinite(v) for v in vals):
        raise RuntimeError(f"arange: unsupported range: start={start}, end={end}, step={step}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    n = max(0, math.ceil((end - start) / step))
    if dtype is None:
        dtype = _dt.int64 if all(isinstance(v, numbers.Integral) for v in vals) else _dt.get_default_dtype()
    if _dt.to_dtype(dtype) in _dt.NARROW_INT:  # the kernel writes int64; the cast wraps as torch's
        t = arange(start, end, step, dtype=_dt.int64, device=device).to(dtype)
    else:
        t = _alloc((n,), dtype, device)
        _backend(t).arange(t, float(start), float(step))
    return t.requires_grad_(requires_grad) if requires_grad else t


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    if steps < 0:
        raise ValueError("linspace: number of steps must be non-negative")
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    dtype = _dt.to_dtype(dtype or _dt.get_default_dtype())
    if dtype in (_dt.float32, _dt.float64) and math.isfinite(start) and math.isfinite(step):
        # start + i * step in double, rounded once into dtype by the arange kernel
        t = _alloc((steps,), dtype, device)
        _backend(t).arange(t, float(start), float(step))
    else:
        t = arange(0, steps, dtype=_dt.float64, device=device) * step + start
    if steps > 1:
        t[-1] = end
    t = t.to(dtype)
    return t.requires_grad_(requires_grad) if requires_grad else t


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    m = n if m is None else m
    t = zeros(n, m, dtype=dtype, device=device)
    k = min(n, m)
    if k:
        t._view((k,), (m + 1,)).fill_(1)
    return t.requires_grad_(requires_grad) if requires_grad else t


def _backend(t):
    return _C.cuda if t._device.type == "cuda" else _C.cpu
