"""normalize: x / max(||x||_p, eps) along dim, the p-norm fastdl.linalg.vector_norm's
(so a zero vector's norm has gradient 0, as in torch, and a NaN stays NaN)."""
import math
import numbers

from ...ops._util import check_tensor, desc, norm_dims
from ...ops.elementwise import clamp
from ...ops.indexing import one_hot  # F.one_hot is fastdl.one_hot; re-exported from here for F
from ...ops.norms import vector_norm
from ...amp import autocast_mode as _amp

__all__ = ["normalize", "one_hot"]


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps), the norm taken over dim (an int or a tuple of ints)."""
    if _amp.on and _amp.here(): return _amp.run("normalize", normalize, input, p, dim, eps, out)  # autocast
    op = "normalize"
    check_tensor(op, input)
    if not input.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating-point input, got {desc(input)}")
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or math.isnan(p):
        raise TypeError(f"{op}: p must be a real number, got {p!r}")
    dims = norm_dims(op, dim, input.ndim)
    res = input / clamp(vector_norm(input, float(p), dims, keepdim=True), min=eps)
    if out is not None:
        return out.copy_(res)
    return res
