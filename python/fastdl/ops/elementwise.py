"""Elementwise ops with NumPy broadcasting and PyTorch type promotion.

Unary ops are rows of a table (kernel name, whether ints are promoted to float, what
backward needs, the gradient formula); binary ops are small Functions. Gradients are
written with Tensor ops and reduced back over broadcast dimensions by `unbroadcast`.
float16 / bfloat16 operands are computed in float32 and the result rounded once.
"""
import math as _math
import numbers

import numpy as _np

from .. import _C
from .. import dtypes as _dt
from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor
from .. import _argcheck
from ._util import (backend, broadcast_shapes, cast, desc, empty_like_inputs, expand_view, in_dtype,
                    records_graph, same_device, scalar_tensor, unbroadcast, via_float32)
from ..amp import autocast_mode as _amp


# ---- binary -------------------------------------------------------------------------

# csrc/bind/bind_elementwise_new.cpp
_cpu_binary_new, _cpu_unary_new, _cpu_where_new, _cpu_assign_new = (
    _C.cpu_binary_new, _C.cpu_unary_new, _C.cpu_where_new, _C.cpu_assign_new)

def _operands(op, a, b, float_result=False):
    """Promotes and broadcasts two operands (tensors or numbers) to kernel-ready views."""
    # Fast path for the common cases, where promotion and broadcasting change nothing:
    # a float tensor with a tensor of its dtype, shape and device, or with a number.
    if isinstance(a, Tensor) and a._dtype.category == 2:
        if isinstance(b, Tensor):
            if a._dtype is b._dtype and a._device is b._device:
                if a._shape == b._shape:
                    return a, b, a._dtype, a._shape
                shape = broadcast_shapes(op, a._shape, b._shape)  # e.g. h + bias: no promotion to do
                return expand_view(a, shape), expand_view(b, shape), a._dtype, shape
        elif type(b) is float or type(b) is int:
            return a, expand_view(scalar_tensor(b, a._dtype, a._device), a._shape), a._dtype, a._shape
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op}: expected at least one Tensor, got {type(a).__name__} and {type(b).__name__}")
    for x in (a, b):
        if not isinstance(x, (Tensor, int, float, bool, complex)) and not hasattr(x, "__index__") \
                and not hasattr(x, "__float__"):
            raise TypeError(f"{op}: unsupported operand type {type(x).__name__}")
    same_device(op, a, b)
    dt = _dt.result_type(a, b)
    if float_result and not dt.is_floating_point:
        dt = _dt.get_default_dtype()
    dev = a.device if isinstance(a, Tensor) else b.device
    A = cast(a, dt) if isinstance(a, Tensor) else scalar_tensor(a, dt, dev)
    B = cast(b, dt) if isinstance(b, Tensor) else scalar_tensor(b, dt, dev)
    shape = broadcast_shapes(op, A.shape, B.shape)
    return expand_view(A, shape), expand_view(B, shape), dt, shape


# arithmetic on two bools stays bool, as in PyTorch
_BOOL_ARITH = {"add": "logical_or", "mul": "logical_and", "maximum": "logical_or", "minimum": "logical_and"}


_HALF_ARITH = frozenset(("add", "sub", "mul", "div"))


def binary_kernel(op, a, b, float_result=False, out_dtype=None):
    if out_dtype is None:  # two float CPU tensors of one dtype: all of the below in one C++ call
        out = _cpu_binary_new(op, a, b)
        if out is not None:
            return out
    A, B, dt, shape = _operands(op, a, b, float_result)
    out = empty_like_inputs(shape, out_dtype or dt, A.device, A, B)
    if dt is _dt.bool_ and out.dtype is _dt.bool_ and op not in ("eq", "ne", "lt", "le", "gt", "ge"):
        if op not in _BOOL_ARITH and not op.startswith("logical_"):
            raise TypeError(f"{op}: not supported for bool tensors ({desc(A)}, {desc(B)}); convert with .long()")
        op = _BOOL_ARITH.get(op, op)
    if dt.category == 3:  # complex: == / != by parts, any other kernel refused (ops/complex_math.py)
        from . import complex_math
        if op in ("eq", "ne"):
            return getattr(complex_math, op)(A, B)
        complex_math.refuse(op, A, B)
    if dt in _dt.STORAGE:  # half in float32, narrow integers in int64 (wrapping on the way back)
        if dt in _dt.HALF and op in _HALF_ARITH and A._device.type == "cpu":
            _C.cpu.half_arith(op, A, B, out)  # the same float32 arithmetic in one pass
            return out
        w = _dt.compute_dtype(dt)
        return via_float32(op, out, lambda res: backend(A, op).binary(op, cast(A, w), cast(B, w), res))
    backend(A, op).binary(op, A, B, out)
    return out


def _grad_for(g, x):
    """g reduced to x's shape and dtype; None when x is not a tensor needing grad."""
    if not isinstance(x, Tensor):
        return None
    g = unbroadcast(g, x.shape)
    return g if g.dtype is x.dtype else g.to(x.dtype)


# What a declared Function saves (fast_forward's rules): a tensor operand or the output is
# kept for backward never, when input 0 / input 1 needs grad, or whenever the op records.
SAVE_NEVER, SAVE_IF_FIRST, SAVE_IF_SECOND, SAVE_ALWAYS = 0, 1, 2, 3


def _kept(x, rule, needs):
    """x if it is a tensor that the save rule keeps, else None."""
    if isinstance(x, Tensor) and (rule == SAVE_ALWAYS or (rule == SAVE_IF_FIRST and needs[0])
                                  or (rule == SAVE_IF_SECOND and needs[1])):
        return x
    return None


