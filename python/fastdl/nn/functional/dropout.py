"""dropout: zeroes each element with probability p during training and scales the
survivors by 1/(1-p), so the expected value is unchanged (inverted dropout)."""
from ...ops.elementwise import assign_
from ...ops.random import bernoulli
from ...ops._util import check_tensor, desc

__all__ = ["dropout"]


def dropout(input, p=0.5, training=True, inplace=False):
    check_tensor("dropout", input)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    if not input.dtype.is_floating_point:
        raise TypeError(f"dropout: expected a floating point input, got {desc(input)}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        out = input * 0.0
    else:
        mask = bernoulli(input.detach(), 1.0 - p)  # 1 keeps, drawn from fastdl's generator
        mask.mul_(1.0 / (1.0 - p))
        out = input * mask
    return assign_(input, out, "dropout_") if inplace else out
