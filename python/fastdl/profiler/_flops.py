"""with_flops: torch's formulas for the ops it counts (matrix products, conv2d, add / mul)."""


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def flops(name, args, out, Tensor):
    ts = [a for a in args if isinstance(a, Tensor)]
    res = out[0] if isinstance(out, (tuple, list)) and out else out
    if not isinstance(res, Tensor):
        return 0
    if name in ("aten::mm", "aten::matmul", "aten::bmm", "aten::addmm", "aten::linear") and len(ts) >= 2:
        a, b = (ts[1], ts[2]) if name == "aten::addmm" and len(ts) >= 3 else (ts[0], ts[1])
        if name == "aten::linear":  # weight is (out, in): K is its last dim
            return 2 * _numel(res._shape) * (b._shape[-1] if b._shape else 1)
        k = a._shape[-1] if a._shape else 1
        return 2 * _numel(res._shape) * k
    if name == "aten::conv2d" and len(ts) >= 2:
        w = ts[1]._shape  # (out channels, in channels / groups, kh, kw)
        return 2 * _numel(res._shape) * _numel(w[1:])
    if name in ("aten::add", "aten::mul", "aten::add_", "aten::mul_"):
        return _numel(res._shape)
    return 0
