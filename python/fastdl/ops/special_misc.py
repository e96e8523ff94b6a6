"""torch.special i0e, i1e, erfcx, zeta and round(decimals), composed from elementwise ops
(so they run on any device), plus the helpers the Bessel and polynomial files share.

Values are computed in float64 and rounded once to the operand's dtype (float32 results
are then within an ulp of the float64 ones). The Bessel-type series are Cephes' (the
same coefficients torch and scipy use); gradients are torch's formulas, written with
differentiable ops so they differentiate again.
"""
import math

from .. import dtypes as _dt
from ..autograd import Function, no_grad
from ..tensor import Tensor
from ._util import cast, check_tensor, unbroadcast
from .elementwise import abs, erfc, exp, floor, isnan, pow, sign, sqrt, where
from .elementwise import round as _round0
from .elementwise_extra import _Unary, _float_operand, _promote2

_INV_SQRTPI = 1.0 / math.sqrt(math.pi)


# ---- shared helpers -------------------------------------------------------------------

def no_half(op, dt, bfloat16_ok=False):
    """torch has no float16 (nor, for most of these, bfloat16) kernel: the same error."""
    if dt is _dt.float16 or (dt is _dt.bfloat16 and not bfloat16_ok):
        raise NotImplementedError(f"{op}: not implemented for '{dt.name}'")


def float64_of(op, input):
    """(x, x64): input as a floating tensor (ints/bools promoted to the default dtype, as
    torch does) and a detached float64 copy to compute on."""
    x = _float_operand(op, input)
    no_half(op, x.dtype)
    return x, cast(x.detach(), _dt.float64)


def chbevl(y, coeffs):
    """Cephes chbevl: sum' coeffs[i] T_i(y / 2), coefficients highest order first."""
    b0, b1, b2 = coeffs[0], 0.0, 0.0
    for c in coeffs[1:]:
        b2, b1 = b1, b0
        b0 = y * b1 - b2 + c
    return (b0 - b2) * 0.5


def polevl(y, coeffs):
    """Horner: coeffs[0] y^(n-1) + ... + coeffs[-1]."""
    out = coeffs[0]
    for c in coeffs[1:]:
        out = out * y + c
    return out


def p1evl(y, coeffs):
    """Horner with an implicit leading coefficient 1 (Cephes p1evl): y^n + coeffs[0] y^(n-1) + ..."""
    out = y + coeffs[0]
    for c in coeffs[1:]:
        out = out * y + c
    return out


def no_grad_result(op, input, fn):
    """fn(x64) rounded to the operand's float dtype, with no autograd link: torch's newer
    special functions (bessel_j0, the polynomials, ...) have no derivative and return a
    result that does not require grad."""
    x, x64 = float64_of(op, input)
    with no_grad():
        return cast(fn(x64), x.dtype)


# ---- i0e / i1e ----------------------------------------------------------------------

# Cephes i0e / i1e Chebyshev coefficients: [0, 8] in y = x/2 - 2, (8, inf) in 32/x - 2
I0E_A = (-4.41534164647933937950E-18, 3.33079451882223809783E-17, -2.43127984654795469359E-16,
         1.71539128555513303061E-15, -1.16853328779934516808E-14, 7.67618549860493561688E-14,
         -4.85644678311192946090E-13, 2.95505266312963983461E-12, -1.72682629144155570723E-11,
         9.67580903537323691224E-11, -5.18979560163526290666E-10, 2.65982372468238665035E-9,
         -1.30002500998624804212E-8, 6.04699502254191894932E-8, -2.67079385394061173391E-7,
         1.11738753912010371815E-6, -4.41673835845875056359E-6, 1.64484480707288970893E-5,
         -5.75419501008210370398E-5, 1.88502885095841655729E-4, -5.76375574538582365885E-4,
         1.63947561694133579842E-3, -4.32430999505057594430E-3, 1.05464603945949983183E-2,
         -2.37374148058994688156E-2, 4.93052842396707084878E-2, -9.49010970480476444210E-2,
         1.71620901522208775349E-1, -3.04682672343198398683E-1, 6.76795274409476084995E-1)
I0E_B = (-7.23318048787475395456E-18, -4.83050448594418207126E-18, 4.46562142029675999901E-17,
         3.46122286769746109310E-17, -2.82762398051658348494E-16, -3.42548561967721913462E-16,
         1.77256013305652638360E-15, 3.81168066935262242075E-15, -9.55484669882830764870E-15,
         -4.15056934728722208663E-14, 1.54008621752140982691E-14, 3.85277838274214270114E-13,
         7.18012445138366623367E-13, -1.79417853150680611778E-12, -1.32158118404477131188E-11,
         -3.14991652796324136454E-11, 1.18891471078464383424E-11, 4.94060238822496958910E-10,
         3.39623202570838634515E-9, 2.26666899049817806459E-8, 2.04891858946906374183E-7,
         2.89137052083475648297E-6, 6.88975834691682398426E-5, 3.36911647825569408990E-3,
         8.04490411014108831608E-1)
