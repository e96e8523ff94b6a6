"""Arithmetic on complex64 / complex128 tensors, composed from real ops on their parts.

No kernel computes in complex: each op splits its operands into real parts (views
through view_as_real), combines them with the float kernels and reassembles the result
with view_as_complex. The compositions are differentiable, so gradients follow torch's
convention (z.grad = dL/d(re z) + i dL/d(im z)) without a backward formula of their own.

The existing Functions (Add, Mul, the unary table, _Sum ...) take complex operands through
`route`: their forward runs the composition (grad off, as any forward), and their
backward differentiates it again (autograd.backward_by_reforward), so `a * b`, `z.exp()`
and `z.sum()` keep their one C++ / Python path for real tensors and cost nothing more.
Ops without a complex meaning (relu, max, <, floor ...) raise a TypeError naming the op.
"""
import cmath as _cmath
import math as _math
from .. import dtypes as _dt
from ..autograd import backward_by_reforward, enable_grad, grad as _grad, is_grad_enabled
from ..tensor import Tensor
from ._util import desc
from .complex_views import from_parts, is_complex_dtype, view_as_real

__all__ = []


def _has_complex(args):
    for a in args:
        if isinstance(a, Tensor):
            if a._dtype.category == 3:
                return True
        elif isinstance(a, complex):
            return True
    return False


def refuse(op, *args):
    """The TypeError of an op that does not take complex operands."""
    d = next((desc(a) for a in args if is_complex_dtype(a)), "complex")
    raise TypeError(f"{op}: not supported for complex tensors, got {d}")


def route(fn_cls, reference):
    """Makes Function fn_cls compute complex operands as reference(*args) (forward) and
    differentiate that composition again in backward; real operands run as before."""
    fwd, bwd = fn_cls.forward, fn_cls.backward

    def forward(ctx, *args):
        if _has_complex(args):
            ctx._complex = (reference, args)
            return reference(*args)
        return fwd(ctx, *args)

    def backward(ctx, *grads):
        saved = ctx.__dict__.get("_complex")  # (no AttributeError raised and caught per real backward)
        if saved is not None:
            return _reforward(saved[0], saved[1], grads)
        return bwd(ctx, *grads)
    fn_cls.forward, fn_cls.backward = staticmethod(forward), staticmethod(backward)


def _reforward(reference, inputs, grads):
    """The gradients of reference(*inputs) weighted by grads: recorded (create_graph) by
    autograd.backward_by_reforward, else through detached copies of the inputs."""
    if is_grad_enabled():
        return backward_by_reforward(reference, inputs, grads)
    needs = [isinstance(t, Tensor) and t.requires_grad for t in inputs]
    leaves = [t.detach().requires_grad_(True) if n else t for t, n in zip(inputs, needs)]
    with enable_grad():
        outs = reference(*leaves)
    outs = outs if isinstance(outs, tuple) else (outs,)
    pairs = [(o, g) for o, g in zip(outs, grads) if g is not None and o.requires_grad]
    wrt = [t for t, n in zip(leaves, needs) if n]
    gs = iter(_grad([o for o, _ in pairs], wrt, [g for _, g in pairs], allow_unused=True)
              if pairs and wrt else [None] * len(wrt))
    return tuple(next(gs) if n else None for n in needs)


# ---- parts ----------------------------------------------------------------------------

def parts(x):
    """(re, im) of a tensor or number; im is None for a real one (zero, skipped)."""
    if isinstance(x, Tensor):
        if x._dtype.category == 3:
            r = view_as_real(x)
            return r.select(-1, 0), r.select(-1, 1)
        return x, None
    if isinstance(x, complex):
        return x.real, x.imag
    return x, None


def _real_of(x, rd):
    """A real part as dtype rd (a number stays a number)."""
    if isinstance(x, Tensor) and x._dtype is not rd:
        return x.to(rd)
    return x


