"""More elementwise ops with torch's names and rules: tan / asin / acos / atan / exp2 (rows
of elementwise.py's UNARY table), the numpy-style aliases, clamp_min / clamp_max,
float_power, copysign, heaviside, fmax / fmin, ldexp, frexp, nextafter, gcd / lcm, the
bitwise ops, signbit / sgn / isneginf / isposinf / isreal and the dtype predicates.

Kernels are rows of csrc/common/elementwise_ops.h (so CUDA has them too); the rest is a
composition of differentiable ops. Bool operands of the bitwise ops go to the logical ops.
"""
from collections import namedtuple

from .. import dtypes as _dt
from ..autograd import Function, no_grad
from ..tensor import Tensor
from ._util import check_tensor, desc
from .. import _argcheck
from .elementwise import (_UNARY_FN, _grad_meta, _logical_and, _logical_or, _logical_xor, _meta, _unary_api, abs, atan2, binary_kernel, clamp, div, eq, ge, gt,
                          isnan, le, logical_and, logical_not, logical_or, logical_xor, lt, mul, ne, neg, ones_bool,
                          pow, sign, sub, unary_kernel, where, zeros_bool)
from .elementwise_extra import acosh, asinh, atanh


class DtypeError(TypeError, NotImplementedError):
    """An op given a dtype it has no kernel for: a TypeError, and the NotImplementedError
    that torch raises there ("bitwise_and_cpu" not implemented for 'Float')."""


# ---- unary kernels and aliases --------------------------------------------------------

TRIG_METHODS = ("tan", "asin", "acos", "atan", "exp2")  # Tensor methods: the Function's apply (_methods.py)
tan, asin, acos, atan, exp2 = (_unary_api(n) for n in TRIG_METHODS)

arcsin, arccos, arctan, arctan2, arcsinh, arccosh, arctanh = asin, acos, atan, atan2, asinh, acosh, atanh
absolute, negative, multiply, subtract, divide = abs, neg, mul, sub, div
not_equal, greater, greater_equal, less, less_equal = ne, gt, ge, lt, le


def true_divide(a, b):
    return div(a, b)


def positive(x):
    check_tensor("positive", x)
    if x.dtype is _dt.bool_:
        raise TypeError("positive: the `+` operator on a bool tensor is not supported; use logical ops")
    return x


def sgn(x):
    if x.dtype.category == 3:
        from .complex_math import sgn as complex_sgn
        return complex_sgn(x)
    return sign(x)


def clamp_min(x, min):
    return clamp(x, min=min)


def clamp_max(x, max):
    return clamp(x, max=max)


# ---- binary ----------------------------------------------------------------------------

def _no_int(op, dt):
    if not dt.is_floating_point:
        raise DtypeError(f"{op}: expected floating point operands, got {dt.name}")


