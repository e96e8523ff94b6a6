"""Reductions (sum, mean, max, min, argmax, var, std, logsumexp, any, all) and
softmax / log_softmax. Kernels reduce into the keepdim shape; a view drops the dims."""
from collections import namedtuple

from .. import _C, dtypes as _dt
from .int_narrow import IntDtypeError
from ..autograd import Function, is_grad_enabled
from ._util import (backend, cast, check_tensor, contiguous_strides, desc, empty, expand_view, norm_dim, norm_dims,
                    via_float32)
from .elementwise import where
from ..amp import autocast_mode as _amp
from ..tensor import Tensor

_cpu_arg_reduce_new = _C.cpu_arg_reduce_new  # csrc/bind/bind_select_new.cpp
_cpu_reduce_new = _C.cpu_reduce_new  # csrc/bind/bind_reduce_new.cpp
_ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _keep_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _drop(t, dims, keepdim):
    if keepdim:
        return t
    shape = [s for i, s in enumerate(t.shape) if i not in dims]
    return t._view(shape, [st for i, st in enumerate(t._strides) if i not in dims])


def reduce_kernel(op, x, dims, keepdim, out_dtype):
    """Runs the reduce kernel over dims (normalised list) without autograd."""
    out = empty(_keep_shape(x.shape, dims), out_dtype, x.device)
    if x.dtype in _dt.STORAGE:  # accumulated in float32 (narrow integers: int64), rounded once
        via_float32(op, out, lambda res: backend(x, op).reduce(op, cast(x, _dt.compute_dtype(x.dtype)), res, dims))
    elif x.dtype is _dt.bool_ and op in ("max", "min"):  # torch's bool max / min (the kernel has no bool)
        res = empty(out.shape, _dt.int64, x.device)
        backend(x, op).reduce(op, cast(x, _dt.int64), res, dims)
        out = cast(res, _dt.bool_)
    else:
        backend(x, op).reduce(op, x, out, dims)
    return _drop(out, set(dims), keepdim)


def _check_nonempty(op, x, dims):
    empty_dim = False
    for d in dims:
        empty_dim = empty_dim or x.shape[d] == 0
    if empty_dim or (not dims and x.numel() == 0):
        raise ValueError(f"{op}: cannot reduce over an empty dimension of {desc(x)}; specify a non-empty dim")


class _Sum(Function):
    # float CPU operands run in C++ (bind_autograd_apply.cpp's declared forwards): the
    # kernel, then the same ctx.meta as forward below
    fast_forward = ("reduce", "sum", ())

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.meta = (x.shape, dims, keepdim)
        if dtype is None:
            dtype = _dt.int64 if x.dtype.category < 2 else x.dtype
        return reduce_kernel("sum", cast(x, dtype), dims, keepdim, dtype)

    @staticmethod
    def backward(ctx, g):
        shape, dims, keepdim = ctx.meta
        keep = _keep_shape(shape, dims)
        if is_grad_enabled():  # create_graph: the differentiable reshape and expand
            return g.reshape(keep).expand(shape), None, None, None
        # a raw view where g's memory allows (backward records nothing), else the reshape op
        g = g._view(keep, contiguous_strides(keep)) if g.is_contiguous() else g.reshape(keep)
        return expand_view(g, shape), None, None, None


def sum(x, dim=None, keepdim=False, dtype=None):
    if _amp.on and _amp.here(): return _amp.run("sum", sum, x, dim, keepdim, dtype)  # autocast
    check_tensor("sum", x)
    dims = norm_dims("sum", dim, x.ndim)
    if x._dtype is _dt.bool_ and dtype is None and len(dims) == x.ndim and x._device.type == "cpu":
        return _count_true(x, keepdim)  # (accuracy counts: no int64 copy of the mask)
    return _Sum.apply(x, dims, keepdim, None if dtype is None else _dt.to_dtype(dtype))


