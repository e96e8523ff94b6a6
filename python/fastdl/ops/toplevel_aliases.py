"""torch's top-level functional ops (torch.conv2d, torch.batch_norm, torch.dropout, ...) with
torch's top-level signatures, which are ATen's: they sometimes differ from
torch.nn.functional's (torch.dropout(input, p, train), torch.batch_norm's argument order,
an int `reduction` 0/1/2 for the losses, ...). Each is a thin front over the
nn.functional op, which holds the maths, the autograd and the argument checks.

Also the top-level in-place unary ops (torch.exp_(x) is x.exp_()), made in one loop from
the Tensor methods."""
from .. import nn as _nn
from .. import _argcheck
from ..tensor import Tensor
from . import toplevel_aliases_inplace as _ip

F = _nn.functional

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "convolution",
           "avg_pool1d", "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "adaptive_avg_pool1d",
           "adaptive_max_pool1d", "batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "embedding",
           "embedding_bag", "dropout", "dropout_", "alpha_dropout", "alpha_dropout_", "feature_dropout",
           "feature_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_", "pixel_shuffle", "pixel_unshuffle",
           "channel_shuffle", "native_channel_shuffle", "prelu", "selu", "selu_", "celu", "celu_", "rrelu", "rrelu_",
           "relu_", "threshold", "threshold_", "hardshrink", "cosine_similarity", "pairwise_distance", "kl_div",
           "margin_ranking_loss", "hinge_embedding_loss", "poisson_nll_loss", "triplet_margin_loss",
           "cosine_embedding_loss", "ctc_loss", "bilinear", "binary_cross_entropy_with_logits", "constant_pad_nd",
           "grid_sampler"] + list(_ip.NAMES)

globals().update(_ip.make())

# ---- convolution -------------------------------------------------------------------------------------------------


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return F.conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return F.conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return F.conv3d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return F.conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return F.conv_transpose3d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """aten::convolution: the 1-/2-/3-d (transposed) convolution that weight's rank names."""
    if not isinstance(weight, Tensor):
        raise TypeError(f"convolution: expected weight to be a Tensor, got {type(weight).__name__}")
    k = weight.ndim - 2
    if k not in (1, 2, 3):
        raise RuntimeError(f"convolution: expected a 3-D, 4-D or 5-D weight, got {weight.ndim}-D weight of shape "
                           f"{list(weight.shape)}")
    if transposed:
        fn = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[k - 1]
        return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)
    fn = (F.conv1d, F.conv2d, F.conv3d)[k - 1]
    return fn(input, weight, bias, stride, padding, dilation, groups)


# ---- pooling (ATen's stride=[] means the kernel size) ----------------------------------------------------------------


def _stride(stride):
    return None if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else stride


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True):
    return F.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return F.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return F.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode, return_indices=True)