class _Arith(Function):
    """add, sub, mul, div: binary_kernel(op), and when recording a ctx with
    inputs_meta = (_meta(a), _meta(b)), scalars = (the operands that are numbers, else
    None) and, unless every rule is SAVE_NEVER, saved_tensors = (a, b, out) as `saves`
    keeps them. `fast_forward` declares the same to _C.function_apply, which runs it in
    C++ for float CPU operands (csrc/bind/bind_autograd_apply.cpp); this forward is the
    rest (integers, promotion, half, CUDA, errors)."""
    float_result = False

    @classmethod
    def forward(cls, ctx, a, b):
        _, op, saves = cls.fast_forward
        out = binary_kernel(op, a, b, cls.float_result)
        needs = ctx.needs_input_grad
        if True in needs:
            ctx.inputs_meta = (_meta(a), _meta(b))
            ctx.scalars = (None if isinstance(a, Tensor) else a, None if isinstance(b, Tensor) else b)
            if saves != (SAVE_NEVER,) * 3:
                ctx.save_for_backward(*(_kept(x, rule, needs) for x, rule in zip((a, b, out), saves)))
        return out


class Add(_Arith):
    fast_forward = ("binary", "add", (SAVE_NEVER, SAVE_NEVER, SAVE_NEVER))

    @staticmethod
    def backward(ctx, g):
        ma, mb = ctx.inputs_meta
        return _grad_meta(g, ma), _grad_meta(g, mb)


class Sub(_Arith):
    fast_forward = ("binary", "sub", (SAVE_NEVER, SAVE_NEVER, SAVE_NEVER))

    @staticmethod
    def backward(ctx, g):
        ma, mb = ctx.inputs_meta
        return _grad_meta(g, ma), _grad_meta(-g, mb) if mb else None


def _meta(x):
    return (x._shape, x._dtype) if isinstance(x, Tensor) else None


def _grad_meta(g, meta):
    if meta is None:
        return None
    g = unbroadcast(g, meta[0])
    return g if g.dtype is meta[1] else g.to(meta[1])


class Mul(_Arith):
    # each side's gradient needs only the other operand, so x.mul_(2) stays legal
    fast_forward = ("binary", "mul", (SAVE_IF_SECOND, SAVE_IF_FIRST, SAVE_NEVER))

    @staticmethod
    def backward(ctx, g):
        a, b, _ = ctx.saved_tensors
        sa, sb = ctx.scalars
        ma, mb = ctx.inputs_meta
        ga = _grad_meta(g * (b if b is not None else sb), ma) if ctx.needs_input_grad[0] else None
        gb = _grad_meta(g * (a if a is not None else sa), mb) if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(_Arith):
    fast_forward = ("binary", "div", (SAVE_NEVER, SAVE_ALWAYS, SAVE_IF_SECOND))
    float_result = True

    @staticmethod
    def backward(ctx, g):
        _, b, out = ctx.saved_tensors
        ma, mb = ctx.inputs_meta
        denom = b if b is not None else ctx.scalars[1]
        ga = _grad_meta(g / denom, ma) if ctx.needs_input_grad[0] else None
        gb = _grad_meta(-g * out / denom, mb) if ctx.needs_input_grad[1] else None
        return ga, gb


class Pow(Function):
    @staticmethod
    def forward(ctx, a, b):
        out = binary_kernel("pow", a, b)
        ctx.save_for_backward(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None, out)
        ctx.scalars = (None if isinstance(a, Tensor) else a, None if isinstance(b, Tensor) else b)
        ctx.inputs_meta = (_meta(a), _meta(b))
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        sa, sb = ctx.scalars
        ma, mb = ctx.inputs_meta
        base = a if a is not None else sa
        expo = b if b is not None else sb
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = _grad_meta(g * expo * pow(base, expo - 1), ma)
        if ctx.needs_input_grad[1]:
            # d/db a**b = a**b * log(a); where a == 0 PyTorch uses 0 (b > 0)
            loga = log(base) if isinstance(base, Tensor) else __import__("math").log(base)
            term = g * out * loga
            if isinstance(base, Tensor):
                term = where(base == 0, 0.0, term)
            gb = _grad_meta(term, mb)
        return ga, gb


class _MaxMin(Function):
    op = None

    @classmethod
    def forward(cls, ctx, a, b):
        A, B, dt, shape = _operands(cls.op, a, b)
        out = empty_like_inputs(shape, dt, A.device, A, B)
        if dt in _dt.STORAGE:
            w = _dt.compute_dtype(dt)
            via_float32(cls.op, out, lambda res: backend(A, cls.op).binary(cls.op, cast(A, w), cast(B, w), res))
        else:  # bool: maximum is logical_or, minimum logical_and (torch takes bool here)
            backend(A, cls.op).binary(_BOOL_ARITH[cls.op] if dt is _dt.bool_ else cls.op, A, B, out)
        ctx.save_for_backward(A, B)
        ctx.inputs_meta = (_meta(a), _meta(b))
        ctx.op_is_max = cls.op == "maximum"
        return out

    @staticmethod
    def backward(ctx, g):
        A, B = ctx.saved_tensors
        ma, mb = ctx.inputs_meta
        wins_a = (A > B) if ctx.op_is_max else (A < B)
        tie = A == B
        half = g * 0.5
        ga = where(wins_a, g, where(tie, half, 0.0))
        gb = where(wins_a, 0.0, where(tie, half, g))
        return _grad_meta(ga, ma), _grad_meta(gb, mb)


class Maximum(_MaxMin):
    op = "maximum"


class Minimum(_MaxMin):
    op = "minimum"


def _scaled(b, alpha):
    """b * alpha; a Python number is scaled in Python (mul needs a Tensor)."""
    return b if alpha == 1 else mul(b, alpha) if isinstance(b, Tensor) else b * alpha


def add(a, b, alpha=1):
    return Add.apply(a, _scaled(b, alpha))


def sub(a, b, alpha=1):
    return Sub.apply(a, _scaled(b, alpha))


def mul(a, b):
    return Mul.apply(a, b)


