"""nn leftovers (misc branch): SyncBatchNorm, DataParallel, CrossMapLRN2d,
LinearCrossEntropyLoss. fastdl runs in one process on one device, so SyncBatchNorm is
BatchNorm (torch's own behaviour when torch.distributed is not initialised) and
DataParallel calls its module."""
import math

from ...ops import cumsum
from ...tensor import arange
from ..functional.linear_cross_entropy import linear_cross_entropy
from ..module import Module
from .linear import Linear
from .loss import _WeightedLoss
from .normalization import _BatchNorm


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over (N, C, *) input of any rank >= 2; the statistics are this process's
    batch's (there is no process group to synchronise with)."""
    _expected_dims = range(2, 1 << 30)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.process_group = process_group

    def forward(self, input):
        if input.dim() < 2:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input (got {input.dim()}D input)")
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")
        return super().forward(input)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Every BatchNorm*D in module replaced by a SyncBatchNorm sharing its parameters and
        running statistics (module itself when it is one); returns the converted module."""
        out = module
        if isinstance(module, _BatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats,
                      process_group, bias=module.bias is not None)
            if module.affine:
                out.weight = module.weight
                out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
            if hasattr(module, "qconfig"):
                out.qconfig = module.qconfig
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out


class DataParallel(Module):
    """torch.nn.DataParallel on one device: forward calls self.module (no scatter / gather
    to do); the wrapped module is the child `module`, so state_dict keys get the `module.`
    prefix, as torch's."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: expected an nn.Module, got {type(module).__name__}")
        self.module = module
        self.device_ids = [] if device_ids is None else list(device_ids)
        self.output_device = output_device if output_device is not None else (
            self.device_ids[0] if self.device_ids else None)
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


class CrossMapLRN2d(Module):
    """torch's legacy cross-channel LRN on (N, C, H, W): x * (k + alpha/size * S_c)^-beta,
    S_c the sum of x^2 over the channel window torch's running-sum loop builds: [0,
    c + pre - 1] while c <= pre, then channel 0 and [c - pre + 1, c + pre - 1] (pre =
    (size - 1) // 2 + 1; channel 0 is never taken out of the running sum, as in torch)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
        C = input.shape[1]
        pre = int((self.size - 1) / 2 + 1)
        cs = cumsum(input * input, 1)
        c = arange(C, device=input.device)
        total = cs.index_select(1, (c + (pre - 1)).clamp(max=C - 1))
        gone = c - pre  # channels 1 .. c - pre have left the running sum
        removed = cs.index_select(1, gone.clamp(min=0)) - cs.narrow(1, 0, 1)
        keep = (gone >= 1).to(input.dtype).reshape(1, C, 1, 1)
        scale = (total - removed * keep) * (self.alpha / self.size) + self.k
        return input * scale ** (-self.beta)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class LinearCrossEntropyLoss(_WeightedLoss):
    """torch.nn.LinearCrossEntropyLoss: a Linear(in_features, num_classes * prod(out_features))
    projection followed by cross entropy (F.linear_cross_entropy)."""

    def __init__(self, in_features, num_classes, *, out_features=(), bias=False, device=None, dtype=None,
                 reduction="mean", weight=None, ignore_index=None, label_smoothing=0.0, options=None):
        if weight is not None and tuple(weight.shape) != (num_classes,):
            raise RuntimeError(f"LinearCrossEntropyLoss: expected weight shape to be {(num_classes,)}, got "
                               f"{tuple(weight.shape)}")
        if label_smoothing < 0 or label_smoothing > 1.0:
            raise RuntimeError(f"LinearCrossEntropyLoss: expected label_smoothing to be in range [0, 1], got "
                               f"{label_smoothing}")
        super().__init__(weight=weight, reduction=reduction)
        self.num_classes, self.out_features = num_classes, tuple(out_features)
        self.ignore_index, self.label_smoothing, self.options = ignore_index, label_smoothing, options
        self.linear = Linear(in_features, math.prod(self.out_features) * num_classes, bias=bias, device=device,
                             dtype=dtype)

    def forward(self, input, target):
        w = self.linear.weight.reshape(self.num_classes, *self.out_features, self.linear.in_features)
        b = None if self.linear.bias is None else self.linear.bias.reshape(self.num_classes, *self.out_features)
        return linear_cross_entropy(input, w, target, linear_bias=b, weight=self.weight, reduction=self.reduction,
                                    ignore_index=self.ignore_index, label_smoothing=self.label_smoothing,
                                    options=self.options)

    def extra_repr(self):
        return (f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, reduction={self.reduction}, "
                f"ignore_index={self.ignore_index}, label_smoothing={self.label_smoothing}, options={self.options}")


__all__ = ["SyncBatchNorm", "DataParallel", "CrossMapLRN2d", "LinearCrossEntropyLoss"]
