"""Top-level fronts whose torch signature is stricter than the Tensor method of the same
name: torch.flip(x, 0) / torch.tile(x, 2) / torch.reshape(x, 6) refuse a bare int where
the method takes x.flip(0) / x.tile(2) / x.reshape(6); torch.softmax needs dim (only
F.softmax has the legacy implicit dim). The methods and the ops' internal callers keep
the shared permissive functions; `fastdl.X` is bound to these (fastdl/__init__.py)."""
from .. import _argcheck as _A
from .. import dtypes as _dt
from ..amp import autocast_mode as _amp
from ..tensor import Tensor
from ._util import check_tensor
from . import indexing as _indexing
from . import reduce as _reduce
from . import shape as _shape
from . import shape_more as _shape_more
from . import view_copies as _view_copies

__all__ = ["flip", "tile", "reshape", "permute", "broadcast_to", "expand_copy", "view_copy", "softmax", "log_softmax",
           "nonzero", "full", "eye", "to_dlpack"]


def flip(input, dims):
    check_tensor("flip", input)
    return _shape.flip(input, _A.int_tuple("flip", "dims", dims))


def tile(input, dims):
    check_tensor("tile", input)
    return _shape_more.tile(input, _A.int_tuple("tile", "dims", dims))


def reshape(input, shape):
    check_tensor("reshape", input)
    return _shape.reshape(input, tuple(_A.int_tuple("reshape", "shape", shape)))


def permute(input, dims):
    check_tensor("permute", input)
    return _shape.permute(input, tuple(_A.int_tuple("permute", "dims", dims)))


def broadcast_to(input, size):
    return _shape_more.broadcast_to(input, _A.int_tuple("broadcast_to", "size", size))


def expand_copy(input, size, *, implicit=False):
    return _view_copies.expand_copy(input, _A.int_tuple("expand_copy", "size", size), implicit=implicit)


def view_copy(input, size):
    if not isinstance(size, _dt.DType):
        _A.int_tuple("view_copy", "size", size)
    return _view_copies.view_copy(input, size)


def _dtype_arg(op, dtype):
    if dtype is not None and not isinstance(dtype, _dt.DType):
        raise TypeError(f"{op}(): argument 'dtype' must be a dtype, not {_A._what(dtype)}")


def softmax(input, dim, dtype=None):
    """torch.softmax / Tensor.softmax: dim is required (F.softmax keeps the implicit one). One
    frame over the kernel's front, as ops.reduce.softmax: Tensor.softmax is on models' hot paths."""
    if _amp.on and _amp.here(): return _amp.run("softmax", softmax, input, dim, dtype)  # autocast
    if dtype is not None:
        _dtype_arg("softmax", dtype)
    return _reduce._softmax("softmax", input, dim, dtype, False)


def log_softmax(input, dim, dtype=None):
    if _amp.on and _amp.here(): return _amp.run("log_softmax", log_softmax, input, dim, dtype)  # autocast
    if dtype is not None:
        _dtype_arg("log_softmax", dtype)
    return _reduce._softmax("log_softmax", input, dim, dtype, True)


def nonzero(input, *, as_tuple=False):
    """torch.nonzero / Tensor.nonzero: as_tuple is keyword-only."""
    return _indexing.nonzero(input, _A.flag("nonzero", "as_tuple", as_tuple))


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """torch.full: size is a sequence (torch.full(3, v) is a TypeError), the rest keyword-only."""
    from ..tensor import full as _full
    return _full(tuple(_A.int_tuple("full", "size", size)), _A.number("full", "fill_value", fill_value, "Number"),
                 dtype=dtype, device=device, requires_grad=requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    from ..tensor import eye as _eye
    n = _A.number("eye", "n", n, "int")
    m = m if m is None else _A.number("eye", "m", m, "int")
    return _eye(n, m, dtype=dtype, device=device, requires_grad=requires_grad)


def to_dlpack(tensor):
    """torch.to_dlpack(tensor): one argument (stream / dl_device / copy belong to Tensor.__dlpack__)."""
    from ..dlpack import to_dlpack as _to_dlpack
    check_tensor("to_dlpack", tensor, "tensor")
    return _to_dlpack(tensor)