def div(a, b, rounding_mode=None):
    if rounding_mode is None:
        return Div.apply(a, b)
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode == "trunc":
        if _dt.result_type(a, b).category == 1:  # integers: exact (a float quotient loses digits past 2^24)
            q, r = floor_divide(a, b), remainder(a, b)  # r has b's sign: floor < trunc where it is not a's
            a = a if isinstance(a, Tensor) else scalar_tensor(a, q.dtype, q.device)  # (a number as q's dtype holds it)
            return q + logical_and(r != 0, (r < 0) != (a < 0)).to(q.dtype)
        q = Div.apply(a, b)
        r = where(q < 0, ceil(q), floor(q))
        dt = _dt.result_type(a, b)
        return r if dt.is_floating_point else r.to(dt)
    raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")


def floor_divide(a, b):
    _check_int_div("floor_divide", b, a)
    out = binary_kernel("floor_divide", a, b)
    return _floor_divide_nonfinite(a, b, out) if out.dtype.is_floating_point else out


def _floor_divide_nonfinite(a, b, out):
    """torch's floor division goes through fmod: inf // finite non-zero is NaN (the kernel
    gives +-inf) and a finite non-zero a // inf of the other sign is -1 (the kernel -0)."""
    a = a if isinstance(a, Tensor) else scalar_tensor(a, out.dtype, out.device)
    b = b if isinstance(b, Tensor) else scalar_tensor(b, out.dtype, out.device)
    inf_a = logical_and(isinf(a), ne(b, 0))
    opp = logical_and(logical_and(isinf(b), logical_and(isfinite(a), ne(a, 0))), ne(lt(a, 0), lt(b, 0)))
    return where(inf_a, float("nan"), where(opp, -1.0, out))


def remainder(a, b):
    _check_int_div("remainder", b, a)
    return binary_kernel("remainder", a, b)


def _check_int_div(op, b, a=None):
    # only an integer result divides by zero (a float a // 0 is +-inf, a % 0 NaN, as torch)
    if isinstance(b, Tensor) and not b.dtype.is_floating_point:
        if bool((b == 0).any()) and (a is None or not _dt.result_type(a, b).is_floating_point):
            raise ZeroDivisionError(f"{op}: integer division by zero")
    elif isinstance(b, int) and b == 0 and (a is None or not _dt.result_type(a, b).is_floating_point):
        raise ZeroDivisionError(f"{op}: integer division by zero")


def pow(a, b):
    if _amp.on and _amp.here(): return _amp.run("pow", pow, a, b)  # autocast
    if isinstance(a, Tensor) and isinstance(b, (int, float)) and not isinstance(b, bool):
        if a.dtype.is_floating_point:  # (integer tensors: the binary kernel, pow_scalar is float-only)
            return PowScalar.apply(a, float(b))
        if isinstance(b, int) and b < 0 and a.dtype.category < 2:
            raise RuntimeError("pow: integers to negative integer powers are not allowed")
    return Pow.apply(a, b)


def maximum(input, other):
    return Maximum.apply(input, other if isinstance(other, Tensor) else _argcheck.tensor("maximum", "other", other))


def minimum(input, other):
    return Minimum.apply(input, other if isinstance(other, Tensor) else _argcheck.tensor("minimum", "other", other))


# internal: also a Python scalar operand (torch.maximum / minimum take Tensors only)
_maximum, _minimum = Maximum.apply, Minimum.apply


class Atan2(Function):
    """atan2(a, b); d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2) (torch's atan2_backward)."""

    @staticmethod
    def forward(ctx, a, b):
        out = binary_kernel("atan2", a, b, float_result=True)
        ctx.save_for_backward(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None)
        ctx.scalars = (None if isinstance(a, Tensor) else a, None if isinstance(b, Tensor) else b)
        ctx.inputs_meta = (_meta(a), _meta(b))
        return out

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a = a if a is not None else ctx.scalars[0]
        b = b if b is not None else ctx.scalars[1]
        ma, mb = ctx.inputs_meta
        r = g / (a * a + b * b)
        return _grad_meta(r * b, ma), _grad_meta(-r * a, mb)


def atan2(input, other):
    from .complex_more import refuse_any  # torch refuses complex here too
    refuse_any("atan2", input, other)
    if _amp.on and _amp.here(): return _amp.run("atan2", atan2, input, other)  # autocast
    return Atan2.apply(input, other if isinstance(other, Tensor) else _argcheck.tensor("atan2", "other", other))


def _compare(op):
    def f(a, b):
        return binary_kernel(op, a, b, out_dtype=_dt.bool_)
    f.__name__ = op
    return f


eq, ne, lt, le, gt, ge = (_compare(o) for o in ("eq", "ne", "lt", "le", "gt", "ge"))


def _logical(op):
    def f(a, b):
        a = a if not isinstance(a, Tensor) else a.bool()
        b = b if not isinstance(b, Tensor) else b.bool()
        return binary_kernel(op, a, b, out_dtype=_dt.bool_)
    f.__name__ = op
    return f


# the _-prefixed ones also take a Python scalar (x & True, bitwise_and of bools); torch.logical_*'s other is a Tensor
_logical_and, _logical_or, _logical_xor = (_logical(o) for o in ("logical_and", "logical_or", "logical_xor"))


def logical_and(input, other):
    return _logical_and(input, _argcheck.tensor("logical_and", "other", other))


def logical_or(input, other):
    return _logical_or(input, _argcheck.tensor("logical_or", "other", other))


def logical_xor(input, other):
    return _logical_xor(input, _argcheck.tensor("logical_xor", "other", other))


def logical_not(x):
    xb = x.bool()
    out = empty_like_inputs(xb.shape, _dt.bool_, xb.device, xb)
    backend(xb, "logical_not").unary("logical_not", xb, out, 0.0, 0.0)
    return out


def equal(a, b):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"equal: expected two Tensors, got {type(a).__name__} and {type(b).__name__}")
    return tuple(a.shape) == tuple(b.shape) and bool(eq(a, b).all())


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    _same_dtype("allclose", a, b)
    return bool(_isclose("allclose", a, b, rtol, atol, equal_nan).all())


def isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    _same_dtype("isclose", a, b)
    return _isclose("isclose", a, b, rtol, atol, equal_nan)


