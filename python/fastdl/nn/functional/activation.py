"""Activation functions with torch.nn.functional's names, arguments and defaults.
Each is one elementwise kernel (a row of ops/elementwise.py's UNARY table) or an op
fastdl already has, or a composition of differentiable elementwise ops (hardtanh,
mish, prelu, glu, ...); `inplace=True` writes the result back into the input."""
import warnings

from ... import _argcheck
from ... import dtypes as _dt
from ...autograd import Function, is_grad_enabled
from ...ops.elementwise import _UNARY_FN, assign_, clamp, float_only, sigmoid, tanh, where
from ...ops import reduce as _reduce
from ...ops._util import check_tensor, desc, norm_dim, same_device
from ...amp import autocast_mode as _amp

__all__ = ["relu", "relu_", "leaky_relu", "gelu", "silu", "elu", "softplus", "sigmoid", "tanh", "softmax",
           "log_softmax", "hardtanh", "hardtanh_", "relu6", "hardsigmoid", "hardswish", "mish", "selu", "celu",
           "prelu", "logsigmoid", "softsign", "tanhshrink", "softshrink", "hardshrink", "threshold", "threshold_",
           "glu", "softmin"]


def _apply(fn, x, inplace, op, saves_input, *params):
    """fn.apply(x, *params), written back into x when inplace. A backward that reads
    its input gets a copy, since x itself is about to be overwritten (PyTorch saves
    the original input of such in-place ops the same way)."""
    if not inplace:
        return fn.apply(x, *params)
    src = x.clone() if saves_input and is_grad_enabled() and x.requires_grad else x
    return assign_(x, fn.apply(src, *params), op + "_")


def relu(input, inplace=False):
    check_tensor("relu", input)
    return _apply(_UNARY_FN["relu"], input, inplace, "relu", False)  # backward reads the output