def _add(a, b):
    return b if a is None else a if b is None else a + b


def _sub(a, b):
    return a if b is None else (-b if a is None else a - b)


def _mul(a, b):
    return None if a is None or b is None else a * b


def _split2(a, b):
    dt = _dt.result_type(a, b)
    rd = _dt.to_real(dt)
    (ar, ai), (br, bi) = parts(a), parts(b)
    return dt, [_real_of(p, rd) if p is not None else None for p in (ar, ai, br, bi)]


# ---- arithmetic (the references of Add, Sub, Mul, Div, Pow and the unary ops) ---------

def add(a, b):
    dt, (ar, ai, br, bi) = _split2(a, b)
    return from_parts(_add(ar, br), _add(ai, bi), dt)


def sub(a, b):
    dt, (ar, ai, br, bi) = _split2(a, b)
    return from_parts(_sub(ar, br), _sub(ai, bi), dt)


def mul(a, b):
    dt, (ar, ai, br, bi) = _split2(a, b)
    return from_parts(_sub(_mul(ar, br), _mul(ai, bi)), _add(_mul(ar, bi), _mul(ai, br)), dt)


def div(a, b):
    dt, (ar, ai, br, bi) = _split2(a, b)
    if bi is None:  # a real divisor: each part divided
        return from_parts(ar / br, None if ai is None else ai / br, dt)
    den = br * br + bi * bi  # (a * conj(b)) / |b|^2
    return from_parts(_add(_mul(ar, br), _mul(ai, bi)) / den, _sub(_mul(ai, br), _mul(ar, bi)) / den, dt)


def neg(x, *_):
    re, im = parts(x)
    return from_parts(-re, -im, x._dtype)


def conj(x):
    """torch.conj (a new tensor here: torch's is a lazy view with is_conj() set, fastdl's a
    copy, so is_conj() stays False and resolve_conj() is the tensor itself)."""
    re, im = parts(x)
    return from_parts(re, -im, x._dtype) if im is not None else x


conj_physical = conj


def abs(x, *_):
    if x._dtype.category != 3:
        return x.abs()
    re, im = parts(x)
    from .elementwise_extra import hypot
    return hypot(re, im)


def angle(x):
    if x._dtype.category != 3:  # torch: pi for negative reals, 0 otherwise (NaN stays NaN)
        from .elementwise import where
        xf = x if x._dtype.is_floating_point else x.to(_dt.get_default_dtype())
        return where(xf < 0, _math.pi, where(xf.isnan(), xf, 0.0))
    re, im = parts(x)
    from .elementwise import atan2, where
    # atan2's gradient is 0/0 at the origin; torch's is 0 there: a stand-in (1, 0) point
    # there, whose gradient `where` drops, plus the exact value (+-0, +-pi) without a graph
    zero = (re == 0).logical_and(im == 0)
    safe = atan2(where(zero, 0.0, im), where(zero, 1.0, re))
    return where(zero, atan2(im.detach(), re.detach()), safe)


def exp(x, *_):
    re, im = parts(x)
    m = re.exp()
    return from_parts(m * im.cos(), m * im.sin(), x._dtype)


def log(x, *_):
    re, im = parts(x)
    return from_parts(abs(x).log(), angle(x), x._dtype)


def _polar_pow(x, p):
    """x ** p for a real number p, through |x|^p and p * angle(x)."""
    r, t = abs(x), angle(x) * p
    m = r ** p
    return from_parts(m * t.cos(), m * t.sin(), x._dtype)


def sqrt(x, *_):
    return _polar_pow(x, 0.5)


def rsqrt(x, *_):
    return reciprocal(sqrt(x))


def reciprocal(x, *_):
    re, im = parts(x)
    den = re * re + im * im
    return from_parts(re / den, -im / den, x._dtype)


def square(x):
    return mul(x, x)