def _isclose(op, a, b, rtol, atol, equal_nan):
    # torch: rtol / atol are floats (a number or a 0-d tensor), equal_nan a bool
    rtol, atol = _argcheck.number(op, "rtol", rtol), _argcheck.number(op, "atol", atol)
    _argcheck.flag(op, "equal_nan", equal_nan)
    close = le(abs(sub(a, b)), add(atol, mul(rtol, abs(b))))
    if equal_nan:
        close = logical_or(close, logical_and(isnan(a), isnan(b)))
    return close


def _same_dtype(op, a, b):
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype is not b.dtype:
        raise RuntimeError(f"{op}: {a.dtype.name} did not match {b.dtype.name} (both tensors must have one dtype)")


def isnan(x):
    return ne(x, x)


def isinf(x):
    return eq(abs(x), float("inf")) if x.dtype.category >= 2 else zeros_bool(x)  # complex: |x| = inf


def isfinite(x):
    return logical_not(logical_or(isnan(x), isinf(x))) if x.dtype.category >= 2 else ones_bool(x)


def zeros_bool(x):
    from ..tensor import zeros
    return zeros(x.shape, dtype=_dt.bool_, device=x.device)


def ones_bool(x):
    from ..tensor import ones
    return ones(x.shape, dtype=_dt.bool_, device=x.device)


# ---- where --------------------------------------------------------------------------

def _where_general(cond, a, b):
    """(cond as a bool tensor, where's result) for any operands: promotion, broadcast,
    devices, the errors (cpu_where_new takes the float CPU ones)."""
    if not isinstance(cond, Tensor):
        raise TypeError(f"where: condition must be a Tensor, got {type(cond).__name__}")
    if cond.dtype is _dt.uint8:  # torch takes a uint8 mask as a bool one (deprecated)
        import warnings
        warnings.warn("where received a uint8 condition tensor. This behavior is deprecated and will be "
                      "removed in a future version, use a boolean condition instead.", UserWarning)
        cond = ne(cond, 0)
    if cond.dtype is not _dt.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got {desc(cond)}")
    same_device("where", cond, a, b)
    dt = _dt.result_type(*(x for x in (a, b)))
    if dt in _dt.NARROW_INT:  # a Python int the narrow result cannot hold is refused, as torch
        from .int_narrow import check_python_ints
        for s in (a, b):
            if isinstance(s, int) and not isinstance(s, bool):
                check_python_ints(s, _np.asarray(s), dt, "where")
    dev = cond.device
    A = cast(a, dt) if isinstance(a, Tensor) else scalar_tensor(a, dt, dev)
    B = cast(b, dt) if isinstance(b, Tensor) else scalar_tensor(b, dt, dev)
    shape = broadcast_shapes("where", cond.shape, A.shape, B.shape)
    C, A, B = expand_view(cond, shape), expand_view(A, shape), expand_view(B, shape)
    out = empty_like_inputs(shape, dt, dev, C, A, B)
    backend(out, "where").where(C, A, B, out)
    return cond, out


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        out = _cpu_where_new(cond, a, b)  # a bool CPU cond and float CPU operands, in one C++ call
        if out is None:
            cond, out = _where_general(cond, a, b)
        ctx.save_for_backward(cond)
        ctx.inputs_meta = (_meta(a), _meta(b))
        return out

    @staticmethod
    def backward(ctx, g):
        cond, = ctx.saved_tensors
        ma, mb = ctx.inputs_meta
        ga = _grad_meta(where(cond, g, 0.0), ma) if ma else None
        gb = _grad_meta(where(cond, 0.0, g), mb) if mb else None
        return None, ga, gb


def where(cond, a=None, b=None):
    if a is None and b is None:
        from .indexing import nonzero
        return nonzero(cond, as_tuple=True)
    return Where.apply(cond, a, b)


# ---- unary --------------------------------------------------------------------------

def unary_kernel(op, x, p0=0.0, p1=0.0, float_only=True):
    out = _cpu_unary_new(op, x, p0, p1)  # a float CPU tensor: all of the below in one C++ call
    if out is not None:
        return out
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if x.dtype.category == 3:
        from .complex_math import refuse
        refuse(op, x)
    if float_only and not x.dtype.is_floating_point:
        x = cast(x, _dt.get_default_dtype())
    elif x.dtype is _dt.bool_:
        x = cast(x, _dt.int64)
    out = empty_like_inputs(x.shape, x.dtype, x.device, x)
    if x.dtype in _dt.STORAGE:
        w = _dt.compute_dtype(x.dtype)
        return via_float32(op, out, lambda res: backend(x, op).unary(op, cast(x, w), res, float(p0), float(p1)))
    backend(x, op).unary(op, x, out, float(p0), float(p1))
    return out


def _no_bool(name, msg=None):
    def rule(x):
        if x.dtype is _dt.bool_:
            raise (RuntimeError if msg else NotImplementedError)(msg or f"{name}: not implemented for bool tensors")
    return rule


def _int_identity(name):
    """floor / ceil / round of integers: a copy in the input's dtype (torch); bool raises."""
    def rule(x):
        if x.dtype is _dt.bool_:
            raise NotImplementedError(f"{name}: not implemented for bool tensors")
        return x.clone()
    return rule


def _float_only_rule(name):
    """torch's activation kernels dispatch on floating types only: int64 / bool raise."""
    def rule(x):
        raise NotImplementedError(f"{name}: not implemented for {x.dtype.name} tensors, got {desc(x)}")
    return rule


def float_only(op, x):
    """The same refusal for composed ops (selu, mish, hardshrink, ...); callers check
    isinstance(x, Tensor) first."""
    if not x.dtype.is_floating_point:
        _float_only_rule(op)(x)