def relu_(input):
    return relu(input, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    check_tensor("leaky_relu", input)
    return _apply(_UNARY_FN["leaky_relu"], input, inplace, "leaky_relu", True, float(negative_slope))


_GELU_MODES = {"none": 0.0, "tanh": 1.0}


def gelu(input, approximate="none"):
    """x * Phi(x); approximate='tanh' uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    check_tensor("gelu", input)
    if approximate not in _GELU_MODES:
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _UNARY_FN["gelu"].apply(input, _GELU_MODES[approximate])


def silu(input, inplace=False):
    check_tensor("silu", input)
    return _apply(_UNARY_FN["silu"], input, inplace, "silu", True)


def elu(input, alpha=1.0, inplace=False):
    check_tensor("elu", input)
    return _apply(_UNARY_FN["elu"], input, inplace, "elu", True, float(alpha))


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch)."""
    if _amp.on and _amp.here(): return _amp.run("softplus", softplus, input, beta, threshold)  # autocast
    check_tensor("softplus", input)
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero")
    return _UNARY_FN["softplus"].apply(input, float(beta), float(threshold))


# ---- activations composed from differentiable ops ------------------------------------
# Each is a few elementwise ops (where / clamp / exp / ...), so it runs on every device
# and autograd differentiates it; where PyTorch's kernels pick a subgradient at a kink,
# the composition is arranged to pick the same one (noted per function).

class _Composed:
    """A composition f(x, *params) dressed as a Function for _apply (which calls .apply)."""
    __slots__ = ("apply",)

    def __init__(self, f):
        self.apply = f


def _composed(f, x, inplace, op, *params):
    """f(x, *params); with inplace, written back into x (a backward reading x gets a copy)."""
    return _apply(_Composed(f), x, inplace, op, True, *params)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped to [min_val, max_val]; as in PyTorch the gradient is 0 at the bounds."""
    check_tensor("hardtanh", input)
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got min_val={min_val}, "
                         f"max_val={max_val}")
    if input.dtype is _dt.uint8 and min_val < 0:
        raise RuntimeError(f"hardtanh: cannot do hardtanh on an unsigned type with negative limits, got "
                           f"min_val={min_val} for {desc(input)}")
    lo, hi = _bounds("hardtanh", input, min_val, max_val)
    if lo != lo or hi != hi:  # a NaN bound makes every element NaN (torch's clamp); gradient passes as torch's
        return _composed(_all_nan, input, inplace, "hardtanh")
    return _apply(_UNARY_FN["hardtanh"], input, inplace, "hardtanh", True, float(lo), float(hi))


def _all_nan(x):
    return x + float("nan")


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """min(max(x, 0), 6): hardtanh(x, 0, 6), gradient 0 at 0 and at 6."""
    check_tensor("relu6", input)
    lo, hi = _bounds("hardtanh", input, 0.0, 6.0)
    return _apply(_UNARY_FN["hardtanh"], input, inplace, "relu6", True, float(lo), float(hi))


def _bounds(op, x, *vals):
    """The scalars of hardtanh / threshold in x's kind: an integer x keeps its dtype, the
    scalars truncated to integers as torch converts them; bool is refused (torch)."""
    if x.dtype.is_floating_point:
        return tuple(float(v) for v in vals)
    if x.dtype.name == "bool":
        raise RuntimeError(f"{op}: bool inputs are not supported")
    return tuple(int(v) for v in vals)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6; gradient 1/6 strictly inside (-3, 3), else 0 (NaN included), as torch."""
    check_tensor("hardsigmoid", input)
    float_only("hardsigmoid", input)
    return _apply(_UNARY_FN["hardsigmoid"], input, inplace, "hardsigmoid", True)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6; gradient 0 at and below -3, x / 3 + 1/2 inside, 1 at and above 3
    (torch's choices at the kinks)."""
    check_tensor("hardswish", input)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"hardswish: not implemented for {input.dtype.name} tensors")
    return _apply(_UNARY_FN["hardswish"], input, inplace, "hardswish", True)


def _mish(x):
    return x * tanh(softplus(x))


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    check_tensor("mish", input)
    float_only("mish", input)
    return _composed(_mish, input, inplace, "mish")


def _elu_like(x, alpha, scale, input_scale):
    """scale * x for x > 0, else scale * alpha * (exp(x * input_scale) - 1); at 0 the slope
    is the negative side's (PyTorch's). The unused branch sees min(x, 0), so exp never
    overflows into the gradient."""
    neg = (clamp(x, max=0.0) * input_scale).expm1() * (alpha * scale)
    return where(x > 0, x * scale if scale != 1 else x, neg)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants (gradient scale * alpha at 0)."""
    check_tensor("selu", input)
    float_only("selu", input)
    return _composed(_elu_like, input, inplace, "selu", _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) (slope 1 at 0)."""
    check_tensor("celu", input)
    float_only("celu", input)
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    alpha = float(alpha)
    return _composed(_elu_like, input, inplace, "celu", alpha, 1.0, 1.0 / alpha)


def prelu(input, weight):
    """max(0, x) + weight * min(0, x), weight a scalar or one value per channel (dim 1);
    at 0 the gradient is weight's side, as in PyTorch."""
    if _amp.on and _amp.here(): return _amp.run("prelu", prelu, input, weight)  # autocast
    op = "prelu"
    check_tensor(op, input)
    check_tensor(op, weight, "weight")
    same_device(op, input, weight)
    if input.dtype is not weight.dtype:  # torch's prelu kernel does not promote
        raise RuntimeError(f"{op}: type promoting not supported, got input {desc(input)} and weight {desc(weight)}")
    float_only(op, input)
    if weight.ndim > 1:
        raise RuntimeError(f"{op}: expected weight to be a scalar or 1-D tensor, got {desc(weight)}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    n = weight.numel()
    if n != 1 and n != channels:
        raise RuntimeError(f"{op}: mismatch of parameter numbers and input channel size: found {n} parameters "
                           f"and {channels} channels (input {desc(input)}, weight {desc(weight)})")
    w = weight.reshape(()) if n == 1 else weight.reshape([channels] + [1] * (input.ndim - 2))
    return where(input > 0, input, w * input)


class _LogSigmoid(Function):
    """log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)): no overflow for any x; the
    gradient sigmoid(-x) (1/2 at 0) is PyTorch's."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return clamp(x, max=0.0) - (-x.abs()).exp().log1p()

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * sigmoid(-x)


def logsigmoid(input):
    check_tensor("logsigmoid", input)
    if not input.dtype.is_floating_point:
        raise TypeError(f"logsigmoid: expected a floating point tensor, got {desc(input)}")
    return _LogSigmoid.apply(input)


def softsign(input):
    """x / (1 + |x|)."""
    check_tensor("softsign", input)
    if input.dtype.name == "bool":  # torch: abs of bool is not implemented
        raise NotImplementedError(f"softsign: not implemented for bool tensors, got {desc(input)}")
    return input / (input.abs() + 1)


def tanhshrink(input):
    """x - tanh(x)."""
    check_tensor("tanhshrink", input)
    if input.dtype.name == "bool":  # torch: x - tanh(x) subtracts from a bool tensor
        raise RuntimeError(f"tanhshrink: subtraction with a bool tensor is not supported, got {desc(input)}")
    return input - tanh(input)


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, else 0: x - clamp(x, -lambd, lambd),
    whose gradient is 0 on the closed interval [-lambd, lambd] (PyTorch's) and 1 for NaN."""
    check_tensor("softshrink", input)
    float_only("softshrink", input)
    lambd = _argcheck.number("softshrink", "lambd", lambd, "Number")
    if not lambd >= 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be {lambd}")
    return input - clamp(input, -float(lambd), float(lambd))


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0 (gradient 0 at +-lambd; NaN passes through)."""
    check_tensor("hardshrink", input)
    float_only("hardshrink", input)
    lambd = _argcheck.number("hardshrink", "lambd", lambd, "Number")
    return where((input >= -lambd) & (input <= lambd), 0.0, input)


def _thresholded(x, th, value):
    return where(x <= th, value, x)


def _threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else value (gradient 0 at the threshold; NaN passes through)."""
    check_tensor("threshold", input)
    if input.dtype.name == "bool":
        raise NotImplementedError("threshold: not implemented for bool tensors")
    return _composed(_thresholded, input, inplace, "threshold", *_bounds("threshold", input, threshold, value))


threshold = _threshold  # defined as _threshold: its argument `threshold` would shadow the function


def threshold_(input, threshold, value):
    return _threshold(input, threshold, value, inplace=True)


def glu(input, dim=-1):
    """a * sigmoid(b), a and b the two halves of input along dim."""
    op = "glu"
    check_tensor(op, input)
    float_only(op, input)
    if input.ndim == 0:
        raise RuntimeError(f"{op}: glu does not support scalars because halving size must be even")
    d = norm_dim(op, dim, input.ndim)
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"{op}: halving dimension must be even, but dimension {d} is size {n} "
                           f"(input {desc(input)})")
    return input.narrow(d, 0, n // 2) * sigmoid(input.narrow(d, n // 2, n // 2))


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-input) along dim; dim=None picks PyTorch's legacy implicit dim (and warns, as torch)."""
    if _amp.on and _amp.here(): return _amp.run("softmin", softmin, input, dim, _stacklevel, dtype)  # autocast
    check_tensor("softmin", input)
    if dtype is not None and not isinstance(dtype, _dt.DType):
        raise TypeError(f"softmin(): argument 'dtype' must be a dtype, not {type(dtype).__name__}")
    if dim is None:
        # torch warns from a helper one frame below softmin: the same frame is _stacklevel - 1 from here
        warnings.warn("softmin: implicit dimension choice for softmin has been deprecated. Change the call to "
                      "include dim=X as an argument.", UserWarning, stacklevel=max(_stacklevel - 1, 1))
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return _reduce.softmax(-input, dim, dtype)


def _f_softmax(op, log):
    """F.softmax / F.log_softmax with torch's signature (input, dim=None, _stacklevel=3, dtype=None):
    the third positional argument is _stacklevel (torch.softmax's is dtype); dim=None picks the
    legacy implicit dim and warns, as torch. One frame, as the ops' own softmax."""
    def f(input, dim=None, _stacklevel=3, dtype=None):
        if _amp.on and _amp.here(): return _amp.run(op, f, input, dim, _stacklevel, dtype)  # autocast
        if dtype is not None and not isinstance(dtype, _dt.DType):
            raise TypeError(f"{op}(): argument 'dtype' must be a dtype, not {type(dtype).__name__}")
        if dim is None:
            warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call to include "
                          f"dim=X as an argument.", UserWarning, stacklevel=max(_stacklevel - 1, 1))
        return _reduce._softmax(op, input, dim, dtype, log)
    f.__name__ = f.__qualname__ = op
    return f


softmax, log_softmax = _f_softmax("softmax", False), _f_softmax("log_softmax", True)