def adaptive_avg_pool1d(input, output_size):
    return F.adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size):
    """(values, indices), as torch's top-level form always returns."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


# ---- normalisation -------------------------------------------------------------------------------------------------


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    return F.group_norm(input, num_groups, weight, bias, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    return F.rms_norm(input, normalized_shape, weight, eps)


# ---- embedding -----------------------------------------------------------------------------------------------------


def _no_sparse(op, scale_grad_by_freq, sparse):
    if scale_grad_by_freq:
        raise NotImplementedError(f"{op}: scale_grad_by_freq=True is not supported by fastdl")
    if sparse:
        raise NotImplementedError(f"{op}: sparse=True is not supported: fastdl has no sparse gradients")


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """aten::embedding: weight first; a negative padding_idx means none (F.embedding has
    already made a negative index positive when it calls this)."""
    _no_sparse("embedding", scale_grad_by_freq, sparse)
    return F.embedding(indices, weight, None if padding_idx is None or padding_idx < 0 else padding_idx)


_BAG_MODES = {0: "sum", 1: "mean", 2: "max"}


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """aten::embedding_bag: (output, offset2bag, bag_size, max_indices). Only output is
    differentiable; the other three are int64 bookkeeping (offset2bag: the bag of each
    index of a 1-D input; bag_size: the indices each bag holds; max_indices: for mode
    'max', the row chosen for each output element, else bag_size)."""
    _no_sparse("embedding_bag", scale_grad_by_freq, sparse)
    if mode not in _BAG_MODES:
        raise ValueError(f"embedding_bag: mode must be 0 (sum), 1 (mean) or 2 (max), got {mode!r}")
    out = F.embedding_bag(indices, weight, offsets, mode=_BAG_MODES[mode], per_sample_weights=per_sample_weights,
                          include_last_offset=include_last_offset, padding_idx=padding_idx)
    return (out,) + _bag_bookkeeping(weight, indices, offsets, mode, include_last_offset, padding_idx)


def _bag_bookkeeping(weight, indices, offsets, mode, include_last_offset, padding_idx):
    """offset2bag, bag_size and max_indices as torch's CPU kernel gives them for modes
    mean and max (padding indices are not counted; an empty bag's max index is 0). For
    mode sum torch's CPU fast path leaves them empty / zero; fastdl fills them as for mean."""
    import fastdl as ops  # the package, fully loaded when this runs
    with ops.no_grad():
        idx = indices.detach()
        dev = idx.device
        if idx.ndim == 2:  # fixed-length bags (F.embedding_bag's form)
            b, n = idx.shape
            offsets = ops.arange(b, device=dev) * n
            idx = idx.reshape(-1)
        n = idx.shape[0]
        offs = offsets.detach().long()
        nb = offs.shape[0] - 1 if include_last_offset else offs.shape[0]
        starts = offs[:nb]
        ends = offs[1:nb + 1] if include_last_offset else ops.cat([offs[1:], ops.full((1,), n, device=dev)])
        pos = ops.arange(n, device=dev)
        offset2bag = ops.searchsorted(starts, pos, right=True) - 1
        member = (pos.unsqueeze(0) >= starts.unsqueeze(1)) & (pos.unsqueeze(0) < ends.unsqueeze(1))
        if padding_idx is not None:
            member = member & (idx != padding_idx % weight.shape[0]).unsqueeze(0)
        bag_size = member.long().sum(1)
        if mode != 2:
            return offset2bag, bag_size, bag_size.clone()
        d = weight.shape[1]
        vals = ops.where(member.unsqueeze(-1), weight.detach()[idx].unsqueeze(0).expand(nb, n, d),
                         ops.full((1,), float("-inf"), dtype=weight.dtype, device=dev))
        max_idx = idx[vals.argmax(1)] if n else ops.zeros((nb, d), dtype=ops.int64, device=dev)
        return offset2bag, bag_size, max_idx * (bag_size > 0).long().unsqueeze(1)


# ---- dropout (p, train positional and required, as in ATen) -------------------------------------------------------


def dropout(input, p, train):
    return F.dropout(input, p, train)


def dropout_(input, p, train):
    return F.dropout(input, p, train, inplace=True)


def alpha_dropout(input, p, train):
    return F.alpha_dropout(input, p, train)


def alpha_dropout_(input, p, train):
    return F.alpha_dropout(input, p, train, inplace=True)


def feature_dropout(input, p, train):
    """One draw per (sample, channel) of an (N, C, *) input (F.dropout2d / dropout3d for any rank >= 2)."""
    from ..nn.functional.dropout import _check, _feature_dropout
    _check("feature_dropout", input, p)
    return _feature_dropout("feature_dropout", input, p, train, False, True)


def feature_dropout_(input, p, train):
    from ..nn.functional.dropout import _check, _feature_dropout
    _check("feature_dropout_", input, p)
    return _feature_dropout("feature_dropout", input, p, train, True, True)


def feature_alpha_dropout(input, p, train):
    return F.feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input, p, train):
    return F.feature_alpha_dropout(input, p, train, inplace=True)


# ---- shuffles and activations -------------------------------------------------------------------------------------


def pixel_shuffle(input, upscale_factor):
    return F.pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    return F.pixel_unshuffle(input, downscale_factor)


def channel_shuffle(input, groups):
    return F.channel_shuffle(input, groups)


def native_channel_shuffle(input, groups):
    return F.native_channel_shuffle(input, groups)


def prelu(input, weight):
    return F.prelu(input, weight)


def selu(input):
    return F.selu(input)


def selu_(input):
    return F.selu_(input)


def celu(input, alpha=1.0):
    return F.celu(input, alpha)