I1E_A = (2.77791411276104639959E-18, -2.11142121435816608115E-17, 1.55363195773620046921E-16,
         -1.10559694773538630805E-15, 7.60068429473540693410E-15, -5.04218550472791168711E-14,
         3.22379336594557470981E-13, -1.98397439776494371520E-12, 1.17361862988909016308E-11,
         -6.66348972350202774223E-11, 3.62559028155211703701E-10, -1.88724975172282928790E-9,
         9.38153738649577178388E-9, -4.44505912879632808065E-8, 2.00329475355213526229E-7,
         -8.56872026469545474066E-7, 3.47025130813767847674E-6, -1.32731636560394358279E-5,
         4.78156510755005422638E-5, -1.61760815825896745588E-4, 5.12285956168575772895E-4,
         -1.51357245063125314899E-3, 4.15642294431288815669E-3, -1.05640848946261981558E-2,
         2.47264490306265168283E-2, -5.29459812080949914269E-2, 1.02643658689847095384E-1,
         -1.76416518357834055153E-1, 2.52587186443633654823E-1)
I1E_B = (7.51729631084210481353E-18, 4.41434832307170791151E-18, -4.65030536848935832153E-17,
         -3.20952592199342395980E-17, 2.96262899764595013876E-16, 3.30820231092092828324E-16,
         -1.88035477551078244854E-15, -3.81440307243700780478E-15, 1.04202769841288027642E-14,
         4.27244001671195135429E-14, -2.10154184277266431302E-14, -4.08355111109219731823E-13,
         -7.19855177624590851209E-13, 2.03562854414708950722E-12, 1.41258074366137813316E-11,
         3.25260358301548823856E-11, -1.89749581235054123450E-11, -5.58974346219658380687E-10,
         -3.83538038596423702205E-9, -2.63146884688951950684E-8, -2.51223623787020892529E-7,
         -3.88256480887769039346E-6, -1.10588938762623716291E-4, -9.76109749136146840777E-3,
         7.78576235018280120474E-1)


def _scaled_bessel_i(x, small, large, odd):
    """Cephes i0e (odd False) / i1e (odd True) of a float64 tensor: exp(-|x|) I_n(x)."""
    ax = abs(x)
    near = ax <= 8.0
    a = where(near, ax, 8.0)
    b = where(near, 8.0, ax)
    lo = chbevl(a * 0.5 - 2.0, small)
    if odd:
        lo = lo * a
    hi = chbevl(32.0 / b - 2.0, large) / sqrt(b)
    out = where(near, lo, hi)
    out = where(isnan(x), x, out)
    return out * sign(x) if odd else out


def i0e_values(x64):
    return _scaled_bessel_i(x64, I0E_A, I0E_B, False)


def i1e_values(x64):
    return _scaled_bessel_i(x64, I1E_A, I1E_B, True)


class _Float64Unary(_Unary):
    """elementwise_extra's _Unary with cls.values computed on a float64 copy, rounded once."""

    @classmethod
    def fwd(cls, x):
        return cast(cls.values(cast(x.detach(), _dt.float64)), x.dtype)


class _I0e(_Float64Unary):
    values = staticmethod(i0e_values)

    @staticmethod
    def deriv(x, out):  # i0e' = i1e - sgn(x) i0e
        return _I1e.apply(x) - sign(x) * out


class _I1e(_Float64Unary):
    values = staticmethod(i1e_values)

    @staticmethod
    def deriv(x, out):  # i1e' = i0e - i1e (sgn(x) + 1/x), 1/2 at 0
        zero = x == 0
        return where(zero, 0.5, _I0e.apply(x) - out * (sign(x) + 1.0 / where(zero, 1.0, x)))


def i0e(input, *, out=None):
    """torch.special.i0e: exp(-|x|) I0(x), the exponentially scaled modified Bessel function of order 0."""
    return write_out(_I0e.apply(_float_operand("i0e", input)), out, "i0e")


def i1e(input, *, out=None):
    """torch.special.i1e: exp(-|x|) I1(x), the exponentially scaled modified Bessel function of order 1."""
    return write_out(_I1e.apply(_float_operand("i1e", input)), out, "i1e")


# ---- erfcx --------------------------------------------------------------------------

def erfcx_values(x):
    """exp(x^2) erfc(x) of a float64 tensor. Below 10 the product itself (for x < 0,
    erfc(x) = 2 - erfc(-x) is in [1, 2]; exp(x^2) overflows to inf below -26.6 as torch's
    does); from 10 the continued fraction 1 / (sqrt(pi) (x + 1/2 / (x + 1 / (x + 3/2 / ...)))),
    40 levels (converged to 1e-17 there), which never underflows (erfcx(x) ~ 1/(x sqrt pi))."""
    big = x >= 10.0
    xs = where(big, 10.0, x)
    direct = exp(xs * xs) * erfc(xs)
    xb = where(big, x, 10.0)
    f = xb
    for k in range(40, 0, -1):
        f = xb + (k * 0.5) / f
    cf = _INV_SQRTPI / f
    return where(big, cf, direct)