def _count_true(x, keepdim):
    """The number of nonzero elements of a CPU tensor as int64, by the count kernel."""
    from ..tensor import full
    return full((1,) * x.ndim if keepdim else (), _C.cpu.count_nonzero(x), dtype=_dt.int64)


def mean(x, dim=None, keepdim=False, dtype=None):
    check_tensor("mean", x)
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.category < 2:
        raise IntDtypeError(f"mean: could not infer output dtype; input dtype must be floating point, got {desc(x)}")
    dims = norm_dims("mean", dim, x.ndim)
    n = 1
    for d in dims:
        n *= x.shape[d]
    return _Sum.apply(x, dims, keepdim, None) / (n if n else float("nan"))


class _AMaxMin(Function):
    """amax/amin and full max()/min(): the gradient is shared evenly among ties."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, op):
        _check_nonempty(op, x, dims)
        out = _cpu_reduce_new(op, x, dims, keepdim)  # a float CPU x: in one C++ call
        if out is None:
            out = reduce_kernel(op, x, dims, keepdim, x.dtype)
        ctx.save_for_backward(x, out)
        ctx.meta = (dims, keepdim)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        dims, keepdim = ctx.meta
        if not keepdim:
            out = out.reshape(_keep_shape(x.shape, dims))
        g = g.reshape(out.shape)
        mask = (x == out).to(g.dtype)
        count = mask.sum(dim=dims, keepdim=True)
        return mask * (g / count), None, None, None


def amax(x, dim=None, keepdim=False):
    return _AMaxMin.apply(x, norm_dims("amax", dim, x.ndim), keepdim, "max")


def amin(x, dim=None, keepdim=False):
    return _AMaxMin.apply(x, norm_dims("amin", dim, x.ndim), keepdim, "min")


class _MaxMinDim(Function):
    """max(dim)/min(dim): values and indices; the gradient goes to the index picked."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, op):
        both = _cpu_arg_reduce_new("arg" + op, x, dim, keepdim, _dt.int64, True)  # float CPU x: one C++ call
        if both is None:
            _check_nonempty(op, x, [dim])
            values = reduce_kernel(op, x, [dim], keepdim, x.dtype)
            xi = cast(x, _dt.int64) if x.dtype is _dt.bool_ else x  # (no bool argmax kernel)
            both = values, reduce_kernel("arg" + op, xi, [dim], keepdim, _dt.int64)
        ctx.meta = (x.shape, dim, keepdim)
        ctx.save_for_backward(both[1])
        return both

    @staticmethod
    def backward(ctx, g, _gi):
        from ..tensor import zeros
        shape, dim, keepdim = ctx.meta
        indices, = ctx.saved_tensors
        if not keepdim:
            indices = indices.unsqueeze(dim)
        out = zeros(shape, dtype=g.dtype, device=g.device)
        from .indexing import scatter_add_
        scatter_add_(out, dim, indices, g.reshape(indices.shape))
        return out, None, None, None


