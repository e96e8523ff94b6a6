"""More pooling modules (torch.nn's names, arguments and repr): MaxPool3d, AvgPool3d,
AdaptiveAvgPool3d, AdaptiveMaxPool1d/2d/3d, MaxUnpool1d/2d/3d, LPPool1d/2d/3d, FractionalMaxPool2d."""
from ..functional.conv import _ntuple
from ..functional.pooling_more import (adaptive_avg_pool3d, adaptive_max_pool1d, adaptive_max_pool2d,
                                       adaptive_max_pool3d, avg_pool3d, lp_pool1d, lp_pool2d,
                                       lp_pool3d, max_pool3d, max_unpool1d, max_unpool2d, max_unpool3d)
from ..module import Module
from .pooling import _AdaptiveAvgPool, _AvgPool, _MaxPool

__all__ = ["MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
           "AdaptiveMaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "LPPool1d", "LPPool2d", "LPPool3d",
           "FractionalMaxPool2d"]


class MaxPool3d(_MaxPool):
    _pool = staticmethod(max_pool3d)


class AvgPool3d(_AvgPool):
    _pool = staticmethod(avg_pool3d)


class AdaptiveAvgPool3d(_AdaptiveAvgPool):
    _pool = staticmethod(adaptive_avg_pool3d)


class _AdaptiveMaxPool(Module):
    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return type(self)._pool(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    _pool = staticmethod(adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    _pool = staticmethod(adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    _pool = staticmethod(adaptive_max_pool3d)


class _MaxUnpool(Module):
    """forward(input, indices, output_size=None); the tuples are stored as torch stores them."""
    _dims = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name, n = type(self).__name__, self._dims
        self.kernel_size = _ntuple(name, "kernel_size", kernel_size, 1, n)
        self.stride = _ntuple(name, "stride", stride if stride is not None else kernel_size, 1, n)
        self.padding = _ntuple(name, "padding", padding, 0, n)

    def forward(self, input, indices, output_size=None):
        return type(self)._unpool(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpool):
    _dims = 1
    _unpool = staticmethod(max_unpool1d)


class MaxUnpool2d(_MaxUnpool):
    _unpool = staticmethod(max_unpool2d)


class MaxUnpool3d(_MaxUnpool):
    _dims = 3
    _unpool = staticmethod(max_unpool3d)


class _LPPool(Module):
    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, input):
        return type(self)._pool(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPool):
    _pool = staticmethod(lp_pool1d)


class LPPool2d(_LPPool):
    _pool = staticmethod(lp_pool2d)


class LPPool3d(_LPPool):
    _pool = staticmethod(lp_pool3d)


# generalised to N spatial dims in pooling_fractional.py
from .pooling_fractional import FractionalMaxPool2d  # noqa: E402,F401
