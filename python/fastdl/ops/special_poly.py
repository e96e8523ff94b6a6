"""torch.special's orthogonal polynomials P_n(x): chebyshev_polynomial_t/u/v/w, their
shifted_ forms (argument 2x - 1), hermite_polynomial_h/he, laguerre_polynomial_l and
legendre_polynomial_p, with torch's rules (they are the spec, read from its kernels):

- n is truncated to an integer after promotion with x; n < 0 (and a NaN or infinite n)
  gives 0;
- the values at the ends (|x| = 1; 0 and 1 for the shifted forms) are exact integers;
- Chebyshev polynomials of larger n on (-1, 1) use the trigonometric closed form
  (cos(n acos x) ...), the rest the three-term recurrence in n, run for all elements at
  once up to the largest n that needs it (an element stops where its own n is reached);
- Hermite polynomials are NaN beyond n = 128 (float32) / 512 (float64), as torch.

Computed in float64 and rounded once; torch gives them no derivative (the result does
not require grad).
"""
import math

from .. import dtypes as _dt
from ..autograd import no_grad
from ._util import cast
from .elementwise import abs, cos, floor, isfinite, isnan, sin, where
from .elementwise_extra import _promote2, trunc
from .elementwise_more import acos
from .special_misc import no_half, write_out

_INT64_LIMIT = 9.2e18  # at or beyond, torch's cast to int64 wraps to a negative n


def _operands(op, x, n):
    """(x64, n64, dtype): broadcast float64 copies and the result dtype."""
    from .shape_more import broadcast_tensors
    X, N, dt = _promote2(op, x, n, float_result=True)
    no_half(op, dt, bfloat16_ok=True)
    x64, n64 = broadcast_tensors(cast(X.detach(), _dt.float64), cast(N.detach(), _dt.float64))
    nn = where(isfinite(n64) & (n64 < _INT64_LIMIT), trunc(n64), -1.0)
    return x64, nn, dt


def _even(nn):
    return nn - floor(nn * 0.5) * 2.0 == 0


def _recur(nn, need, p, q, step, first):
    """Run q_{k+1} = step(k, p_k, q_k) for k = first, first + 1, ... while some element
    with need has nn >= k + 2 - first (q then holds P_nn); each element stops at its own
    n, and the loop stops early once every active value is NaN (torch's loop does too)."""
    if not bool(need.any()):
        return q
    kmax = int(float(where(need, nn, 0.0).max()))
    for j, k in enumerate(range(first, kmax - 1 + first)):
        act = need & (nn >= k + 2 - first)
        r = step(float(k), p, q)
        p, q = where(act, q, p), where(act, r, q)
        if j % 32 == 31 and not bool((act & ~isnan(q)).any()):
            break
    return q


def _chebyshev(kind, y, nn, closed_from):
    """T/U/V/W (kind) of y; the shifted forms pass y = 2x - 1 and their own closed_from."""
    ends = abs(y) == 1.0
    pos, even = y > 0, _even(nn)
    closed = (nn > closed_from) & (abs(y) < 1.0)
    yc = where(closed, y, 0.5)
    th = acos(yc)
    if kind == "t":
        end = where(pos | even, 1.0, -1.0)
        trig = cos(nn * th)
        q1 = y
    elif kind == "u":
        end = where(pos | even, nn + 1.0, -(nn + 1.0))
        s = sin(th)
        trig = where(s != 0, sin((nn + 1.0) * th) / where(s != 0, s, 1.0), (nn + 1.0) * cos((nn + 1.0) * th) / yc)
        q1 = y + y
    elif kind == "v":
        end = where(pos, 1.0, where(even, 2.0 * nn + 1.0, -(2.0 * nn + 1.0)))
        trig = where(sin(th * 0.5) != 1.0, cos((nn + 0.5) * th) / cos(th * 0.5),
                     where(even, 2.0 * nn + 1.0, -(2.0 * nn + 1.0)))
        q1 = y + y - 1.0
    else:
        end = where(pos, 2.0 * nn + 1.0, where(even, 1.0, -1.0))
        c = cos(th * 0.5)
        trig = where(c != 1.0, sin((nn + 0.5) * th) / where(c != 1.0, sin(th * 0.5), 1.0),
                     where(pos, 2.0 * nn + 1.0, where(even, 1.0, -1.0)))
        q1 = y + y + 1.0
    need = ~ends & ~closed & (nn >= 2)
    y2 = y + y
    rec = _recur(nn, need, 1.0 + 0.0 * nn, q1 + 0.0 * nn, lambda k, p, q: y2 * q - p, 2)
    out = where(nn == 0, 1.0, where(nn == 1, q1, rec))
    out = where(closed, trig, out)
    out = where(ends, end, out)
    return where(nn < 0, 0.0, out)


