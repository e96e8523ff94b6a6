"""F.linear_cross_entropy (torch 2.13): cross_entropy(linear(input, linear_weight) + linear_bias,
target) with a K-dimensional loss when linear_weight is (C, d_1, ..., d_K, in_features).
torch's `options` select a chunked kernel that saves memory; the value is the same, so
here they are accepted and the reference composition always runs."""


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    from . import cross_entropy
    from ...ops._util import check_tensor
    op = "linear_cross_entropy"
    for name, t in (("input", input), ("linear_weight", linear_weight), ("target", target)):
        check_tensor(op, t, name)
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"{op}: expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"{op}: expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}")
    batches, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(f"{op}: expected equal input and linear_weight last dimensions (in_features), got "
                           f"{input.shape[-1]} and {linear_weight.shape[-1]}, respectively")
    C, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (C, *out_features):
        raise RuntimeError(f"{op}: expected linear_bias shape {(C, *out_features)}, got {tuple(linear_bias.shape)}")
    if out_features and not batches:
        raise RuntimeError(f"{op}: K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} "
                           f"requires batched input, (N, {in_features}), got unbatched input with shape "
                           f"{tuple(input.shape)}")
    logits_shape = (*batches, C, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError(f"{op}: ignore_index cannot be specified when target contains probabilities")
    logits = (input @ linear_weight.reshape(-1, in_features).t()).reshape(logits_shape)
    if linear_bias is not None:
        logits = logits + linear_bias
    return cross_entropy(logits, target, weight=weight, ignore_index=-100 if ignore_index is None else ignore_index,
                         reduction=reduction, label_smoothing=label_smoothing)


__all__ = ["linear_cross_entropy"]
