"""FractionalMaxPool2d / FractionalMaxPool3d (torch.nn's names, arguments and checks): one
module over N spatial dims, forwarding to functional/pooling_fractional.py."""
from ..functional.conv import _ntuple
from ..functional.pooling_fractional import fractional_max_pool2d, fractional_max_pool3d
from ..module import Module

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


class _FractionalMaxPoolNd(Module):
    """Fractional max pooling; _random_samples (a buffer, None unless given) fixes the windows."""
    _nd = 0
    _pool = None

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                 _random_samples=None):
        super().__init__()
        name, nd = type(self).__name__, self._nd
        self.kernel_size = _ntuple(name, "kernel_size", kernel_size, 1, nd)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _ntuple(name, "output_size", output_size, 1, nd) if output_size is not None else None
        self.output_ratio = None
        if output_ratio is not None:
            r = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * nd
            self.output_ratio = r
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        return type(self)._pool(input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
                                _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    _nd = 2
    _pool = staticmethod(fractional_max_pool2d)


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    _nd = 3
    _pool = staticmethod(fractional_max_pool3d)
