"""upsample, upsample_nearest and upsample_bilinear: torch's deprecated aliases of
interpolate (same warnings; upsample_bilinear fixes align_corners=True, as torch's)."""
import warnings

from .interpolation import interpolate

__all__ = ["upsample", "upsample_nearest", "upsample_bilinear"]


def _deprecated(name):
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=3)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