def _max_min(op, x, dim, keepdim, other=None):
    if type(dim) is int and other is None and type(keepdim) is bool and isinstance(x, Tensor) and (
            -len(x._shape) <= dim < len(x._shape)):
        # max(x, dim): straight to the op (a float CPU x runs in one C++ call, _MaxMinDim)
        return _ValuesIndices(*_MaxMinDim.apply(x, dim + len(x._shape) if dim < 0 else dim, keepdim, op))
    if dim is None and other is None and keepdim is False and isinstance(x, Tensor):  # max(x): every dim
        dims = list(range(len(x._shape)))
        if not (x._requires_grad and is_grad_enabled()) and 0 not in x._shape:
            out = _cpu_reduce_new(op, x, dims, False)  # nothing to record: a float CPU x in one call
            if out is not None:
                return out
        return _AMaxMin.apply(x, dims, False, op)
    check_tensor(op, x)
    if isinstance(dim, Tensor) and other is None:
        # torch's overloads: (input, other) for two tensors; a 0-d integer tensor is a dim only with keepdim
        if keepdim is True and dim.ndim == 0 and not dim.dtype.is_floating_point and dim.dtype.name != "bool":
            dim = int(dim)
        elif keepdim is not False:  # torch has no max(input, other, keepdim)
            raise TypeError(f"{op}(): got (Tensor, Tensor, {type(keepdim).__name__}); expected (input), "
                            f"(input, other) or (input, dim, keepdim)")
        else:
            other, dim = dim, None
    elif other is not None and (dim is not None or keepdim is not False):
        raise TypeError(f"{op}(): other cannot be combined with dim / keepdim (torch's max(input, other) "
                        f"or max(input, dim, keepdim)), got dim={dim!r}")
    if keepdim is not False and keepdim is not True:
        raise TypeError(f"{op}(): argument 'keepdim' must be bool, not {type(keepdim).__name__}")
    if other is not None:
        from .elementwise import maximum, minimum
        return (maximum if op == "max" else minimum)(x, other)
    if dim is None:
        return _AMaxMin.apply(x, list(range(x.ndim)), False, op)
    d = norm_dim(op, dim, x.ndim)
    if x.ndim == 0:  # dim 0 / -1 of a 0-d tensor (torch takes them): the value itself, index 0
        return _ValuesIndices(_AMaxMin.apply(x, [], False, op), _zero_index(x))
    return _ValuesIndices(*_MaxMinDim.apply(x, d, keepdim, op))


def _zero_index(x):
    from ..tensor import zeros
    return zeros((), dtype=_dt.int64, device=x.device)


def max(x, dim=None, keepdim=False, other=None):
    return _max_min("max", x, dim, keepdim, other)


def min(x, dim=None, keepdim=False, other=None):
    return _max_min("min", x, dim, keepdim, other)


def _arg(op, x, dim, keepdim):
    if type(keepdim) is bool and (type(dim) is int or (dim is None and isinstance(x, Tensor) and x._shape)):
        flat = dim is None  # argmax(x): over x's elements in row-major order
        out = _cpu_arg_reduce_new(op, x.reshape(-1) if flat else x, 0 if flat else dim, keepdim and not flat,
                                  _dt.int64, False)
        if out is not None:  # a float CPU x over a non-empty dim, in one C++ call
            return out.reshape((1,) * len(x._shape)) if flat and keepdim else out
    check_tensor(op, x)
    if dim is None:
        flat = x.reshape(-1)
        _check_nonempty(op, flat, [0])
        r = reduce_kernel(op, flat, [0], False, _dt.int64)
        return r.reshape((1,) * x.ndim) if keepdim else r
    d = norm_dim(op, dim, x.ndim)
    if x.ndim == 0:
        return _zero_index(x)
    _check_nonempty(op, x, [d])
    return reduce_kernel(op, x, [d], keepdim, _dt.int64)


def argmax(x, dim=None, keepdim=False):
    return _arg("argmax", x, dim, keepdim)


def argmin(x, dim=None, keepdim=False):
    return _arg("argmin", x, dim, keepdim)


def any(x, dim=None, keepdim=False):
    if getattr(x, "_dtype", None) is not None and x._dtype.category == 3:  # complex: only zero-ness matters
        x = x != 0
    out = reduce_kernel("any", x, norm_dims("any", dim, x.ndim), keepdim, _dt.bool_)
    return out if x.dtype is not _dt.uint8 else cast(out, _dt.uint8)  # torch keeps uint8 (legacy masks)


def all(x, dim=None, keepdim=False):
    if getattr(x, "_dtype", None) is not None and x._dtype.category == 3:
        x = x != 0
    out = reduce_kernel("all", x, norm_dims("all", dim, x.ndim), keepdim, _dt.bool_)
    return out if x.dtype is not _dt.uint8 else cast(out, _dt.uint8)


