"""Conv3d and ConvTranspose3d: the 3-D forms of the conv modules (same constructor
arguments, parameter names, init and repr as torch's)."""
from ..functional.conv3d import conv3d, conv_transpose3d
from .conv import _Conv, _ConvTranspose

__all__ = ["Conv3d", "ConvTranspose3d"]


class Conv3d(_Conv):
    """3-D convolution over (N, C_in, D, H, W) or (C_in, D, H, W) input; weight
    (out_channels, in_channels/groups, kd, kh, kw), bias (out_channels,)."""
    _dims = 3
    _conv = staticmethod(conv3d)


class ConvTranspose3d(_ConvTranspose):
    """Transposed 3-D convolution; weight (in_channels, out_channels/groups, kd, kh, kw)."""
    _dims = 3
    _conv = staticmethod(conv_transpose3d)
