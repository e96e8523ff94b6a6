"""bilinear (torch.nn.functional.bilinear): y[..., o] = x1[..., i] A[o, i, j] x2[..., j] + b[o],
one matmul against A seen as (in1, out * in2), then a product with x2 summed over j."""
from ...ops._util import check_tensor, desc, same_device
from ...amp import autocast_mode as _amp

__all__ = ["bilinear"]


def bilinear(input1, input2, weight, bias=None):
    if _amp.on and _amp.here(): return _amp.run("bilinear", bilinear, input1, input2, weight, bias)  # autocast
    op = "bilinear"
    for name, t in (("input1", input1), ("input2", input2), ("weight", weight)):
        check_tensor(op, t, name)
    same_device(op, input1, input2, weight, bias)
    if weight.ndim != 3:
        raise RuntimeError(f"{op}: expected a 3-D weight (out_features, in1_features, in2_features), got "
                           f"{desc(weight)}")
    out_f, in1, in2 = weight.shape
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"{op}: input1 and input2 must have the same number of dimensions, got {desc(input1)} "
                           f"and {desc(input2)}")
    if input1.ndim == 0:
        raise RuntimeError(f"{op}: inputs must have at least 1 dimension, got {desc(input1)}")
    for d in range(input1.ndim - 1):
        if input1.shape[d] != input2.shape[d]:
            raise RuntimeError(f"{op}: input batch dimensions do not match at dim {d}: got {input1.shape[d]} and "
                               f"{input2.shape[d]} (input1 {desc(input1)}, input2 {desc(input2)})")
    if input1.shape[-1] != in1:
        raise RuntimeError(f"{op}: input1 size does not match weight size: got {input1.shape[-1]} but expected "
                           f"{in1} (weight {desc(weight)})")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"{op}: input2 size does not match weight size: got {input2.shape[-1]} but expected "
                           f"{in2} (weight {desc(weight)})")
    if bias is not None:
        check_tensor(op, bias, "bias")
        if tuple(bias.shape) != (out_f,):
            raise RuntimeError(f"{op}: bias size does not match weight size: got {desc(bias)}, expected "
                               f"[{out_f}]")
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    t = x1.matmul(weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    y = (t * x2.unsqueeze(1)).sum(2)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out_f)