def sgn(x):
    """torch.sgn: x / |x| (0 where x is 0); sign for real tensors."""
    if x._dtype.category != 3:
        return x.sign()
    from .elementwise import where
    a = abs(x)
    safe = where(a == 0, 1.0, a)
    re, im = parts(x)
    return from_parts(re / safe, im / safe, x._dtype)


def pow(a, b):
    """a ** b: a complex base to a real number by square-and-multiply when the exponent is a
    small integer (exact, as torch's), else through |a|^b and b * angle(a); any other mix
    (a complex exponent, a tensor exponent, a number base) as exp(b log a)."""
    if isinstance(a, Tensor) and a._dtype.category == 3 and not isinstance(b, (Tensor, complex)):
        if float(b) == int(b) and builtin_abs(int(b)) <= 64:
            n, out, base = builtin_abs(int(b)), None, a
            while n:  # log2(n) products of whole tensors
                if n & 1:
                    out = base if out is None else mul(out, base)
                n >>= 1
                if n:
                    base = mul(base, base)
            if out is None:  # x ** 0 = 1
                return from_parts(parts(a)[0] * 0 + 1, None, a._dtype)
            return reciprocal(out) if b < 0 else out
        return _polar_pow(a, float(b))
    if isinstance(a, Tensor):
        dt = _dt.result_type(a, b)
        la = log(a if a._dtype is dt else a.to(dt))
    else:
        la = _cmath.log(a) if a != 0 else complex(float("-inf"), 0.0)
    return exp(mul(b, la))


builtin_abs = __builtins__["abs"] if isinstance(__builtins__, dict) else __builtins__.abs


def eq(a, b):
    _, (ar, ai, br, bi) = _split2(a, b)
    r = ar == br
    i = (ai if ai is not None else 0.0) == (bi if bi is not None else 0.0)
    if isinstance(i, Tensor):
        return r.logical_and(i)
    return r if i else r.logical_and(r.logical_not())


def ne(a, b):
    return eq(a, b).logical_not()


def isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """|a - b| <= atol + rtol |b| with the complex modulus (torch); NaN parts as NaN."""
    from .elementwise import logical_or
    d = abs(sub(a, b)) if isinstance(a, Tensor) or isinstance(b, Tensor) else None
    bb = abs(b) if isinstance(b, Tensor) else builtin_abs(b)
    close = logical_or(d <= atol + rtol * bb, eq(a, b))
    if equal_nan:
        an, bn = _isnan(a), _isnan(b)
        close = logical_or(close, an.logical_and(bn) if isinstance(bn, Tensor) else an & bn)
    return close


def _isnan(x):
    re, im = parts(x)
    if isinstance(re, Tensor):
        return re.isnan() if im is None else re.isnan().logical_or(im.isnan())
    return _math.isnan(re) or (im is not None and _math.isnan(im))


def matmul(a, b, op="matmul"):
    """The product of complex (or mixed) matrices: four real products."""
    from . import linalg
    fn = getattr(linalg, op)
    dt = _dt.result_type(a, b)
    rd = _dt.to_real(dt)
    (ar, ai), (br, bi) = parts(a), parts(b)
    ar, ai, br, bi = (None if p is None else p.to(rd) for p in (ar, ai, br, bi))
    mm = lambda x, y: None if x is None or y is None else fn(x, y)  # noqa: E731
    return from_parts(_sub(mm(ar, br), mm(ai, bi)), _add(mm(ar, bi), mm(ai, br)), dt)


def real_reduce(name):
    """sum-like reductions: the real op over the (..., 2) view, keeping its last dim."""
    def reference(x, dims, keepdim, dtype=None):
        from . import reduce as _red
        from .complex_views import view_as_complex
        r = view_as_real(x if dtype is None else x.to(dtype))
        out = getattr(_red, name)(r, dim=list(dims) if dims else list(range(x.ndim)), keepdim=keepdim) \
            if x.ndim else r
        return view_as_complex(out.contiguous())
    return reference

