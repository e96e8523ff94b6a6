"""dropout: zeroes each element with probability p during training and scales the
survivors by 1/(1-p), so the expected value is unchanged (inverted dropout).

dropout1d / dropout2d / dropout3d (channel dropout, PyTorch's feature dropout) zero
whole channels instead: one Bernoulli draw per (sample, channel), a mask of shape
(N, C, 1, ...) broadcast over the channel's positions. All of them draw their masks
from fastdl's generator (fastdl.manual_seed makes them reproducible) and are the
identity when not training; the gradient is the mask."""
import warnings

from ...ops.elementwise import assign_
from ...ops.random import bernoulli
from ...ops._util import check_tensor, desc, empty

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d"]


def _check(op, input, p):
    check_tensor(op, input)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: probability has to be between 0 and 1, but got {p}")
    if not input.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point input, got {desc(input)}")


def _keep_mask(input, shape, p):
    """A Bernoulli(1 - p) mask of `shape` (input's dtype and device), 1 keeps, drawn from
    fastdl's generator and scaled by 1/(1-p); 0 < p < 1."""
    mask = bernoulli(empty(shape, input.dtype, input.device), 1.0 - p)
    return mask.mul_(1.0 / (1.0 - p))


def _apply(op, input, p, training, inplace, mask_shape):
    """input times a kept/scaled mask of mask_shape() (broadcast), in place when asked."""
    if not training or p == 0.0:
        return input
    out = input * 0.0 if p == 1.0 else input * _keep_mask(input, mask_shape(), p)
    return assign_(input, out, op + "_") if inplace else out


def dropout(input, p=0.5, training=True, inplace=False):
    _check("dropout", input, p)
    return _apply("dropout", input, p, training, inplace, lambda: input.shape)


def _feature_dropout(op, input, p, training, inplace, batched):
    """Channel dropout of a batched (N, C, *) input, or of an unbatched (C, *) one
    (batched=False: as if it were (1, C, *))."""
    def mask_shape():
        shape = tuple(input.shape) if batched else (1,) + tuple(input.shape)
        if len(shape) < 2:
            raise RuntimeError(f"{op}: feature dropout requires at least 2 dimensions in the input, got "
                               f"{desc(input)}")
        shape = shape[:2] + (1,) * (len(shape) - 2)
        return shape if batched else shape[1:]
    return _apply(op, input, p, training, inplace, mask_shape)


def _rank_warning(op, ndim, spatial, ranks):
    warnings.warn(f"{op}: Received a {ndim}-D input to {op}, which is deprecated and will result in an error "
                  "in a future release. To retain the behavior and silence this warning, please use dropout "
                  f"instead. Note that {op} exists to provide channel-wise dropout on inputs with {spatial} "
                  "spatial dimensions, a channel dimension, and an optional batch dimension "
                  f"(i.e. {ranks[0]}D or {ranks[1]}D inputs).", stacklevel=3)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, L) or unbatched (C, L) input with probability p."""
    op = "dropout1d"
    _check(op, input, p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{op}: Expected 2D or 3D input, but received a {input.ndim}D input {desc(input)}. "
                           f"Note that {op} exists to provide channel-wise dropout on inputs with 1 spatial "
                           "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(op, input, p, training, inplace, input.ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, H, W) input with probability p. As PyTorch, a 3-D
    input is taken as (N, C, L) (with a warning), and other ranks warn and are taken as
    (N, C, *)."""
    op = "dropout2d"
    _check(op, input, p)
    if input.ndim not in (3, 4):
        _rank_warning(op, input.ndim, 2, (3, 4))
    if input.ndim == 3:
        warnings.warn(f"{op}: Received a 3D input to {op} and assuming that channel-wise 1D dropout behavior is "
                      "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This "
                      "behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    return _feature_dropout(op, input, p, training, inplace, True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, D, H, W) or unbatched (C, D, H, W) input with
    probability p. Other ranks warn (as PyTorch) and are taken as unbatched (C, *)."""
    op = "dropout3d"
    _check(op, input, p)
    if input.ndim not in (4, 5):
        _rank_warning(op, input.ndim, 3, (4, 5))
    return _feature_dropout(op, input, p, training, inplace, input.ndim == 5)