# what a unary op does with an integer or bool x where that differs from the kernel's
# (float_only: cast to float; else bool computed as int64): returns the result, raises, or None
_NON_FLOAT_RULES = {
    "floor": _int_identity("floor"), "ceil": _int_identity("ceil"), "round": _int_identity("round"),
    "sign": lambda x: x.clone() if x.dtype is _dt.bool_ else None,  # sign of bool is itself (torch)
    "neg": _no_bool("neg", "neg: negation, the `-` operator, on a bool tensor is not supported; "
                           "use `~` or logical_not() to invert a mask"),
    "relu": _no_bool("relu", "relu: bool inputs are not supported"),
    # perm branch: torch's activation kernels take floating types only; abs refuses bool
    **{n: _float_only_rule(n) for n in ("leaky_relu", "gelu", "silu", "elu", "softplus")},
    "abs": _no_bool("abs"),
}


def _unary_function(name, grad, saves, float_only=True):
    """Builds the Function for one row of the unary table."""

    # ctx.params = (p0, p1), saved_tensors = (x, out) as `saves` says; fast_forward declares
    # the same to _C.function_apply, which runs it in C++ for a float CPU x
    rules = tuple(SAVE_ALWAYS if k in saves else SAVE_NEVER for k in "xy")

    non_float = _NON_FLOAT_RULES.get(name)

    def forward(ctx, x, p0=0.0, p1=0.0):
        # the C++ fast path takes float CPU x before this runs: the check costs it nothing
        out = non_float(x) if non_float is not None and isinstance(x, Tensor) and not x.dtype.is_floating_point \
            else None
        if out is None:
            out = unary_kernel(name, x, p0, p1, float_only)
        ctx.params = (p0, p1)
        ctx.save_for_backward(x if rules[0] else None, out if rules[1] else None)
        return out

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return grad(x, y, g, *ctx.params), None, None

    cls_name = "".join(p.capitalize() for p in name.split("_"))
    return type(cls_name, (Function,), {"forward": staticmethod(forward), "backward": staticmethod(backward),
                                        "fast_forward": ("unary", name, rules)})


class _ZeroGrad(Function):
    """zeros_like(g) as a function of g (derivative zero): with create_graph the zero
    gradient of a step function stays linked to the graph, as torch's."""

    @staticmethod
    def forward(ctx, g):
        from ..tensor import zeros_like
        return zeros_like(g)

    @staticmethod
    def backward(ctx, gg):
        return _ZeroGrad.apply(gg)


def _zero_grad(x, y, g, *p):
    return _ZeroGrad.apply(g)


def _grad_op(fn, kernel, g, y):
    """A gradient kernel: the plain call in an ordinary backward, its Function (which
    records) when the backward itself is recorded (create_graph)."""
    return fn.apply(g, y) if is_grad_enabled() else binary_kernel(kernel, g, y)


# The gradient kernels of the unary table as Functions of their own, so that a gradient
# computed with create_graph can be differentiated again (double backward); without grad
# mode apply runs just the kernel.
class _TanhBackward(Function):  # g * (1 - y^2)
    @staticmethod
    def forward(ctx, g, y):
        ctx.save_for_backward(g, y)
        return binary_kernel("tanh_backward", g, y)

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        return _TanhBackward.apply(gg, y), gg * g * y * -2.0


class _SigmoidBackward(Function):  # g * y * (1 - y)
    @staticmethod
    def forward(ctx, g, y):
        ctx.save_for_backward(g, y)
        return binary_kernel("sigmoid_backward", g, y)

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        return _SigmoidBackward.apply(gg, y), gg * g * (1.0 - y * 2.0)


class _ReluBackward(Function):  # g where y > 0; no derivative in y (zero a.e.)
    @staticmethod
    def forward(ctx, g, y):
        ctx.save_for_backward(y)
        return binary_kernel("relu_backward", g, y)

    @staticmethod
    def backward(ctx, gg):
        y, = ctx.saved_tensors
        return _ReluBackward.apply(gg, y), _ZeroGrad.apply(y)


class _StepFactor(Function):
    """A piecewise-constant derivative factor (leaky_relu's slope at x): zero derivative."""

    @staticmethod
    def forward(ctx, x, op, p0):
        return unary_kernel(op, x, p0)

    @staticmethod
    def backward(ctx, gg):
        return _ZeroGrad.apply(gg), None, None


class _GeluGrad(Function):
    """gelu'(x) (approx 0: exact, 1: tanh), with gelu''(x) for double backward."""

    @staticmethod
    def forward(ctx, x, approx):
        ctx.save_for_backward(x)
        ctx.approx = approx
        return unary_kernel("gelu_grad", x, approx)

    @staticmethod
    def backward(ctx, gg):
        x, = ctx.saved_tensors
        if not ctx.approx:  # gelu = x Phi(x): gelu'' = phi(x) (2 - x^2)
            second = exp(x * x * -0.5) * _INV_SQRT_2PI * (2.0 - x * x)
        else:  # gelu = x (1 + tanh u) / 2, u = c (x + k x^3)
            c, k = _SQRT_2_OVER_PI, 0.044715
            t = tanh((x + x * x * x * k) * c)
            du, d2u = (1.0 + x * x * (3 * k)) * c, x * (6 * k * c)
            second = (1.0 - t * t) * (du - x * t * du * du + x * d2u * 0.5)
        return gg * second, None


_INV_SQRT_2PI = 0.3989422804014327
_SQRT_2_OVER_PI = 0.7978845608028654