def count_nonzero(x, dim=None):
    if dim is None and isinstance(x, Tensor) and x._device.type == "cpu" and \
            x._dtype in (_dt.bool_, _dt.float32, _dt.float64, _dt.int64):  # the count kernel's dtypes
        return _count_true(x, False)  # NaN counts as nonzero, as x != 0
    return sum(x != 0, dim=dim)


def var(x, dim=None, unbiased=None, keepdim=False, correction=None):
    check_tensor("var", x)
    if x.dtype.category == 3:  # torch: real, sum |x - mean|^2 / (N - correction)
        from .complex_more import var as cvar
        return cvar(x, dim, unbiased, keepdim, correction)
    if not x.dtype.is_floating_point:
        raise IntDtypeError(f"var: expected a floating point tensor, got {desc(x)}")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    dims = norm_dims("var", dim, x.ndim)
    n = 1
    for d in dims:
        n *= x.shape[d]
    centered = x - mean(x, dims, keepdim=True)
    denom = n - correction
    return sum(centered * centered, dims, keepdim) / (denom if denom > 0 else float("nan"))


def std(x, dim=None, unbiased=None, keepdim=False, correction=None):
    return var(x, dim, unbiased, keepdim, correction).sqrt()


def var_mean(x, dim=None, unbiased=None, keepdim=False, correction=None):
    return var(x, dim, unbiased, keepdim, correction), mean(x, dim, keepdim)


def logsumexp(x, dim, keepdim=False):
    from .complex_more import not_yet  # (torch takes complex here; fastdl does not yet)
    not_yet("logsumexp", x)
    if _amp.on and _amp.here(): return _amp.run("logsumexp", logsumexp, x, dim, keepdim)  # autocast
    check_tensor("logsumexp", x)
    if not x.dtype.is_floating_point:
        x = x.to(_dt.get_default_dtype())
    dims = norm_dims("logsumexp", dim, x.ndim)
    if x.numel() == 0:
        return sum(x.exp(), dims, keepdim).log()
    m = amax(x.detach(), dims, keepdim=True)
    m = where(m.abs() == float("inf"), 0.0, m)  # all -inf rows stay -inf, not NaN
    out = sum((x - m).exp(), dims, keepdim=True).log() + m
    return out if keepdim else out.squeeze(dims)


class _Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim, log):
        out = empty(x.shape, x.dtype, x.device)
        backend(x, "softmax").softmax(x, out, dim, log)
        ctx.save_for_backward(out)
        ctx.meta = (dim, log)
        return out

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        dim, log = ctx.meta
        if is_grad_enabled():  # create_graph: the same formula in differentiable ops
            if log:
                return g - y.exp() * g.sum(dim, keepdim=True), None, None
            return y * (g - (g * y).sum(dim, keepdim=True)), None, None
        gx = empty(y.shape, y.dtype, y.device)
        backend(y, "softmax_backward").softmax_backward(y, g, gx, dim, log)
        return gx, None, None


def _softmax(op, x, dim, dtype, log):
    check_tensor(op, x)
    if dtype is not None:
        x = x.to(dtype)
    if not x.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point tensor, got {desc(x)}")
    if x.dtype in _dt.HALF:  # the kernel computes in float32; rounded once, as torch's
        return _softmax(op, x.float(), dim, None, log).to(x.dtype)
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit-dim rule
    d = norm_dim(op, dim, x.ndim)
    if x.ndim == 0:
        x1 = _Softmax.apply(x.reshape(1), 0, log)
        return x1.reshape(())
    return _Softmax.apply(x, d, log)


def softmax(x, dim=None, dtype=None):
    if _amp.on and _amp.here(): return _amp.run("softmax", softmax, x, dim, dtype)  # autocast
    return _softmax("softmax", x, dim, dtype, False)


def log_softmax(x, dim=None, dtype=None):
    if _amp.on and _amp.here(): return _amp.run("log_softmax", log_softmax, x, dim, dtype)  # autocast
    return _softmax("log_softmax", x, dim, dtype, True)