def celu_(input, alpha=1.0):
    return F.celu_(input, alpha)


def _no_generator(op, generator):
    if generator is not None:
        raise NotImplementedError(f"{op}: generator= is not supported; fastdl draws from its global generator "
                                  f"(fastdl.manual_seed)")


def rrelu(input, lower=0.125, upper=1.0 / 3.0, training=False, generator=None):
    _no_generator("rrelu", generator)
    return F.rrelu(input, lower, upper, training)


def rrelu_(input, lower=0.125, upper=1.0 / 3.0, training=False, generator=None):
    _no_generator("rrelu_", generator)
    return F.rrelu_(input, lower, upper, training)


def relu_(input):
    return F.relu_(input)


def threshold(input, threshold, value):
    return F.threshold(input, threshold, value)


def threshold_(input, threshold, value):
    return F.threshold_(input, threshold, value)


def hardshrink(input, lambd=0.5):
    return F.hardshrink(input, lambd)


def cosine_similarity(x1, x2, dim=1, eps=1e-08):
    return F.cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-06, keepdim=False):
    return F.pairwise_distance(x1, x2, p, eps, keepdim)


def bilinear(input1, input2, weight, bias=None):
    return F.bilinear(input1, input2, weight, bias)


# ---- losses (ATen's reduction is an int: 1 mean, 2 sum, any other value none; torch's top-level default is none) ----
# torch's parser takes only an int reduction (a string or bool is a TypeError) and a float margin / p / eps (a
# number or a 0-d tensor), bool swap / log_target / zero_infinity


_A = _argcheck


def _reduction(op, r):
    return {1: "mean", 2: "sum"}.get(_A.number(op, "reduction", r, "int"), "none")


def kl_div(input, target, reduction=0, *, log_target=False):
    return F.kl_div(input, target, reduction=_reduction("kl_div", reduction),
                    log_target=_A.flag("kl_div", "log_target", log_target))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    op = "margin_ranking_loss"
    return F.margin_ranking_loss(input1, input2, target, _A.number(op, "margin", margin),
                                 reduction=_reduction(op, reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    op = "hinge_embedding_loss"
    return F.hinge_embedding_loss(input, target, _A.number(op, "margin", margin), reduction=_reduction(op, reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    op = "poisson_nll_loss"
    return F.poisson_nll_loss(input, target, _A.flag(op, "log_input", log_input), _A.flag(op, "full", full),
                              eps=_A.number(op, "eps", eps), reduction=_reduction(op, reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06, swap=False, reduction=0):
    op = "triplet_margin_loss"
    return F.triplet_margin_loss(anchor, positive, negative, _A.number(op, "margin", margin), _A.number(op, "p", p),
                                 _A.number(op, "eps", eps), _A.flag(op, "swap", swap),
                                 reduction=_reduction(op, reduction))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    op = "cosine_embedding_loss"
    return F.cosine_embedding_loss(input1, input2, target, _A.number(op, "margin", margin),
                                   reduction=_reduction(op, reduction))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0, zero_infinity=False):
    op = "ctc_loss"
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, _A.number(op, "blank", blank, "int"),
                      _reduction(op, reduction), _A.flag(op, "zero_infinity", zero_infinity))


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    return F.binary_cross_entropy_with_logits(input, target, weight,
                                              reduction=_reduction("binary_cross_entropy_with_logits", reduction),
                                              pos_weight=pos_weight)


# ---- padding and sampling ------------------------------------------------------------------------------------------


def constant_pad_nd(input, pad, value=0):
    return F.pad(input, pad, "constant", value)


_INTERP = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """aten::grid_sampler: F.grid_sample with modes as ints (0 bilinear / 1 nearest /
    2 bicubic; 0 zeros / 1 border / 2 reflection)."""
    if interpolation_mode not in (0, 1, 2) or isinstance(interpolation_mode, bool):
        raise ValueError(f"grid_sampler: interpolation_mode must be 0, 1 or 2, got {interpolation_mode!r}")
    if padding_mode not in (0, 1, 2) or isinstance(padding_mode, bool):
        raise ValueError(f"grid_sampler: padding_mode must be 0, 1 or 2, got {padding_mode!r}")
    return F.grid_sample(input, grid, _INTERP[interpolation_mode], _PADDING[padding_mode], align_corners)