# name: (gradient(x, y, g, p0, p1), what backward needs, ints promoted to float)
UNARY = {
    "neg": (lambda x, y, g, *p: -g, "", False),
    "abs": (lambda x, y, g, *p: g * sign(x), "x", False),
    "sign": (_zero_grad, "", False),
    "exp": (lambda x, y, g, *p: g * y, "y", True),
    "expm1": (lambda x, y, g, *p: g * exp(x), "x", True),  # not y + 1: that cancels to nothing for x << 0
    "log": (lambda x, y, g, *p: g / x, "x", True),
    "log1p": (lambda x, y, g, *p: g / (x + 1), "x", True),
    "sqrt": (lambda x, y, g, *p: g / (y * 2), "y", True),
    "rsqrt": (lambda x, y, g, *p: g * y * y * y * -0.5, "y", True),
    "tanh": (lambda x, y, g, *p: _grad_op(_TanhBackward, "tanh_backward", g, y), "y", True),
    "sigmoid": (lambda x, y, g, *p: _grad_op(_SigmoidBackward, "sigmoid_backward", g, y), "y", True),
    "sin": (lambda x, y, g, *p: g * cos(x), "x", True),
    "cos": (lambda x, y, g, *p: -g * sin(x), "x", True),
    "reciprocal": (lambda x, y, g, *p: -g * y * y, "y", True),
    "relu": (lambda x, y, g, *p: _grad_op(_ReluBackward, "relu_backward", g, y), "y", False),
    "leaky_relu": (lambda x, y, g, s, _: g * _StepFactor.apply(x, "leaky_relu_grad", s), "x", True),
    "clamp": (lambda x, y, g, lo, hi: where(logical_and(_ge_bound(x, lo), _le_bound(x, hi)), g, 0.0), "x", False),
    # hardtanh / relu6: clamp's values; gradient 0 at and beyond the bounds, NaN passes (torch)
    "hardtanh": (lambda x, y, g, lo, hi: where(logical_or(x <= lo, x >= hi), 0.0, g), "x", False),
    "pow_scalar": (lambda x, y, g, e, _: g * e * _pow_grad_base(x, e - 1), "x", False),
    "floor": (_zero_grad, "", True),
    "ceil": (_zero_grad, "", True),
    "round": (_zero_grad, "", True),
    # activations of nn.functional (p0/p1: gelu approximate flag; elu alpha; softplus beta, threshold)
    "gelu": (lambda x, y, g, approx, _: g * _GeluGrad.apply(x, approx), "x", True),
    "silu": (lambda x, y, g, *p: g * _silu_grad(x), "x", True),
    "elu": (lambda x, y, g, alpha, _: where(x > 0, g, g * alpha * exp(clamp(x, max=0.0))), "x", True),
    "softplus": (lambda x, y, g, beta, th: where(x * beta > th, g, g * sigmoid(x * beta)), "x", True),
    # special functions (torch.special; p0 of polygamma is n)
    "erf": (lambda x, y, g, *p: g * exp(-(x * x)) * _TWO_OVER_SQRTPI, "x", True),
    "erfc": (lambda x, y, g, *p: g * exp(-(x * x)) * -_TWO_OVER_SQRTPI, "x", True),
    "erfinv": (lambda x, y, g, *p: g * exp(y * y) * _HALF_SQRTPI, "y", True),
    "lgamma": (lambda x, y, g, *p: g * _UNARY_FN["digamma"].apply(x), "x", True),
    "digamma": (lambda x, y, g, *p: g * _UNARY_FN["polygamma"].apply(x, 1.0), "x", True),
    "polygamma": (lambda x, y, g, n, _: g * _UNARY_FN["polygamma"].apply(x, n + 1.0), "x", True),
    "i0": (lambda x, y, g, *p: g * _UNARY_FN["i1"].apply(x), "x", True),
    "i1": (lambda x, y, g, *p: g * _i1_grad(x, y), "xy", True),
    "sinc": (lambda x, y, g, *p: g * _sinc_grad(x, y), "xy", True),
    "ndtri": (lambda x, y, g, *p: g * exp(y * y * 0.5) * _SQRT_2PI, "y", True),
    # trigonometric (ops/elementwise_more.py exports them)
    "tan": (lambda x, y, g, *p: g * (y * y + 1), "y", True),
    "asin": (lambda x, y, g, *p: g * rsqrt(1 - x * x), "x", True),
    "acos": (lambda x, y, g, *p: -g * rsqrt(1 - x * x), "x", True),
    "atan": (lambda x, y, g, *p: g / (x * x + 1), "x", True),
    "exp2": (lambda x, y, g, *p: g * y * _LN2, "y", True),
    # smooth_l1_loss's elementwise term (p0: beta) and its derivative factor
    "smooth_l1": (lambda x, y, g, beta, _: g * _UNARY_FN["smooth_l1_grad"].apply(x, beta), "x", True),
    "smooth_l1_grad": (lambda x, y, g, beta, _: _smooth_l1_grad_grad(x, g, beta), "x", True),
    # F.hardsigmoid / F.hardswish and their derivative factors (torch's choices at the kinks)
    "hardsigmoid": (lambda x, y, g, *p: g * _StepFactor.apply(x, "hardsigmoid_grad", 0.0), "x", True),
    "hardsigmoid_grad": (_zero_grad, "", True),
    "hardswish": (lambda x, y, g, *p: g * _UNARY_FN["hardswish_grad"].apply(x), "x", True),
    # (x / 3 + 1/2)' = 1/3 = 2 x hardsigmoid's 1/6 (exact), inside (-3, 3) only
    "hardswish_grad": (lambda x, y, g, *p: g * _StepFactor.apply(x, "hardsigmoid_grad", 0.0) * 2.0, "x", True),
    # torch.nan_to_num (p0: NaN's value, p1: +inf's; -inf gets -p1): the gradient passes where x is finite
    "nan_to_num": (lambda x, y, g, *p: where(isfinite(x), g, 0.0), "x", True),
}


def _smooth_l1_grad_grad(x, g, beta):
    """The factor's derivative: 1 / beta where |x| < beta, else 0."""
    if not beta:  # no quadratic region
        return g * 0.0
    return where(_UNARY_FN["abs"].apply(x) < beta, g * (1.0 / beta), 0.0)

_TWO_OVER_SQRTPI = 1.1283791670955126  # 2 / sqrt(pi)
_HALF_SQRTPI = 0.886226925452758  # sqrt(pi) / 2
_SQRT_2PI = 2.5066282746310002
_PI = 3.141592653589793
_LN2 = 0.6931471805599453


def _i1_grad(x, y):
    """i1' = i0 - i1 / x, 1/2 at 0."""
    zero = x == 0
    return where(zero, 0.5, _UNARY_FN["i0"].apply(x) - y / where(zero, 1.0, x))


