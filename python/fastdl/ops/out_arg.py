"""torch's `out=` keyword for top-level functions whose fastdl front has none.

Only the `fastdl.X` names get it (a wrapper bound at the top level): the ops modules,
Tensor methods and operators keep their own functions, so the hot paths (`a + b`,
`a @ w`, `x.tanh()`) pay nothing. Semantics as torch's out= ops:
- out must be a Tensor (a tuple of Tensors for an op returning several);
- an out with zero elements is resized to the result's shape; any other shape raises
  (torch still resizes it with a deprecation warning: that is the deprecated part);
- the result dtype must cast to out's without going down a category (float -> int
  raises "result type Float can't be cast to the desired output type Long");
- with grad mode on, an argument or out that requires grad raises (torch: out= ops do not
  support automatic differentiation).
"""
import functools
import inspect

from ..autograd import is_grad_enabled, no_grad
from ..tensor import Tensor

# fastdl.X names for which torch takes out= (the fuzz driver's list of `out` gaps)
OUT_NAMES = (
    "abs", "absolute", "acos", "acosh", "add", "amax", "amin", "arccos", "arccosh", "arcsin", "arcsinh", "arctan",
    "arctan2", "arctanh", "argmax", "argmin", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "chain_matmul",
    "clamp", "clamp_max", "clamp_min", "clip", "copysign", "cos", "cosh", "cross", "deg2rad", "diag", "diff",
    "digamma", "div", "divide", "eq", "erf", "erfc", "erfinv", "exp", "exp2", "expm1", "fix", "floor",
    "floor_divide", "fmax", "fmin", "fmod", "frac", "ge", "greater", "greater_equal", "gt", "heaviside", "histc",
    "hypot", "i0", "inner", "kron", "ldexp", "le", "less", "less_equal", "lgamma", "log", "log10", "log1p", "log2",
    "logaddexp", "logaddexp2", "logical_and", "logical_not", "logical_or", "logical_xor", "logit", "lt", "matmul",
    "maximum", "mean", "minimum", "msort", "mul", "multiply", "mv", "nan_to_num", "nanmean", "nansum", "ne",
    "neg", "negative", "nextafter", "nonzero", "not_equal", "pow", "rad2deg", "reciprocal", "remainder", "rsqrt",
    "sgn", "sigmoid", "sign", "sin", "sinc", "sinh", "sqrt", "square", "std", "sub", "subtract", "tan", "tanh",
    "tensordot", "tril", "triu", "true_divide", "trunc", "var", "xlogy", "alias_copy", "detach_copy",
    "diagonal_copy", "slice_copy", "squeeze_copy", "t_copy", "slice_scatter", "max", "min", "hardshrink",
    "nuclear_norm", "sum", "prod", "cumsum", "cumprod", "mm", "bmm", "addmm", "dot", "outer", "where", "cat",
    "stack", "gather", "index_select", "masked_select", "sort", "topk", "logsumexp", "lerp", "addcmul", "addcdiv",
    "float_power", "gcd", "lcm", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "signbit", "isneginf",
    "isposinf", "frexp", "round", "cummax", "cummin", "median", "mode", "kthvalue", "take", "tril_indices",
)

# tutorial ports: the creation functions take out= too (torch.rand(2, 2, out=c))
OUT_NAMES += ("rand", "randn", "randint", "randperm", "zeros", "ones", "empty", "full", "arange", "linspace",
              "logspace", "eye")


def _write(op, res, out):
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if not isinstance(res, Tensor):
        raise TypeError(f"{op}(): out= needs a Tensor result, got {type(res).__name__}")
    if not res.dtype.category <= out.dtype.category:
        raise RuntimeError(f"{op}: result type {res.dtype.name} can't be cast to the desired output type "
                           f"{out.dtype.name}")
    if out.device != res.device:
        raise RuntimeError(f"{op}: expected out on {res.device}, got out on {out.device}")
    if tuple(out.shape) != tuple(res.shape):
        if out.numel() != 0:
            raise RuntimeError(f"{op}: out has shape {list(out.shape)}, expected {list(res.shape)} (torch's resizing "
                               f"of a non-empty out is deprecated; pass an out of zero elements to have it resized)")
        out.resize_(tuple(res.shape))
    with no_grad():
        out.copy_(res)
    return out


def _requires_grad(objs):
    for o in objs:
        if isinstance(o, Tensor) and o.requires_grad:
            return True
        if isinstance(o, (tuple, list)) and _requires_grad(o):
            return True
    return False


def with_out(fn, op):
    """fn(*args, **kw) plus torch's out= keyword."""
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kw):
        if out is None:
            return fn(*args, **kw)
        outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        if is_grad_enabled() and _requires_grad(args + tuple(kw.values()) + outs):
            raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic "
                               f"differentiation, but one of the arguments requires grad.")
        res = fn(*args, **kw)
        if isinstance(out, (tuple, list)):
            if not isinstance(res, tuple) or len(res) != len(out):
                raise TypeError(f"{op}(): out must be a Tensor here, got a {type(out).__name__} of {len(out)}")
            for r, o in zip(res, out):
                _write(op, r, o)
            return type(res)(*out) if hasattr(res, "_fields") else tuple(out)
        if isinstance(res, tuple):
            raise TypeError(f"{op}(): out must be a tuple of {len(res)} Tensors, got {type(out).__name__}")
        return _write(op, res, out)
    wrapper.__wrapped_no_out__ = fn
    return wrapper


def _takes_out(fn):
    try:
        return "out" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # a builtin without a signature: leave it
        return True


_WRAPPED = {}  # front -> its wrapper: one wrapper per front, so aliases stay identical (abs / absolute)


def install(namespace):
    """Rebinds namespace[name] (fastdl's globals) to its out= wrapper where the front has no out."""
    for name in OUT_NAMES:
        fn = namespace.get(name)
        # plain Python fronts only: a C++ front (fastdl.matmul's cpu_matmul_new) keeps its fast path
        if not inspect.isfunction(fn) or _takes_out(fn):
            continue
        if fn not in _WRAPPED:
            _WRAPPED[fn] = with_out(fn, name)
        namespace[name] = _WRAPPED[fn]


def install_aliases(namespace):
    """A module that re-exports fronts (fastdl.special's gammaln = lgamma) takes the same wrappers."""
    for name, fn in list(namespace.items()):
        if inspect.isfunction(fn) and fn in _WRAPPED:
            namespace[name] = _WRAPPED[fn]
