"""pixel_shuffle / pixel_unshuffle and channel_shuffle: reshapes and one permute (views
plus a copy), so autograd and every device come for free."""
import numbers

from ...ops._util import check_tensor, desc, index_arg

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle"]


def _factor(op, name, v):
    v = index_arg(v)
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{op}: {name} must be an int, got {v!r}")
    if v <= 0:
        raise RuntimeError(f"{op}: {name} must be greater than 0, but got: {v}")
    return int(v)


def _checked(op, input, name, v):
    """The shuffles' common checks: input a tensor, the factor `name` = v a positive int
    (returned), input of at least 3 dims."""
    check_tensor(op, input)
    v = _factor(op, name, v)
    if input.ndim < 3:
        raise RuntimeError(f"{op}: expects input to have at least 3 dimensions, but got input {desc(input)}")
    return v


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    op = "pixel_shuffle"
    r = _checked(op, input, "upscale_factor", upscale_factor)
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"{op}: expects its input's 'channel' dimension ({c}) to be divisible by the square of "
                           f"upscale_factor ({r * r}), but got input {desc(input)}")
    n = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    # (..., C, r1, r2, H, W) -> (..., C, H, r1, W, r2)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    op = "pixel_unshuffle"
    r = _checked(op, input, "downscale_factor", downscale_factor)
    *batch, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"{op}: expects height ({h}) and width ({w}) to be divisible by downscale_factor "
                           f"({r}), got input {desc(input)}")
    n = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    # (..., C, H, r1, W, r2) -> (..., C, r1, r2, H, W)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*batch, c * r * r, h // r, w // r)


def channel_shuffle(input, groups):
    """Splits the C channels of (N, C, *) into `groups` groups and interleaves them:
    output channel i comes from input channel (i % groups) * (C / groups) + i // groups."""
    op = "channel_shuffle"
    g = _checked(op, input, "groups", groups)
    shape = tuple(input.shape)
    c = shape[1]
    if c % g:
        raise RuntimeError(f"{op}: Number of channels must be divisible by groups. Got {c} channels and {g} "
                           f"groups (input {desc(input)})")
    x = input.reshape(shape[0], g, c // g, *shape[2:]).transpose(1, 2)
    return x.reshape(shape)


def native_channel_shuffle(input, groups):
    return channel_shuffle(input, groups)
