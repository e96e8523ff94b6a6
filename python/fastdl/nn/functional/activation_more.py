"""rrelu, alpha_dropout, feature_alpha_dropout, gumbel_softmax and the in-place forms
elu_ / selu_ / celu_ / leaky_relu_ / rrelu_ (torch.nn.functional's signatures), each a
composition of differentiable ops drawing its noise from fastdl's generator."""
import math

from ...ops.elementwise import assign_, where
from ...ops.random import bernoulli, uniform_
from ...ops.reduce import softmax
from ...ops._util import check_tensor, desc, empty, norm_dim
from .activation import _composed, celu, elu, leaky_relu, selu

__all__ = ["rrelu", "rrelu_", "elu_", "selu_", "celu_", "leaky_relu_", "alpha_dropout", "feature_alpha_dropout",
           "gumbel_softmax"]


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def selu_(input):
    return selu(input, inplace=True)


def celu_(input, alpha=1.0):
    return celu(input, alpha, inplace=True)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def _scaled(x, noise):
    return x * noise


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """x where x >= 0, else a * x: in training a ~ U(lower, upper) drawn per element (the
    gradient is that slope), in evaluation a = (lower + upper) / 2 (leaky_relu)."""
    op = "rrelu"
    check_tensor(op, input)
    if not input.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point input, got {desc(input)}")
    lower, upper = float(lower), float(upper)
    if not (math.isfinite(lower) and math.isfinite(upper)):
        raise RuntimeError(f"{op}: lower and upper bounds must be finite, got lower={lower}, upper={upper}")
    if lower > upper:
        raise RuntimeError(f"{op}: lower bound should be less than or equal to upper bound, got lower={lower}, "
                           f"upper={upper}")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    slope = uniform_(empty(input.shape, input.dtype, input.device), lower, upper)
    noise = where(input.detach() >= 0, 1.0, slope)
    return _composed(_scaled, input, inplace, op, noise)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, inplace=True)


_ALPHA = 1.7580993408473766  # -SELU's negative saturation, scale * alpha


def _alpha_dropout(op, input, p, training, inplace, feature):
    check_tensor(op, input)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    if not input.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point input, got {desc(input)}")
    if p == 0 or not training or input.numel() == 0:
        return input
    if feature and input.ndim < 2:
        raise RuntimeError(f"{op}: Feature dropout requires at least 2 dimensions in the input, got {desc(input)}")
    if p == 1:
        out = input * 0.0
    else:
        # torch: keep (prob 1 - p) -> a x + alpha a p; drop -> a (alpha p - alpha), which keeps
        # the mean 0 and variance 1 of SELU activations
        shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if feature else tuple(input.shape)
        keep = bernoulli(empty(shape, input.dtype, input.device), 1.0 - p)
        a = 1.0 / ((_ALPHA * _ALPHA * p + 1) * (1 - p)) ** 0.5
        b = (keep - 1) * (_ALPHA * a) + _ALPHA * a * p
        out = input * (keep * a) + b
    return assign_(input, out, op + "_") if inplace else out


def _train_flag(op, training):
    # torch passes training to ATen's bool argument: a tensor there is a TypeError
    if training is not True and training is not False:
        raise TypeError(f"{op}(): argument 'train' must be bool, not {type(training).__name__}")


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps SELU's self-normalising mean and variance (element-wise mask)."""
    _train_flag("alpha_dropout", training)
    return _alpha_dropout("alpha_dropout", input, p, training, inplace, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout with one mask value per (sample, channel) of (N, C, *) input."""
    _train_flag("feature_alpha_dropout", training)
    return _alpha_dropout("feature_alpha_dropout", input, p, training, inplace, True)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + g) / tau) along dim with g ~ Gumbel(0, 1); hard=True returns the
    one-hot of its argmax, with the soft sample's gradient (straight-through)."""
    op = "gumbel_softmax"
    check_tensor(op, logits)
    if not logits.dtype.is_floating_point:
        raise TypeError(f"{op}: expected floating point logits, got {desc(logits)}")
    d = norm_dim(op, dim, max(logits.ndim, 1))
    u = uniform_(empty(logits.shape, logits.dtype, logits.device), 0.0, 1.0)
    # -log(E), E = -log(1 - u) ~ Exp(1); the clamp keeps E > 0 where u rounds to 0
    gumbels = -((-(1.0 - u).log()).clamp(min=1e-30).log())
    y_soft = softmax((logits + gumbels) / tau, d)
    if not hard:
        return y_soft
    from ...tensor import zeros_like
    index = y_soft.detach().argmax(d, keepdim=True) if logits.ndim else None
    if index is None:
        y_hard = zeros_like(y_soft) + 1.0
    else:
        y_hard = zeros_like(y_soft).scatter(d, index, value=1.0)
    return y_hard - y_soft.detach() + y_soft