def float_power(input, exponent):
    """pow in float64, whatever the operands' dtypes (torch.float_power)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError(f"float_power: expected at least one Tensor, got {type(input).__name__} and "
                        f"{type(exponent).__name__}")
    if any(isinstance(v, complex) or (isinstance(v, Tensor) and v.dtype.category == 3) for v in (input, exponent)):
        wide = _dt.complex128  # complex operands: pow in complex128 (torch)
        a = input.to(wide) if isinstance(input, Tensor) else complex(input)
        b = exponent.to(wide) if isinstance(exponent, Tensor) else exponent
        return pow(a, b)
    a = input.to(_dt.float64) if isinstance(input, Tensor) else float(input)
    b = exponent.to(_dt.float64) if isinstance(exponent, Tensor) else float(exponent)
    return pow(a, b)


class Copysign(Function):
    """|a| with b's sign; d/da = out / a (0 where a = 0), d/db = 0 (torch's formulas)."""

    @staticmethod
    def forward(ctx, a, b):
        out = binary_kernel("copysign", a, b, float_result=True)
        ctx.inputs_meta = (_meta(a), _meta(b))
        ctx.save_for_backward(a if isinstance(a, Tensor) else None, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        ma, mb = ctx.inputs_meta
        ga = gb = None
        if ma is not None:
            ga = _grad_meta(g * where(a == 0, 0.0, out / where(a == 0, 1.0, a)), ma)
        if mb is not None:
            gb = _grad_meta(g * 0.0, mb)
        return ga, gb


def copysign(input, other):
    from .complex_more import refuse_any  # torch refuses complex here too
    refuse_any("copysign", input, other)
    return Copysign.apply(input, other)


class _FMaxMin(Function):
    """fmax / fmin: NaN-ignoring; the gradient goes to input where it wins or ties or other
    is NaN, else to other (torch's fmax / fmin backward)."""
    op = None

    @classmethod
    def forward(cls, ctx, a, b):
        if _dt.result_type(a, b) is _dt.bool_:  # two bools: or / and, as maximum / minimum
            return (_logical_or if cls.op == "fmax" else _logical_and)(a, b)
        out = binary_kernel(cls.op, a, b)
        ctx.inputs_meta = (_meta(a), _meta(b))
        ctx.save_for_backward(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None)
        ctx.scalars = (a, b)
        return out

    @classmethod
    def backward(cls, ctx, g):
        A, B = ctx.saved_tensors
        A = A if A is not None else ctx.scalars[0]
        B = B if B is not None else ctx.scalars[1]
        wins = (A >= B) if cls.op == "fmax" else (A <= B)
        if isinstance(B, Tensor):
            wins = logical_or(wins, isnan(B))
        elif B != B:
            wins = ones_bool(wins)
        ma, mb = ctx.inputs_meta
        ga = _grad_meta(where(wins, g, 0.0), ma) if ma else None
        gb = _grad_meta(where(wins, 0.0, g), mb) if mb else None
        return ga, gb


class FMax(_FMaxMin):
    op = "fmax"


class FMin(_FMaxMin):
    op = "fmin"


def fmax(input, other):
    return FMax.apply(input, _argcheck.tensor("fmax", "other", other))


def fmin(input, other):
    return FMin.apply(input, _argcheck.tensor("fmin", "other", other))


def heaviside(input, values):
    """0 where input < 0, values where input == 0, 1 where input > 0 (not differentiable)."""
    check_tensor("heaviside", input)
    check_tensor("heaviside", values, "values")
    if input.dtype is not values.dtype:
        raise RuntimeError(f"heaviside: input and values must have the same dtype, got {desc(input)} and "
                           f"{desc(values)}")
    with no_grad():
        return where(input == 0, values, gt(input, 0).to(input.dtype))


def ldexp(input, other):
    """input * 2**other, in input's floating dtype (or the default one)."""
    check_tensor("ldexp", input)
    _argcheck.tensor("ldexp", "other", other)
    dt = _dt.result_type(input, other)
    dt = dt if dt.is_floating_point or dt.category == 3 else _dt.get_default_dtype()
    scale = exp2(other.to(dt)) if isinstance(other, Tensor) else 2.0 ** other
    return mul(input, scale)


FrexpResult = namedtuple("frexp", ["mantissa", "exponent"])


class _FrexpMantissa(Function):
    @staticmethod
    def forward(ctx, x, e):
        ctx.save_for_backward(e)
        return unary_kernel("frexp_mantissa", x)

    @staticmethod
    def backward(ctx, g):
        e, = ctx.saved_tensors
        return g / exp2(e), None


def frexp(input):
    """(mantissa, exponent) with input = mantissa * 2**exponent, |mantissa| in [0.5, 1).
    The exponent is int32, as torch's."""
    check_tensor("frexp", input)
    if not input.dtype.is_floating_point:
        raise DtypeError(f"frexp: only supports floating-point dtypes, got {desc(input)}")
    e = unary_kernel("frexp_exponent", input.detach())
    return FrexpResult(_FrexpMantissa.apply(input, e), e.to(_dt.int32))


def nextafter(input, other):
    """The next representable value after input towards other (not differentiable)."""
    _argcheck.tensor("nextafter", "other", other)
    _no_int("nextafter", _dt.result_type(input, other))
    return binary_kernel("nextafter", input, other)


# ---- integer ops -----------------------------------------------------------------------

def _int_op(op, a, b, bool_op=None):
    """binary_kernel(op) on integer operands; bools go to bool_op (when it exists)."""
    dt = _dt.result_type(a, b)
    if dt.is_floating_point:
        raise DtypeError(f"{op}: not implemented for floating point operands ({desc(a)}, {desc(b)})")
    if dt is _dt.bool_:
        if bool_op is None:
            raise DtypeError(f"{op}: not implemented for bool operands ({desc(a)}, {desc(b)})")
        return bool_op(a, b)
    return binary_kernel(op, a, b)


def bitwise_and(input, other):
    return _int_op("bitwise_and", input, other, _logical_and)


def bitwise_or(input, other):
    return _int_op("bitwise_or", input, other, _logical_or)


def bitwise_xor(input, other):
    return _int_op("bitwise_xor", input, other, _logical_xor)


def bitwise_not(input):
    check_tensor("bitwise_not", input)
    if input.dtype is _dt.bool_:
        return logical_not(input)
    if input.dtype.is_floating_point:
        raise DtypeError(f"bitwise_not: not implemented for floating point operands ({desc(input)})")
    return binary_kernel("bitwise_xor", input, -1)  # ~x = x ^ (all ones)


def bitwise_left_shift(input, other):
    return _int_op("bitwise_left_shift", input, other)


def bitwise_right_shift(input, other):
    return _int_op("bitwise_right_shift", input, other)


def gcd(input, other):
    return _int_op("gcd", input, _argcheck.tensor("gcd", "other", other))


def lcm(input, other):
    out = _int_op("lcm", input, _argcheck.tensor("lcm", "other", other))
    # torch takes |a / gcd * b| in the int32 result itself, so an overflow wraps before the
    # abs (int8 / int16 compute in C++'s int and wrap after it, as the int64 kernel here does)
    return abs(out) if out.dtype is _dt.int32 else out


# ---- predicates ------------------------------------------------------------------------

def signbit(input):
    """True where the sign bit is set: -0.0 and -nan included (via copysign)."""
    check_tensor("signbit", input)
    if input.dtype is _dt.bool_:
        return zeros_bool(input)
    if not input.dtype.is_floating_point:
        return lt(input, 0)
    with no_grad():
        return lt(binary_kernel("copysign", 1.0, input), 0)


def isposinf(input):
    from .complex_more import refuse_any  # torch refuses complex here too
    refuse_any("isposinf", input)
    check_tensor("isposinf", input)
    return eq(input, float("inf")) if input.dtype.is_floating_point else zeros_bool(input)


def isneginf(input):
    from .complex_more import refuse_any  # torch refuses complex here too
    refuse_any("isneginf", input)
    check_tensor("isneginf", input)
    return eq(input, float("-inf")) if input.dtype.is_floating_point else zeros_bool(input)


def isreal(input):
    check_tensor("isreal", input)
    if input.dtype.category == 3:
        return input.imag == 0
    return ones_bool(input)


def is_complex(input):
    check_tensor("is_complex", input)
    return input.dtype.category == 3


def is_floating_point(input):
    check_tensor("is_floating_point", input)
    return input.dtype.is_floating_point


def is_signed(input):
    check_tensor("is_signed", input)
    return input.dtype not in (_dt.bool_, _dt.uint8)


def is_nonzero(input):
    check_tensor("is_nonzero", input)
    n = input.numel()
    if n != 1:
        raise RuntimeError(f"is_nonzero: Boolean value of Tensor with {'no values' if n == 0 else 'more than one value'}"
                           f" is ambiguous ({desc(input)})")
    return bool(input.item() != 0)


# ---- in-place variants: Tensor.X_ = the op, then assign_ (_methods.py installs them) -----

def _float_power_(self, exponent):
    if self.dtype is not _dt.float64:
        raise RuntimeError(f"float_power_: the base has dtype {self.dtype.name} but the result requires float64")
    return float_power(self, exponent)


INPLACE = {name + "_": fn for name, fn in [
    ("tan", tan), ("asin", asin), ("acos", acos), ("atan", atan), ("exp2", exp2), ("arcsin", asin),
    ("arccos", acos), ("arctan", atan), ("arctan2", atan2), ("atan2", atan2), ("arcsinh", asinh),
    ("arccosh", acosh), ("arctanh", atanh), ("clamp_min", clamp_min), ("clamp_max", clamp_max),
    ("copysign", copysign), ("heaviside", heaviside), ("ldexp", ldexp), ("nextafter", nextafter), ("gcd", gcd),
    ("lcm", lcm), ("sgn", sgn), ("absolute", abs), ("negative", neg), ("multiply", mul), ("subtract", sub),
    ("divide", div), ("true_divide", true_divide), ("not_equal", ne), ("greater", gt), ("greater_equal", ge),
    ("less", lt), ("less_equal", le), ("eq", eq), ("ne", ne), ("lt", lt), ("le", le), ("gt", gt), ("ge", ge),
    ("logical_and", logical_and), ("logical_or", logical_or), ("logical_xor", logical_xor),
    ("logical_not", logical_not), ("bitwise_and", bitwise_and), ("bitwise_or", bitwise_or),
    ("bitwise_xor", bitwise_xor), ("bitwise_not", bitwise_not), ("bitwise_left_shift", bitwise_left_shift),
    ("bitwise_right_shift", bitwise_right_shift), ("float_power", _float_power_)]}

# methods whose first argument is the tensor itself (besides TRIG_METHODS)
METHODS = """arcsin arccos arctan arctan2 arcsinh arccosh arctanh clamp_min clamp_max float_power copysign heaviside
fmax fmin ldexp frexp nextafter gcd lcm signbit sgn isneginf isposinf isreal is_complex is_nonzero is_signed
absolute negative positive multiply subtract divide true_divide not_equal greater greater_equal less less_equal
bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift""".split()