def _sinc_grad(x, y):
    """sinc' = (cos(pi x) - sinc(x)) / x, which cancels for small x; there (|x| < 0.1) its
    series x pi^2 sum_k>=1 (-1)^k 2k (pi x)^(2k-2) / (2k+1)! (0 at 0)."""
    small = abs(x) < 0.1
    xs = where(small, x, 0.0)
    u = xs * xs * (_PI * _PI)
    s = 0.0
    for k in range(8, 0, -1):  # Horner in u, terms below 1e-17 by k = 8
        s = s * u + (-1) ** k * 2 * k / _FACT_ODD[k]
    series = s * xs * (_PI * _PI)
    xl = where(small, 1.0, x)
    return where(small, series, (cos(xl * _PI) - y) / xl)


_FACT_ODD = [float(_math.factorial(2 * k + 1)) for k in range(9)]  # (2k+1)!


def _silu_grad(x):
    s = sigmoid(x)
    return s * (x * (1 - s) + 1)


def _ge_bound(x, lo):
    return ge(x, lo) if lo == lo else ones_bool(x)


def _le_bound(x, hi):
    return le(x, hi) if hi == hi else ones_bool(x)


def _pow_grad_base(x, e):  # x ** e for the gradient of x ** (e + 1); x ** 1 is x itself (same bits)
    return PowScalar.apply(x, e) if e not in (0, 1) else (x if e == 1 else 1.0)


_UNARY_FN = {name: _unary_function(name, g, s, f) for name, (g, s, f) in UNARY.items()}
PowScalar = _UNARY_FN["pow_scalar"]


def _unary_api(name):
    fn = _UNARY_FN[name]

    def api(x):
        if _amp.on and _amp.here(): return _amp.run(name, api, x)  # autocast
        return fn.apply(x)
    api.__name__ = name
    return api


# the ops that are their Function's apply of one tensor (Tensor methods of the same name
# are that apply itself: _methods.py)
UNARY_METHODS = ("neg", "abs", "sign", "exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "tanh", "sigmoid", "sin",
                 "cos", "reciprocal", "relu", "floor", "ceil", "round")
neg, abs, sign, exp, expm1, log, log1p, sqrt, rsqrt, tanh, sigmoid, sin, cos, reciprocal, relu, floor, ceil, round = (
    _unary_api(n) for n in UNARY_METHODS)

# special functions that are Tensor methods too (torch.erf / Tensor.erf, ...): the same apply
SPECIAL_METHODS = ("erf", "erfc", "erfinv", "lgamma", "digamma", "i0", "sinc")
erf, erfc, erfinv, lgamma, digamma, i0, sinc = (_unary_api(n) for n in SPECIAL_METHODS)


def leaky_relu(x, negative_slope=0.01):
    return _UNARY_FN["leaky_relu"].apply(x, float(negative_slope))


_NAN = float("nan")  # clamp's "no bound" for the kernel


def clamp(x, min=None, max=None):
    tmin, tmax = type(min), type(max)
    if ((tmin is float or tmin is int or min is None) and (tmax is float or tmax is int or max is None)
            and isinstance(x, Tensor) and x._dtype.category == 2 and (min is not None or max is not None)
            and min == min and max == max):  # a float x and plain number bounds: nothing to promote
        return _UNARY_FN["clamp"].apply(x, _NAN if min is None else float(min), _NAN if max is None else float(max))
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = _maximum(out, min)
        if max is not None:
            out = _minimum(out, max)
        return out
    dt = _dt.result_type(x, *(v for v in (min, max) if v is not None))
    if min != min or max != max:  # a NaN bound makes every element NaN (torch); the kernel reads NaN as "none"
        from ..tensor import full
        return clamp(x, *(None if v is None else full((), v, dtype=dt, device=x.device) for v in (min, max)))
    x = x if x.dtype is dt else x.to(dt)
    if dt in _dt.NARROW_INT:  # the bounds in x's dtype first, wrapping (as torch: uint8 clamp(-5) is 251)
        from numpy import asarray
        from .int_narrow import check_python_ints, wrap_int
        for v in (min, max):
            if v is not None:
                check_python_ints(v, asarray(v), dt, "clamp")
        min, max = (None if v is None else wrap_int(v, dt) for v in (min, max))
    return _UNARY_FN["clamp"].apply(x, _NAN if min is None else float(min), _NAN if max is None else float(max))


clip = clamp


def square(x):
    if isinstance(x, Tensor) and x.dtype is _dt.bool_:
        x = x.to(_dt.int64)  # torch: square is pow(x, 2), which takes bool to int64
    return mul(x, x)


def log2(x):
    if _amp.on and _amp.here(): return _amp.run("log2", log2, x)  # autocast
    return log(x) * (1.0 / 0.6931471805599453)


def log10(x):
    if _amp.on and _amp.here(): return _amp.run("log10", log10, x)  # autocast
    return log(x) * (1.0 / 2.302585092994046)


def lerp(a, b, weight):
    if isinstance(a, Tensor):  # torch: end and a tensor weight in input's dtype, no promotion
        for what, t in (("end", b), ("weight", weight)):
            if isinstance(t, Tensor) and t.dtype is not a.dtype:
                raise RuntimeError(f"lerp: expected dtype {a.dtype.name} for `{what}` but got dtype {t.dtype.name}")
        if a.dtype.category < 2:  # torch's lerp kernels are floating / complex only
            from .elementwise_more import DtypeError
            raise DtypeError(f"lerp: not implemented for {a.dtype.name} input {desc(a)}")
    # torch's formula: a + w (b - a) where |w| < 0.5, else b - (b - a)(1 - w), exact at w = 0 and 1
    if isinstance(weight, Tensor):
        diff = b - a
        return where(abs(weight) < 0.5, a + weight * diff, b - diff * (1 - weight))
    if not isinstance(a, Tensor) or isinstance(weight, complex) or a.dtype.category == 3:
        return a + (b - a) * weight
    w = in_dtype(weight, a.dtype)
    small = -0.5 < w < 0.5  # (abs is the tensor op here)
    scale = w if small else in_dtype(1 - w, a.dtype)
    if records_graph(a, b):  # the same roundings as the kernel, differentiable
        diff = b - a
        return a + diff * scale if small else b - diff * scale
    if isinstance(b, Tensor) and b._dtype is a._dtype and a._dtype in (_dt.float32, _dt.float64):
        same_device("lerp", a, b)
        shape = broadcast_shapes("lerp", a.shape, b.shape)
        A, B = expand_view(a, shape), expand_view(b, shape)
        out = empty_like_inputs(shape, a.dtype, a.device, A, B)
        backend(a, "lerp").lerp_scalar(A, B, out, float(scale), small)
        return out
    diff = b - a
    diff.mul_(scale)  # no graph: the products and sums in diff's own memory
    return diff.add_(a) if small else diff.neg_().add_(b)


