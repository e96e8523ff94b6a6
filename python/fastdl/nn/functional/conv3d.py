"""conv3d and conv_transpose3d (torch.nn.functional semantics) composed over the 2-D conv
Functions, so they run on every device and their gradients come from the 2-D ones.

conv3d folds the kernel depth into the channels: index_select gathers, for every output
depth od, the KD input slices od*sd + kd*dd it reads, as KD extra channels of one
(N*OD, C*KD, H, W) image (the depth analogue of im2col: it costs a KD-times copy of the
input, OD/D*KD times the input's memory), and one conv2d with the weight viewed as
(O, C/g*KD, KH, KW) does the rest (the channel order c*KD + kd keeps groups contiguous).
conv_transpose3d is its adjoint: one conv_transpose2d of the (N*D, Cin, H, W) slices with
the weight viewed as (Cin, O/g*KD, KH, KW) gives every slice's KD contributions, which an
index_add sums into the output depths d*sd + kd*dd (a KD-times-output temporary)."""
import numpy as np

from ... import dtypes as _dt
from ...ops._util import desc
from ...ops.scatter_more import _IndexAddAlongDim
from ...ops.indexing import index_select
from .conv import _check_common, _conv_checks, _conv_transpose_checks, _ntuple, conv2d, conv_transpose2d
from .padding import pad
from ._half import half_in_float32
from ...amp import autocast_mode as _amp

__all__ = ["conv3d", "conv_transpose3d"]


def _index_add_into_zeros(src, dim, index, size):
    """zeros with `size` along dim, src's slices added at index (duplicates sum, in order);
    differentiable in src (the gradient reads them back)."""
    from ...tensor import zeros
    shape = list(src.shape)
    shape[dim] = size
    return _IndexAddAlongDim.apply(zeros(shape, dtype=src.dtype, device=src.device), dim, index, src)


def _no_half(op, input):
    if input.dtype in _dt.HALF:  # as conv2d's kernels
        raise TypeError(f"{op}: expected float32 or float64, got {desc(input)}")


def _batched(input, fn):
    return fn(input) if input.ndim == 5 else fn(input.unsqueeze(0)).squeeze(0)


def _depth_table(n_out, k, s, d, device):
    from ...tensor import tensor
    pos = np.arange(n_out)[:, None] * s + np.arange(k)[None, :] * d
    return tensor(pos.reshape(-1).astype(np.int64), device=device)


@half_in_float32(same_dtype=("weight", "bias"))
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation) of (N, C, D, H, W) or (C, D, H, W) input with an
    (O, C/groups, kd, kh, kw) weight. padding: int, triple, 'valid' or 'same' (stride 1)."""
    if _amp.on and _amp.here(): return _amp.run("conv3d", conv3d, input, weight, bias, stride, padding, dilation, groups)  # autocast
    op = "conv3d"
    _check_common(op, input, weight, bias, 3)
    _no_half(op, input)
    stride, dilation, O, Cg, ks, C = _conv_checks(op, 3, input, weight, bias, stride, dilation, groups)
    if isinstance(padding, str):
        if padding == "valid":
            dpad, hw_pad = (0, 0), (0, 0)
        elif padding == "same":
            if stride != (1, 1, 1):
                raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
            t = dilation[0] * (ks[0] - 1)
            dpad, hw_pad = (t // 2, t - t // 2), "same"  # an odd total pads one more at the end, as torch
        else:
            raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of 'valid', 'same'")
    else:
        p = _ntuple(op, "padding", padding, 0, 3)
        dpad, hw_pad = (p[0], p[0]), p[1:]
    sizes = tuple(input.shape[-3:])
    padded = (sizes[0] + sum(dpad),) + tuple(m + 2 * q for m, q in zip(sizes[1:], hw_pad if hw_pad != "same"
                                                                        else (0, 0)))
    eff = tuple(d * (k - 1) + 1 for d, k in zip(dilation, ks))
    if hw_pad != "same" and any(e > m for e, m in zip(eff, padded)) or eff[0] > padded[0]:
        raise RuntimeError(f"{op}: kernel size {eff} (dilated) can't be greater than the padded input size "
                           f"{padded} of input {desc(input)}")
    OD = (padded[0] - eff[0]) // stride[0] + 1
    KD = ks[0]
    w2 = weight.reshape(O, Cg * KD, ks[1], ks[2])

    def run(x):
        N, _, _, H, W = x.shape
        if dpad != (0, 0):
            x = pad(x, (0, 0, 0, 0) + dpad)
        xs = index_select(x, 2, _depth_table(OD, KD, stride[0], dilation[0], x.device))
        xs = xs.reshape(N, C, OD, KD, H, W).permute(0, 2, 1, 3, 4, 5).reshape(N * OD, C * KD, H, W)
        y = conv2d(xs, w2, bias, stride[1:], hw_pad, dilation[1:], groups)
        return y.reshape((N, OD) + tuple(y.shape[1:])).permute(0, 2, 1, 3, 4)
    return _batched(input, run)


@half_in_float32(same_dtype=("weight", "bias"))
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 3-D convolution (the input-gradient of conv3d) of (N, Cin, D, H, W) or
    (Cin, D, H, W) input with a (Cin, Cout/groups, kd, kh, kw) weight."""
    if _amp.on and _amp.here(): return _amp.run("conv_transpose3d", conv_transpose3d, input, weight, bias, stride, padding, output_padding, groups, dilation)  # autocast
    op = "conv_transpose3d"
    _check_common(op, input, weight, bias, 3)
    _no_half(op, input)
    stride, padding, output_padding, dilation, Cin, Og, ks, out = _conv_transpose_checks(
        op, 3, input, weight, bias, stride, padding, output_padding, groups, dilation)
    KD, O = ks[0], Og * groups
    w2 = weight.reshape(Cin, Og * KD, ks[1], ks[2])

    def run(x):
        N, _, D, H, W = x.shape
        xs = x.permute(0, 2, 1, 3, 4).reshape(N * D, Cin, H, W)
        y = conv_transpose2d(xs, w2, None, stride[1:], padding[1:], output_padding[1:], groups, dilation[1:])
        OH, OW = y.shape[2:]
        y = y.reshape(N, D, O, KD, OH, OW).permute(0, 2, 1, 3, 4, 5).reshape(N, O, D * KD, OH, OW)
        full = (D - 1) * stride[0] + dilation[0] * (KD - 1) + 1  # depth before cropping the padding
        idx = _depth_table(D, KD, stride[0], dilation[0], x.device)
        y = _index_add_into_zeros(y, 2, idx, max(full, padding[0] + out[0]))[:, :, padding[0]:padding[0] + out[0]]
        if bias is not None:
            y = y + bias.reshape(1, O, 1, 1, 1)
        return y
    return _batched(input, run)
