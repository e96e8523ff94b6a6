"""complex64 / complex128 tensors as views of real ones: view_as_real, view_as_complex,
.real / .imag, and the constructors complex / polar.

A complex tensor's memory is (re, im) pairs, so view_as_real is a (..., 2) real view of
the same buffer (strides doubled, a last dim of stride 1) and view_as_complex its
inverse. Both are differentiable views: a real op on view_as_real(z) gives z the gradient
dL/d(re z) + i dL/d(im z), torch's convention for complex autograd. Every complex op in
fastdl (ops/complex_math.py) is such a composition, so its gradient follows by itself.
"""
from .. import dtypes as _dt
from ..autograd import Function
from ..tensor import Tensor
from ._util import broadcast_shapes, check_tensor, desc

builtins_complex = complex  # (the name `complex` is torch.complex below)

__all__ = ["view_as_real", "view_as_complex", "complex", "polar", "real", "imag", "is_complex_dtype"]


def is_complex_dtype(x):
    """True for a complex tensor or a Python complex number (not a real one)."""
    if isinstance(x, Tensor):
        return x._dtype.category == 3
    return isinstance(x, complex)


def _real_view(x):
    """The (..., 2) real view of complex x (no autograd link)."""
    return Tensor._make(x._buf, _dt.to_real(x._dtype), tuple(x._shape) + (2,),
                        tuple(2 * s for s in x._strides) + (1,), 2 * x._offset, x._device,
                        x._base if x._base is not None else x)


def _complex_view(x):
    """The complex view of a real (..., 2) x whose layout allows it (no autograd link)."""
    return Tensor._make(x._buf, _dt.to_complex(x._dtype), tuple(x._shape)[:-1], tuple(s // 2 for s in x._strides[:-1]),
                        x._offset // 2, x._device, x._base if x._base is not None else x)


class _ViewAsReal(Function):
    @staticmethod
    def forward(ctx, x):
        return _real_view(x)

    @staticmethod
    def backward(ctx, g):
        return view_as_complex(g.contiguous())


class _ViewAsComplex(Function):
    @staticmethod
    def forward(ctx, x):
        return _complex_view(x)

    @staticmethod
    def backward(ctx, g):
        return view_as_real(g)


def view_as_real(input):
    """torch.view_as_real: a real view of a complex tensor with a last dim of size 2 (re, im)."""
    check_tensor("view_as_real", input)
    if input._dtype.category != 3:
        raise RuntimeError(f"view_as_real is only supported for complex tensors, got {desc(input)}")
    return _ViewAsReal.apply(input)


def view_as_complex(input):
    """torch.view_as_complex: the complex view of a float32 / float64 tensor whose last dim
    is (re, im): size 2, stride 1, the other strides and the offset even."""
    check_tensor("view_as_complex", input)
    if input._dtype not in (_dt.float32, _dt.float64):
        raise RuntimeError(f"view_as_complex is only supported for float and double tensors, but got {desc(input)}")
    if input.ndim == 0 or input._shape[-1] != 2:
        raise RuntimeError(f"view_as_complex: Tensor must have a last dimension of size 2, got {desc(input)}")
    if input._strides[-1] != 1:
        raise RuntimeError(f"view_as_complex: Tensor must have a last dimension with stride 1, got strides "
                           f"{tuple(input._strides)}")
    if any(s % 2 for s, n in zip(input._strides[:-1], input._shape[:-1]) if n > 1):
        raise RuntimeError(f"view_as_complex: Tensor must have a stride divisible by 2 for all but last dimension, "
                           f"got strides {tuple(input._strides)}")
    if input._offset % 2:
        raise RuntimeError("view_as_complex: Tensor must have a storage_offset divisible by 2")
    return _ViewAsComplex.apply(input)


def real(input):
    """torch.real: the real part of a complex tensor as a view; a real tensor itself."""
    check_tensor("real", input)
    return view_as_real(input).select(-1, 0) if input._dtype.category == 3 else input


def imag(input):
    """torch.imag: the imaginary part of a complex tensor as a view."""
    check_tensor("imag", input)
    if input._dtype.category != 3:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return view_as_real(input).select(-1, 1)


def _pair(op, a, b):
    from .shape import stack
    check_tensor(op, a, "real")
    check_tensor(op, b, "imag")
    if a._dtype is not b._dtype or a._dtype not in (_dt.float32, _dt.float64):
        raise RuntimeError(f"{op}: expected both inputs to be float or double tensors of one dtype, got "
                           f"{desc(a)} and {desc(b)}")
    shape = broadcast_shapes(op, a._shape, b._shape)
    if a._shape != shape:
        a = a.expand(shape)
    if b._shape != shape:
        b = b.expand(shape)
    return view_as_complex(stack([a, b], -1))


def complex(real, imag):
    """torch.complex: real + i imag (float32 -> complex64, float64 -> complex128), broadcast."""
    return _pair("complex", real, imag)


def polar(abs, angle):
    """torch.polar: abs * (cos(angle) + i sin(angle))."""
    check_tensor("polar", abs, "abs")
    check_tensor("polar", angle, "angle")
    return _pair("polar", abs * angle.cos(), abs * angle.sin())


def fill_complex(t, value, op="fill_"):
    """Writes the number value into every element of t (complex, or real with a real value)."""
    from ._util import backend
    if t._dtype.category != 3:
        raise TypeError(f"{op}: cannot fill a {t._dtype.name} tensor with the complex value {value!r}")
    value = builtins_complex(value)
    r = _real_view(t)
    for k, v in ((0, value.real), (1, value.imag)):
        backend(t, op).fill(r._view(r._shape[:-1], r._strides[:-1], r._offset + k), v)


def from_parts(re, im, dtype):
    """The complex tensor re + i im of dtype (either part may be None: zero; a number)."""
    from .shape import stack
    rd = _dt.to_real(dtype)
    ref = re if isinstance(re, Tensor) else im
    shape = broadcast_shapes("complex", *(p._shape for p in (re, im) if isinstance(p, Tensor)))
    dev = ref._device

    def part(p):
        if p is None:
            p = 0.0
        if not isinstance(p, Tensor):
            from ..tensor import full
            return full(shape, float(p), dtype=rd, device=dev)
        p = p if p._dtype is rd else p.to(rd)
        return p if p._shape == shape else p.expand(shape)
    return view_as_complex(stack([part(re), part(im)], -1))



class ComplexIndexing:
    """An index kernel (ops/_util._INDEX_WRITES) on complex tensors, run on their (..., 2)
    real views: moving a complex element is moving its two parts. index_select /
    index_add / index_put take a 1-D index along dim, which the trailing dim leaves alone;
    gather / scatter_add index every element, so their index gets the trailing dim too."""

    def __init__(self, be):
        self.be = be

    def __getattr__(self, name):
        fn = getattr(self.be, name)

        def call(a, dim, index, b, *rest):
            dim = dim + a.ndim if dim < 0 else dim
            if name in ("gather", "scatter_add"):
                from ._util import contiguous_data, expand_view
                index = contiguous_data(expand_view(index._view(tuple(index.shape) + (1,), tuple(index._strides) + (0,)),
                                                    tuple(index.shape) + (2,)))
            fn(_real_view(a), dim, index, _real_view(b), *rest)
        return call