class _Erfcx(_Float64Unary):
    values = staticmethod(erfcx_values)

    @staticmethod
    def deriv(x, out):  # erfcx' = 2 x erfcx(x) - 2 / sqrt(pi)
        return x * out * 2.0 - 2.0 * _INV_SQRTPI


def erfcx(input, *, out=None):
    """torch.special.erfcx: the scaled complementary error function exp(x^2) erfc(x)."""
    x = _float_operand("erfcx", input)
    no_half("erfcx", x.dtype)
    return write_out(_Erfcx.apply(x), out, "erfcx")


# ---- zeta ---------------------------------------------------------------------------

# Euler-Maclaurin: (2k)! / B_2k (Cephes zeta.c)
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
           -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
           1.8152105401943546773e17, -7.1661652561756670113e18)


def zeta_values(x, q):
    """The Hurwitz zeta function sum_k (k + q)^-x (Cephes' method: N direct terms with
    q + N > 9, then the Euler-Maclaurin tail) of broadcast float64 tensors. torch's
    special values: inf at x = 1, NaN for x < 1, inf for q a non-positive integer, NaN for
    q < 0 with x not an integer."""
    from .shape_more import broadcast_tensors
    x, q = broadcast_tensors(x, q)
    finite_q = where(isnan(q) | (abs(q) == math.inf), 1.0, q)
    n_terms = 9
    if q.numel():
        n_terms = max(9, int(math.floor(9.0 - float(finite_q.min()))) + 1)
    s = pow(q, -x)
    for k in range(1, n_terms + 1):  # a loop over the few terms (q < 0 adds more)
        s = s + pow(q + float(k), -x)
    direct = s  # x = inf: terms 0, 1 or inf; Cephes stops at a positive sum, else its tail is inf * 0
    w = q + float(n_terms)
    b = pow(w, -x)
    s = s + b * w / (x - 1.0) - 0.5 * b
    a, kk = 1.0, 0.0
    for coef in _ZETA_A:
        a = a * (x + kk)
        b = b / w
        s = s + a * b / coef
        kk += 1.0
        a = a * (x + kk)
        b = b / w
        kk += 1.0
    s = where(x == math.inf, where(direct > 0, direct, math.nan), s)
    nonpos = q <= 0
    s = where(nonpos & (x != floor(x)), math.nan, s)
    s = where(nonpos & (q == floor(q)), math.inf, s)
    s = where(x < 1.0, math.nan, s)
    s = where(x == 1.0, math.inf, s)
    return where(isnan(x) | isnan(q), math.nan, s)


class _Zeta(Function):
    """d/dq zeta(x, q) = -x zeta(x + 1, q); torch has no derivative in x and raises."""

    @staticmethod
    def forward(ctx, x, q):
        with no_grad():
            out = cast(zeta_values(cast(x.detach(), _dt.float64), cast(q.detach(), _dt.float64)), x.dtype)
        ctx.save_for_backward(x, q)
        ctx.x_requires_grad = x.requires_grad
        return out

    @staticmethod
    def backward(ctx, g):
        if ctx.x_requires_grad:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        x, q = ctx.saved_tensors
        gq = g * -x * _Zeta.apply(x + 1.0, q)
        return None, unbroadcast(gq, q.shape)


def zeta(input, other, *, out=None):
    """torch.special.zeta(input, other): the Hurwitz zeta function sum_k (k + other)^-input."""
    x, q, dt = _promote2("zeta", input, other, float_result=True)
    no_half("zeta", dt, bfloat16_ok=True)
    return write_out(_Zeta.apply(x, q), out, "zeta")


# ---- round --------------------------------------------------------------------------

def round(input, *, decimals=0, out=None):
    """torch.round / torch.special.round: round half to even, to `decimals` decimal places
    (x * 10^d rounded, then divided back; negative decimals round to tens, hundreds ...)."""
    check_tensor("round", input)
    if isinstance(decimals, bool) or not isinstance(decimals, int):
        raise TypeError(f"round: decimals must be an int, got {type(decimals).__name__}")
    if decimals == 0:
        return write_out(_round0(input), out, "round")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"round: decimals is not implemented for {input.dtype.name} tensors")
    if decimals > 0:
        scale = 10.0 ** decimals
        res = _round0(input * scale) / scale
    else:
        scale = 10.0 ** -decimals
        res = _round0(input / scale) * scale
    return write_out(res, out, "round")


def write_out(res, out, op):
    if out is None:
        return res
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}: out must be a Tensor, got {type(out).__name__}")
    if tuple(out.shape) != tuple(res.shape):
        raise RuntimeError(f"{op}: out has shape {list(out.shape)}, expected {list(res.shape)}")
    with no_grad():
        out.copy_(res)
    return out


__all__ = ["i0e", "i1e", "erfcx", "zeta", "round"]
