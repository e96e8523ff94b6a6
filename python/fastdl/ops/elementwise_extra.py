"""More elementwise ops (torch names and rules), composed from the differentiable ops of
elementwise.py: hyperbolic functions and their inverses, trunc/frac/fmod, hypot,
logaddexp(2), xlogy, logit, nan_to_num, addcmul/addcdiv, deg2rad/rad2deg.

Where a plain composition would give a wrong or unstable gradient (asinh at 0, fmod's
divisor, hypot at the origin, logaddexp at infinities), the op is a small Function whose
forward is the composition and whose backward is torch's formula, written with Tensor ops
(so both run on CPU and CUDA tensors).
"""
import math

import numpy as np

from .. import dtypes as _dt
from ..autograd import Function, no_grad
from ..tensor import Tensor
from .. import _argcheck
from ._util import cast, check_tensor, desc, records_graph, scalar_tensor, unbroadcast
from .elementwise import (_UNARY_FN, binary_kernel, _maximum, abs, ceil, clamp, exp, expm1, floor, isnan, log, log1p, sigmoid,
                          sqrt, where, _check_int_div)
from ..amp import autocast_mode as _amp

_LN2 = math.log(2.0)


def _float_operand(op, x):
    """x as a floating tensor (ints and bools promoted to the default dtype, as torch's unary float ops do)."""
    check_tensor(op, x)
    if x.dtype.category == 3:  # (complex: an op with a complex meaning branches before this)
        from .complex_more import refuse
        refuse(op, x)
    return x if x.dtype.is_floating_point else cast(x, _dt.get_default_dtype())


def _promote2(op, a, b, float_result=False):
    """(A, B, dtype): a and b as tensors of their result dtype (numbers become 0-d tensors)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op}: expected at least one Tensor, got {type(a).__name__} and {type(b).__name__}")
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.device != b.device:
        raise RuntimeError(f"{op}: expected all tensors on the same device, got {desc(a)} and {desc(b)}")
    dt = _dt.result_type(a, b)
    if float_result and not dt.is_floating_point:
        dt = _dt.get_default_dtype()
    dev = a.device if isinstance(a, Tensor) else b.device
    A = cast(a, dt) if isinstance(a, Tensor) else scalar_tensor(a, dt, dev)
    B = cast(b, dt) if isinstance(b, Tensor) else scalar_tensor(b, dt, dev)
    return A, B, dt


class _Unary(Function):
    """forward: cls.fwd(x) without recording; backward: g * cls.deriv(x, out)."""

    @classmethod
    def forward(cls, ctx, x):
        with no_grad():
            out = cls.fwd(x)
        ctx.save_for_backward(x, out)
        return out

    @classmethod
    def backward(cls, ctx, g):
        x, out = ctx.saved_tensors
        return g * cls.deriv(x, out)


class _Binary(Function):
    """forward: cls.fwd(A, B) on the promoted operands; backward: cls.grads(g, A, B, out)
    reduced to each tensor operand's shape and dtype."""
    float_result = True

    @classmethod
    def forward(cls, ctx, a, b):
        A, B, _ = _promote2(cls.name, a, b, cls.float_result)
        with no_grad():
            out = cls.fwd(A, B)
        ctx.save_for_backward(A, B, out)
        ctx.metas = tuple((x.shape, x.dtype) if isinstance(x, Tensor) else None for x in (a, b))
        return out

    @classmethod
    def backward(cls, ctx, g):
        A, B, out = ctx.saved_tensors
        ga, gb = cls.grads(g, A, B, out)
        res = []
        for gx, meta in zip((ga, gb), ctx.metas):
            if meta is None or gx is None:
                res.append(None)
                continue
            gx = unbroadcast(gx.expand(g.shape) if tuple(gx.shape) != tuple(g.shape) else gx, meta[0])
            res.append(gx if gx.dtype is meta[1] else gx.to(meta[1]))
        return tuple(res)


# ---- hyperbolic ---------------------------------------------------------------------

def sinh(x):
    if isinstance(x, Tensor) and x.dtype.category == 3:
        from . import complex_more
        return complex_more.sinh(x)
    x = _float_operand("sinh", x)
    return (expm1(x) - expm1(-x)) * 0.5  # expm1: no cancellation near 0; d/dx = cosh


def cosh(x):
    if isinstance(x, Tensor) and x.dtype.category == 3:
        from . import complex_more
        return complex_more.cosh(x)
    x = _float_operand("cosh", x)
    return (exp(x) + exp(-x)) * 0.5


def _big(x):
    # beyond this, x*x overflows and asinh / acosh are log(2|x|) to working precision
    return 1e150 if x.dtype is _dt.float64 else 1e18


