"""Lazy modules (torch.nn.LazyLinear, LazyConv*, LazyBatchNorm*, LazyInstanceNorm*): their
parameters are UninitializedParameters (empty placeholders) until the first call, which
infers the input size, materialises them in place (the same Parameter objects, now of
their real shape), initialises them as the eager module does and turns the module into
that eager class (cls_to_become). An optimizer built after the first call sees the real
parameters; load_state_dict on an uninitialised module takes the loaded shapes."""
from ...autograd import no_grad
from ...tensor import Tensor, empty, tensor
from ... import dtypes as _dt
from ..module import Module
from ..parameter import Parameter
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .linear import Linear
from .normalization import BatchNorm1d, BatchNorm2d
from .normalization_more import BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d

__all__ = ["UninitializedParameter", "UninitializedBuffer", "LazyModuleMixin", "LazyLinear", "LazyConv1d",
           "LazyConv2d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


def _materialize(t, shape, cls, device=None, dtype=None):
    """Gives t (in place) fresh storage of `shape`; t becomes an instance of cls."""
    new = empty(tuple(shape), dtype=dtype or t.dtype, device=device or t.device)
    t._buf, t._dtype, t._shape, t._strides, t._offset, t._device = (
        new._buf, new._dtype, new._shape, new._strides, new._offset, new._device)
    t.__class__ = cls


class UninitializedParameter(Parameter):
    """A Parameter without data yet; materialize(shape) allocates it (uninitialised values)
    and turns it into a plain Parameter, keeping its identity."""
    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return Parameter.__new__(cls, empty(0, dtype=dtype, device=device), requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass

    def materialize(self, shape, device=None, dtype=None):
        _materialize(self, shape, self.cls_to_become, device, dtype)

    def __repr__(self):
        return "<UninitializedParameter>"


class UninitializedBuffer(Tensor):
    """A buffer without data yet; materialize(shape) turns it into a plain Tensor."""
    __slots__ = ()

    def __new__(cls, requires_grad=False, device=None, dtype=None):
        data = empty(0, dtype=dtype, device=device)
        t = Tensor._make(data._buf, data._dtype, data._shape, data._strides, data._offset, data._device)
        t.__class__ = cls
        return t

    def __init__(self, requires_grad=False, device=None, dtype=None):
        pass

    def materialize(self, shape, device=None, dtype=None):
        _materialize(self, shape, Tensor, device, dtype)

    def __repr__(self):
        return "<UninitializedBuffer>"


def is_lazy(t):
    return isinstance(t, (UninitializedParameter, UninitializedBuffer))


class LazyModuleMixin:
    """The first call runs initialize_parameters(*args) (under no_grad), then the eager
    class's forward; the module's class becomes cls_to_become."""
    cls_to_become = None

    def has_uninitialized_params(self):
        return any(is_lazy(t) for t in list(self._parameters.values()) + list(self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def __call__(self, *args, **kwargs):
        if self.has_uninitialized_params():
            with no_grad():
                self.initialize_parameters(*args, **kwargs)
            if self.has_uninitialized_params():
                raise RuntimeError(f"module {type(self).__name__} has not been fully initialized")
            if self.cls_to_become is not None:
                self.__class__ = self.cls_to_become
        return Module.__call__(self, *args, **kwargs)  # the eager class's forward from now on

    def _lazy_load_hook(self, state_dict, prefix):
        """Called by Module.load_state_dict: an uninitialised entry takes the loaded shape."""
        with no_grad():
            for name, t in list(self._parameters.items()) + list(self._buffers.items()):
                key = prefix + name
                if t is not None and is_lazy(t) and key in state_dict and not is_lazy(state_dict[key]):
                    t.materialize(tuple(state_dict[key].shape))
        if not self.has_uninitialized_params():
            self._after_load()
            if self.cls_to_become is not None:
                self.__class__ = self.cls_to_become

    def _after_load(self):
        """Sets the inferred size attribute from the materialised parameters."""


class LazyLinear(LazyModuleMixin, Linear):
    """Linear whose in_features is the last dim of the first input."""
    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False, device, dtype)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()

    def _after_load(self):
        self.in_features = self.weight.shape[1]


class _LazyConvMixin(LazyModuleMixin):
    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _init_lazy(self, out_channels, bias, device, dtype):
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def _get_in_channels(self, input):
        n = self._dims
        if input.ndim not in (n + 1, n + 2):
            raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: {list(input.shape)}")
        return input.shape[1] if input.ndim == n + 2 else input.shape[0]

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError(f"{type(self).__name__}: in_channels ({self.in_channels}) must be divisible by "
                                 f"groups ({self.groups})")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups)
            else:
                shape = (self.out_channels, self.in_channels // self.groups)
            self.weight.materialize(shape + tuple(self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def _after_load(self):
        w = self.weight.shape
        self.in_channels = w[0] if self.transposed else w[1] * self.groups


class _LazyConv(_LazyConvMixin):
    """LazyConv1d / LazyConv2d: the eager Conv's arguments less in_channels."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype)
        self._init_lazy(out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvMixin):
    """LazyConvTranspose1d / LazyConvTranspose2d: the eager ConvTranspose's arguments less in_channels."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode,
                         device, dtype)
        self._init_lazy(out_channels, bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    cls_to_become = Conv2d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    cls_to_become = ConvTranspose2d


class _LazyNormMixin(LazyModuleMixin):
    """torch's _LazyNormBase: num_features comes from the first input's channel dim."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None, *,
                 bias=True):
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = tensor(0, dtype=_dt.int64, device=device)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def _feature_dim(self, input):
        return 1

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            if input.ndim < 2:
                raise ValueError(f"{type(self).__name__}: expected an input with a channel dim, got "
                                 f"{list(input.shape)}")
            self.num_features = input.shape[self._feature_dim(input)]
            for t in (self.weight, self.bias, self.running_mean, self.running_var):
                if t is not None:
                    t.materialize((self.num_features,))
            self.reset_parameters()

    def _after_load(self):
        for t in (self.weight, self.running_mean):
            if t is not None:
                self.num_features = t.shape[0]


class _LazyInstanceNormMixin(_LazyNormMixin):
    def _feature_dim(self, input):
        # the channel dim of a batched or an unbatched input (torch takes dim 1 either way)
        return 0 if input.ndim == self._no_batch_dim else 1


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormMixin, BatchNorm3d):
    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyInstanceNormMixin, InstanceNorm1d):
    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNormMixin, InstanceNorm2d):
    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNormMixin, InstanceNorm3d):
    cls_to_become = InstanceNorm3d


# ---- long tail (tail branch): the 3-d lazy convolutions ----
from .conv3d import Conv3d, ConvTranspose3d  # noqa: E402


class LazyConv3d(_LazyConv, Conv3d):
    cls_to_become = Conv3d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    cls_to_become = ConvTranspose3d
