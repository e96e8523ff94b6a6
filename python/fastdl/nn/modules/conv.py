"""Conv1d, Conv2d, ConvTranspose1d and ConvTranspose2d modules: PyTorch's constructor
arguments, parameter shapes and names, initialisation (kaiming_uniform_(a=sqrt(5)),
bias U(+-1/sqrt(fan_in))) and repr."""
import math

from ...tensor import empty
from .. import init
from ..functional.padding import pad
from ..functional.conv import _ntuple, conv1d, conv2d, conv_transpose1d, conv_transpose2d, transposed_out_size
from ..module import Module
from ..parameter import Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    _dims = 2  # spatial dims: 1 for the 1-D modules

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed, output_padding,
                 groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        name = type(self).__name__
        self.kernel_size = _ntuple(name, "kernel_size", kernel_size, 1, self._dims)
        self.stride = _ntuple(name, "stride", stride, 1, self._dims)
        self.dilation = _ntuple(name, "dilation", dilation, 1, self._dims)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and self.stride != (1,) * self._dims:
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _ntuple(name, "padding", padding, 0, self._dims)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {set(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.transposed, self.output_padding = transposed, _ntuple(name, "output_padding", output_padding, 0, self._dims)
        self.groups, self.padding_mode = groups, padding_mode
        shape = ((in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups))
        self.weight = Parameter(empty(shape + self.kernel_size, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)


class _Conv(_ConvNd):
    """A convolution layer; _conv is its functional form (conv1d or conv2d)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups, bias,
                         padding_mode, device, dtype)

    def forward(self, input):
        conv = type(self)._conv
        if self.padding_mode == "zeros":
            return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        if self.padding == "valid":
            pads = ((0, 0),) * self._dims
        elif self.padding == "same":  # an odd total pads one more at the bottom/right, as PyTorch
            totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            pads = tuple((t // 2, t - t // 2) for t in totals)
        else:
            pads = tuple((p, p) for p in self.padding)
        # F.pad's tuple starts at the last dim; its gather sums repeated rows' gradients
        x = pad(input, tuple(v for pair in reversed(pads) for v in pair), self.padding_mode)
        return conv(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) or (C_in, L) input; weight
    (out_channels, in_channels/groups, k), bias (out_channels,)."""
    _dims = 1
    _conv = staticmethod(conv1d)


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W) input; weight
    (out_channels, in_channels/groups, kh, kw), bias (out_channels,)."""
    _conv = staticmethod(conv2d)


class _ConvTranspose(_ConvNd):
    """A transposed convolution layer; forward(input, output_size=None): output_size
    picks the output_padding. _conv is its functional form."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        name = type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}')
        if isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a tuple of ints, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True, output_padding,
                         groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        n, name = self._dims, type(self).__name__
        size = list(output_size)[-n:] if len(output_size) in (n + 1, n + 2) else list(output_size)
        if len(size) != n:
            raise ValueError(f"{name}: output_size must have {n} or {n + 2} elements (got {len(output_size)})")
        lo = list(transposed_out_size(input.shape[-n:], self.stride, self.padding, self.dilation, self.kernel_size,
                                      (0,) * n))
        hi = [m + s - 1 for m, s in zip(lo, self.stride)]
        if any(not a <= m <= b for m, a, b in zip(size, lo, hi)):
            raise ValueError(f"{name}: requested an output size of {size}, but valid sizes range from {lo} "
                             f"to {hi} (for an input of {list(input.shape[-n:])})")
        return tuple(m - a for m, a in zip(size, lo))

    def forward(self, input, output_size=None):
        return type(self)._conv(input, self.weight, self.bias, self.stride, self.padding,
                                self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """Transposed 1-D convolution; weight (in_channels, out_channels/groups, k)."""
    _dims = 1
    _conv = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """Transposed 2-D convolution; weight (in_channels, out_channels/groups, kh, kw)."""
    _conv = staticmethod(conv_transpose2d)


__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]