class _Asinh(_Unary):
    @staticmethod
    def fwd(x):
        a = abs(x)
        small = log1p(a + a * a / (sqrt(a * a + 1) + 1))
        y = where(a > _big(x), log(a) + _LN2, small)
        return where(x < 0, -y, y)

    @staticmethod
    def deriv(x, out):
        return 1 / sqrt(x * x + 1)


class _Acosh(_Unary):
    @staticmethod
    def fwd(x):
        t = x - 1
        small = log1p(t + sqrt(t * (x + 1)))  # accurate near 1; nan below 1
        small = where(x < 1, float("nan"), small)  # (t * (x + 1) overflows to +inf for x < -1e19 in float32)
        return where(x > _big(x), log(x) + _LN2, small)

    @staticmethod
    def deriv(x, out):
        return 1 / sqrt((x - 1) * (x + 1))


class _Atanh(_Unary):
    @staticmethod
    def fwd(x):
        return log1p(2 * x / (1 - x)) * 0.5  # +-inf at +-1, nan outside [-1, 1]

    @staticmethod
    def deriv(x, out):
        return 1 / ((1 - x) * (1 + x))


def asinh(x):
    if isinstance(x, Tensor) and x.dtype.category == 3:
        from . import complex_more
        return complex_more.asinh(x)
    return _Asinh.apply(_float_operand("asinh", x))


def acosh(x):
    if isinstance(x, Tensor) and x.dtype.category == 3:
        from . import complex_more
        return complex_more.acosh(x)
    return _Acosh.apply(_float_operand("acosh", x))


def atanh(x):
    if isinstance(x, Tensor) and x.dtype.category == 3:
        from . import complex_more
        return complex_more.atanh(x)
    return _Atanh.apply(_float_operand("atanh", x))


# ---- trunc / frac / fmod ------------------------------------------------------------

def trunc(x):
    from .complex_more import refuse_any  # torch refuses complex here too
    refuse_any("trunc", x)
    check_tensor("trunc", x)
    if not x.dtype.is_floating_point:
        if x.dtype.name == "bool":
            raise NotImplementedError("trunc: not implemented for bool tensors")
        return x.clone()  # integers are already whole (torch keeps the dtype)
    return where(x < 0, ceil(x), floor(x))


fix = trunc


def frac(x):
    check_tensor("frac", x)
    if not x.dtype.is_floating_point:
        raise TypeError(f"frac: not implemented for integer tensors, got {desc(x)}")
    with no_grad():
        t = trunc(x)
    return x - t  # d/dx = 1, as torch


class _Fmod(_Binary):
    name = "fmod"
    float_result = False

    @staticmethod
    def fwd(A, B):
        return binary_kernel("fmod", A, B)  # C fmod: the sign of the dividend

    @staticmethod
    def grads(g, A, B, out):
        if not A.dtype.is_floating_point:
            return None, None
        q = A / B
        return g, -g * where(q < 0, ceil(q), floor(q))


def fmod(a, b):
    if not _dt.result_type(a, b).is_floating_point:
        _check_int_div("fmod", b)
    return _Fmod.apply(a, b)


# ---- hypot / logaddexp / xlogy ------------------------------------------------------

class _Hypot(_Binary):
    name = "hypot"

    @staticmethod
    def fwd(A, B):
        return binary_kernel("hypot", A, B)  # without overflow; inf beside a NaN, as C

    @staticmethod
    def grads(g, A, B, out):
        safe = where(out == 0, 1.0, out)
        return where(out == 0, 0.0, g * A / safe), where(out == 0, 0.0, g * B / safe)


class _LogAddExp(_Binary):
    name = "logaddexp"
    scale = 1.0  # 1 for base e; ln 2 for base 2

    @classmethod
    def fwd(cls, A, B):
        m = _maximum(A, B)
        d = abs(A - B)
        out = m + log1p(exp(-d * cls.scale)) * (1.0 / cls.scale)
        # equal infinities: a - b is nan; the answer is that infinity
        return where(A == B, A + _LN2 / cls.scale, out)

    @classmethod
    def grads(cls, g, A, B, out):
        d = (A - B) * cls.scale
        d = where(isnan(d), 0.0, d)
        return g * sigmoid(d), g * sigmoid(-d)


class _LogAddExp2(_LogAddExp):
    name = "logaddexp2"
    scale = _LN2


class _Xlogy(_Binary):
    """x * log(y + shift), 0 where x is 0 unless y is NaN: xlogy (shift 0) and, as its
    subclass, special.xlog1py (shift 1, through log1p)."""
    name = "xlogy"
    shift = 0

    @classmethod
    def _log(cls, B):
        return log1p(B) if cls.shift else log(B)

    @classmethod
    def fwd(cls, A, B):
        out = where(A == 0, 0.0, A * cls._log(B))
        return where(isnan(B), float("nan"), out)

    @classmethod
    def grads(cls, g, A, B, out):
        return g * cls._log(B), g * A / (B + cls.shift if cls.shift else B)  # torch: d/dx is log(y) at x == 0 too