def _hermite(x, nn, physicists, limit):
    if physicists:  # H: H_{k+1} = 2x H_k - 2k H_{k-1}
        q1 = x + x
        step = lambda k, p, q: q1 * q - (2.0 * k) * p  # noqa: E731
    else:  # He: He_{k+1} = x He_k - k He_{k-1}
        q1 = x
        step = lambda k, p, q: x * q - k * p  # noqa: E731
    need = (nn >= 2) & (nn <= limit)
    rec = _recur(nn, need, 1.0 + 0.0 * nn, q1 + 0.0 * nn, step, 1)
    out = where(nn > limit, math.nan, rec)
    out = where(nn == 0, 1.0, where(nn == 1, q1, out))
    return where(nn < 0, 0.0, out)


def _laguerre(x, nn):
    one_x = 1.0 - x
    need = (x != 0) & (nn >= 2)
    rec = _recur(nn, need, 1.0 + 0.0 * nn, one_x + 0.0 * nn, lambda k, p, q: ((2.0 * k + one_x) * q - k * p) / (k + 1.0), 1)
    out = where(nn == 0, 1.0, where(nn == 1, one_x, rec))
    out = where(x == 0, 1.0, out)
    return where(nn < 0, 0.0, out)


def _legendre(x, nn):
    ends = abs(x) == 1.0
    need = ~ends & (nn >= 2)
    rec = _recur(nn, need, 1.0 + 0.0 * nn, x + 0.0 * nn,
                 lambda k, p, q: ((2.0 * k + 1.0) * x * q - k * p) / (k + 1.0), 1)
    out = where(nn == 0, 1.0, where(nn == 1, x, rec))
    out = where(ends, where((x > 0) | _even(nn), 1.0, -1.0), out)
    return where(nn < 0, 0.0, out)


def _api(name, fn, doc):
    def api(x, n, *, out=None):
        x64, nn, dt = _operands(name, x, n)
        with no_grad():
            res = cast(fn(x64, nn, dt), dt)
        return write_out(res, out, name)
    api.__name__ = api.__qualname__ = name
    api.__doc__ = f"torch.special.{name}(x, n): {doc}"
    return api


def _herm_limit(dt):
    return 128 if dt is _dt.float32 else 512 if dt is _dt.float64 else 1024


chebyshev_polynomial_t = _api("chebyshev_polynomial_t", lambda x, n, dt: _chebyshev("t", x, n, 6),
                              "the Chebyshev polynomial of the first kind T_n(x).")
chebyshev_polynomial_u = _api("chebyshev_polynomial_u", lambda x, n, dt: _chebyshev("u", x, n, 8),
                              "the Chebyshev polynomial of the second kind U_n(x).")
chebyshev_polynomial_v = _api("chebyshev_polynomial_v", lambda x, n, dt: _chebyshev("v", x, n, 8),
                              "the Chebyshev polynomial of the third kind V_n(x).")
chebyshev_polynomial_w = _api("chebyshev_polynomial_w", lambda x, n, dt: _chebyshev("w", x, n, 8),
                              "the Chebyshev polynomial of the fourth kind W_n(x).")
shifted_chebyshev_polynomial_t = _api("shifted_chebyshev_polynomial_t",
                                      lambda x, n, dt: _chebyshev("t", x + x - 1.0, n, 6), "T*_n(x) = T_n(2x - 1).")
shifted_chebyshev_polynomial_u = _api("shifted_chebyshev_polynomial_u",
                                      lambda x, n, dt: _chebyshev("u", x + x - 1.0, n, 6), "U*_n(x) = U_n(2x - 1).")
shifted_chebyshev_polynomial_v = _api("shifted_chebyshev_polynomial_v",
                                      lambda x, n, dt: _chebyshev("v", x + x - 1.0, n, 6), "V*_n(x) = V_n(2x - 1).")
shifted_chebyshev_polynomial_w = _api("shifted_chebyshev_polynomial_w",
                                      lambda x, n, dt: _chebyshev("w", x + x - 1.0, n, 4), "W*_n(x) = W_n(2x - 1).")
hermite_polynomial_h = _api("hermite_polynomial_h", lambda x, n, dt: _hermite(x, n, True, _herm_limit(dt)),
                            "the physicists' Hermite polynomial H_n(x).")
hermite_polynomial_he = _api("hermite_polynomial_he", lambda x, n, dt: _hermite(x, n, False, _herm_limit(dt)),
                             "the probabilists' Hermite polynomial He_n(x).")
laguerre_polynomial_l = _api("laguerre_polynomial_l", lambda x, n, dt: _laguerre(x, n),
                             "the Laguerre polynomial L_n(x).")
legendre_polynomial_p = _api("legendre_polynomial_p", lambda x, n, dt: _legendre(x, n),
                             "the Legendre polynomial P_n(x).")

__all__ = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
           "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
           "legendre_polynomial_p"]