def lerp_(t, end, weight):
    """t.lerp_(end, weight): without a graph, a number weight and float operands, the
    kernel writes into t (end in other memory, or t itself); otherwise lerp, assigned back."""
    if (isinstance(end, Tensor) and not isinstance(weight, (Tensor, complex)) and isinstance(weight, numbers.Number)
            and t._dtype is end._dtype and t._dtype in (_dt.float32, _dt.float64) and not records_graph(t, end)
            and (end._buf is not t._buf or end is t) and t._device == end._device and end._shape == t._shape):
        check_write(t, "lerp_")
        w = in_dtype(weight, t.dtype)
        small = -0.5 < w < 0.5
        backend(t, "lerp").lerp_scalar(t, end, t, float(w if small else in_dtype(1 - w, t.dtype)), small)
        t._buf.version += 1
        return t
    return assign_(t, lerp(t, end, weight), "lerp_")


def softplus_stable(x):
    """log(1 + exp(x)) computed without overflow."""
    return relu(x) + log1p(exp(-abs(x)))


# ---- in-place -----------------------------------------------------------------------

def check_inplace(t, op):
    if is_grad_enabled() and t.requires_grad and t.is_leaf:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place operation.")


def check_write(t, op, overlap_ok=False):
    """check_inplace for ops that write t's elements: also refuses (as torch does) a view of
    a leaf that requires grad (the write would bypass the leaf's gradient) and, unless
    every element gets the same value (fill_), a tensor whose elements share memory (an
    expanded view: the result would depend on the order of the writes)."""
    check_inplace(t, op)
    base = t._base
    if is_grad_enabled() and t._requires_grad and base is not None and base.is_leaf and base._requires_grad:
        raise RuntimeError(f"{op}: a view of a leaf Variable that requires grad is being used in an in-place "
                           f"operation.")
    if not overlap_ok and any(s == 0 and n > 1 for n, s in zip(t._shape, t._strides)):
        raise RuntimeError(f"{op}: unsupported operation: more than one element of the written-to tensor "
                           f"{desc(t)} (strides {list(t._strides)}) refers to a single memory location. "
                           f"Please clone() the tensor before performing the operation.")


def binary_(t, op, other):
    """t op= other (add, sub, mul, div) as one kernel writing into t, when no graph is
    involved, t is a contiguous float tensor and other is a number or a tensor of t's
    dtype, shape and device that is t itself or shares no memory with it. Returns None
    where the general path (the out-of-place op, then assign_) must decide."""
    dt = t._dtype
    if dt.category != 2 or dt in _dt.HALF or (is_grad_enabled() and t._requires_grad):
        return None
    if isinstance(other, Tensor):
        if (other._dtype is not dt or other._shape != t._shape or other._device != t._device
                or (is_grad_enabled() and other._requires_grad)):
            return None
        if other._buf is t._buf and (other._offset != t._offset or other._strides != t._strides):
            return None
    elif type(other) is float or type(other) is int:
        other = expand_view(scalar_tensor(other, dt, t._device), t._shape)
    else:
        return None
    if not t.is_contiguous():
        return None
    backend(t, op).binary(op, t, other, t)
    t._buf.version += 1
    return t


def assign_(t, value, op):
    """Writes value (broadcast to t.shape, cast to t.dtype) into t's memory.

    When value carries a graph, t takes over its place in the graph (PyTorch's rebase),
    so gradients flow as if the op had been out of place.
    """
    if not (is_grad_enabled() and (t._requires_grad or getattr(value, "_requires_grad", False))) and \
            _cpu_assign_new(t, value):  # no graph, same dtype and shape, separate CPU memory: copied in C++
        t._buf.version += 1
        return t
    check_write(t, op)
    if not isinstance(value, Tensor):
        from ._util import scalar_tensor as _st
        value = _st(value, t.dtype, t.device)
    same_device(op, t, value)
    if value.dtype.category > t.dtype.category:
        raise RuntimeError(f"{op}: result type {value.dtype.name} can't be cast to the desired output type "
                           f"{t.dtype.name}")
    try:
        shape = broadcast_shapes(op, value.shape, t.shape)
    except ValueError:
        shape = None
    if shape != tuple(t.shape):
        raise RuntimeError(f"{op}: output with shape {list(t.shape)} doesn't match the broadcast shape "
                           f"of {desc(value)}")
    graph = is_grad_enabled() and value.requires_grad
    if graph and t._base is not None and t._base.requires_grad:
        raise RuntimeError(f"{op}: in-place operations on a view of a tensor that requires grad are not "
                           f"supported by fastdl's autograd; use an out-of-place op")
    src = value
    if src._buf is t._buf and not (src._offset == t._offset and src._strides == t._strides):
        src = value.detach().clone()  # overlapping memory: read fully before writing
    backend(t, op).copy(expand_view(src.detach(), t.shape), t)
    t._buf.version += 1
    if graph:
        if value.shape != t.shape or value.dtype is not t.dtype:
            value = value.expand(t.shape).to(t.dtype)
        t._grad_fn, t._out_index, t._requires_grad = value._grad_fn, value._out_index, True
    return t