def _float_operands(op, a, b):
    """torch's {op}_cpu kernels take floating types only: two integer / bool tensors raise."""
    if isinstance(a, Tensor) and not _dt.result_type(a, b).is_floating_point:
        raise NotImplementedError(f"{op}: not implemented for {desc(a)} and {desc(b)} (integer or bool operands)")
    return b


def hypot(input, other):
    return _Hypot.apply(input, _float_operands("hypot", input, _argcheck.tensor("hypot", "other", other)))


def logaddexp(input, other):
    return _LogAddExp.apply(input, _float_operands("logaddexp", input, _argcheck.tensor("logaddexp", "other", other)))


def logaddexp2(input, other):
    return _LogAddExp2.apply(input, _float_operands("logaddexp2", input, _argcheck.tensor("logaddexp2", "other", other)))


def xlogy(a, b):
    from .complex_more import refuse_any  # torch refuses complex here too
    refuse_any("xlogy", a, b)
    return _Xlogy.apply(a, b)


# ---- logit / nan_to_num -------------------------------------------------------------

def logit(x, eps=None):
    from .complex_more import refuse_any  # torch refuses complex here too
    refuse_any("logit", x)
    x = _float_operand("logit", x)
    if eps is not None and eps == eps:  # a NaN eps clamps nothing (torch: as eps=None)
        x = clamp(x, float(eps), 1.0 - float(eps))
    return log(x / (1 - x))


_FMAX = {"float64": np.finfo(np.float64).max, "float32": np.finfo(np.float32).max,
         "float16": np.finfo(np.float16).max, "bfloat16": 3.3895313892515355e38}


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    check_tensor("nan_to_num", x)
    for name, v in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if v is not None and not isinstance(v, (int, float)):
            _argcheck.number("nan_to_num", name, v)  # torch: floats (or 0-d tensors), not tensors
    if not x.dtype.is_floating_point:
        return x.clone()
    big = float(_FMAX[x.dtype.name])
    posinf = big if posinf is None else float(posinf)
    neginf = -big if neginf is None else float(neginf)
    out = _UNARY_FN["nan_to_num"].apply(x, float(nan), posinf)  # -inf -> -posinf in the same pass
    if neginf != -posinf:
        out = where(x == float("-inf"), neginf, out)
    return out if out.dtype is x.dtype else out.to(x.dtype)


# ---- addcmul / addcdiv / angles -----------------------------------------------------

def _check_value(op, value, *ts):
    if isinstance(value, float) and not all(t.dtype.is_floating_point for t in ts if isinstance(t, Tensor)):
        raise TypeError(f"{op}: a float value ({value}) needs floating-point tensors, got "
                        + ", ".join(desc(t) for t in ts if isinstance(t, Tensor)))


def addcmul(input, tensor1, tensor2, value=1):
    if _amp.on and _amp.here(): return _amp.run("addcmul", addcmul, input, tensor1, tensor2, value)  # autocast
    _check_value("addcmul", value, input, tensor1, tensor2)
    prod = tensor1 * tensor2
    if (isinstance(input, Tensor) and isinstance(prod, Tensor) and not records_graph(input, prod)
            and prod._shape == input._shape and prod._dtype is input._dtype and prod._device == input._device):
        if value != 1:  # no graph: the same operations in the product's own memory
            prod.mul_(value)
        return prod.add_(input)
    return input + (prod if value == 1 else prod * value)


def addcdiv(input, tensor1, tensor2, value=1):
    if _amp.on and _amp.here(): return _amp.run("addcdiv", addcdiv, input, tensor1, tensor2, value)  # autocast
    for t in (tensor1, tensor2):
        if isinstance(t, Tensor) and not t.dtype.is_floating_point:
            raise RuntimeError(f"addcdiv: integer division of tensors is not supported (got {desc(t)}); "
                               f"use floating-point tensor1 and tensor2")
    q = tensor1 / tensor2
    return input + (q if value == 1 else q * value)


def deg2rad(x):
    from .complex_more import refuse_any  # torch refuses complex here too
    refuse_any("deg2rad", x)
    return _float_operand("deg2rad", x) * (math.pi / 180.0)


def rad2deg(x):
    from .complex_more import refuse_any  # torch refuses complex here too
    refuse_any("rad2deg", x)
    return _float_operand("rad2deg", x) * (180.0 / math.pi)
