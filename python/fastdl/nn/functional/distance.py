"""pairwise_distance and cosine_similarity (torch.nn.functional's names, arguments and
defaults), composed from fastdl's differentiable ops so they run on any device.

Both follow PyTorch's current formulas, gradients included:
- pairwise_distance(x1, x2) = ||x1 - x2 + eps||_p over the last dim of the broadcast
  shape (torch.norm's subgradients: 0 for a zero difference);
- cosine_similarity = sum((x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps))) over dim,
  the clamp applied outside autograd, as ATen does (the gradient flows through the
  norm as if unclamped)."""
import math
import numbers

from ... import dtypes as _dt
from ...autograd import Function
from ...ops.elementwise import clamp
from ...ops.norms import vector_norm
from ...ops._util import broadcast_shapes, check_tensor, desc, norm_dim, same_device
from ...amp import autocast_mode as _amp

__all__ = ["pairwise_distance", "cosine_similarity"]


class _ClampMinKeepGrad(Function):
    """max(x, lo) whose gradient passes through unchanged, clamped or not: PyTorch's
    `with no_grad(): t.clamp_(min=lo)` on a tensor in the graph (cosine_similarity's
    norms, gaussian_nll_loss's variance)."""

    @staticmethod
    def forward(ctx, x, lo):
        return clamp(x, min=lo)

    @staticmethod
    def backward(ctx, g):
        return g, None


def _clamp_min_keep_grad(x, lo):
    return _ClampMinKeepGrad.apply(x, float(lo))


def _check_p(op, p):
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or math.isnan(p):
        raise TypeError(f"{op}: p must be a real number, got {p!r}")
    return float(p)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dimension of the broadcast shape (any real p,
    inf and -inf included; p = 0 counts the non-zeros)."""
    op = "pairwise_distance"
    check_tensor(op, x1, "x1")
    check_tensor(op, x2, "x2")
    same_device(op, x1, x2)
    p = _check_p(op, p)
    broadcast_shapes(op, x1.shape, x2.shape)  # names the op and both shapes when they do not broadcast
    ndim = max(x1.ndim, x2.ndim)
    diff = x1 - x2 + eps
    return vector_norm(diff, p, dim=ndim - 1 if ndim else None, keepdim=keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """<x1, x2> / (max(||x1||, eps) max(||x2||, eps)) along dim of the broadcast shape;
    each input is divided by its norm before the product (so |result| <= 1)."""
    if _amp.on and _amp.here(): return _amp.run("cosine_similarity", cosine_similarity, x1, x2, dim, eps)  # autocast
    op = "cosine_similarity"
    check_tensor(op, x1, "x1")
    check_tensor(op, x2, "x2")
    same_device(op, x1, x2)
    dt = _dt.result_type(x1, x2)
    if not dt.is_floating_point:
        raise TypeError(f"{op}: expected the common dtype of x1 and x2 to be floating point, got {desc(x1)} and "
                        f"{desc(x2)}")
    x1 = x1 if x1.dtype.is_floating_point else x1.to(dt)
    x2 = x2 if x2.dtype.is_floating_point else x2.to(dt)
    shape = broadcast_shapes(op, x1.shape, x2.shape)
    d = norm_dim(op, dim, len(shape))
    x1, x2 = x1.expand(shape), x2.expand(shape)
    if not shape:  # a 0-d pair: its one element is the vector
        x1, x2 = x1.reshape(1), x2.reshape(1)
    n1 = _clamp_min_keep_grad(vector_norm(x1, 2, d, keepdim=True), eps)
    n2 = _clamp_min_keep_grad(vector_norm(x2, 2, d, keepdim=True), eps)
    out = ((x1 / n1) * (x2 / n2)).sum(d)
    return out.reshape(()) if not shape else out
